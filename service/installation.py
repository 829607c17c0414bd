"""Start-up check that the top-level modules ``service`` and ``crypto`` are Diskret's own.

The distribution is named ``diskret`` but keeps the project's layout: it
installs two top-level modules with generic names, ``service`` and
``crypto``. Another distribution that installs a module of either name into
the same environment overwrites our files or is imported in their place.
``diskret`` refuses to start then, with one line naming the module, instead
of running a mix. What counts as ours: for a wheel, the file that the
distribution's RECORD lists, with the hash it records; for an editable
install, the file in the source folder it points at. Without installed
metadata (a bare checkout) there is nothing to compare, and nothing is refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

DISTRIBUTION = "diskret"
MODULES = ("service", "crypto")


class ForeignModule(Exception):
    """A top-level module of Diskret's was imported from somewhere Diskret did not install it."""


def _editable_root(dist: metadata.Distribution) -> Path | None:
    """Return the source folder of an editable install, or None for any other install."""
    text = dist.read_text("direct_url.json")
    if not text:
        return None
    origin = json.loads(text)
    if not origin.get("dir_info", {}).get("editable"):
        return None
    return Path(unquote(urlparse(origin["url"]).path))


def _digest(path: Path) -> str:
    """Return a file's sha256 as RECORD writes it (urlsafe base64, no padding)."""
    raw = hashlib.sha256(path.read_bytes()).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _is_ours(dist: metadata.Distribution, name: str, file: Path) -> bool:
    """Tell whether ``file`` is the ``__init__.py`` of ``name`` that ``dist`` installed."""
    root = _editable_root(dist)
    if root is not None:
        return file == (root / name / "__init__.py").resolve()
    for entry in dist.files or ():
        if entry.as_posix() == f"{name}/__init__.py":
            if Path(str(dist.locate_file(entry))).resolve() != file:
                return False
            return entry.hash is None or entry.hash.value == _digest(file)
    return False


def foreign_modules(dist: metadata.Distribution, files: Mapping[str, Path]) -> list[str]:
    """Return the names in ``files`` (module name to its ``__init__.py``) not installed by dist."""
    return [name for name, file in files.items() if not _is_ours(dist, name, file.resolve())]


def check() -> None:
    """Raise ForeignModule if ``service`` or ``crypto`` in this process is not diskret's."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return
    files = {name: Path(str(sys.modules[name].__file__)) for name in MODULES}
    for name in foreign_modules(dist, files):
        raise ForeignModule(
            f"The module {name!r} at {files[name].parent} is not the one diskret installed: "
            "another package uses the name. Install diskret in an environment of its own."
        )
