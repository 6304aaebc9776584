"""The export commands at the terminal: what they print, exit codes, and one-line errors."""

from __future__ import annotations

import zipfile

from tests.conftest import REFI


def test_export_units_quotes_refi_and_report(cli, study_path, tmp_path):
    result = cli(
        "export",
        "units",
        "--coder",
        "consensus",
        "--out",
        tmp_path / "u.csv",
        "--layout",
        "wide",
        "--level",
        "response",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(
        f"wrote {tmp_path / 'u.csv'}: 112 rows (wide, csv; coder consensus; 112 of 112 "
        "units coded; one row per response)"
    )
    assert (
        "2 texts begin with = + - @ (or a tab); they are written as text, never as formulas" in result.stderr
    )

    result = cli("export", "quotes", "--coder", "ana", "--out", tmp_path / "q.md", "--json")
    assert result.exit_code == 0 and '"excerpts": ' in result.stdout

    result = cli("export", "refi", "--out", tmp_path / "s.qdpx")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"wrote {tmp_path / 's.qdpx'}: 112 sources, 4 codes, ")
    assert zipfile.is_zipfile(tmp_path / "s.qdpx")

    result = cli("report", "--out", tmp_path / "r.html", "--n-boot", "20", "--by", "role")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"wrote {tmp_path / 'r.html'} (html; coder consensus; 3 charts)\n"


def test_import_refi_round_trip_at_the_terminal(cli, study_path, tmp_path):
    assert cli("export", "refi", "--out", tmp_path / "s.qdpx").exit_code == 0
    copy = tmp_path / "copy.db"
    assert cli("init", project=copy).exit_code == 0
    result = cli("import-refi", tmp_path / "s.qdpx", project=copy)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(
        "imported s.qdpx: 112 sources (112 new responses, 112 units), 120 new respondents, 4 themes, "
    )
    assert result.stdout.rstrip().endswith("by ana, ben, consensus")
    again = cli("import-refi", tmp_path / "s.qdpx", project=copy)
    assert again.exit_code == 0 and again.stdout == ""
    assert "was already imported on" in again.stderr


def test_errors_are_one_line_with_exit_code_2(cli, study_path, tmp_path):
    result = cli("export", "units", "--coder", "zoe", "--out", tmp_path / "u.csv")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: coder 'zoe' has no decisions in this project (coders: ana, ben, consensus; or "
        "--coder machine for the machine's suggestions)\n"
    )
    assert not (tmp_path / "u.csv").exists()

    copy = tmp_path / "copy.db"
    cli("init", project=copy)
    result = cli("import-refi", REFI / "examples" / "zip-slip.qdpx", project=copy)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        "error: zip-slip.qdpx: refused: the archive holds an entry whose path could escape its folder"
    )
    assert "Traceback" not in result.stderr

    result = cli("import-refi", tmp_path / "missing.qdpx", project=copy)
    assert (
        result.exit_code == 2
        and result.stderr == f"error: file {tmp_path / 'missing.qdpx'} not found (check the path)\n"
    )

    result = cli("report", "--out", tmp_path / "r.pdf")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: cannot tell the format of r.pdf from its name (name the file .html, .md, or "
        "pass --format html|md)\n"
    )


def test_help_texts():
    from thematic.cli.export import export_app

    for command in export_app.registered_commands:
        assert command.callback.__doc__
