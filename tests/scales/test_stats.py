"""The statistics against published worked examples and a reference implementation (pingouin)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from thematic.errors import ThematicError
from thematic.scales.stats import (
    alpha_with_ci,
    compare_groups,
    cronbach_alpha,
    holm,
    kruskal_wallis,
    mann_whitney,
    table_test,
)

# -- Cronbach's alpha -----------------------------------------------------------------------------------


def test_alpha_published_example_wide_with_missing():
    """pingouin's docs: cronbach_wide_missing, listwise (R: psych::alpha(use="complete.obs")) = 0.8017."""
    pg = pytest.importorskip("pingouin")
    data = pg.read_dataset("cronbach_wide_missing")
    complete = data.dropna().to_numpy(dtype=float)
    assert cronbach_alpha(complete) == pytest.approx(0.8016949152542373, abs=1e-12)
    assert alpha_with_ci(data.to_numpy(dtype=float), n_boot=0).alpha == pytest.approx(0.8016949152542373)


def test_alpha_published_example_likert_long_format():
    """pingouin's docs: cronbach_alpha (Likert, long format) = 0.5917188485995826."""
    pg = pytest.importorskip("pingouin")
    data = pg.read_dataset("cronbach_alpha").pivot(index="Subj", columns="Items", values="Scores")
    assert cronbach_alpha(data.to_numpy(dtype=float)) == pytest.approx(0.5917188485995826, abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_alpha_matches_pingouin_on_random_likert_data(seed):
    pg = pytest.importorskip("pingouin")
    import pandas as pd

    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(40, 1))
    scores = np.clip(np.round(4 + latent + rng.normal(scale=0.9, size=(40, 2 + seed))), 1, 7)
    assert cronbach_alpha(scores) == pytest.approx(pg.cronbach_alpha(pd.DataFrame(scores))[0], abs=1e-12)


def test_alpha_undefined_and_refused():
    assert math.isnan(cronbach_alpha([[1], [2], [3]]))           # one item
    assert math.isnan(cronbach_alpha([[1, 2]]))                   # one respondent
    assert math.isnan(cronbach_alpha([[2, 2], [2, 2], [2, 2]]))   # no variance
    with pytest.raises(ThematicError, match="cronbach_alpha needs complete answers"):
        cronbach_alpha([[1, np.nan], [2, 3]])
    result = alpha_with_ci([[2, 2], [2, 2], [2, 2]], n_boot=50)
    assert (result.alpha, result.low, result.high, result.n) == (None, None, None, 3)


def test_alpha_bootstrap_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(1)
    scores = np.clip(np.round(4 + rng.normal(size=(60, 1)) + rng.normal(scale=0.8, size=(60, 4))), 1, 7)
    a = alpha_with_ci(scores, n_boot=500, seed=7)
    b = alpha_with_ci(scores, n_boot=500, seed=7)
    c = alpha_with_ci(scores, n_boot=500, seed=8)
    assert a == b and (a.low, a.high) != (c.low, c.high)
    assert a.low < a.alpha < a.high and a.seed == 7 and a.n_boot == 500 and a.n == 60


# -- group comparisons ----------------------------------------------------------------------------------


def test_mann_whitney_published_example_and_rank_biserial():
    """scipy's docs (Conover 1980): males [19, 22, 16, 29, 24] vs females [20, 11, 17, 12]: U1 = 17,
    exact p = 0.1111; r = 2 * 17 / 20 - 1 = 0.7, pingouin's RBC."""
    pg = pytest.importorskip("pingouin")
    from scipy import stats

    males, females = [19, 22, 16, 29, 24], [20, 11, 17, 12]
    t = mann_whitney(males, females)
    assert t.statistic == 17.0 and t.p == pytest.approx(0.1111111111111111)
    assert t.effect_size == pytest.approx(0.7)
    assert t.effect_size == pytest.approx(pg.mwu(males, females)["RBC"].iloc[0])
    flipped = mann_whitney(females, males)
    assert flipped.effect_size == pytest.approx(-0.7) and flipped.p == t.p
    rng = np.random.default_rng(3)
    x, y = rng.integers(1, 8, 30), rng.integers(1, 8, 25)      # ties: scipy's asymptotic p
    ours, theirs = mann_whitney(x, y), stats.mannwhitneyu(x, y, alternative="two-sided")
    assert (ours.statistic, ours.p) == (theirs.statistic, theirs.pvalue)
    assert ours.effect_size == pytest.approx(pg.mwu(x, y)["RBC"].iloc[0])


