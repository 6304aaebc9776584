"""The import arrows of docs/design.md ("Packages and the direction of their imports") point one way:
cli -> features -> store -> leaves. Every ``import`` in the source counts, at the top of a module or inside
a function (a deferred import is still an arrow). And the store holds all SQL: no module outside store/
runs a statement on a project or its connection."""

import ast
from pathlib import Path

import pytest

import thematic

PACKAGE = Path(thematic.__file__).parent
FEATURES = ("ingest", "codebook", "ml", "review", "agreement", "scales", "export")
LEAVES = ("errors", "clock", "xmlsafe", "records")


def _imports(path: Path, package: str) -> list[tuple[int, str]]:
    """(line, module) for every thematic module ``path`` (a module of ``package``) imports, relative
    imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # `from thematic import review` names a package through its alias
            if module == "thematic":
                found += [(node.lineno, f"thematic.{a.name}") for a in node.names if a.name[:2] != "__"]
    return [(line, m) for line, m in found if m == "thematic" or m.startswith("thematic.")]


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _arrows(folder: str, allowed: set[str]) -> list[str]:
    root = PACKAGE / folder if folder else PACKAGE
    if folder:
        files = sorted(root.glob("*.py"))
    else:
        files = [PACKAGE / f"{leaf}.py" for leaf in LEAVES if leaf != "records"]
    return [
        f"{path.relative_to(PACKAGE)}:{line} imports {module}"
        for path in files
        for line, module in _imports(path, ".".join(("thematic", *path.relative_to(PACKAGE).parent.parts)))
        if _top(module) not in allowed | {""}  # "": the package itself (its __version__)
    ]


def test_the_store_imports_only_the_store_and_leaves():
    assert _arrows("store", {"store", *LEAVES}) == []


def test_leaves_import_only_leaves():
    assert _arrows("records", set(LEAVES)) == []
    assert _arrows("", set(LEAVES)) == []


@pytest.mark.parametrize("feature", FEATURES)
def test_features_do_not_import_the_cli(feature):
    assert _arrows(feature, set(LEAVES) | set(FEATURES) | {"store", "outfile", "terminal", "integrity"}) == []


def test_the_checker_sees_an_arrow_back(tmp_path):
    """The walk finds imports inside functions, relative ones and packages named from ``thematic`` (so
    the empty lists above mean something)."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import json\nfrom thematic.store.project import Project\n\n\ndef f():\n"
        "    from ..review import sheets\n    import thematic.codebook.load\n    from thematic import ml\n"
    )
    allowed = {"", "store", *LEAVES}
    found = [(line, m) for line, m in _imports(probe, "thematic.store") if _top(m) not in allowed]
    assert found == [(6, "thematic.review"), (7, "thematic.codebook.load"), (8, "thematic.ml")]


SQL_CALLS = ("execute", "executemany", "executescript", "query", "scalar", "insert_id", "insert_rows")


def _sql_calls(path: Path) -> list[tuple[int, str]]:
    """(line, call) for every ``X.execute(...)`` (or query, scalar, ...) in ``path`` whose receiver is a
    project or a connection: a name, or an attribute chain, with ``project`` or ``conn`` in it."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        if call and node.func.attr in SQL_CALLS:
            receiver = ast.unparse(node.func.value)
            if any(word in part.lower() for part in receiver.split(".") for word in ("project", "conn")):
                found.append((node.lineno, f"{receiver}.{node.func.attr}"))
    return sorted(found)


def test_only_the_store_runs_sql():
    outside = [p for p in sorted(PACKAGE.rglob("*.py")) if p.relative_to(PACKAGE).parts[0] != "store"]
    assert len(outside) > 50
    assert [f"{p.relative_to(PACKAGE)}:{line} calls {call}" for p in outside for line, call in _sql_calls(p)
            ] == []


def test_the_checker_sees_sql_outside_the_store(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "def f(project, rows):\n    project.query('SELECT 1')\n    self.project.execute('x')\n"
        "    project.conn.execute('y')\n    rows.query('not sql')\n    conn.scalar('z')\n"
    )
    assert _sql_calls(probe) == [
        (2, "project.query"), (3, "self.project.execute"), (4, "project.conn.execute"), (6, "conn.scalar")]
