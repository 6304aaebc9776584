"""Issue 14.6, the smaller cases: formula injection in statistics CSV, control characters on the
terminal, Ctrl-C, a closed pipe, non-UTF-8 notes, bad --threshold and --limit, a coding sheet without
its hidden sheet, deep nesting."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO
from tests.safety.conftest import snapshot

HOSTILE_ROLE = "=cmd|' /C calc'!A0"


def _thematic(project, *args, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    code = "import sys; from thematic.cli.app import main; sys.exit(main())"
    return subprocess.Popen([sys.executable, "-c", code, "--project", str(project), *map(str, args)],
                            env=env, **kwargs)


def test_crosstab_csv_never_writes_a_formula(small, cli, tmp_path):
    survey = tmp_path / "more.csv"
    survey.write_text(f"respondent_id,role,answer\nR9,\"{HOSTILE_ROLE}\",It helps with waiting lists.\n",
                      encoding="utf-8")
    assert cli("import", survey, "--id", "respondent_id", "--text", "answer").exit_code == 0
    units = [line.split()[0] for line in cli("units", "--limit", "0").stdout.splitlines() if "R9." in line]
    assert cli("code", units[0], "--coder", "ana", "-t", "possibilities-of-ai").exit_code == 0
    result = cli("crosstab", "--theme-by", "role", "--coder", "ana", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    cells = [cell for line in result.stdout.splitlines() for cell in line.split(",")]
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    assert f"\"'{HOSTILE_ROLE}\"" in result.stdout or f"'{HOSTILE_ROLE}" in result.stdout


def test_answers_cannot_send_escape_sequences_to_the_terminal(cli, tmp_path, monkeypatch):
    survey = tmp_path / "esc.csv"
    survey.write_text('respondent_id,answer\nE1,"clear\x1b[2J\x1b[31mred\x07bell"\n', encoding="utf-8")
    assert cli("init").exit_code == 0
    assert cli("import", survey, "--id", "respondent_id", "--text", "answer").exit_code == 0
    listed = cli("units")
    assert "\x1b" not in listed.stdout and "\x07" not in listed.stdout
    assert "clear␛[2J␛[31mred␇bell" in listed.stdout
    unit = listed.stdout.split("E1.")[1].split()[0]
    shown = cli("show", f"E1.{unit}")
    assert "\x1b" not in shown.stdout
    assert "clear␛[2J␛[31mred␇bell" in shown.stdout
    import io

    from tests.conftest import DEMO_CODEBOOK

    assert cli("codebook", "use", DEMO_CODEBOOK).exit_code == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("q\n"))
    screen = cli("review", "--coder", "ana")
    assert screen.exit_code == 0, screen.stderr
    assert "\x1b" not in screen.stdout and "clear␛[2J␛[31mred␇bell" in screen.stdout


def test_ctrl_c_exits_130_with_a_message(small):
    process = _thematic(small.path, "review", "--coder", "zed", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE)
    os.set_blocking(process.stdout.fileno(), False)
    seen, deadline = b"", time.monotonic() + 60
    while b"selected:" not in seen and time.monotonic() < deadline:
        seen += process.stdout.read() or b""
        time.sleep(0.05)
    assert b"selected:" in seen
    process.send_signal(signal.SIGINT)
    # stdin stays open until it has exited, as a terminal's does; communicate() closed it at once, and a
    # helper's full-suite runs at load 12 saw exit 0 twice (not reproduced here: one suspect removed)
    process.wait(timeout=30)
    err = process.stderr.read()
    process.stdin.close()
    process.stdout.close()
    process.stderr.close()
    assert process.returncode == 130
    assert err.decode().strip() == "interrupted (Ctrl-C); everything saved before this point is kept"


def test_a_closed_pipe_is_not_an_error(small):
    process = _thematic(small.path, "codebook", "show", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # `| head -0`: the reader has gone before anything is written
    process.wait(timeout=60)
    assert process.returncode == 0
    assert process.stderr.read() == b""


def test_a_note_that_is_not_utf8_keeps_its_decision(small, cli):
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    process = _thematic(small.path, "review", "--coder", "nora", **pipes)
    _, err = process.communicate(b'1 n "caf\xe9 au lait" .\n', timeout=60)
    assert process.returncode == 0, err
    result = cli("decisions", "log", "--coder", "nora", "--json")
    assert '"note": "caf\ufffd au lait"' in result.stdout
    result = cli("code", small.units[4], "--coder", "ana", "-t", "mixed-support", "--note", "na\udcefve")
    assert result.exit_code == 0, result.stderr
    assert '"note": "na\ufffdve"' in cli("decisions", "log", "--coder", "ana", "--json").stdout


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-5", "1.5", "therapeutic-risks=nan"])
def test_a_threshold_that_is_not_a_score_is_refused(small, cli, value):
    before = snapshot(small.path)
    result = cli("suggest", "--threshold", value)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: --threshold must be a score from -1 to 1 (scores are cosine similarities)"
    )
    assert snapshot(small.path) == before


def test_a_min_score_that_is_not_a_score_is_refused(small, cli):
    for value in ("nan", "inf", "-5"):
        result = cli("suggestions", "--min-score", value)
        assert result.exit_code == 2
        assert result.stderr.startswith("error: --min-score must be a score from -1 to 1")


@pytest.mark.parametrize("command", [["units"], ["decisions", "log"], ["suggestions"]])
@pytest.mark.parametrize("value", ["-1", "99999999999999999999"])
def test_a_limit_that_is_not_a_count_is_refused(small, cli, command, value):
    result = cli(*command, "--limit", value)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --limit must be 0 (all) or a count from 1 to 1,000,000,000, not {value}\n"
    )


def test_a_coding_sheet_without_its_hidden_sheet_is_refused(small, cli):
    import openpyxl

    sheet = small.folder / "cy.xlsx"
    assert cli("sheet", "export", "--coder", "cy", "--out", sheet).exit_code == 0
    book = openpyxl.load_workbook(sheet)
    book["coding"]["D2"] = 1
    del book["thematic"]
    book.save(sheet)
    before = snapshot(small.path)
    result = cli("sheet", "import", sheet, "--coder", "ana")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: cy.xlsx is a thematic coding sheet whose hidden sheet 'thematic' was deleted, so the coder "
        "and the codebook version it was made for cannot be checked"
    )
    assert snapshot(small.path) == before


def test_deep_nesting_is_refused_cleanly(small, cli):
    deep = small.folder / "deep.yaml"
    lines, indent = ["codebook: deep", "themes:"], "  "
    for level in range(300):
        lines += [f"{indent}- id: t{level}", f"{indent}  name: T{level}",
                  f"{indent}  definition: level {level}", f"{indent}  children:"]
        indent += "    "
    lines.append(f"{indent}- {{id: leaf, name: Leaf, definition: leaf}}")
    deep.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = snapshot(small.path)
    result = cli("codebook", "use", deep)
    assert result.exit_code == 2
    assert "Error" not in result.stderr
    assert result.stderr.startswith("error: ")
    assert "nested too deeply" in result.stderr or "levels" in result.stderr
    assert snapshot(small.path) == before
