"""Stored suggest runs and their questions (schema version 3): a run from before lists no questions and
covers every question; a later run for one question takes over that question's units only."""

from __future__ import annotations

from tests.conftest import DEMO_CODEBOOK
from tests.store.test_question_codebooks import two_questions  # noqa: F401 (a fixture)


def test_an_old_run_covers_every_question_until_a_newer_run_covers_one(cli, two_questions,  # noqa: F811
                                                                       project_location):
    from thematic.store import corpus
    from thematic.store import ml as store
    from thematic.store.project import open_project

    assert cli("codebook", "use", DEMO_CODEBOOK).exit_code == 0
    with open_project(project_location) as project:
        units = corpus.list_units(project)
        with project.transaction():
            old = store.insert_suggest_run(project, codebook_version=1, model="m", parameters={},
                                           created_at="2026-01-01T00:00:00Z")  # as before version 3
            store.insert_scores(project, old, [(u.id, "mixed-support", 0.5, True) for u in units])
        assert store.get_suggest_run(project, old).questions is None
        assert {q: r.id for q, r in store.current_runs(project).items()} == {"answer": old, "other": old}
        assert set(store.machine_codings(project).values()) == {frozenset({"mixed-support"})}
        with project.transaction():
            new = store.insert_suggest_run(project, codebook_version=1, model="m", parameters={},
                                           created_at="2026-01-02T00:00:00Z", questions=["other"])
            store.insert_scores(project, new, [(u.id, "therapeutic-risks", 0.5, u.id.endswith("0"))
                                               for u in units if u.question_id == "other"])
        assert store.get_suggest_run(project, new).questions == ("other",)
        assert store.latest_suggest_run(project, question="answer").id == old
        assert store.latest_suggest_run(project, question="other").id == new
        codings = store.machine_codings(project)
        assert len(codings) == len(units) == 224
        for unit in units:
            expected = ({"mixed-support"} if unit.question_id == "answer"
                        else {"therapeutic-risks"} if unit.id.endswith("0") else set())
            assert codings[unit.id] == expected
        scores = store.machine_scores(project, question="other")
        assert len(scores) == 112 and all(set(per) == {"therapeutic-risks"} for per in scores.values())
        assert store.answering_respondents(project, ["other"]) == 112
