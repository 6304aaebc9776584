"""The learner: exact leave-one-out ridge, per-theme fits and their minimum, training labels from the log,
`suggest --learn` runs that `review --order uncertain` can use, and the CLI options."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from tests.conftest import DEMO_THEMES, read_demo_key
from thematic.errors import ThematicError
from thematic.ml import learner as L

THEMES = DEMO_THEMES


KEY = read_demo_key()


def code_units(project, coder: str, themes_of, *, units=None, codebook_hash: str | None = "current") -> int:
    """Record one `code` decision per unit for ``coder``; ``themes_of(unit)`` gives its themes."""
    from thematic.review.decisions import Decision
    from thematic.store import corpus
    from thematic.store.codebooks import require_current
    from thematic.store.decisions import record_many

    if codebook_hash == "current":
        codebook_hash = require_current(project).content_hash
    units = corpus.list_units(project) if units is None else units
    return record_many(project, [Decision.new(coder, u.id, themes_of(u), codebook_hash=codebook_hash)
                                 for u in units])


def by_key(unit) -> frozenset[str]:
    return KEY[unit.respondent_id]


@pytest.fixture
def keyed(make_project):
    """The demo corpus and codebook, every unit coded from the key by `consensus` and by `ana`."""
    project = make_project()
    code_units(project, "consensus", by_key)
    code_units(project, "ana", lambda u: by_key(u) - {"mixed-support"})
    return project


# -- the pieces ------------------------------------------------------------------------------------------
def test_loo_ridge_equals_refitting_without_each_unit():
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(0)
    F = rng.normal(size=(30, 40))
    Y = (rng.random((30, 2)) < 0.4).astype(float)
    alphas, loo, weights, intercepts = L.loo_ridge(F, Y, alphas=(0.5,))
    for j in range(2):
        brute = [Ridge(alpha=0.5).fit(np.delete(F, i, 0), np.delete(Y[:, j], i)).predict(F[i:i + 1])[0]
                 for i in range(30)]
        np.testing.assert_allclose(loo[:, j], brute, atol=1e-10)
        whole = Ridge(alpha=0.5).fit(F, Y[:, j])
        np.testing.assert_allclose(weights[:, j], whole.coef_, atol=1e-10)
        assert intercepts[j] == pytest.approx(whole.intercept_, abs=1e-10)
    assert list(alphas) == [0.5, 0.5]


def test_loo_ridge_picks_the_penalty_with_least_held_out_error():
    rng = np.random.default_rng(1)
    F = rng.normal(size=(60, 5))
    y = F @ np.array([1.0, -1.0, 0.5, 0.0, 0.0]) + 0.1 * rng.normal(size=60)
    alphas, *_ = L.loo_ridge(F, y, alphas=(0.01, 1000.0))
    assert alphas[0] == 0.01  # a strong signal: little shrinkage wins


def test_best_threshold_and_kappa():
    y = np.array([0, 0, 0, 1, 1, 1], dtype=bool)
    threshold, kappa = L.best_threshold(y, np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.8]))
    assert kappa == 1.0 and 0.3 < threshold < 0.6
    assert np.isnan(L.kappas_at(np.zeros(4, bool), np.zeros((1, 4), bool))[0])


def separable(n=80, d=16, seed=0, learned=1, cut=0.3):
    """``learned`` themes, theme t along axis t, then one theme with only three positives."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, d))
    labels = np.zeros((n, learned + 1), dtype=bool)
    labels[:, :learned] = vectors[:, :learned] > cut
    labels[:3, learned] = True
    prototype = rng.normal(scale=0.1, size=(n, learned + 1))
    return vectors, prototype, labels


