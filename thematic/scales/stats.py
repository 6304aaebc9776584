"""Statistics for closed items: Cronbach's alpha with a bootstrap interval, group comparisons with effect
sizes, and the test of a themes x groups table. The tests themselves are scipy's; this module only
chooses between them, computes the effect sizes from their statistics, and says when one is undefined.

Formulas (names after the cited sources):

* Cronbach's alpha (Cronbach 1951, doi:10.1007/BF02310555), over respondents who answered every item:
  ``alpha = k / (k - 1) * (1 - sum(s2_i) / s2_x)``, ``s2_i`` the variance of item ``i`` and ``s2_x`` the
  variance of the total score (both with ``n - 1``). At most 1; negative when the items disagree.
  Its interval is a percentile bootstrap over respondents (``scipy.stats.bootstrap``), seeded.
* Mann-Whitney U for two groups (``scipy.stats.mannwhitneyu``, two-sided), with the rank-biserial
  correlation ``r = 2 * U1 / (n1 * n2) - 1`` (Wendt 1972, doi:10.1002/ejsp.2420020412; Kerby 2014,
  doi:10.2466/11.IT.3.1), ``U1`` the statistic of the first group: from -1 to 1, positive when the
  first group tends to answer higher.
* Kruskal-Wallis H for three or more groups (``scipy.stats.kruskal``), with epsilon-squared
  ``E2 = H / ((n ** 2 - 1) / (n + 1)) = H / (n - 1)`` (Tomczak & Tomczak 2014, Trends in Sport
  Sciences 21(1), 19-25): from 0 to 1.
* A 2 x 2 table: Fisher's exact test (``scipy.stats.fisher_exact``); larger tables: Pearson's
  chi-square (``scipy.stats.chi2_contingency``), whose p-value is an approximation that needs expected
  counts of about 5 or more. Either way Cramer's V (``scipy.stats.contingency.association``).
* Several tests in one table: Holm's adjusted p-values (``statsmodels.stats.multitest.multipletests``).

>>> round(cronbach_alpha([[1, 2], [2, 3], [3, 3], [4, 5]]), 4)
0.96
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from thematic.errors import ThematicError

MANN_WHITNEY = "Mann-Whitney U"
KRUSKAL_WALLIS = "Kruskal-Wallis H"
FISHER = "Fisher's exact"
CHI_SQUARE = "chi-square"
RANK_BISERIAL = "rank-biserial r"
EPSILON_SQUARED = "epsilon-squared"


def _clean(value) -> float | None:
    """A float for output, None for undefined."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


# -- reliability ----------------------------------------------------------------------------------


def _alpha(scores: np.ndarray) -> np.ndarray:
    """Cronbach's alpha of ``scores[..., respondents, items]``, vectorised over leading axes."""
    k = scores.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        item_var = scores.var(axis=-2, ddof=1).sum(axis=-1)
        total_var = scores.sum(axis=-1).var(axis=-1, ddof=1)
        return k / (k - 1) * (1 - item_var / total_var)


