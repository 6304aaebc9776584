"""One codebook for every question, suggested one question at a time (`suggest --question A`, then
`--question B`): review and coding sheets without --question show each unit the run that covers its
question, and record that run with each decision; with several codebooks they still ask for --question."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest

from tests.conftest import DEMO_CODEBOOK
from tests.store.test_question_codebooks import two_questions  # noqa: F401 (a fixture)


@pytest.fixture
def stdin(monkeypatch):
    def feed(text: str) -> None:
        monkeypatch.setattr("sys.stdin", io.StringIO(text))

    return feed


@pytest.fixture
def split_runs(cli, two_questions, bow, monkeypatch):  # noqa: F811
    """The demo answers and an upper-cased copy ("other"), one codebook for both; run 1 suggests on
    `answer`, run 2 on `other` with a threshold nothing reaches (so the two runs differ)."""
    from thematic.cli import ml as cli_ml

    monkeypatch.setattr(cli_ml, "model_choice", lambda model, device, backend=None: bow)
    assert cli("codebook", "use", DEMO_CODEBOOK).exit_code == 0
    assert cli("suggest", "--question", "answer").exit_code == 0
    result = cli("suggest", "--question", "other", "--threshold", "0.99")
    assert result.exit_code == 0, result.stderr
    return two_questions


def machine(project_location, run_id):
    from thematic.store import ml as store
    from thematic.store.project import open_project

    with open_project(project_location) as project:
        return store.machine_codings(project, run_id)


def test_review_without_question_reads_each_questions_run(cli, split_runs, stdin, project_location):
    from thematic.store import decisions as log
    from thematic.store.corpus import list_units
    from thematic.store.project import open_project

    stdin("0 .\n" * 113 + "q\n")  # the 112 answers, then the first "other": no theme for any
    result = cli("review", "--coder", "ana")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("saved: ") == 113
    with open_project(project_location) as project:
        units = list_units(project)
        first, second = units[0], units[112]
        shown = {d.unit_id: d.suggestions for d in log.decisions(project, coder="ana")}
    assert (first.question_id, second.question_id, units[111].question_id) == ("answer", "other", "answer")
    assert shown[first.id]["run"] == 1 and shown[second.id]["run"] == 2
    assert set(shown[first.id]["assigned"]) == machine(project_location, 1)[first.id]
    assert shown[second.id]["assigned"] == []  # run 2's threshold 0.99: nothing assigned

    stdin("q\n")
    result = cli("review", "--coder", "ben", "--order", "uncertain")
    assert result.exit_code == 0, result.stderr
    assert "0 of 224 coded" in result.stdout


def test_sheet_without_question_shows_and_records_each_questions_run(cli, split_runs, tmp_path,
                                                                      project_location):
    from thematic.store import decisions as log
    from thematic.store.project import open_project

    out = tmp_path / "ben.xlsx"
    result = cli("sheet", "export", "--coder", "ben", "--out", out, "--with-suggestions")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"wrote {out}: 224 units x 4 themes for ben")
    book = openpyxl.load_workbook(out)
    meta = dict(book["thematic"].iter_rows(values_only=True))
    assert json.loads(meta["suggest_run"]) == {"answer": 1, "other": 2}
    ws = book["coding"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
    first_run = machine(project_location, 1)
    for row in rows:
        expected = first_run[row["unit_id"]] if row["question"] == "answer" else frozenset()
        assert set(filter(None, (row["suggested"] or "").split("; "))) == expected, row
    assert any(row["suggested"] for row in rows if row["question"] == "answer")
    picked = [0, next(i for i, row in enumerate(rows) if row["question"] == "other")]
    for r in (2 + picked[0], 2 + picked[1]):  # the first unit of each question: no theme
        for theme in ("negative-responses", "possibilities-of-ai", "mixed-support", "therapeutic-risks"):
            ws.cell(row=r, column=header.index(theme) + 1).value = 0
    book.save(out)
    result = cli("sheet", "import", out, "--coder", "ben")
    assert result.exit_code == 0, result.stderr
    with open_project(project_location) as project:
        runs = {d.unit_id: d.suggestions["run"] for d in log.decisions(project, coder="ben")}
    assert runs == {rows[picked[0]]["unit_id"]: 1, rows[picked[1]]["unit_id"]: 2}


def test_several_codebooks_still_ask_for_question(cli, split_runs, stdin, tmp_path):
    assert cli("codebook", "use", split_runs, "--question", "other").exit_code == 0
    stdin("q\n")
    result = cli("review", "--coder", "ana")
    assert (result.exit_code, result.stderr) == (
        2, "error: a review session records one codebook, and this project codes its questions with "
        "different codebooks (ai-therapy version 1 on answer; other-book version 2 on other); name one "
        "question with --question Q\n")
    result = cli("sheet", "export", "--coder", "ben", "--out", tmp_path / "b.xlsx", "--with-suggestions")
    assert result.exit_code == 2 and result.stderr.startswith("error: a coding sheet records one codebook")
    assert not (tmp_path / "b.xlsx").exists()
    stdin("q\n")
    assert cli("review", "--coder", "ana", "--question", "other").exit_code == 0


def test_reconcile_and_agree_without_question(cli, split_runs, stdin, project_location):
    """These never read one run: reconcile walks two human coders, agree reads `machine` per question."""
    from thematic.store.corpus import list_units
    from thematic.store.project import open_project

    with open_project(project_location) as project:
        units = list_units(project)
    for u in (units[0], units[112]):
        assert cli("code", u.id, "--coder", "ana", "--none").exit_code == 0
        assert cli("code", u.id, "--coder", "ben", "--theme", "therapeutic-risks").exit_code == 0
    stdin("q\n")
    result = cli("reconcile", "--coders", "ana,ben")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ana and ben both coded 2 units: they agree on 0 and disagree on 2\n")
    result = cli("agree", "--coders", "ana,machine", "--n-boot", "20")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("agreement of ana and machine on 2 units")


def test_each_units_threshold_and_review_order_come_from_its_own_run():
    from thematic.review._sources import Suggestions
    from thematic.store.ml import SuggestRunRecord

    first = SuggestRunRecord(1, 1, "m", {"thresholds": {"t": 0.3}, "review_order": ["a2", "a1"]}, "x",
                             ("answer",))
    second = SuggestRunRecord(2, 1, "m", {"thresholds": {"t": 0.9}, "review_order": ["b1", "b2"]}, "y",
                              ("other",))
    scores = {u: {"t": (0.5, False)} for u in ("a1", "a2", "b1", "b2", "b3")}
    found = Suggestions(scores, {"a1": first, "a2": first, "b1": second, "b2": second, "b3": second},
                        {"answer": first, "other": second})
    assert found.run is None and [r.id for r in found.runs] == [1, 2]
    assert found.run_ids() == {"a1": 1, "a2": 1, "b1": 2, "b2": 2, "b3": 2}
    assert {u: cut["t"] for u, cut in found.thresholds().items()} == {
        "a1": 0.3, "a2": 0.3, "b1": 0.9, "b2": 0.9, "b3": 0.9}
    # each run's first before any run's second; units no run ranked are left out
    assert found.review_order() == {"a2": 0, "a1": 1, "b1": 0, "b2": 1}