def test_with_few_themes_learned_the_rest_keep_the_zero_shot_assignment():
    vectors, prototype, labels = separable()
    learner = L.fit(vectors, prototype, labels, ["a", "b"])
    assert learner.learned.tolist() == [True, False]
    assert learner.fits[1].method == L.ZERO_SHOT_KEPT and learner.fits[1].positives == 3
    assert learner.fits[0].training_kappa > 0.75
    zero_thresholds = np.array([0.05, 0.07])
    zero_assigned = prototype >= zero_thresholds
    zero_assigned[5, 1] = False  # what suggest assigned (its margin, its structure), not a cut of the scores
    scores, thresholds, assigned = learner.predict(vectors, prototype, zero_thresholds, zero_assigned)
    # theme b, 3 positives and one theme learned: its zero-shot score, threshold and assignment as they were
    np.testing.assert_array_equal(scores[:, 1], np.round(prototype[:, 1], L.DECIMALS))
    assert thresholds[1] == 0.07 and thresholds[0] == learner.fits[0].threshold
    np.testing.assert_array_equal(assigned[:, 1], zero_assigned[:, 1])
    assert (assigned[:, 0] == labels[:, 0]).mean() > 0.9
    settings = learner.settings()
    assert settings["zero_shot_calibration"] is None and settings["min_pooled_themes"] == 5
    assert settings["unlearned_themes"] == ("the zero-shot run's own scores, thresholds and assignments "
                                            "(1 themes learned; a pooled calibration needs 5)")
    assert learner.describe()["b"]["method"] == "zero-shot (too few decisions)"


def test_a_theme_whose_decisions_do_not_hold_out_is_scored_as_one_with_too_few():
    # theme a follows its feature; theme b has 8 positives that no feature predicts
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(120, 16))
    labels = np.zeros((120, 2), dtype=bool)
    labels[:, 0] = vectors[:, 0] > 0.3
    labels[rng.choice(120, size=8, replace=False), 1] = True
    prototype = rng.normal(scale=0.1, size=(120, 2))
    learner = L.fit(vectors, prototype, labels, ["a", "b"])
    assert learner.learned.tolist() == [True, False]
    b = learner.fits[1]
    assert b.method == L.ZERO_SHOT_KEPT and (b.positives, b.negatives) == (8, 112)
    # its leave-one-out kappa, the reason, is on record: below the floor
    assert b.training_kappa < L.MIN_LEARNED_KAPPA and learner.describe()["b"]["training_kappa"] < 0.1
    assert learner.settings()["min_learned_kappa"] == L.MIN_LEARNED_KAPPA == 0.1
    # with no floor it would be learned, its threshold cut through noise
    unguarded = L.fit(vectors, prototype, labels, ["a", "b"], min_learned_kappa=-1.0)
    assert unguarded.learned.tolist() == [True, True]
    assert unguarded.fits[0].threshold == learner.fits[0].threshold


def test_one_theme_per_unit_waits_until_every_score_is_a_probability():
    vectors, prototype, labels = separable()
    labels = np.column_stack([labels[:, 0], labels[:, 1] & ~labels[:, 0], ~labels[:, 0]])
    labels[:3, 2] = ~labels[:3, 1]  # one theme per unit: a, or c, or (3 units) b
    assert (labels.sum(axis=1) == 1).all()
    prototype = np.column_stack([prototype, -prototype[:, 0]])
    learner = L.fit(vectors, prototype, labels, ["a", "b", "c"])
    assert learner.learned.tolist() == [True, False, True] and learner.zero_shot_coefficients is None
    single = learner.settings()["single_label"]
    assert single["comparable"] is False and single["one_per_unit"] is False
    assert single["note"] == ("coders gave one theme per answer in 80 of 80; with 2 themes learned (one per "
                              "answer needs 5, so that every theme's score is a probability) themes are "
                              "suggested one by one; mark the codebook `exclusive: true` to make one per "
                              "answer a rule")
    # asked for, it is done all the same
    assert L.fit(vectors, prototype, labels, ["a", "b", "c"], single_label=True).single_label["one_per_unit"]


