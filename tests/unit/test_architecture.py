"""The direction of imports: HTTP edges -> service.http -> rules -> models, and crypto/ a leaf."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Every library that speaks HTTP or reads forms; "flask*" is a prefix of the
# top-level name, so flask_babel, flask_wtf and flask_limiter count too.
HTTP_LIBRARIES = ("flask*", "werkzeug", "wtforms", "marshmallow", "webargs", "flask_smorest")
EDGES = ("service.api", "service.web", "service.staff", "service.cli")
RULES = ("service.booking", "service.identity", "service.core", "service.stats")


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(dotted: str, root: Path) -> bool:
    base = root.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def module_imports(path: Path, root: Path) -> list[str]:
    """Return the modules a file imports, resolving relative ones and ``from pkg import module``."""
    package = _module_name(path, root)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                # "from service import db" imports the module service.db, not service.
                candidate = f"{base}.{alias.name}"
                found.append(candidate if _is_module(candidate, root) else base)
    return found


def _imports(where: str) -> list[tuple[str, str]]:
    target = ROOT / where
    paths = [target] if target.is_file() else sorted(target.rglob("*.py"))
    return [
        (str(path.relative_to(ROOT)), module)
        for path in paths
        for module in module_imports(path, ROOT)
    ]


def _matches(module: str, name: str) -> bool:
    if name.endswith("*"):
        return module.startswith(name[:-1])
    return module == name or module.startswith(name + ".")


def _offending(where: str, forbidden: tuple[str, ...]) -> list[tuple[str, str]]:
    found = _imports(where)
    assert found, f"{where} was not scanned"
    return [(path, module) for path, module in found if any(_matches(module, n) for n in forbidden)]


@pytest.mark.parametrize(
    ("where", "forbidden"),
    [
        ("crypto", ("service", "flask*", "sqlalchemy")),
        ("service/booking", (*HTTP_LIBRARIES, *EDGES, "service.http")),
        ("service/stats", (*HTTP_LIBRARIES, *EDGES, "service.http")),
        (
            "service/identity",
            (*HTTP_LIBRARIES, *EDGES, "service.http", "service.booking", "service.stats"),
        ),
        (
            "service/core",
            (
                *HTTP_LIBRARIES,
                *EDGES,
                "service.http",
                *RULES[:2],
                "service.stats",
                "service.models",
            ),
        ),
        (
            "service/models",
            (*HTTP_LIBRARIES, *EDGES, "service.http", "service.booking", "service.identity"),
        ),
    ],
)
def test_inner_layers_import_nothing_from_outer_ones(
    where: str, forbidden: tuple[str, ...]
) -> None:
    """crypto/ is a leaf; rules and models know no HTTP library; models know no rules."""

    offending = _offending(where, forbidden)

    assert offending == []


@pytest.mark.parametrize("edge", ["service/api", "service/web", "service/staff", "service/cli.py"])
def test_the_edges_never_import_each_other(edge: str) -> None:
    """api, web, staff and the CLI share only service.http, the rules and the models."""
    own = _module_name(ROOT / edge, ROOT)
    others = tuple(name for name in EDGES if name != own)

    offending = _offending(edge, others)

    assert offending == []


def test_the_floor_beneath_the_edges_imports_none_of_them() -> None:
    """service.http lies below api, web, staff and the CLI."""

    offending = _offending("service/http", EDGES)

    assert offending == []


def test_the_configuration_imports_no_models_and_no_edge() -> None:
    """service.config is read before anything else, so it stands on nothing of the app."""

    offending = _offending("service/config.py", ("service.models", "service.http", *EDGES))

    assert offending == []


def test_relative_imports_and_modules_of_a_package_are_resolved(tmp_path: Path) -> None:
    """``from . import x``, ``from ..a import b`` and ``from pkg import module`` name modules."""
    package = tmp_path / "pkg"
    (package / "inner").mkdir(parents=True)
    for name in ("__init__.py", "sibling.py", "inner/__init__.py", "inner/deep.py"):
        (package / name).write_text("", encoding="utf-8")
    (package / "inner" / "deep.py").write_text(
        "from . import deep\nfrom .. import sibling\nfrom ..sibling import thing\n"
        "from pkg import inner, VALUE\nimport flask_babel\n",
        encoding="utf-8",
    )

    found = module_imports(package / "inner" / "deep.py", tmp_path)

    assert found == [
        "pkg.inner.deep",
        "pkg.sibling",
        "pkg.sibling",
        "pkg.inner",
        "pkg",
        "flask_babel",
    ]
    assert _matches("flask_babel", "flask*")
    assert not _matches("service.apis", "service.api")


# The layers of an API route that service.api.routes.api_route stacks in one fixed order.
ROUTE_LAYERS = frozenset(
    {
        "transactional",
        "requires_scope",
        "requires_token",
        "token_entry",
        "key_entry",
        "course_creation",
        "response",
        "arguments",
        "alt_response",
    }
)


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Attribute):
        return target.attr
    return target.id if isinstance(target, ast.Name) else ""


def test_api_routes_stack_their_layers_only_through_api_route() -> None:
    """No API view orders its limit, authentication, transaction and schemas by hand."""
    stacked = [
        (str(path.relative_to(ROOT)), node.name, _decorator_name(decorator))
        for path in sorted((ROOT / "service" / "api").glob("*.py"))
        if path.name != "routes.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef)
        for decorator in node.decorator_list
        if _decorator_name(decorator) in ROUTE_LAYERS
    ]

    assert stacked == []


# SQL statements belong to the rules: no edge module builds one.
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
        str(path.relative_to(ROOT)): found for path in paths if (found := _statements(path))
    }

    assert offending == {}
    assert paths, f"{folder} was not scanned"
