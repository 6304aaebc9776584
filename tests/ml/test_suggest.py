"""Suggest: scoring, thresholds, stored runs, the coder `machine`, and edge cases."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from tests.ml.conftest import ONE_THEME
from thematic.codebook.model import Theme
from thematic.errors import ThematicError
from thematic.ml import suggest as S
from thematic.store import ml as store

NON_ENGLISH = [
    "Eine Maschine kann keine Empathie zeigen.",           # German
    "机器无法理解来访者的情绪。",                              # Chinese
    "La IA podría ayudar con las listas de espera.",        # Spanish
    "لا يمكن للآلة أن تفهم لغة الجسد",                       # Arabic
    "🤖❤️?",
]


def test_run_scores_every_unit_against_every_theme(make_project, bow):
    project = make_project()
    run = S.suggest(project, model=bow)
    scores = store.run_scores(project, run.id)
    assert len(scores) == 112 and all(len(per_theme) == 4 for per_theme in scores.values())
    codings = store.machine_codings(project)
    assert set(codings) == set(scores)
    for unit_id, themes in codings.items():
        assert themes == {t for t, (_, assigned) in scores[unit_id].items() if assigned}
    assert run.units == 112 and run.respondents == 112
    assert sum(t.units for t in run.themes) == sum(len(themes) for themes in codings.values())
    assert run.unassigned_units == sum(1 for themes in codings.values() if not themes)


def test_run_stores_parameters_seed_model_and_codebook(make_project, bow):
    project = make_project()
    run = S.suggest(project, model=bow, seed=7)
    latest = store.latest_suggest_run(project)
    assert (latest.id, latest.codebook_version, latest.model) == (run.id, 1, "test:bag-of-words")
    params = latest.parameters
    assert params["seed"] == 7
    assert params["model_fingerprint"] == "test:bag-of-words" and params["model_name"] == "bag-of-words"
    assert params["codebook"] == "ai-therapy" and params["codebook_version"] == 1
    assert len(params["codebook_hash"]) >= 16
    assert params["settings"] == {"centring": 0.5, "negative_weight": 0.5, "keyword_boost": 0.05,
                                  "word_weight": 0.5, "word_length": 4, "title_weight": 0.25,
                                  "sentence_mean": 0.25, "sentence_weight": 0.25,
                                  "sentence_temperature": 0.05, "z": 0.5, "margin": 0.05,
                                  "floor": 0.2, "min_units_for_distribution": 20}
    # the demo's 74 answers of two or more sentences: 182 distinct sentences, and 2 answers of several
    # lines whose first lines are embedded too ("Two things." is one of the sentences already)
    assert params["sentences"] == {"units": 74, "texts": 183}
    assert params["threshold_rule"] == "theme mean + 0.5 sd over the units"
    assert set(params["thresholds"]) == {"negative-responses", "possibilities-of-ai", "mixed-support",
                                         "therapeutic-risks"}
    assert params["theme_texts"]["negative-responses"] == {"positive": 10, "negative": 5}
    assert params["lemmatizer"].startswith(("spacy lookup lemmas", "lower-cased words"))


def demo_answers(n: int) -> list[str]:
    import csv

    from tests.conftest import DEMO_CSV

    with DEMO_CSV.open(encoding="utf-8", newline="") as handle:
        return [row["answer"] for row in csv.DictReader(handle) if row["answer"].strip()][:n]


@pytest.mark.slow
def test_same_inputs_same_outputs(make_project, st_model):
    answers = demo_answers(30)  # enough for the per-theme thresholds (20 units or more)
    first_project = make_project(answers, name="a", cached=False)
    second_project = make_project(answers, name="b", cached=False)
    a1 = S.suggest(first_project, model=st_model)
    a2 = S.suggest(first_project, model=st_model)
    b1 = S.suggest(second_project, model=st_model)
    scores = store.run_scores(first_project, a1.id)
    assert scores == store.run_scores(first_project, a2.id) == store.run_scores(second_project, b1.id)
    assert store.machine_codings(first_project, a1.id) == store.machine_codings(second_project, b1.id)
    assert a1.parameters == a2.parameters == b1.parameters
    assert a1.parameters["threshold_rule"] == "theme mean + 0.5 sd over the units"


def test_demo_run_gives_each_theme_some_units(make_project, st_model):
    run = S.suggest(make_project(), model=st_model)
    by_id = {t.id: t for t in run.themes}
    assert all(5 <= t.units <= 60 for t in run.themes), [(t.id, t.units) for t in run.themes]
    assert 5 <= run.unassigned_units <= 45
    assert by_id["therapeutic-risks"].exemplar["text"]


def test_no_answers_like_na_get_no_theme(make_project, st_model):
    project = make_project()
    S.suggest(project, model=st_model)
    from thematic.store.corpus import list_units

    texts = {u.id: u.text for u in list_units(project)}
    codings = store.machine_codings(project)
    empty_like = [uid for uid, text in texts.items() if text.strip(" .!").lower() in ("no", "n/a", "hmm")]
    assert empty_like and all(not codings[uid] for uid in empty_like)


def test_one_theme_codebook(make_project, st_model):
    project = make_project(["A chatbot would miss the signs of suicide risk.", "It could help with admin.",
                            "No empathy from a machine.", "Useful for booking appointments.", "n/a"],
                           codebook=ONE_THEME)
    run = S.suggest(project, model=st_model)
    assert [t.id for t in run.themes] == ["risk"]
    assert run.parameters["threshold_rule"] == "fixed floor 0.2 (fewer than 20 units)"
    codings = store.machine_codings(project)
    from thematic.store.corpus import list_units

    assigned = {u.text for u in list_units(project) if codings[u.id]}
    assert "A chatbot would miss the signs of suicide risk." in assigned
    assert "n/a" not in assigned


def test_zero_units_is_a_clear_error(make_project, bow):
    project = make_project([])
    with pytest.raises(ThematicError, match=re.escape(
            "the project has no units to score (import responses first: thematic import FILE --text "
            "COLUMN)")):
        S.suggest(project, model=bow)
    assert store.latest_suggest_run(project) is None


@pytest.mark.parametrize("answers", [["It would miss body language."],
                                     ["It would miss body language.", "Good for waiting lists."]])
def test_one_and_two_units(make_project, st_model, answers):
    project = make_project(answers)
    run = S.suggest(project, model=st_model)
    assert run.units == len(answers)
    assert run.parameters["threshold_rule"] == "fixed floor 0.2 (fewer than 20 units)"
    scores = store.run_scores(project, run.id)
    assert len(scores) == len(answers) and all(len(v) == 4 for v in scores.values())


def test_non_english_text(make_project, st_model):
    project = make_project(NON_ENGLISH)
    run = S.suggest(project, model=st_model)
    scores = store.run_scores(project, run.id)
    assert len(scores) == len(NON_ENGLISH)
    assert all(np.isfinite(score) for per_theme in scores.values() for score, _ in per_theme.values())


def test_no_codebook(project, bow):
    with pytest.raises(ThematicError,
                       match=re.escape("no codebook in use (run `thematic codebook use FILE` first)")):
        S.suggest(project, model=bow)


def test_given_thresholds(make_project, bow):
    project = make_project()
    run = S.suggest(project, model=bow, thresholds=0.99)
    assert all(t.threshold == 0.99 and t.units == 0 for t in run.themes)
    assert run.parameters["threshold_rule"] == "given"
    run = S.suggest(project, model=bow, thresholds={"mixed-support": -1.0})
    by_id = {t.id: t for t in run.themes}
    assert by_id["mixed-support"].threshold == -1.0
    assert run.parameters["threshold_rule"].endswith("; some given")
    with pytest.raises(ThematicError, match=re.escape(
            "--threshold names theme 'mixed', which is not in the current codebook (themes are: "
            "negative-responses, possibilities-of-ai, mixed-support, therapeutic-risks)")):
        S.suggest(project, model=bow, thresholds={"mixed": 0.3})


def test_bad_seed(make_project, bow):
    with pytest.raises(ThematicError, match=re.escape("--seed must be a whole number 0 or more, not '-1'")):
        S.suggest(make_project(), model=bow, seed=-1)


# -- the pieces ------------------------------------------------------------------------------------------
def theme(**kw) -> Theme:
    base = {"id": "t", "name": "T", "definition": "d"}
    return Theme(**{**base, **kw})


def test_theme_texts():
    t = theme(name="Risk", definition="Says it is unsafe.", include=("danger",), examples=("It is unsafe.",),
              exclude=("data worries",), counterexamples=("Where is the data kept?",))
    assert S.positive_texts(t) == ["Risk", "Risk: Says it is unsafe.", "danger", "It is unsafe."]
    assert S.negative_texts(t) == ["data worries", "Where is the data kept?"]


def test_keyword_cues_match_lemmas():
    themes = [theme(id="a", keywords=("refuse", "danger")), theme(id="b", keywords=("waiting list",)),
              theme(id="c")]
    hits, name = S.keyword_hits(["She refused outright.", "The dangers are real", "Long waiting lists!",
                                 "A list of things to wait for", "nothing"], themes)
    assert hits.tolist() == [[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, 0]]
    assert name.startswith(("spacy lookup lemmas", "lower-cased words"))
    assert S.keyword_hits(["x"], [theme()])[1] == "none (no keywords in the codebook)"


def unit(*values) -> np.ndarray:
    v = np.array(values, dtype=np.float64)
    return v / np.linalg.norm(v)


def test_negative_evidence_lowers_the_score():
    vectors = S.ThemeVectors(
        positives=np.stack([unit(1, 0, 0)]), positive_owner=np.array([0]),
        negatives=np.stack([unit(0, 1, 0)]), negative_owner=np.array([0]), n_themes=1)
    near_negative, near_positive = unit(0.5, 1, 0), unit(1, 0.5, 0)
    without = S.score_matrix(np.stack([near_negative, near_positive]), vectors,
                             settings=S.Settings(negative_weight=0))
    with_negative = S.score_matrix(np.stack([near_negative, near_positive]), vectors)
    assert with_negative[0, 0] < without[0, 0]
    assert with_negative[1, 0] == without[1, 0]


def test_keyword_boost_and_rounding():
    vectors = S.ThemeVectors(positives=np.stack([unit(1, 0), unit(0, 1)]), positive_owner=np.array([0, 1]),
                             negatives=np.zeros((0, 2)), negative_owner=np.zeros(0, dtype=int), n_themes=2)
    units = np.stack([unit(1, 1)])
    plain = S.score_matrix(units, vectors)
    boosted = S.score_matrix(units, vectors, hits=np.array([[0.0, 3.0]]))
    assert boosted[0, 1] - plain[0, 1] == pytest.approx(0.05)
    assert boosted[0, 0] == plain[0, 0]
    assert np.array_equal(plain, np.round(plain, 6))


def test_thresholds_from_the_distribution():
    scores = np.array([[0.1 * i, 0.5] for i in range(20)])
    limits, rule = S.theme_thresholds(scores)
    assert limits[0] == pytest.approx(scores[:, 0].mean() + 0.5 * scores[:, 0].std(), abs=1e-6)
    assert limits[1] == pytest.approx(0.5)
    limits, rule = S.theme_thresholds(scores[:3])
    assert limits.tolist() == [0.2, 0.2] and rule == "fixed floor 0.2 (fewer than 20 units)"


def test_theme_prototypes_for_discovery(make_project, bow):
    from thematic.store.codebooks import require_current

    project = make_project()
    themes = require_current(project).codebook.themes
    protos = S.theme_prototypes(project, themes, model=bow)
    assert protos.shape == (4, 64) and protos.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(protos, axis=1), 1.0, rtol=1e-5)
    assert S.theme_prototypes(project, [], model=bow).shape == (0, 0)


# -- commands --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_suggest_and_suggestions_commands(demo_cli):
    result = demo_cli("suggest")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("suggest run 1: 112 units of question answer against codebook ai-therapy "
                                    "(version 1), model all-MiniLM-L6-v2\n")
    assert "therapeutic-risks" in result.stdout and "units with no theme" in result.stdout
    result = demo_cli("suggestions", "--theme", "therapeutic-risks", "--json")
    rows = json.loads(result.stdout)["suggestions"]
    assert rows and all(r["theme"] == "therapeutic-risks" and r["assigned"] for r in rows)
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    result = demo_cli("suggestions", "--min-score", "0.3", "--limit", "0", "--json")
    assert all(r["score"] >= 0.3 for r in json.loads(result.stdout)["suggestions"])
    result = demo_cli("suggestions", "-n", "3")
    assert result.exit_code == 0
    assert "run 1: 3 assigned suggestions shown (--limit 0 for all)" in result.stderr


def test_suggest_command_errors(demo_cli, cli):
    result = demo_cli("suggestions")
    assert (result.exit_code, result.stderr) == (
        2, "error: no suggest run yet (run `thematic suggest` first)\n")
    result = demo_cli("suggest", "--threshold", "high")
    assert (result.exit_code, result.stderr) == (
        2, "error: --threshold must be a number or THEME=NUMBER, not 'high' (for example --threshold 0.3 or "
           "--threshold therapeutic-risks=0.25)\n")
    assert demo_cli("suggest", "--threshold", "0.3").exit_code == 0
    result = demo_cli("suggestions", "--theme", "nope")
    assert (result.exit_code, result.stderr) == (
        2, "error: theme 'nope' is not in codebook version 1 (themes are: negative-responses, "
           "possibilities-of-ai, mixed-support, therapeutic-risks)\n")
    result = demo_cli("suggestions", "--run", "9")
    assert (result.exit_code, result.stderr) == (2, "error: suggest run 9 not found (leave out --run for the "
                                                    "latest)\n")


def test_suggest_command_on_empty_project(cli, tmp_path):
    from tests.conftest import DEMO_CODEBOOK

    assert cli("init").exit_code == 0
    assert cli("codebook", "use", DEMO_CODEBOOK).exit_code == 0
    result = cli("suggest")
    assert (result.exit_code, result.stderr) == (
        2, "error: the project has no units to score (import responses first: thematic import FILE --text "
           "COLUMN)\n")