def test_with_enough_themes_learned_the_rest_are_calibrated_on_them():
    vectors, prototype, labels = separable(learned=5)
    ids = ["a", "b", "c", "d", "e", "rare"]
    learner = L.fit(vectors, prototype, labels, ids)
    assert learner.learned.tolist() == [True] * 5 + [False]
    assert learner.fits[5].method == L.TOO_FEW and len(learner.zero_shot_coefficients) == 3
    assert learner.settings()["unlearned_themes"].startswith("calibrated zero-shot: one logistic regression")
    zero_thresholds = np.full(6, 0.05)
    zero_assigned = prototype >= zero_thresholds
    scores, thresholds, assigned = learner.predict(vectors, prototype, zero_thresholds, zero_assigned)
    assert np.all((scores >= 0) & (scores <= 1))  # probabilities, for every theme
    assert thresholds[5] == L.ZERO_SHOT_CUT
    np.testing.assert_array_equal(assigned, scores >= thresholds[None, :])
    # the rare theme's prototype scores are noise. Pooled over the learned themes' decisions (positive on
    # one unit in six), they say "unlikely", so it no longer fires as the zero-shot rule makes it (on a
    # fifth of the units)
    vectors, prototype, labels = separable(learned=5, cut=1.0)
    learner = L.fit(vectors, prototype, labels, ids)
    _, _, assigned = learner.predict(vectors, prototype, zero_thresholds, prototype >= zero_thresholds)
    assert (prototype[:, 5] >= 0.05).mean() > 0.2 and not assigned[:, 5].any()
    # one learned theme fewer: the rare theme is assigned as the zero-shot run assigned it
    learner = L.fit(vectors, prototype[:, 1:], labels[:, 1:], ids[1:])
    _, _, assigned = learner.predict(vectors, prototype[:, 1:], zero_thresholds[1:],
                                     prototype[:, 1:] >= zero_thresholds[1:])
    np.testing.assert_array_equal(assigned[:, 4], prototype[:, 5] >= 0.05)


def test_the_calibrated_probabilities_match_the_rate_of_positives():
    rng = np.random.default_rng(1)
    n, d = 2000, 12
    vectors = rng.normal(size=(n, d))
    truth = 1 / (1 + np.exp(-(1.5 * vectors[:, 0] - 1.0)))
    labels = (rng.random(n) < truth)[:, None]
    prototype = np.zeros((n, 1))
    learner = L.fit(vectors[:1000], prototype[:1000], labels[:1000], ["a"])
    scores, _, _ = learner.predict(vectors[1000:], prototype[1000:], np.zeros(1), np.zeros((1000, 1), bool))
    p, y = scores[:, 0], labels[1000:, 0]
    for low, high in ((0.0, 0.2), (0.2, 0.5), (0.5, 1.0)):  # held out: each band's mean near its rate
        band = (p >= low) & (p < high)
        assert abs(p[band].mean() - y[band].mean()) < 0.07


def test_identical_answers_to_the_same_question_share_the_coders_decisions():
    vectors, prototype, labels = separable()
    texts = [f"answer {i}" for i in range(len(labels))]
    texts[1] = "Nothing."
    questions = ["improve"] * len(labels)
    keys = L.sharing_keys(texts, questions)
    learner = L.fit(vectors, prototype, labels, ["a", "b"], keys=keys)
    new = L.sharing_keys(["  nothing", "NOTHING!", "nothing"], ["improve", "improve", "good"])
    assert new[0] == new[1] == keys[1] != new[2]
    rows = vectors[[5, 6, 7]]  # other vectors: the shared decisions win over the model
    scores, _, assigned = learner.predict(rows, prototype[[5, 6, 7]], np.zeros(2), np.zeros((3, 2), bool),
                                          keys=new)
    np.testing.assert_array_equal(assigned[:2], np.repeat(labels[[1]], 2, axis=0))
    np.testing.assert_array_equal(scores[:2], np.repeat(labels[[1]].astype(float), 2, axis=0))
    assert L.fit(vectors, prototype, labels, ["a", "b"], keys=keys).settings()["shared_texts"] == len(labels)


