"""Guards for the layout: the core stays pure, routes stay thin and do not lean on each other.

The README's "Layout" section says what lives where; these tests keep it true.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPACES = ROOT / "spaces"
MAX_VIEW_LINES = 25


def _modules(folder: Path, package: str) -> list[str]:
    names = []
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(folder).with_suffix("").parts
        names.append(".".join((package, *parts[:-1])) if parts[-1] == "__init__" else ".".join((package, *parts)))
    return names


PURE = _modules(SPACES / "core", "spaces.core") + _modules(ROOT / "geo", "geo")
FORBIDDEN = ("flask", "flask_sqlalchemy", "flask_babel", "werkzeug", "sqlalchemy", "geoalchemy2", "spaces.models",
             "spaces.db")


@pytest.mark.parametrize("module", PURE)
def test_the_core_and_geo_import_no_web_and_no_database(module):
    """Imported alone in a fresh interpreter, a pure module pulls in no Flask, SQLAlchemy or models."""
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                                       check=True).stdout)
    assert [m for m in loaded if m in FORBIDDEN or m.startswith(tuple(f + "." for f in FORBIDDEN))] == []


def _blueprint_modules() -> dict[str, ast.Module]:
    """Every module that defines a Flask blueprint (`bp = Blueprint(...)`): the routes."""
    found = {}
    for path in sorted(SPACES.rglob("*.py")):
        tree = ast.parse(path.read_text())
        if any(isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
               and getattr(node.value.func, "id", None) == "Blueprint" for node in tree.body):
            found[".".join(path.relative_to(ROOT).with_suffix("").parts)] = tree
    return found


ROUTES = _blueprint_modules()


def _imported(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_routes_are_found():
    assert {"spaces.finder.routes", "spaces.booking.routes", "spaces.manage.routes", "spaces.accounts.routes",
            "spaces.planning.gaps.routes", "spaces.planning.rounds.routes"} <= set(ROUTES)


@pytest.mark.parametrize("module", sorted(ROUTES))
def test_routes_do_not_import_other_routes(module):
    """Shared logic lives in services and queries, not in another blueprint's module."""
    assert sorted(_imported(ROUTES[module]) & (set(ROUTES) - {module})) == []


@pytest.mark.parametrize("module", sorted(ROUTES))
def test_routes_hold_no_sql(module):
    """Queries live beside their use in service or query modules; a routes module calls them."""
    calls = [node.lineno for node in ast.walk(ROUTES[module])
             if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "select"]
    assert calls == [], f"select( in {module} at lines {calls}"


def _is_route(decorator: ast.expr) -> bool:
    return (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr in ("get", "post", "route") and getattr(decorator.func.value, "id", None) == "bp")


def _views(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and any(_is_route(d) for d in node.decorator_list):
            yield node


@pytest.mark.parametrize("module", sorted(ROUTES))
def test_views_are_short(module):
    """A view parses, calls and renders: at most 25 lines, readable at a glance."""
    long = {v.name: v.end_lineno - v.lineno + 1 for v in _views(ROUTES[module])
            if v.end_lineno - v.lineno + 1 > MAX_VIEW_LINES}
    assert long == {}
