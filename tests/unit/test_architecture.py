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


# SQL statements belong to the rules. These edge modules build their own
# because they are the shared HTTP floor (sessions, idempotent replay, API key
# look-up), which moves to service/http/ with its own rule of import.
SQL_AT_THE_EDGE = {
    "service/api/auth.py": "API key look-up and last-use stamp of the request's bearer",
    "service/api/transaction.py": "idempotent replay store and its advisory lock",
    "service/staff/auth.py": "server-side staff sessions",
    "service/web/sessions.py": "server-side citizen sessions",
}
_STATEMENTS = {"select", "insert", "update", "delete", "text"}


def _statements(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found += [f"imports {a.name}" for a in node.names if a.name in _STATEMENTS]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            found += [f"calls {node.func.id}("] if node.func.id in _STATEMENTS else []
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in {"sqlalchemy", "sa"}
            and node.attr in _STATEMENTS
        ):
            found.append(f"uses {node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize("folder", ["service/api", "service/staff", "service/web"])
def test_edges_build_no_sql_statements(folder: str) -> None:
    """Listings, reach and writes are rule functions: an edge view builds no SQL statement."""
    paths = sorted((ROOT / folder).rglob("*.py"))
    offending = {
        str(path.relative_to(ROOT)): found
        for path in paths
        if (found := _statements(path)) and str(path.relative_to(ROOT)) not in SQL_AT_THE_EDGE
    }

    assert offending == {}
    assert paths, f"{folder} was not scanned"


def test_every_listed_sql_exception_still_builds_sql() -> None:
    """An exception that no longer builds SQL is dropped from the list, so it cannot hide one."""
    assert [name for name in SQL_AT_THE_EDGE if not _statements(ROOT / name)] == []