def test_unit_features_have_character_and_word_ngram_blocks_sized_by_the_units():
    rng = np.random.default_rng(0)
    words = ["staff", "kind", "parking", "wait", "long", "clean", "food", "cold", "nurse", "helpful"]
    texts = [" ".join(rng.choice(words, size=4)) for _ in range(80)]
    features = L.unit_features(texts, np.ones((80, 3)), ["q1"] * 40 + ["q2"] * 40)
    # 80 units: at most 80 // 4 = 20 character dimensions and 80 // 8 = 10 word dimensions
    assert features.description["character_ngrams"]["svd_dims"] == 20
    assert features.description["word_ngrams"]["svd_dims"] == 10
    assert features.description["questions"] == 2
    assert features.matrix.shape == (80, 3 + 20 + 10 + 2)
    # each block's mean row length is its weight against the embedding's
    char_block, word_block = features.matrix[:, 3:23], features.matrix[:, 23:33]
    assert np.linalg.norm(char_block, axis=1).mean() == pytest.approx(L.WORD_WEIGHT)
    assert np.linalg.norm(word_block, axis=1).mean() == pytest.approx(L.TOKEN_WEIGHT)
    assert "word_ngrams" not in L.unit_features(texts[:49], np.ones((49, 3))).description  # too few units
    without = L.unit_features(texts, np.ones((80, 3)), word_ngrams=False)
    assert "word_ngrams" not in without.description and without.matrix.shape == (80, 3 + 20)


def test_the_exact_svd_of_few_units_is_scikit_learns():
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    rng = np.random.default_rng(1)
    words = ["staff", "kind", "parking", "wait", "long", "clean", "food", "cold", "nurse", "helpful", "ward"]
    texts = [" ".join(rng.choice(words, size=5)) for _ in range(60)]
    T, vocabulary = L._reduced_tfidf(texts, "word", (1, 2), 8)
    X = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                        dtype=np.float32).fit_transform(texts)
    expected = TruncatedSVD(8, algorithm="arpack", random_state=0).fit_transform(X)
    assert vocabulary == X.shape[1]
    signs = np.sign((T * expected).sum(axis=0))  # each component is defined up to its sign
    np.testing.assert_allclose(T * signs, expected, atol=1e-4)


def test_the_learner_is_chosen_by_leave_one_out_kappa():
    rng = np.random.default_rng(2)
    n = 120
    noise = rng.normal(size=(n, 8))  # the embedding knows nothing ...
    labels = np.zeros((n, 2), dtype=bool)
    labels[:, 0] = rng.random(n) < 0.3
    labels[:, 1] = rng.random(n) < 0.4
    prototype = np.where(labels, 1.0, 0.0) + rng.normal(scale=0.2, size=(n, 2))  # ... the codebook does
    learner = L.fit(noise, prototype, labels, ["a", "b"])
    assert learner.candidate == L.RIDGE_PROTOTYPE
    assert learner.candidates[L.RIDGE_PROTOTYPE] > learner.candidates[L.RIDGE] + 0.3
    # the reverse: the embedding knows, the prototype scores are noise; the prototype inputs are scored
    # held out, so their in-sample fit cannot win
    for seed in range(3):
        rng = np.random.default_rng(seed)
        labels = rng.random((n, 2)) < (0.3, 0.4)
        signal = np.column_stack([labels + rng.normal(scale=0.3, size=(n, 2)), rng.normal(size=(n, 8))])
        flat = rng.normal(size=(n, 2))
        assert L.fit(signal, flat, labels, ["a", "b"]).candidate == L.RIDGE
    assert L.fit(signal, flat, labels, ["a", "b"]).settings()["learner"] == L.RIDGE


def test_the_minimum_counts_positives_and_negatives():
    vectors, prototype, labels = separable()
    labels[:, 1] = True
    labels[:4, 1] = False  # 76 positives, 4 negatives: too few negatives
    learner = L.fit(vectors, prototype, labels, ["a", "b"])
    assert learner.fits[1].method == L.ZERO_SHOT_KEPT and learner.fits[1].negatives == 4
    assert L.MIN_POSITIVES == 5 and L.MIN_NEGATIVES == 5


