"""`suggest --learn` and `evaluate` on a project whose two questions have different codebooks: one learned
run and one evaluation per codebook, each over its own question's units and decisions (the bag-of-words
stand-in model keeps this fast)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import DEMO_CODEBOOK, DEMO_CSV, read_demo_key

WOULD_CONSIDER = Path(__file__).resolve().parents[2] / "codebooks" / "would-consider.yaml"


@pytest.fixture
def two_books(cli, project_location, bow, monkeypatch):
    """The demo survey's open answer (ai-therapy codebook) and its closed would_consider item
    (would-consider: exclusive and required), both coded by consensus: the key, and the answer given."""
    from thematic.cli import ml as cli_ml
    from thematic.review.decisions import Decision
    from thematic.store import corpus
    from thematic.store.codebooks import require_current
    from thematic.store.decisions import record_many
    from thematic.store.project import open_project

    monkeypatch.setattr(cli_ml, "model_choice", lambda model, device, backend=None: bow)
    assert cli("init").exit_code == 0
    result = cli("import", DEMO_CSV, "--id", "respondent_id", "--text", "answer", "--text", "would_consider")
    assert result.exit_code == 0, result.stderr
    assert cli("codebook", "use", DEMO_CODEBOOK, "--question", "answer").exit_code == 0
    assert cli("codebook", "use", WOULD_CONSIDER, "--question", "would_consider").exit_code == 0
    key = read_demo_key()
    with open_project(project_location) as project:
        hashes = {q: require_current(project, question=q).content_hash for q in ("answer", "would_consider")}

        def themes(unit) -> frozenset[str]:
            return key[unit.respondent_id] if unit.question_id == "answer" else frozenset({unit.text.strip()})

        record_many(project, [Decision.new("consensus", u.id, themes(u), codebook_hash=hashes[u.question_id])
                              for u in corpus.list_units(project)])
    return project_location


def test_suggest_learn_makes_one_learned_run_per_codebook(cli, two_books):
    from thematic.store import ml as store
    from thematic.store.project import open_project

    result = cli("suggest", "--learn")
    assert result.exit_code == 0, result.stderr
    assert [line for line in result.stdout.splitlines() if line.startswith("suggest run")] == [
        "suggest run 1: 112 units of question answer against codebook ai-therapy (version 1), model "
        "bag-of-words",
        "suggest run 2: 120 units of question would_consider against codebook would-consider (version 2), "
        "model bag-of-words",
    ]
    notes = " ".join(result.stderr.split())
    assert "learned from consensus's 112 coded units" in notes
    assert "learned from consensus's 120 coded units: 3 of 3 themes learned" in notes
    with open_project(two_books) as project:
        runs = [store.get_suggest_run(project, n) for n in (1, 2)]
        assert [(r.questions, r.codebook_version, r.parameters["from_coder"]) for r in runs] == [
            (("answer",), 1, "consensus"), (("would_consider",), 2, "consensus")]
        closed = store.machine_codings(project, question="would_consider")
        # exclusive and required: exactly one code per answer, and one-word answers are learned exactly
        assert len(closed) == 120 and all(len(themes) == 1 for themes in closed.values())
        from thematic.store import corpus

        units = corpus.list_units(project, question_id="would_consider")
        assert closed == {u.id: frozenset({u.text.strip()}) for u in units}


def test_evaluate_gives_one_evaluation_per_codebook(cli, two_books):
    result = cli("evaluate", "--folds", "3", "--format", "json")
    assert result.exit_code == 0, result.stderr
    sections = json.loads(result.stdout)
    assert [(s["codebook"], s["codebook_version"], s["questions"], s["coded_units"]) for s in sections] == [
        ("ai-therapy", 1, ["answer"], 112), ("would-consider", 2, ["would_consider"], 120)]
    assert [t["theme_id"] for t in sections[1]["themes"]] == ["yes", "no", "maybe"]
    one = json.loads(cli("evaluate", "--folds", "3", "--format", "json", "--question",
                         "would_consider").stdout)

    def timeless(data: dict) -> dict:  # the same evaluation, but for how long it took
        out = {k: v for k, v in data.items() if k not in ("questions", "seconds")}
        return out | {"curve": [{k: v for k, v in p.items() if k != "seconds"} for p in data["curve"]]}

    assert timeless(sections[1]) == timeless(one)
    text = cli("evaluate", "--folds", "3").stdout.splitlines()
    assert text[0] == "== codebook ai-therapy version 1, questions: answer =="
    assert text[1].startswith("machine vs consensus: 112 coded units (112 respondents), codebook ai-therapy")
    at = text.index("== codebook would-consider version 2, questions: would_consider ==")
    assert text[at + 1].startswith("machine vs consensus: 120 coded units (120 respondents), codebook "
                                   "would-consider")