def cronbach_alpha(scores, /) -> float:
    """Cronbach's alpha of a respondents x items matrix of scored answers (no missing values).

    ``alpha = k / (k - 1) * (1 - sum(s2_i) / s2_x)``; ``nan`` when it is undefined (fewer than two items
    or two respondents, or a total score that does not vary).

    >>> cronbach_alpha([[1, 1, 2], [2, 2, 2], [3, 3, 3], [4, 5, 4]])
    0.9619565217391304
    """
    matrix = np.asarray(scores, dtype=float)
    if matrix.ndim != 2:
        raise ThematicError("cronbach_alpha needs a respondents x items table (pass a 2-D array)")
    if np.isnan(matrix).any():
        raise ThematicError("cronbach_alpha needs complete answers "
                            "(drop respondents with a missing answer first)")
    if matrix.shape[1] < 2 or matrix.shape[0] < 2:
        return math.nan
    return float(_alpha(matrix))


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha over ``n`` complete respondents and its percentile bootstrap interval."""

    alpha: float | None
    low: float | None
    high: float | None
    n: int
    ci: float
    n_boot: int
    seed: int


def alpha_with_ci(scores, /, *, n_boot: int = 2000, ci: float = 0.95, seed: int = 0) -> AlphaResult:
    """Cronbach's alpha of the complete rows of ``scores``, with a seeded percentile bootstrap interval
    (respondents resampled with replacement, ``scipy.stats.bootstrap``)."""
    from scipy import stats

    matrix = np.asarray(scores, dtype=float)
    complete = matrix[~np.isnan(matrix).any(axis=1)]
    n = complete.shape[0]
    alpha = cronbach_alpha(complete) if n else math.nan
    low = high = math.nan
    if n >= 3 and not math.isnan(alpha) and n_boot > 0:

        def statistic(index, axis=-1):
            return _alpha(complete[np.asarray(index, dtype=int)])

        kwargs = dict(vectorized=True, n_resamples=n_boot, confidence_level=ci, method="percentile",
                      batch=500)
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore")
            try:
                result = stats.bootstrap((np.arange(n),), statistic, rng=np.random.default_rng(seed),
                                         **kwargs)
            except TypeError:  # pragma: no cover - scipy < 1.15 names it random_state
                result = stats.bootstrap((np.arange(n),), statistic, random_state=np.random.default_rng(seed),
                                         **kwargs)
        low, high = result.confidence_interval.low, result.confidence_interval.high
    return AlphaResult(_clean(alpha), _clean(low), _clean(high), n, ci, n_boot, seed)


# -- comparing groups -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupTest:
    """One test across groups: its name, statistic, p-value and effect size (None when undefined)."""

    test: str
    statistic: float | None
    p: float | None
    effect: str
    effect_size: float | None
    dof: int | None = None
    note: str | None = None


def mann_whitney(x, y, /) -> GroupTest:
    """Two-sided Mann-Whitney U (scipy) of ``x`` against ``y``, with the rank-biserial correlation.

    >>> t = mann_whitney([19, 22, 16, 29, 24], [20, 11, 17, 12])
    >>> t.statistic, round(t.p, 4), t.effect_size
    (17.0, 0.1111, 0.7)
    """
    from scipy import stats

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(x) == 0 or len(y) == 0:
        return GroupTest(MANN_WHITNEY, None, None, RANK_BISERIAL, None, note="a group has no answers")
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")
        result = stats.mannwhitneyu(x, y, alternative="two-sided")
    u1 = float(result.statistic)
    r = 2 * u1 / (len(x) * len(y)) - 1
    p = _clean(result.pvalue)
    note = "every answer is the same" if np.unique(np.concatenate([x, y])).size == 1 else None
    if note:
        p = None
    return GroupTest(MANN_WHITNEY, u1, p, RANK_BISERIAL, _clean(r), note=note)


def kruskal_wallis(*groups) -> GroupTest:
    """Kruskal-Wallis H (scipy) across three or more groups, with epsilon-squared ``H / (n - 1)``.

    >>> t = kruskal_wallis([1, 3, 5, 7, 9], [2, 4, 6, 8, 10])
    >>> round(t.statistic, 4), round(t.p, 4), round(t.effect_size, 4)
    (0.2727, 0.6015, 0.0303)
    """
    from scipy import stats

    arrays = [np.asarray(g, dtype=float) for g in groups]
    if any(len(a) == 0 for a in arrays):
        return GroupTest(KRUSKAL_WALLIS, None, None, EPSILON_SQUARED, None, dof=len(arrays) - 1,
                         note="a group has no answers")
    n = sum(len(a) for a in arrays)
    if np.unique(np.concatenate(arrays)).size == 1:
        return GroupTest(KRUSKAL_WALLIS, None, None, EPSILON_SQUARED, None, dof=len(arrays) - 1,
                         note="every answer is the same")
    result = stats.kruskal(*arrays)
    h = float(result.statistic)
    return GroupTest(KRUSKAL_WALLIS, h, _clean(result.pvalue), EPSILON_SQUARED, _clean(h / (n - 1)),
                     dof=len(arrays) - 1)


def compare_groups(groups: list) -> GroupTest:
    """Mann-Whitney U for two groups, Kruskal-Wallis H for three or more (``groups``: arrays of values)."""
    if len(groups) < 2:
        raise ThematicError("comparing groups needs at least two groups "
                            "(choose an attribute with two or more values)")
    return mann_whitney(*groups) if len(groups) == 2 else kruskal_wallis(*groups)


def holm(pvalues: list[float | None]) -> list[float | None]:
    """Holm-adjusted p-values (statsmodels); None stays None and is not counted.

    >>> holm([0.01, None, 0.04, 0.03])
    [0.03, None, 0.06, 0.06]
    """
    from statsmodels.stats.multitest import multipletests

    present = [(i, p) for i, p in enumerate(pvalues) if p is not None]
    out: list[float | None] = [None] * len(pvalues)
    if present:
        adjusted = multipletests([p for _, p in present], method="holm")[1]
        for (i, _), q in zip(present, adjusted, strict=True):
            out[i] = round(float(q), 12)
    return out


# -- tables -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableTest:
    """The test of a contingency table, Cramer's V, and how many expected counts fall below 5."""

    test: str | None
    statistic: float | None
    p: float | None
    dof: int | None
    cramers_v: float | None
    odds_ratio: float | None
    small_expected: int
    cells: int
    note: str | None = None


def table_test(table, /) -> TableTest:
    """Fisher's exact test for a 2 x 2 table, Pearson's chi-square for larger ones (scipy).

    ``small_expected`` counts the cells whose expected count is below 5 (the chi-square caveat).

    >>> t = table_test([[8, 2], [1, 5]])
    >>> t.test, round(t.p, 4), t.odds_ratio
    ("Fisher's exact", 0.035, 20.0)
    """
    from scipy import stats
    from scipy.stats.contingency import association, expected_freq

    observed = np.asarray(table, dtype=float)
    cells = observed.size
    if (observed.sum(axis=1) == 0).any() or (observed.sum(axis=0) == 0).any():
        return TableTest(None, None, None, None, None, None, 0, cells,
                         note="a row or column of the table is empty")
    expected = expected_freq(observed)
    small = int((expected < 5).sum())
    v = _clean(association(observed.astype(int), method="cramer"))
    if observed.shape == (2, 2):
        result = stats.fisher_exact(observed.astype(int), alternative="two-sided")
        return TableTest(FISHER, None, _clean(result.pvalue), None, v, _clean(result.statistic), small, cells)
    result = stats.chi2_contingency(observed, correction=False)
    return TableTest(CHI_SQUARE, _clean(result.statistic), _clean(result.pvalue), int(result.dof), v, None,
                     small, cells)