def test_unknown_decisions_count_for_nothing():
    vectors, prototype, labels = separable()
    known = np.ones_like(labels)
    known[:40, 0] = False
    learner = L.fit(vectors, prototype, labels, ["a", "b"], known=known)
    assert learner.fits[0].positives + learner.fits[0].negatives == 40


def test_fit_is_deterministic():
    vectors, prototype, labels = separable()
    one = L.fit(vectors, prototype, labels, ["a", "b"]).predict(vectors, prototype, np.zeros(2), labels)
    two = L.fit(vectors, prototype, labels, ["a", "b"]).predict(vectors, prototype, np.zeros(2), labels)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)


# -- training labels from the decision log ---------------------------------------------------------------
def test_training_labels_follow_the_latest_standing_decision(make_project):
    from thematic.review.decisions import Decision
    from thematic.store import corpus
    from thematic.store.decisions import record_many

    project = make_project()
    units = corpus.list_units(project)[:3]
    on_third = Decision.new("ana", units[2].id, {"mixed-support"})
    record_many(project, [
        Decision.new("ana", units[0].id, {"mixed-support"}),
        Decision.new("ana", units[0].id, {"therapeutic-risks"}),
        Decision.new("ana", units[1].id, {"negative-responses", "not-in-codebook"}),
        on_third,
    ])
    record_many(project, [Decision.new("ana", units[2].id, kind="undo", target_uuid=on_third.uuid)])
    labels = L.training_labels(project, THEMES, from_coder="ana")
    assert labels.unit_ids == sorted([units[0].id, units[1].id])
    rows = dict(zip(labels.unit_ids, labels.labels.tolist(), strict=True))
    assert rows[units[0].id] == [False, False, False, True]
    assert rows[units[1].id] == [True, False, False, False]
    assert labels.known.all()


def test_a_theme_added_later_is_unknown_in_earlier_decisions(make_project, tmp_path):
    import yaml

    from tests.conftest import DEMO_CODEBOOK
    from thematic.codebook.load import load_codebook
    from thematic.store import corpus
    from thematic.store.codebooks import use_codebook

    project = make_project()
    data = yaml.safe_load(DEMO_CODEBOOK.read_text(encoding="utf-8"))
    data["themes"] = [t for t in data["themes"] if t["id"] != "mixed-support"]
    data.pop("groups", None)  # the stance group names mixed-support
    older = tmp_path / "older.yaml"
    older.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    old_version = use_codebook(project, load_codebook(older))
    units = corpus.list_units(project)
    code_units(project, "ana", by_key, units=units[:10], codebook_hash=old_version.content_hash)
    use_codebook(project, load_codebook(DEMO_CODEBOOK))
    code_units(project, "ana", by_key, units=units[10:20])
    labels = L.training_labels(project, THEMES, from_coder="ana")
    column = THEMES.index("mixed-support")
    known = dict(zip(labels.unit_ids, labels.known[:, column].tolist(), strict=True))
    assert [known[u.id] for u in units[:20]] == [False] * 10 + [True] * 10
    assert labels.known[:, [0, 1, 3]].all()


def test_errors_about_the_coder(make_project):
    project = make_project()
    with pytest.raises(ThematicError, match=re.escape(
            "coder 'consensus' has coded no units (code some with `thematic review --coder NAME`; "
            "nobody has coded yet)")):
        L.training_labels(project, THEMES)
    code_units(project, "ben", by_key)
    with pytest.raises(ThematicError, match=re.escape(
            "coder 'consensus' has coded no units (code some with `thematic review --coder NAME`; "
            "coders with decisions: ben; pass --from CODER)")):
        L.training_labels(project, THEMES)
    with pytest.raises(ThematicError, match=re.escape(
            "--from machine would teach the machine its own suggestions (pass --from with a human coder, "
            "or leave it out for consensus)")):
        L.training_labels(project, THEMES, from_coder="machine")


