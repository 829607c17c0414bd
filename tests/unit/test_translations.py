"""Every text of the citizen pages is in Danish, and the compiled catalogue is up to date."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "service" / "web"
DANISH = WEB / "translations" / "da" / "LC_MESSAGES"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalogue() -> Catalog:
    with (DANISH / "messages.po").open("rb") as source:
        return read_po(source, locale="da")


def _source_texts() -> set[str]:
    keywords = {"_": None, "_l": None, "gettext": None, "ngettext": (1, 2)}
    found = extract_from_dir(str(WEB), METHODS, keywords=keywords)
    return {message[2] if isinstance(message[2], str) else message[2][0] for message in found}


def test_every_text_in_the_code_has_a_danish_translation() -> None:
    """A new text on a page or a form fails here until it is extracted and translated."""
    catalogue = _catalogue()
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalogue
        if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else [m.string])
    }

    missing = _source_texts() - translated

    assert missing == set()
    assert len(translated) > 100


def test_translations_keep_their_placeholders() -> None:
    """A "%(n)s" in English is a "%(n)s" in Danish, or the page would fail to render."""
    for message in _catalogue():
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = (
            [message.string] if isinstance(message.string, str) else list(message.string or ())
        )
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == wanted, message.id


def _translations(catalogue: Catalog) -> set[tuple[object, object, str | None]]:
    """Return what a catalogue translates, leaving out its header (which names Babel's version)."""

    def frozen(text: object) -> object:
        return tuple(text) if isinstance(text, list | tuple) else text

    return {(frozen(m.id), frozen(m.string), m.context) for m in catalogue if m.id and not m.fuzzy}


def test_the_compiled_catalogue_matches_the_translations() -> None:
    """messages.mo holds what compiling messages.po gives: scripts/translations was run."""
    with (DANISH / "messages.mo").open("rb") as shipped:
        compiled = read_mo(shipped)

    assert _translations(compiled) == _translations(_catalogue())
