"""Fuzzing import-refi with mutations of a real export: every outcome is an import or one clear refusal
(a ThematicError) that leaves the project as it was; never an internal error."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.export.refi_interop import build_interop
from tests.export.test_refi import make_qdpx, snapshot
from thematic.errors import ThematicError
from thematic.export.refi import export_refi
from thematic.export.refi_import import import_refi

ET.register_namespace("", "urn:QDA-XML:project:1.0")
VALUES = ["", "abc", "-1", "99999999999999", "0", "{GUID}", "1e3", " 3 ", "\u00e9", "x" * 300]


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[bytes, dict[str, bytes]]:
    folder = tmp_path_factory.mktemp("fuzz")
    project = build_interop(folder / "p.db")
    export_refi(project, folder / "p.qdpx")
    project.close()
    with zipfile.ZipFile(folder / "p.qdpx") as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    return files.pop("project.qde"), files


mutation = st.tuples(
    st.sampled_from(["attribute", "delete", "duplicate", "move", "truncate", "text"]),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=10_000),
    st.sampled_from(VALUES),
)


def mutate(qde: bytes, steps) -> bytes:
    root = ET.fromstring(qde)
    for kind, i, j, value in steps:
        elements = list(root.iter())
        parents = {c: p for p in elements for c in p}
        target = elements[i % len(elements)]
        if kind == "truncate":
            data = ET.tostring(root)
            return data[: i % len(data)]
        if kind == "attribute" and target.attrib:
            names = sorted(target.attrib)
            other = elements[j % len(elements)].get("guid") or "{x}"
            target.set(names[j % len(names)], other if value == "{GUID}" else value)
        elif kind == "text":
            target.text = value
        elif target in parents:
            parent = parents[target]
            if kind == "delete":
                parent.remove(target)
            elif kind == "duplicate":
                parent.insert(list(parent).index(target), ET.fromstring(ET.tostring(target)))
            elif kind == "move":
                destination = elements[j % len(elements)]
                if destination is not target and target not in destination.iter():
                    parent.remove(target)
                    destination.append(target)
    return ET.tostring(root)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(mutation, min_size=1, max_size=3))
def test_mutated_exports_import_or_are_refused_cleanly(exported, steps):
    from thematic.store.project import create_project

    qde, files = exported
    with tempfile.TemporaryDirectory() as folder:
        path = make_qdpx(Path(folder) / "m.qdpx", mutate(qde, steps).decode("utf-8", "replace"), files)
        project, _ = create_project(Path(folder) / "p.db")
        with project:
            before = snapshot(project)
            try:
                import_refi(project, path)
            except ThematicError as error:
                assert "\n" not in error.message
                assert snapshot(project) == before


def test_a_bad_unit_listing_with_line_breaks_is_refused_on_one_line(exported, tmp_path):
    """A Description whose unit listing holds line breaks (found by the fuzzing above) is refused in one
    line, the listed part shown with its whitespace collapsed, and the project is left as it was."""
    from thematic.store.project import create_project

    qde, files = exported
    listing = "Units (thematic): 0-16, 17-45"
    text = qde.decode("utf-8").replace(listing, "Units (thematic): 0-16\n\n99, 17-45", 1)
    path = make_qdpx(tmp_path / "m.qdpx", text, files)
    project, _ = create_project(tmp_path / "p.db")
    with project:
        before = snapshot(project)
        with pytest.raises(ThematicError) as refused:
            import_refi(project, path)
        assert refused.value.message == (
            "m.qdpx: source 'A1 (access)' lists the unit '0-16 99', which is not within its 45 characters "
            "(export the project again from your QDA tool)")
        assert snapshot(project) == before