def test_too_few_decisions_everywhere_is_an_error(make_project, bow):
    from thematic.store import corpus

    project = make_project()
    code_units(project, "ana", by_key, units=corpus.list_units(project)[:6])
    with pytest.raises(ThematicError) as caught:
        L.suggest_learned(project, from_coder="ana", model=bow)
    assert str(caught.value) == (
        "no theme has enough decisions from 'ana' to learn from: each needs at least 5 units coded with it "
        "and 5 without it (now: negative-responses 4+/2-; possibilities-of-ai 0+/6-; mixed-support 1+/5-; "
        "therapeutic-risks 1+/5-) (code more units, e.g. `thematic review --order uncertain`)")


# -- suggest --learn: the stored run ---------------------------------------------------------------------
def test_suggest_learned_stores_a_run_that_says_what_it_learned(keyed, bow):
    from thematic.store import ml as store

    run = L.suggest_learned(keyed, model=bow, seed=3)
    stored = store.get_suggest_run(keyed, run.id)
    params = stored.parameters
    assert params["learn"] is True and params["from_coder"] == "consensus" and params["seed"] == 3
    assert params["method"] == L.METHOD and params["coded_units"] == run.units
    assert params["min_positives"] == 5 and params["min_negatives"] == 5
    assert set(params["themes"]) == set(THEMES)
    for theme in THEMES:
        info = params["themes"][theme]
        assert info["method"] == "learned"
        assert info["positives"] == sum(theme in KEY[r] for r in _respondents(keyed))
        assert info["positives"] + info["negatives"] == run.units
        assert params["thresholds"][theme] == info["threshold"]
    scores = store.run_scores(keyed, run.id)
    assert len(scores) == run.units and all(set(per) == set(THEMES) for per in scores.values())
    for per in scores.values():
        for theme, (score, assigned) in per.items():
            assert 0.0 <= score <= 1.0
            assert assigned == (score >= params["thresholds"][theme])
    assert json.loads(json.dumps(params)) == params


def _respondents(project) -> set[str]:
    from thematic.store import corpus

    return {u.respondent_id for u in corpus.list_units(project)}


def test_suggest_learned_is_repeatable_and_follows_the_chosen_coder(keyed, bow):
    from thematic.store import ml as store

    one = store.run_scores(keyed, L.suggest_learned(keyed, model=bow).id)
    two = store.run_scores(keyed, L.suggest_learned(keyed, model=bow).id)
    assert one == two
    ana = L.suggest_learned(keyed, model=bow, from_coder="ana")
    assert ana.parameters["from_coder"] == "ana"
    assert ana.parameters["themes"]["mixed-support"]["method"] == L.ZERO_SHOT_KEPT
    assert ana.parameters["themes"]["mixed-support"]["positives"] == 0
    # a theme without decisions, three themes learned: the zero-shot run's threshold, no pooled calibration
    zero = ana.parameters["zero_shot"]["thresholds"]["mixed-support"]
    assert ana.parameters["thresholds"]["mixed-support"] == zero != L.ZERO_SHOT_CUT
    assert ana.parameters["zero_shot_calibration"] is None
    assert ana.parameters["unlearned_themes"].startswith("the zero-shot run's own scores")
    assert ana.parameters["threshold_rule"].endswith(ana.parameters["zero_shot"]["threshold_rule"])
    assert ana.parameters["learner"] in L.CANDIDATES


def test_review_order_uncertain_serves_the_runs_ranking_first(make_project, bow):
    from thematic.review.session import plan_walk
    from thematic.store import corpus
    from thematic.store.codebooks import require_current

    project = make_project()
    units = corpus.list_units(project)
    code_units(project, "consensus", by_key, units=units[:70])
    run = L.suggest_learned(project, model=bow)
    walk = plan_walk(project, require_current(project), order="uncertain")
    assert walk.run_id == run.id
    ranked = run.parameters["review_order"]
    assert sorted(ranked) == sorted(u.id for u in units[70:])  # every unit nobody coded yet
    assert [u.id for u in walk.units[: len(ranked)]] == ranked


