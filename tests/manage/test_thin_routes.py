"""The managers' and the phase admin's packages keep their layout: forms in forms.py, writes and queries in
service.py, maps in geo.maps; phases borrow nothing from manage. (tests/test_architecture.py guards every
routes module: no SQL, short views, no other routes.)"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROUTES = ["spaces/manage/routes.py", "spaces/planning/phases/routes.py"]


def _imported_packages(tree: ast.Module) -> set[str]:
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize("path", ROUTES)
def test_routes_hold_no_forms_maps_or_database_code(path):
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    assert _imported_packages(tree) & {"sqlalchemy", "geoalchemy2", "wtforms", "flask_wtf", "folium", "branca"} == set()
    assert [node.name for node in tree.body if isinstance(node, ast.ClassDef)] == []


def test_phases_borrow_nothing_from_manage():
    for path in sorted((ROOT / "spaces/planning/phases").glob("*.py")):
        assert "spaces.manage" not in path.read_text(encoding="utf-8"), path