def test_kruskal_wallis_published_examples_and_epsilon_squared():
    """scipy's docs: [1, 3, 5, 7, 9] vs [2, 4, 6, 8, 10]: H = 0.2727, p = 0.6015; [1, 1, 1], [2, 2, 2],
    [2, 2]: H = 7.0, p = 0.0302. Epsilon-squared = H / (n - 1)."""
    t = kruskal_wallis([1, 3, 5, 7, 9], [2, 4, 6, 8, 10])
    assert t.statistic == pytest.approx(0.2727272727272734) and t.p == pytest.approx(0.6015081344405895)
    assert t.effect_size == pytest.approx(0.2727272727272734 / 9)
    t = kruskal_wallis([1, 1, 1], [2, 2, 2], [2, 2])
    assert t.statistic == pytest.approx(7.0) and t.p == pytest.approx(0.0301973834223185)
    assert t.effect_size == pytest.approx(1.0) and t.dof == 2


def test_compare_groups_chooses_the_test_and_says_when_undefined():
    assert compare_groups([[1, 2], [3, 4]]).test == "Mann-Whitney U"
    assert compare_groups([[1, 2], [3, 4], [5, 6]]).test == "Kruskal-Wallis H"
    same = compare_groups([[3, 3], [3, 3, 3]])
    assert (same.p, same.note) == (None, "every answer is the same")
    assert compare_groups([[3, 3], [3], [3]]).note == "every answer is the same"
    empty = compare_groups([[], [1, 2]])
    assert (empty.statistic, empty.p, empty.note) == (None, None, "a group has no answers")
    with pytest.raises(ThematicError, match=r"comparing groups needs at least two groups \(choose an"):
        compare_groups([[1, 2]])


def test_holm_matches_statsmodels():
    from statsmodels.stats.multitest import multipletests

    ps = [0.01, 0.04, 0.03, 0.2, 0.001]
    assert holm(ps) == pytest.approx(list(multipletests(ps, method="holm")[1]))
    assert holm([None, 0.5]) == [None, 0.5] and holm([]) == []


# -- tables ---------------------------------------------------------------------------------------------


def test_fisher_published_example():
    """scipy's docs: [[6, 2], [1, 4]]: odds ratio 12, two-sided p = 0.1026."""
    t = table_test([[6, 2], [1, 4]])
    assert t.test == "Fisher's exact" and t.odds_ratio == 12.0
    assert t.p == pytest.approx(0.10256410256410256)
    assert t.small_expected == 4 and t.cells == 4


def test_chi_square_published_example_and_cramers_v():
    """scipy's docs: [[10, 10, 20], [20, 20, 20]]: chi2 = 2.778, dof 2, p = 0.2494."""
    t = table_test([[10, 10, 20], [20, 20, 20]])
    assert t.test == "chi-square" and t.dof == 2
    assert t.statistic == pytest.approx(2.7777777777777777) and t.p == pytest.approx(0.24935220877729622)
    assert t.cramers_v == pytest.approx(math.sqrt(2.7777777777777777 / 100))
    assert t.small_expected == 0
    small = table_test([[1, 2, 9], [3, 1, 2]])
    assert small.small_expected == 5      # expected [[2.67, 2, 7.33], [1.33, 1, 3.67]]


def test_table_with_an_empty_row_has_no_test():
    t = table_test([[0, 0], [3, 4]])
    assert (t.test, t.p, t.note) == (None, None, "a row or column of the table is empty")


# -- properties -----------------------------------------------------------------------------------------

likert = arrays(np.float64, st.tuples(st.integers(3, 12), st.integers(2, 5)), elements=st.integers(1, 7))


@settings(max_examples=40, deadline=None)
@given(likert, st.randoms(use_true_random=False))
def test_alpha_ignores_the_order_of_items_and_respondents(scores, rnd):
    rows, cols = list(range(scores.shape[0])), list(range(scores.shape[1]))
    rnd.shuffle(rows)
    rnd.shuffle(cols)
    a, b = cronbach_alpha(scores), cronbach_alpha(scores[rows][:, cols])
    assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b)
    assert math.isnan(a) or a <= 1 + 1e-12


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 7), min_size=1, max_size=15),
       st.lists(st.integers(1, 7), min_size=1, max_size=15))
def test_rank_biserial_is_antisymmetric_and_bounded(x, y):
    forward, backward = mann_whitney(x, y), mann_whitney(y, x)
    assert forward.effect_size == pytest.approx(-backward.effect_size)
    assert -1 <= forward.effect_size <= 1
    assert forward.p == backward.p
