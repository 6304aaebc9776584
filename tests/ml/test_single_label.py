"""Coders who give one theme per unit: the learner suggests one theme per unit and says so."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ml.test_learner import by_key, code_units
from thematic.ml import learner as L


def single_label(n=100, d=8, seed=0, doubles=0):
    """Units whose one theme is the largest of their first three coordinates; ``doubles`` of them also
    get the next theme."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, d))
    labels = np.eye(3, dtype=bool)[vectors[:, :3].argmax(axis=1)]
    for i in range(doubles):
        labels[i, (labels[i].argmax() + 1) % 3] = True
    return vectors, rng.normal(scale=0.1, size=(n, 3)), labels


@pytest.mark.parametrize(("doubles", "single"), [(0, True), (5, True), (6, False), (30, False)])
def test_the_learner_measures_one_theme_per_unit_when_95_percent_of_coded_units_have_one(doubles, single):
    vectors, prototype, labels = single_label(doubles=doubles)
    learner = L.fit(vectors, prototype, labels, ["a", "b", "c"])
    assert (learner.single_label is not None) == single
    scores, thresholds, assigned = learner.predict(vectors, prototype, np.zeros(3), np.zeros((100, 3), bool))
    clears = scores >= thresholds[None, :]
    if not single:
        assert learner.settings()["single_label"] is None
        np.testing.assert_array_equal(assigned, clears)
        return
    info = learner.single_label
    figure = info["loo_kappa"]
    chosen = figure["one per unit"] > figure["per theme"]
    # the coders left no unit without a theme: neither does the learner
    assert info == {"coded_units": 100, "one_theme": 100 - doubles, "abstain": False, "loo_kappa": figure,
                    "comparable": True, "one_per_unit": chosen}
    assert set(figure) == {"one per unit", "per theme"}
    note = learner.settings()["single_label"]["note"]
    if chosen:  # one theme each: the best that clears its threshold, else the best
        assert note == (f"coders gave one theme per answer in {100 - doubles} of 100; suggesting one theme "
                        "per answer; mark the codebook `exclusive: true` to make it a rule")
        np.testing.assert_array_equal(assigned, L.one_per_unit(scores, clears, False))
        assert assigned.sum(axis=1).tolist() == [1] * 100
    else:
        assert note == (f"coders gave one theme per answer in {100 - doubles} of 100; one theme per answer "
                        "agreed less with them than a threshold per theme (held-out kappa "
                        f"{figure['one per unit']:.2f} against {figure['per theme']:.2f}), so themes are "
                        "suggested one by one; mark the codebook `exclusive: true` to make one per answer "
                        "a rule")
        np.testing.assert_array_equal(assigned, clears)


def test_single_label_can_be_forced_either_way():
    vectors, prototype, labels = single_label(doubles=30)
    forced = L.fit(vectors, prototype, labels, ["a", "b", "c"], single_label=True)
    assert forced.single_label["one_theme"] == 70 and forced.single_label["one_per_unit"] is True
    scores, thresholds, assigned = forced.predict(vectors, prototype, np.zeros(3), np.zeros((100, 3), bool))
    np.testing.assert_array_equal(assigned, L.one_per_unit(scores, scores >= thresholds[None, :], False))
    vectors, prototype, labels = single_label()
    learner = L.fit(vectors, prototype, labels, ["a", "b", "c"], single_label=False)
    assert learner.single_label is None
    scores, thresholds, assigned = learner.predict(vectors, prototype, np.zeros(3), np.zeros((100, 3), bool))
    np.testing.assert_array_equal(assigned, scores >= thresholds[None, :])


def test_abstaining_is_chosen_by_the_kappa_it_gives_on_the_coded_units():
    # units 0-3 are a, 4-7 are b, all clear their thresholds; units 8 and 9 clear nothing and lean to b
    probabilities = np.array([[0.9, 0.1]] * 4 + [[0.1, 0.9]] * 4 + [[0.3, 0.4]] * 2)
    assigned = probabilities >= 0.5
    truth_a = np.array([[1, 0]] * 4 + [[0, 1]] * 4 + [[1, 0]] * 2, dtype=bool)
    # not abstaining gives b two false positives: kappa (a, b) = (0.615, 0.615); abstaining (0.615, 1.0)
    assert L.choose_abstain(probabilities, assigned, truth_a, np.array([0, 1])) is True
    truth_b = np.array([[1, 0]] * 4 + [[0, 1]] * 6, dtype=bool)  # the lean was right: never abstain
    assert L.choose_abstain(probabilities, assigned, truth_b, np.array([0, 1])) is False
    np.testing.assert_array_equal(L.one_per_unit(probabilities, assigned, True)[8:], np.zeros((2, 2), bool))
    np.testing.assert_array_equal(L.one_per_unit(probabilities, assigned, False)[8:], [[False, True]] * 2)


def test_suggest_learn_from_one_theme_per_unit_says_so(make_project, bow, cli, monkeypatch, tmp_path):
    from tests.conftest import DEMO_CODEBOOK
    from thematic.cli import ml as cli_ml
    from thematic.store import corpus
    from thematic.store import ml as store

    text = DEMO_CODEBOOK.read_text(encoding="utf-8")  # the demo codebook without its exclusive group
    independent = tmp_path / "independent.yaml"
    without = text[: text.index("groups:")] + text[text.index("\nthemes:") + 1:]
    independent.write_text(without, encoding="utf-8")
    # the demo: 100 of its 120 answers have a theme in the key; each is coded with one of its themes
    project = make_project(codebook=independent)
    coded = [u for u in corpus.list_units(project) if by_key(u)]
    code_units(project, "consensus", lambda u: frozenset(sorted(by_key(u))[:1]), units=coded)
    run = L.suggest_learned(project, model=bow)
    params = store.get_suggest_run(project, run.id).parameters
    single = params["single_label"]
    assert single["coded_units"] == 100 and single["one_theme"] == 100 and single["abstain"] is False
    assert single["note"].startswith("coders gave one theme per answer in 100 of 100; ")
    stored = store.run_scores(project, run.id).values()
    per_unit = [sum(assigned for _, assigned in per.values()) for per in stored]
    assert (max(per_unit) == 1) == single["one_per_unit"]
    monkeypatch.setattr(cli_ml, "model_choice", lambda model, device, backend=None: bow)
    result = cli("suggest", "--learn", project=project.path)
    assert result.exit_code == 0, result.stderr
    assert f"{single['note']}; check the figures" in " ".join(result.stderr.split())
