"""`thematic evaluate`: figures that never use a unit the model trained on.

The leakage tests: every fold's scored units are disjoint from its training units, and the learner is
never handed a scored unit; with labels that are random noise the held-out kappa is about 0, even for a
learner that memorises its training units (which scores kappa 1 when it is shown the units it codes).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from tests.ml.test_learner import KEY, THEMES, _respondents, by_key, code_units
from thematic.errors import ThematicError
from thematic.ml import evaluate as E
from thematic.ml import learner as L


class Memoriser:
    """A learner that remembers its training units: the labels of the nearest one (itself, if it was
    trained on it). Held out, on noise, it can only guess; with leakage it scores perfectly."""

    def __init__(self, vectors, prototype_scores, labels, theme_ids, *, known=None, keys=None):
        self.vectors = np.asarray(vectors, dtype=float)
        self.labels = np.asarray(labels, dtype=bool)
        self.learned = np.ones(self.labels.shape[1], dtype=bool)

    def predict(self, vectors, prototype_scores, zero_shot_thresholds, zero_shot_assigned, keys=None):
        distance = ((np.asarray(vectors)[:, None, :] - self.vectors[None, :, :]) ** 2).sum(axis=2)
        assigned = self.labels[distance.argmin(axis=1)]
        return assigned.astype(float), np.full(assigned.shape[1], 0.5), assigned


def noise(n=300, d=32, themes=3, seed=0):
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, d))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    labels = rng.random((n, themes)) < 0.3
    prototype = rng.normal(scale=0.1, size=(n, themes))
    thresholds = np.full(themes, 0.1)
    return vectors, prototype, labels, thresholds, prototype >= thresholds


# -- folds -----------------------------------------------------------------------------------------------
def test_folds_keep_each_respondent_whole_and_follow_the_seed():
    groups = [f"R{i // 3}" for i in range(60)]  # three units per respondent
    folds = E.assign_folds(groups, 5, seed=4)
    for group in set(groups):
        assert len({folds[i] for i, g in enumerate(groups) if g == group}) == 1
    assert sorted(set(folds.tolist())) == [0, 1, 2, 3, 4]
    assert np.bincount(folds).tolist() == [12] * 5
    assert folds.tolist() == E.assign_folds(groups, 5, seed=4).tolist()
    assert folds.tolist() != E.assign_folds(groups, 5, seed=5).tolist()


@pytest.mark.parametrize(("folds", "message"), [
    (1, "--folds must be a whole number of at least 2, not '1'"),
    (4, "--folds 4 is more than the 3 respondents with coded units (use fewer folds, or code more units)"),
])
def test_fold_errors(folds, message):
    with pytest.raises(ThematicError, match=re.escape(message)):
        E.assign_folds(["a", "b", "c"], folds)


# -- leakage ---------------------------------------------------------------------------------------------
def test_each_fold_is_scored_by_a_model_that_never_saw_it():
    vectors, prototype, labels, thresholds, zero = noise()
    seen: list[set[bytes]] = []

    def recording_fit(v, p, y, theme_ids, *, known=None):
        seen.append({row.tobytes() for row in v})
        return L.fit(v, p, y, theme_ids, known=known)

    folds = E.assign_folds([str(i) for i in range(len(vectors))], 5, seed=0)
    result = E.cross_validate(vectors, prototype, labels, ["a", "b", "c"], folds, thresholds, zero,
                              fit=recording_fit)
    scored = np.concatenate([test for _, test in result.splits])
    assert sorted(scored.tolist()) == list(range(len(vectors)))  # every unit scored once
    for (train, test), trained_on in zip(result.splits, seen, strict=True):
        assert not set(train.tolist()) & set(test.tolist())
        assert not trained_on & {vectors[i].tobytes() for i in test}
        assert len(trained_on) == len(train)


def test_train_size_draws_only_from_the_training_folds():
    vectors, prototype, labels, thresholds, zero = noise()
    folds = E.assign_folds([str(i) for i in range(len(vectors))], 5, seed=0)
    result = E.cross_validate(vectors, prototype, labels, ["a", "b", "c"], folds, thresholds, zero,
                              train_size=50, seed=1)
    for train, test in result.splits:
        assert len(train) == 50 and not set(train.tolist()) & set(test.tolist())


def test_random_labels_give_kappa_near_zero_even_for_a_memoriser():
    vectors, prototype, labels, thresholds, zero = noise()
    folds = E.assign_folds([str(i) for i in range(len(vectors))], 5, seed=0)
    for fit in (L.fit, Memoriser):
        result = E.cross_validate(vectors, prototype, labels, ["a", "b", "c"], folds, thresholds, zero,
                                  fit=fit)
        assert abs(E.macro_kappa(labels, result.assigned)) < 0.1
    # What leakage would look like: the memoriser shown the units it codes agrees perfectly.
    memoriser = Memoriser(vectors, prototype, labels, ["a", "b", "c"])
    leaked = memoriser.predict(vectors, prototype, thresholds, zero)
    assert E.macro_kappa(labels, leaked[2]) == 1.0


def test_evaluate_on_a_project_with_random_labels_is_near_zero(make_project, bow, monkeypatch):
    project = make_project()
    rng = np.random.default_rng(7)
    code_units(project, "ana", lambda u: {t for t in THEMES if rng.random() < 0.35})
    monkeypatch.setattr(L, "fit", Memoriser)  # the worst case for leakage
    result = E.evaluate(project, from_coder="ana", model=bow, sizes=[], n_boot=50)
    # Held out, the memoriser's macro kappa on random labels is a draw around 0 (seeds 7 to 11 with the
    # word n-gram features: 0.151, -0.036, 0.061, 0.061, 0.034); with leakage it would be 1.0.
    assert abs(result.macro_kappa) < 0.2
    assert all(p.units == 112 for p in result.themes)


# -- evaluate on the demo corpus -------------------------------------------------------------------------
@pytest.fixture
def keyed(make_project):
    project = make_project()
    code_units(project, "consensus", by_key)
    return project


def test_evaluate_reports_every_theme_with_intervals(keyed, bow):
    result = E.evaluate(keyed, model=bow, n_boot=200)
    assert result.from_coder == "consensus" and result.folds == 5 and result.coded_units == 112
    assert [t.theme_id for t in result.themes] == THEMES
    for row in result.themes:
        assert row.units == 112
        assert row.positives == sum(row.theme_id in KEY[r] for r in _respondents(keyed))
        assert row.learned_folds == 5
        for figure in (row.kappa, row.ac1, row.precision, row.recall, row.zero_shot_kappa):
            assert figure.low <= figure.estimate <= figure.high
    assert [p.coded_units for p in result.curve] == [20, 50, 89]
    assert result.curve[-1].macro_kappa == pytest.approx(result.macro_kappa)
    assert all(p.zero_shot_macro_kappa == result.zero_shot_macro_kappa for p in result.curve)
    assert "no figure uses a unit the model trained on" in result.method
    assert sorted(set(result.fold_of.values())) == [0, 1, 2, 3, 4]
    data = json.loads(json.dumps(result.to_dict()))
    assert data["themes"][0]["kappa"]["estimate"] == round(result.themes[0].kappa.estimate, 4)
    again = E.evaluate(keyed, model=bow, n_boot=200)
    assert timeless(again.to_dict()) == timeless(result.to_dict())


def timeless(value):
    """A to_dict() result without its timings."""
    if isinstance(value, dict):
        return {k: timeless(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [timeless(v) for v in value]
    return value


def test_evaluate_matches_cross_validation_figures(keyed, bow, monkeypatch):
    """The per-theme kappa is Cohen's kappa of the pooled held-out codings (the agreement package's)."""
    from thematic.agreement import cohen_kappa

    captured = {}
    real = E.cross_validate

    def spy(*args, **kwargs):
        result = real(*args, **kwargs)
        captured["assigned"], captured["labels"] = result.assigned, args[2]
        return result

    monkeypatch.setattr(E, "cross_validate", spy)
    result = E.evaluate(keyed, model=bow, sizes=[], n_boot=20)
    for t, row in enumerate(result.themes):
        matrix = np.column_stack([captured["labels"][:, t], captured["assigned"][:, t]]).astype(float)
        assert row.kappa.estimate == pytest.approx(cohen_kappa(matrix))


def test_evaluate_errors(make_project, keyed, bow):
    with pytest.raises(ThematicError, match=re.escape(
            "--folds must be a whole number of at least 2, not '1'")):
        E.evaluate(keyed, model=bow, folds=1)
    with pytest.raises(ThematicError, match=re.escape(
            "coder 'ana' has coded no units (code some with `thematic review --coder NAME`; coders with "
            "decisions: consensus; pass --from CODER)")):
        E.evaluate(keyed, from_coder="ana", model=bow)
    from thematic.store import corpus

    small = make_project(name="small")
    code_units(small, "ana", by_key, units=corpus.list_units(small)[:3])
    with pytest.raises(ThematicError, match=re.escape(
            "--folds 5 is more than the 3 respondents with coded units "
            "(use fewer folds, or code more units)")):
        E.evaluate(small, from_coder="ana", model=bow)


# -- the CLI ---------------------------------------------------------------------------------------------
@pytest.fixture
def keyed_cli(keyed, bow, monkeypatch):
    from thematic.cli import ml as cli_ml

    monkeypatch.setattr(cli_ml, "model_choice", lambda model, device: bow)
    return keyed


def test_cli_evaluate_table_and_json(cli, keyed_cli):
    result = cli("evaluate", "--folds", "4", project=keyed_cli.path)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("machine vs consensus: 112 coded units (112 respondents), codebook ai-therapy "
                          "(version 1), model bag-of-words, 4-fold cross-validation")
    for word in ("kappa", "AC1", "precision", "recall", "zero-shot", "learning curve", "4/4 folds"):
        assert word in out
    assert "4-fold cross-validation over the 112 units coded by consensus" in " ".join(result.stderr.split())
    result = cli("evaluate", "--format", "json", "--seed", "2", project=keyed_cli.path)
    data = json.loads(result.stdout)
    assert data["seed"] == 2 and len(data["themes"]) == 4 and data["curve"][-1]["coded_units"] == 89
    # the headline follows the codebook's structure: the stance is one nominal variable
    assert "exclusive group Overall stance (" in out and "independent themes: macro kappa" in out
    (stance,) = data["headline"]["groups"]
    assert stance["group"] == "stance" and stance["categories"][:4] == [
        "negative-responses", "possibilities-of-ai", "mixed-support", "none"]
    assert data["headline"]["independent"]["covered"] == ["therapeutic-risks"]


@pytest.mark.parametrize(("args", "message"), [
    (("--format", "csv"), "error: --format must be table or json, not 'csv'"),
    (("--folds", "0"), "error: --folds must be a whole number of at least 2, not '0'"),
    (("--from", "zoe"), "error: coder 'zoe' has coded no units (code some with `thematic review --coder "
     "NAME`; coders with decisions: consensus; pass --from CODER)"),
])
def test_cli_evaluate_errors(cli, keyed_cli, args, message):
    result = cli("evaluate", *args, project=keyed_cli.path)
    assert result.exit_code == 2
    assert " ".join(result.stderr.split()) == message


def test_cli_evaluate_without_a_codebook(cli, tmp_path):
    from thematic.store.project import create_project

    create_project(tmp_path / "empty.db")[0].close()
    result = cli("evaluate", project=tmp_path / "empty.db")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: no codebook in use (run `thematic codebook use FILE` first)"


# -- with the real model ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_learning_beats_zero_shot_on_the_demo_corpus(keyed, st_model):
    """With all-MiniLM-L6-v2 and the key as the coder, held-out agreement after learning is higher than
    zero-shot (0.48 vs 0.40 when written)."""
    result = E.evaluate(keyed, model=st_model, n_boot=100)
    assert result.macro_kappa > result.zero_shot_macro_kappa + 0.03
    assert result.macro_kappa > 0.4


def test_themes_a_coder_never_used_or_never_saw(make_project, bow, tmp_path):
    """A theme the coder never gave is left zero-shot (its recall undefined); a theme added after every
    decision has no figures at all."""
    import yaml

    from tests.conftest import DEMO_CODEBOOK
    from thematic.codebook.load import load_codebook
    from thematic.store.codebooks import use_codebook

    project = make_project()
    code_units(project, "ana", lambda u: by_key(u) - {"mixed-support"})
    data = yaml.safe_load(DEMO_CODEBOOK.read_text(encoding="utf-8"))
    data["themes"].append({"id": "costs", "name": "Costs", "definition": "Money, fees and who pays."})
    newer = tmp_path / "newer.yaml"
    newer.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    use_codebook(project, load_codebook(newer))
    result = E.evaluate(project, from_coder="ana", model=bow, n_boot=50, sizes=[])
    rows = {row.theme_id: row for row in result.themes}
    assert rows["mixed-support"].positives == 0 and rows["mixed-support"].learned_folds == 0
    assert np.isnan(rows["mixed-support"].recall.estimate)
    assert rows["costs"].units == 0 and np.isnan(rows["costs"].kappa.estimate)
    assert json.loads(json.dumps(result.to_dict()))["themes"][-1]["kappa"]["estimate"] is None


def test_cross_validated_codings_follow_the_codebook_structure():
    """evaluate scores what suggest --learn would store: an exclusive group gives one theme or none, a
    required one exactly one, and a residual theme only alone (thematic.ml.structure)."""
    from thematic.codebook.model import ThemeGroup

    vectors, prototype, labels, thresholds, zero = noise()
    folds = E.assign_folds([str(i) for i in range(len(vectors))], 5, seed=0)
    free = E.cross_validate(vectors, prototype, labels, ["a", "b", "c"], folds, thresholds, zero)
    assert (free.assigned[:, :2].sum(axis=1) > 1).any()  # unstructured, the learner gives both at times
    group = ThemeGroup("stance", ("a", "b", "c"), exclusive=True, required=True, residual=("c",))
    held = E.cross_validate(vectors, prototype, labels, ["a", "b", "c"], folds, thresholds, zero,
                            groups=(group,))
    assert (held.assigned.sum(axis=1) == 1).all()
    np.testing.assert_array_equal(held.scores, free.scores)  # structure changes codings, not scores