def test_review_order_takes_uncertain_units_and_spreads_each_batch():
    # units 0-3 sit on the threshold but are one answer four times; unit 4 is nearly as uncertain and
    # different; units 5-9 are sure
    scores = np.array([[0.5], [0.5], [0.5], [0.5], [0.45], [0.99], [0.98], [0.01], [0.02], [0.97]])
    vectors = np.array([[1.0, 0.0]] * 4 + [[0.0, 1.0]] + [[0.7, 0.7]] * 5)
    order = L.review_order(scores, np.array([0.5]), vectors, batch=2)
    assert sorted(order[:2].tolist()) == [0, 4]  # not two copies of the same answer
    assert sorted(order.tolist()) == list(range(10))  # every unit, once
    # batches of one: nothing to spread, most uncertain first
    assert L.review_order(scores, np.array([0.5]), vectors, batch=1).tolist()[:5] == [0, 1, 2, 3, 4]
    # themes take turns: theme b's most uncertain unit (3) comes second, before theme a's next ones
    two = np.array([[0.5, 0.01], [0.49, 0.02], [0.48, 0.03], [0.01, 0.2], [0.01, 0.9]])
    assert L.review_order(two, np.array([0.5, 0.5]), np.eye(5)).tolist() == [0, 3, 1, 4, 2]
    assert L.review_order(two, np.array([0.5, 0.5]), np.eye(5), limit=2).tolist() == [0, 3]


# -- the CLI ---------------------------------------------------------------------------------------------
@pytest.fixture
def keyed_cli(keyed, bow, monkeypatch):
    """`thematic` against the keyed project, with the bag-of-words model standing in for the default."""
    from thematic.cli import ml as cli_ml

    monkeypatch.setattr(cli_ml, "model_choice", lambda model, device, backend=None: bow)
    return keyed


def test_cli_suggest_learn(cli, keyed_cli):
    result = cli("suggest", "--learn", "--from", "ana", project=keyed_cli.path)
    assert result.exit_code == 0, result.stderr
    assert "suggest run 1:" in result.stdout
    assert ("learned from ana's 112 coded units: 3 of 4 themes learned by ridge + prototype (held-out kappa "
            "on the decisions 0.58); mixed-support kept the zero-shot suggestions (fewer than 5 units coded "
            "with, or 5 without, the theme, or a leave-one-out kappa below 0.1 on its decisions; calibrating "
            "them on the learned themes needs 5 learned themes); "
            "check the figures with `thematic evaluate`") in " ".join(result.stderr.split())
    result = cli("suggest", "--learn", "--json", project=keyed_cli.path)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["parameters"]["from_coder"] == "consensus"


@pytest.mark.parametrize(("args", "message"), [
    (("--from", "ana"), "error: --from needs --learn (thematic suggest --learn --from ana)"),
    (("--learn", "--threshold", "0.3"), "error: --threshold cannot be used with --learn (learned thresholds "
     "come from the coders' decisions; drop one of the two)"),
    (("--learn", "--from", "zoe"), "error: coder 'zoe' has coded no units (code some with `thematic review "
     "--coder NAME`; coders with decisions: ana, consensus; pass --from CODER)"),
])
def test_cli_suggest_learn_errors(cli, keyed_cli, args, message):
    result = cli("suggest", *args, project=keyed_cli.path)
    assert result.exit_code == 2
    assert " ".join(result.stderr.split()) == message


def test_the_calibrating_regression_is_scikit_learns():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 4))
    y = rng.random(300) < 1 / (1 + np.exp(-(X @ [1.5, -1.0, 0.5, 0.0] - 1.0)))
    probabilities, coefficients = L._logistic(X, y)
    reference = LogisticRegression(C=L.COMBINE_C, tol=1e-10, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(coefficients, [*reference.coef_[0], reference.intercept_[0]], atol=1e-5)
    np.testing.assert_allclose(probabilities, reference.predict_proba(X)[:, 1], atol=1e-6)
