"""`thematic run`: the whole machine job, its table and CSV, and bad input that leaves nothing behind."""

from __future__ import annotations

import csv
import json

import pytest

from tests.conftest import DEMO_CODEBOOK, DEMO_CSV
from tests.ml.conftest import ONE_THEME, harvest, prefill, write_codebook, write_csv

THEMES = ["negative-responses", "possibilities-of-ai", "mixed-support", "therapeutic-risks"]


@pytest.fixture
def warm_project(tmp_path):
    """A project file whose embedding cache already holds the session's vectors (so `run` creates nothing
    new, but embeds little)."""
    from thematic.store.project import create_project

    path = tmp_path / "warm.db"
    project, _ = create_project(path)
    prefill(project)
    project.close()
    yield path
    harvest(path)


def demo_run(cli, project, *extra):
    return cli("run", DEMO_CSV, "--id", "respondent_id", "--text", "answer", "--codebook", DEMO_CODEBOOK,
               *extra, project=project)


@pytest.mark.slow
def test_run_on_the_demo_corpus(cli, tmp_path, warm_project):
    out = tmp_path / "out"
    result = demo_run(cli, warm_project, "--out", out)
    assert result.exit_code == 0, result.stderr
    stdout = result.stdout
    assert "112 units from 112 respondents, coded against ai-therapy (version 1); suggest run 1" in stdout
    for name in ("Negative responses", "Possibilities of AI", "Mixed support", "Therapeutic risks",
                 "(no theme)"):
        assert name in stdout
    assert f"wrote {out / 'coded-units.csv'}" in stdout
    with (out / "coded-units.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["unit_id", "respondent_id", "question_id", "text", *THEMES]
    assert len(rows) == 112 and {r["question_id"] for r in rows} == {"answer"}
    assert all(r[t] in ("0", "1") for r in rows for t in THEMES)
    assert any(r["text"].startswith("- not for me") for r in rows)  # written as imported
    by_respondent = {r["respondent_id"]: r for r in rows}
    assert "R020" not in by_respondent  # an empty answer has no unit

    again = demo_run(cli, warm_project, "--json")
    assert again.exit_code == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["imported"]["already_imported"] is True
    assert summary["embedded"]["embedded"] == 0 and summary["suggest_run"] == 2
    assert summary["units"] == 112 and [t["id"] for t in summary["themes"]] == THEMES
    counts = {t: sum(int(r[t]) for r in rows) for t in THEMES}
    assert {t["id"]: t["units"] for t in summary["themes"]} == counts
    for theme in summary["themes"]:
        assert theme["percent_respondents"] == round(100 * theme["respondents"] / 112, 1)


def test_run_with_a_bad_codebook_creates_nothing(cli, tmp_path):
    project = tmp_path / "new.db"
    result = cli("run", DEMO_CSV, "--id", "respondent_id", "--text", "answer", "--codebook",
                 tmp_path / "missing.yaml", project=project)
    assert (result.exit_code, result.stderr) == (
        2, f"error: codebook file {tmp_path / 'missing.yaml'} not found (check the path)\n")
    assert not project.exists()


def test_run_with_a_bad_column_removes_the_project_it_created(cli, tmp_path):
    project = tmp_path / "new.db"
    result = cli("run", DEMO_CSV, "--id", "respondent", "--text", "answer", "--codebook", DEMO_CODEBOOK,
                 project=project)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: column 'respondent' (from --id) not found in ai-therapy-survey.csv")
    assert not any(tmp_path.glob("new.db*"))


def test_run_with_a_bad_column_leaves_an_existing_project_unchanged(cli, tmp_path):
    project = tmp_path / "old.db"
    assert cli("init", project=project).exit_code == 0
    before = project.read_bytes()
    result = cli("run", DEMO_CSV, "--id", "respondent_id", "--text", "answr", "--codebook", DEMO_CODEBOOK,
                 project=project)
    assert result.exit_code == 2
    assert cli("status", "--json", project=project).exit_code == 0
    status = json.loads(cli("status", "--json", project=project).stdout)
    assert (status["units"], status["codebook"], status["suggest_runs"]) == (0, None, 0)
    assert project.exists() and len(before) > 0


def test_run_with_only_empty_answers(cli, tmp_path):
    source = write_csv(tmp_path / "empty.csv", ["", " ", ""])
    project = tmp_path / "new.db"
    result = cli("run", source, "--id", "respondent_id", "--text", "answer", "--codebook", DEMO_CODEBOOK,
                 project=project)
    assert (result.exit_code, result.stderr) == (
        2, "error: empty.csv has no answers to code (every answer in answer is empty; check --text)\n")
    assert not project.exists()


def test_run_out_is_a_file(cli, tmp_path):
    out = tmp_path / "out.txt"
    out.write_text("x")
    result = demo_run(cli, tmp_path / "p.db", "--out", out)
    assert (result.exit_code, result.stderr) == (
        2, f"error: --out {out} is a file, not a folder (pass a folder for coded-units.csv)\n")
    assert not (tmp_path / "p.db").exists()


@pytest.mark.parametrize("answers", [["A machine could never notice suicide risk."],
                                     ["A machine could never notice suicide risk.", "n/a"]])
def test_run_on_one_and_two_answers_with_one_theme(cli, tmp_path, answers, warm_project):
    source = write_csv(tmp_path / "tiny.csv", answers)
    codebook = write_codebook(tmp_path / "one.yaml", ONE_THEME)
    result = cli("run", source, "--id", "respondent_id", "--text", "answer", "--codebook", codebook,
                 "--out", tmp_path / "out", project=warm_project)
    assert result.exit_code == 0, result.stderr
    n = len(answers)
    assert f"{n} units from {n} respondents, coded against test (version 1)" in result.stdout
    with (tmp_path / "out" / "coded-units.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["risk"] for r in rows] == ["1", "0"][: len(answers)]
