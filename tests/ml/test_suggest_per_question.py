"""Suggest with a codebook per question: one run per codebook, each recording its questions; the coder
`machine` reads, for each unit, the latest run that covers its question; refusals store nothing."""

from __future__ import annotations

import json

from tests.conftest import DEMO_CODEBOOK
from tests.ml.conftest import harvest, prefill
from tests.store.test_question_codebooks import two_questions  # noqa: F401 (a fixture)


def run_count(project_location) -> int:
    from thematic.store.project import open_project

    with open_project(project_location) as project:
        return int(project.scalar("SELECT COUNT(*) FROM suggest_runs"))


def test_one_run_per_codebook_and_the_machine_per_question(cli, two_questions, project_location):  # noqa: F811
    from thematic.store import ml as store
    from thematic.store.project import open_project

    with open_project(project_location) as project:
        prefill(project)
    other = two_questions
    assert cli("codebook", "use", DEMO_CODEBOOK, "--question", "answer").exit_code == 0
    assert cli("codebook", "use", other, "--question", "other").exit_code == 0
    result = cli("suggest")
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("suggest run")]
    assert lines == [
        "suggest run 1: 112 units of question answer against codebook ai-therapy (version 1), model "
        "all-MiniLM-L6-v2",
        "suggest run 2: 112 units of question other against codebook other-book (version 2), model "
        "all-MiniLM-L6-v2",
    ]
    with open_project(project_location) as project:
        first, second = store.get_suggest_run(project, 1), store.get_suggest_run(project, 2)
        assert (first.questions, first.codebook_version) == (("answer",), 1)
        assert (second.questions, second.codebook_version) == (("other",), 2)
        assert first.parameters["questions"] == ["answer"]
        assert {q: r.id for q, r in store.current_runs(project).items()} == {"answer": 1, "other": 2}
        codings = store.machine_codings(project)
        assert len(codings) == 224
        assert codings == {**store.machine_codings(project, 1), **store.machine_codings(project, 2)}
        before = store.machine_codings(project, 1)

    # a new run for one question replaces the machine on that question only
    result = cli("suggest", "--question", "other", "--threshold", "0.99", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["id"], summary["questions"], summary["codebook"]) == (3, ["other"], "other-book")
    with open_project(project_location) as project:
        assert {q: r.id for q, r in store.current_runs(project).items()} == {"answer": 1, "other": 3}
        codings = store.machine_codings(project)
        assert {u: t for u, t in codings.items() if u in before} == before
        assert {u: t for u, t in codings.items() if u not in before} == store.machine_codings(project, 3)
        assert all(not themes for themes in store.machine_codings(project, 3).values())  # 0.99: nothing
        assert store.machine_codings(project, question="answer") == before
        harvest_path = project.path
    harvest(harvest_path)


def test_refusals_store_nothing(cli, two_questions, project_location):  # noqa: F811
    assert cli("codebook", "use", DEMO_CODEBOOK, "--question", "answer").exit_code == 0
    result = cli("suggest", "--question", "nope")
    assert (result.exit_code, result.stderr) == (
        2, "error: question 'nope' is not in this project (questions: answer, other)\n")
    result = cli("suggest", "--question", "other")
    assert (result.exit_code, result.stderr) == (
        2, "error: question 'other' has no codebook (run `thematic codebook use FILE --question other`)\n")
    result = cli("suggest", "--threshold", "nope=0.3", "--question", "answer")
    assert result.exit_code == 2 and result.stderr.startswith("error: --threshold names theme 'nope'")
    assert cli("codebook", "use", two_questions, "--question", "other").exit_code == 0
    result = cli("suggest", "--threshold", "nope=0.3")
    assert (result.exit_code, result.stderr) == (
        2, "error: --threshold names theme 'nope', which is in none of the codebooks in use (ai-therapy "
        "version 1, other-book version 2) (list their themes with `thematic codebook show --question Q`)\n")
    result = cli("suggest", "--learn")
    assert (result.exit_code, result.stderr) == (
        2, "error: codebook ai-therapy version 1 (questions answer): coder 'consensus' has coded no units "
        "(code some with `thematic review --coder NAME`; nobody has coded yet) (or limit suggest to other "
        "questions with --question Q); nothing stored\n")
    assert run_count(project_location) == 0


def test_a_codebook_on_some_questions_scores_those_only(cli, two_questions, project_location):  # noqa: F811
    """One codebook bound to one question, the other question without: suggest scores the bound one
    (before, it scored every unit of the project against that codebook)."""
    from thematic.store import ml as store
    from thematic.store.project import open_project

    with open_project(project_location) as project:
        prefill(project)
    assert cli("codebook", "use", DEMO_CODEBOOK, "--question", "answer").exit_code == 0
    result = cli("suggest")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("suggest run 1: 112 units of question answer against codebook ai-therapy")
    with open_project(project_location) as project:
        assert len(store.machine_codings(project)) == 112
        assert store.current_runs(project).keys() == {"answer"}


def test_discover_against_every_codebook_or_one_question(cli, two_questions, project_location):  # noqa: F811
    from thematic.store.project import open_project

    with open_project(project_location) as project:
        prefill(project)
    assert cli("codebook", "use", DEMO_CODEBOOK, "--question", "answer").exit_code == 0
    assert cli("codebook", "use", two_questions, "--question", "other").exit_code == 0
    result = cli("discover", "--clusters", "4", "--json")
    assert result.exit_code == 0, result.stderr
    run = json.loads(result.stdout)
    assert run["codebook_version"] is None and run["parameters"]["units"] == 224
    assert run["parameters"]["codebooks"] == [
        {"name": "ai-therapy", "version": 1, "questions": ["answer"]},
        {"name": "other-book", "version": 2, "questions": ["other"]}]
    nearest = {c["nearest_theme"] for c in run["clusters"]}
    assert nearest and all(t.split("/")[0] in ("ai-therapy", "other-book") for t in nearest)
    assert len(run["parameters"]["theme_points"]) == 8
    text = cli("discover", "--clusters", "4").stderr
    assert ("codebooks ai-therapy version 1 on answer; other-book version 2 on other, themes named "
            "codebook/theme") in " ".join(text.split())
    result = cli("discover", "--clusters", "3", "--question", "other", "--json")
    run = json.loads(result.stdout)
    p = run["parameters"]
    assert (run["codebook_version"], p["units"], p["question"]) == (2, 112, "other")
    assert all("/" not in c["nearest_theme"] for c in run["clusters"])
    result = cli("discover", "--question", "nope")
    assert (result.exit_code, result.stderr) == (
        2, "error: question 'nope' is not in this project (questions: answer, other)\n")
    with open_project(project_location) as project:
        harvest_path = project.path
    harvest(harvest_path)
