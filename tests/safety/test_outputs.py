"""Issue 14.1: no output path may destroy the project, another project, an input file, or (without
--force) any existing file; and every write is atomic."""

from __future__ import annotations

import shutil

import pytest

from tests.safety.conftest import snapshot
from thematic.errors import ThematicError

# command, arguments before --out; each writes a file
WRITERS = [
    ("export units", ["export", "units", "--coder", "ana", "--format", "csv"]),
    ("export quotes", ["export", "quotes", "--coder", "ana", "--format", "md"]),
    ("report", ["report", "--coder", "ana", "--format", "md", "--n-boot", "20"]),
    ("decisions export", ["decisions", "export"]),
    ("codebook export", ["codebook", "export"]),
    ("sheet export", ["sheet", "export", "--coder", "cy"]),
]


def _out_args(args, out):
    return [*args, "--out", str(out)]


@pytest.mark.parametrize(("name", "args"), WRITERS, ids=[w[0] for w in WRITERS])
def test_the_project_file_is_refused_even_with_force(small, cli, name, args):
    before = snapshot(small.path)
    target = small.path
    if name == "sheet export":  # sheets must end in .xlsx: reach the project through a link of that name
        target = small.folder / "link.xlsx"
        target.symlink_to(small.path)
    result = cli(*_out_args(args, target), "--force")
    assert result.exit_code == 2, result.stdout
    assert result.stderr == (
        f"error: --out {target} is this project's own file (writing there would destroy the project; "
        "choose another file name)\n"
    )
    assert snapshot(small.path) == before
    assert cli("status").exit_code == 0


@pytest.mark.parametrize(("name", "args"), WRITERS, ids=[w[0] for w in WRITERS])
def test_an_imported_file_is_refused_even_renamed_and_with_force(small, cli, name, args):
    copy = small.folder / "renamed-copy.xlsx"
    shutil.copy(small.survey, copy)
    for target in (copy,) if name == "sheet export" else (small.survey, copy):
        original = target.read_bytes()
        result = cli(*_out_args(args, target), "--force")
        assert result.exit_code == 2
        assert "holds survey.csv, imported into this project on" in result.stderr
        assert "thematic never writes over its input files" in result.stderr
        assert target.read_bytes() == original


@pytest.mark.parametrize(("name", "args"), WRITERS, ids=[w[0] for w in WRITERS])
def test_an_existing_file_needs_force(small, cli, name, args):
    suffix = ".xlsx" if name == "sheet export" else ".md" if name in ("export quotes", "report") else ".txt"
    target = small.folder / f"mine{suffix}"
    target.write_bytes(b"my own notes")
    result = cli(*_out_args(args, target))
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {target} exists already (choose another --out, or pass --force to replace it)\n"
    )
    assert target.read_bytes() == b"my own notes"
    assert cli(*_out_args(args, target), "--force").exit_code == 0
    assert target.read_bytes() != b"my own notes"


def test_another_thematic_project_is_refused(small, cli, tmp_path):
    other = tmp_path / "other.qdpx"  # a project under a misleading name
    shutil.copy(small.path, other)
    before = other.read_bytes()
    result = cli("export", "refi", "--out", other, "--force")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --out {other} is a thematic project (thematic never writes over a project; "
        "choose another file name)\n"
    )
    assert other.read_bytes() == before


def test_the_project_wal_file_is_refused(small, cli):
    from thematic.store.project import open_project

    with open_project(small.path):  # an open connection keeps the -wal file
        wal = small.path.with_name(small.path.name + "-wal")
        if not wal.exists():
            pytest.skip("no -wal file on this file system")
        result = cli("decisions", "export", "--out", wal, "--force")
    assert result.exit_code == 2
    assert "is this project's own file" in result.stderr


def test_discover_map_and_draft_refused_before_any_work(small, cli):
    target = small.folder / "map.png"
    target.write_bytes(b"an older map")
    result = cli("discover", "--map", target)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {target} exists already (choose another --map, or pass --force to replace it)\n"
    )
    assert target.read_bytes() == b"an older map"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    from thematic.outfile import atomic_write

    target = tmp_path / "export.csv"
    target.write_text("old\n")

    def half(path):
        path.write_text("half a fi")
        raise OSError(28, "No space left on device")

    with pytest.raises(ThematicError) as caught:
        atomic_write(target, half)
    assert str(caught.value) == (
        f"could not write {target}: No space left on device (check the folder is writable)"
    )
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv"]


def test_run_out_never_writes_over_the_survey(tmp_path, cli):
    """`run --out F` writes F/coded-units.csv; a survey of that name in F is an input, so it is refused."""
    from thematic.outfile import write_output
    from thematic.store.project import create_project

    folder = tmp_path / "out"
    folder.mkdir()
    survey = folder / "coded-units.csv"
    survey.write_text("respondent_id,answer\nR1,hello there\n", encoding="utf-8")
    assert cli("init").exit_code == 0
    assert cli("import", survey, "--id", "respondent_id", "--text", "answer").exit_code == 0
    project, _ = create_project(tmp_path / "thematic.db")
    with project, pytest.raises(ThematicError, match="thematic never writes over its input files"):
        write_output(survey, lambda p: p.write_text("x"), project=project, force=True)
    assert survey.read_text(encoding="utf-8").startswith("respondent_id")
