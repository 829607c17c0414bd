"""The direction of imports: HTTP edges -> rules -> models, and crypto/ a leaf."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(folder: str) -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(str(path.relative_to(ROOT)), alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.append((str(path.relative_to(ROOT)), node.module))
    return found


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("crypto", ("service", "flask", "sqlalchemy")),
        ("service/booking", ("flask", "werkzeug", "service.api", "marshmallow")),
        ("service/stats", ("flask", "werkzeug", "service.api", "marshmallow")),
        (
            "service/identity",
            ("flask", "werkzeug", "service.api", "marshmallow", "service.booking", "service.stats"),
        ),
        (
            "service/core",
            (
                "flask",
                "werkzeug",
                "marshmallow",
                "service.api",
                "service.booking",
                "service.identity",
                "service.stats",
                "service.models",
            ),
        ),
        (
            "service/models",
            ("flask", "werkzeug", "service.api", "service.booking", "service.identity"),
        ),
    ],
)
def test_inner_layers_import_nothing_from_outer_ones(
    folder: str, forbidden: tuple[str, ...]
) -> None:
    """crypto/ is a leaf; rules and models know no HTTP; models know no rules."""

    offending = [
        (path, module)
        for path, module in _imports(folder)
        if any(module == name or module.startswith(name + ".") for name in forbidden)
    ]

    assert offending == []
    assert _imports(folder), f"{folder} was not scanned"
