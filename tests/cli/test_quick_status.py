"""`thematic status` runs without typer and click (its start-up cost), and says exactly what the typer
command says: same output, same errors, same exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import DEMO_CODEBOOK
from thematic.cli import app as entry
from thematic.cli.app import main, quick_status


@pytest.mark.parametrize("args, expected", [
    (["status"], ("thematic.db", False)),
    (["--project", "p.db", "status"], ("p.db", False)),
    (["-p", "p.db", "status", "--json"], ("p.db", True)),
    (["--project=p.db", "--debug", "status"], ("p.db", False)),
    (["--project", "a.db", "--project", "b.db", "status"], ("b.db", False)),   # the last one, as click
    (["--project", "postgresql://u@h/db", "status"], ("postgresql://u@h/db", False)),
])
def test_what_the_quick_path_takes(args, expected):
    assert quick_status(args) == expected


@pytest.mark.parametrize("args", [
    [], ["--help"], ["status", "--help"], ["status", "-h"], ["status", "--jsn"], ["status", "x"],
    ["--version", "status"], ["--project"], ["--project", "status"], ["-p", "--debug", "status"],
    ["--project=", "status"], ["-pp.db", "status"], ["units"], ["status", "--json", "--json"],
])
def test_everything_else_goes_to_typer(args):
    assert quick_status(args) is None


def test_the_environment_names_the_project(monkeypatch):
    monkeypatch.setenv("THEMATIC_PROJECT", "env.db")
    assert quick_status(["status"]) == ("env.db", False)
    assert quick_status(["-p", "p.db", "status"]) == ("p.db", False)
    monkeypatch.setenv("THEMATIC_PROJECT", "")   # empty: the default, as click reads it
    assert quick_status(["status"]) == ("thematic.db", False)


def _both(capsys, monkeypatch, args):
    """(exit code, stdout, stderr) of ``args`` on the quick path, then through typer."""
    outcomes = []
    for quick in (True, False):
        if not quick:
            monkeypatch.setattr(entry, "quick_status", lambda args: None)
        capsys.readouterr()
        code = main(args)
        out, err = capsys.readouterr()
        outcomes.append((code, out, err))
    return outcomes


def test_the_same_words_as_the_typer_command(capsys, monkeypatch, cli, demo_project, project_location):
    assert cli("codebook", "use", DEMO_CODEBOOK).exit_code == 0
    unit = _unit_ids(demo_project)[0]
    assert cli("code", unit, "--coder", "ana", "--theme", "mixed-support").exit_code == 0
    for extra in ([], ["--json"]):
        quick, slow = _both(capsys, monkeypatch, ["--project", str(project_location), "status", *extra])
        monkeypatch.undo()
        assert quick == slow and quick[0] == 0 and quick[2] == ""
        shown = quick[1]
    assert json.loads(shown)["coded"] == [{"coder": "ana", "units": 1}]
    quick, _ = _both(capsys, monkeypatch, ["--project", str(project_location), "status"])
    assert "codebook: ai-therapy (version 1)" in quick[1] and "coded: ana 1" in quick[1]
    assert "answer" in quick[1]   # the question table


def test_the_same_error_for_a_missing_project(capsys, monkeypatch, tmp_path):
    quick, slow = _both(capsys, monkeypatch, ["--project", str(tmp_path / "nope.db"), "status"])
    assert quick == slow
    assert quick[0] == 2 and quick[2].startswith(f"error: no thematic project at {tmp_path / 'nope.db'}")


def _unit_ids(project):
    from thematic.store.corpus import list_units

    return [u.id for u in list_units(project)]


def test_status_imports_neither_typer_nor_click(tmp_path):
    assert main(["--project", str(tmp_path / "p.db"), "init"]) == 0
    probe = ("import sys\nfrom thematic.cli.main import run\nfrom thematic.cli.app import main\n"
             f"code = main(['--project', {str(tmp_path / 'p.db')!r}, 'status'])\n"
             "print([m for m in ('typer', 'click') if m in sys.modules], code, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.stderr.strip().splitlines()[-1] == "[] 0"
    assert done.stdout.startswith(f"project {tmp_path / 'p.db'} (schema ")


@pytest.mark.parametrize("path", [
    "/tmp/p.db", "/tmp/a [b]x[/b] c.db", "/tmp/ünï 项目.db", "/tmp/x\x1b[2J\x07.db", "C:\\data\\[red]p.db",
    "/tmp/a:b.db",
])
def test_plain_lines_are_what_rich_prints(path):
    """Without a question table `status` writes its lines itself (no rich import); they are the
    characters rich's console prints for them, markup-like text and controls included."""
    import io

    from rich.console import Console

    from thematic.cli.output import escape
    from thematic.cli.status import plain_is_exact, status_lines

    info = {"project": path, "schema_version": 2, "unit": None, "sources": 0, "respondents": 0,
            "responses": 0, "units": 0, "questions": [], "codebook": {"name": "ai-therapy", "version": 1},
            "codebooks": [], "embedded_units": 0, "suggest_runs": 0, "discover_runs": 0,
            "coded": [{"coder": "ana", "units": 3}]}
    head, tail = status_lines(info)
    assert plain_is_exact(head + tail)
    rich = io.StringIO()
    console = Console(file=rich, highlight=False, soft_wrap=True)   # thematic.cli.output.console's options
    for line in head + tail:
        console.print(escape(line))
    assert rich.getvalue() == "".join(f"{line}\n" for line in head + tail)


def test_what_rich_would_change_goes_through_rich():
    import io

    from rich.console import Console

    from thematic.cli.status import plain_is_exact

    shown = io.StringIO()
    Console(file=shown, highlight=False, soft_wrap=True).print("project :smile:\tp.db")
    assert shown.getvalue() != "project :smile:\tp.db\n"   # an emoji, and the tab as spaces
    assert not plain_is_exact(["project :smile:.db"]) and not plain_is_exact(["project a\tp.db"])
