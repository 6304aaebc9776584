"""Gwet's AC1 and the chance-corrected coefficients that share its observed agreement, on raw codes.

Follows Gwet, K. L. (2014), *Handbook of Inter-Rater Reliability*, 4th edition (Advanced Analytics),
chapters 2-5, as implemented (unweighted) by Gwet's R package irrCAC (``gwet.ac1.raw``,
``bp.coeff.raw``, ``conger.kappa.raw``, ``fleiss.kappa.raw``), and keeps its notation:

- ``n``: units coded by at least one coder (units nobody coded are left out);
- ``r_i``: coders who coded unit ``i``; ``r_ik`` of them put it in category ``k``;
- ``n_2``: units with ``r_i >= 2`` (irrCAC's ``n2more``); ``q``: the number of categories;
- ``p_a = (1/n_2) sum_{i: r_i >= 2} sum_k r_ik (r_ik - 1) / (r_i (r_i - 1))``, the observed agreement;
- ``pi_k = (1/n) sum_i r_ik / r_i``, the share of category ``k``;
- ``p_e``, the chance agreement, which is what tells the coefficients apart;
- coefficient ``= (p_a - p_e) / (1 - p_e)``.

``q`` is the number of categories observed unless ``categories`` is given (as irrCAC's ``categ``);
for theme presence pass ``categories=(0, 1)`` so that a theme nobody applied still counts two
categories. Fleiss' kappa with missing codes (Gwet's generalisation) lives here too and is reached
through :func:`thematic.agreement.fleiss_kappa` with ``missing="gwet"``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from thematic.errors import ThematicError

from ._matrix import (
    CodedMatrix,
    UnitStatistics,
    as_matrix,
    check_categories,
    count_categories_used,
    encode,
)

__all__ = ["AC1Interval", "brennan_prediger", "conger_kappa", "gwet_ac1", "gwet_ac1_ci"]

AC1 = "Gwet's AC1"
BP = "Brennan-Prediger's coefficient"
CONGER = "Conger's kappa"

_N_TERMS = 3  # p_a terms, [r_i >= 2], [r_i >= 1]; then r_ik / r_i for each category


@dataclass(frozen=True)
class AC1Interval:
    """Gwet's AC1 with its standard error and confidence interval (Gwet 2008, infinite population).

    ``low`` and ``high`` are ``estimate -/+ t_{n-1} * standard_error``, kept within [-1, 1].
    """

    estimate: float
    standard_error: float
    low: float
    high: float
    ci: float


def gwet_ac1(matrix, *, categories=None) -> float:
    """Gwet's AC1 for a units x coders matrix, any number of coders, missing codes allowed.

    Parameters
    ----------
    matrix : array-like of shape (n_units, n_coders)
        Category codes as numbers; ``nan`` where a coder did not code a unit.
    categories : sequence of numbers, optional
        Every category a code could take (at least two). Default: the categories observed.

    Returns
    -------
    float
        ``AC1 = (p_a - p_e) / (1 - p_e)`` with ``p_e = sum_k pi_k (1 - pi_k) / (q - 1)``.
        In [-1, 1]; 1 is perfect agreement. Unlike kappa, AC1 stays stable when one category
        dominates (extreme prevalence). ``nan`` when no unit has two codes, or when fewer than two
        categories are observed and ``categories`` is not given.

    References
    ----------
    Gwet, K. L. (2008). Computing inter-rater reliability and its variance in the presence of high
    agreement. British Journal of Mathematical and Statistical Psychology 61(1), 29-48.
    doi:10.1348/000711006X126600

    Examples
    --------
    Gwet's four-rater example (the Krippendorff 2011 data), units x coders:

    >>> import numpy as np
    >>> nan = np.nan
    >>> coders = np.array([[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...                    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...                    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...                    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]])
    >>> round(gwet_ac1(coders.T), 5)
    0.77544

    A theme nobody applied: with the categories observed (one) AC1 is undefined; with both possible
    categories given it is 1:

    >>> gwet_ac1([[0, 0], [0, 0], [0, 0]])
    nan
    >>> gwet_ac1([[0, 0], [0, 0], [0, 0]], categories=(0, 1))
    1.0
    """
    return ac1_statistics(matrix, categories=categories).value()


def brennan_prediger(matrix, *, categories=None) -> float:
    """Brennan and Prediger's coefficient: chance agreement taken as ``1 / q``.

    Parameters
    ----------
    matrix : array-like of shape (n_units, n_coders)
        Category codes as numbers; ``nan`` where a coder did not code a unit.
    categories : sequence of numbers, optional
        Every category a code could take (at least two). Default: the categories observed.

    Returns
    -------
    float
        ``(p_a - 1/q) / (1 - 1/q)``, in [-1/(q-1), 1]. ``nan`` when no unit has two codes, or when
        fewer than two categories are observed and ``categories`` is not given.

    References
    ----------
    Brennan, R. L., & Prediger, D. J. (1981). Coefficient kappa: some uses, misuses, and
    alternatives. Educational and Psychological Measurement 41(3), 687-699.
    doi:10.1177/001316448104100307

    Examples
    --------
    >>> brennan_prediger([[1, 1], [1, 0], [0, 0], [0, 0]])
    0.5
    """
    return bp_statistics(matrix, categories=categories).value()


def conger_kappa(matrix) -> float:
    """Conger's kappa: Cohen's kappa generalised to many coders, missing codes allowed.

    Parameters
    ----------
    matrix : array-like of shape (n_units, n_coders)
        Category codes as numbers; ``nan`` where a coder did not code a unit.

    Returns
    -------
    float
        ``(p_a - p_e) / (1 - p_e)`` with ``p_e = sum_k (pbar_k^2 - s2_k / r)``, where ``p_gk`` is the
        share of coder ``g``'s codes in category ``k``, ``pbar_k`` its mean over the ``r`` coders and
        ``s2_k`` its variance; ``p_e`` is the mean over pairs of coders of Cohen's chance agreement.
        With two coders and complete data it equals Cohen's kappa. At most 1; with complete data at
        least -1, but with missing codes ``p_e`` comes from every code while ``p_a`` comes only from
        units with two codes or more, so it can fall below -1. Coders with no code at all are left
        out (irrCAC returns NA for them). ``nan`` when undefined: fewer than two
        coders with codes, no unit with two codes, or a single category.

    References
    ----------
    Conger, A. J. (1980). Integration and generalization of kappas for multiple raters.
    Psychological Bulletin 88(2), 322-328. doi:10.1037/0033-2909.88.2.322

    Examples
    --------
    >>> round(conger_kappa([[1, 1, 1], [1, 0, 1], [0, 0, 0], [0, 0, 1]]), 4)
    0.3846
    """
    return conger_statistics(matrix).value()


def gwet_ac1_ci(matrix, *, ci: float = 0.95, categories=None) -> AC1Interval:
    """Gwet's AC1 with its standard error and a t-based confidence interval.

    The variance is Gwet's (2008) linearisation for an infinite population of units (irrCAC's
    ``N = Inf``): ``v = sum_i (ac1*_i - AC1)^2 / (n (n - 1))`` over the ``n`` units with a code,
    where ``ac1*_i = (n / n_2) (p_a|i - p_e [r_i >= 2]) / (1 - p_e) - 2 (1 - AC1) (p_e|i - p_e) / (1 - p_e)``
    and ``p_e|i = sum_k r_ik (1 - pi_k) / ((q - 1) r_i)``. The interval is
    ``AC1 -/+ t_{n-1, (1+ci)/2} sqrt(v)``, kept within [-1, 1].

    Parameters
    ----------
    matrix : array-like of shape (n_units, n_coders)
        Category codes as numbers; ``nan`` where a coder did not code a unit.
    ci : float, default 0.95
        Confidence level, between 0 and 1.
    categories : sequence of numbers, optional
        Every category a code could take (at least two). Default: the categories observed.

    Returns
    -------
    AC1Interval
        ``estimate``, ``standard_error``, ``low``, ``high``, ``ci``; all but ``ci`` are ``nan`` when
        AC1 is undefined, and the last three when fewer than two units have a code.

    References
    ----------
    Gwet, K. L. (2008). Computing inter-rater reliability and its variance in the presence of high
    agreement. British Journal of Mathematical and Statistical Psychology 61(1), 29-48.
    doi:10.1348/000711006X126600

    Examples
    --------
    >>> result = gwet_ac1_ci([[1, 1], [1, 0], [0, 0], [0, 0], [1, 1], [0, 0]])
    >>> round(result.estimate, 4), round(result.standard_error, 4)
    (0.6757, 0.3305)
    """
    if isinstance(ci, bool) or not isinstance(ci, numbers.Real) or not 0 < ci < 1:
        raise ThematicError(f"{AC1}: ci must be between 0 and 1 (for example 0.95); got {ci!r}")
    coded, q_fixed = _prepare(matrix, AC1, categories)
    r_i = coded.codes_per_unit().astype(float)
    counts = coded.counts()  # r_ik in coordinate form
    n = int((r_i >= 1).sum())  # units nobody coded are left out
    two = r_i >= 2
    n_2 = int(two.sum())
    q = q_fixed if q_fixed is not None else coded.n_categories
    if n_2 == 0 or q < 2:
        return AC1Interval(math.nan, math.nan, math.nan, math.nan, float(ci))

    r_ik, entry_r_i = counts.count, r_i[counts.unit]
    with np.errstate(divide="ignore", invalid="ignore"):
        pa_i = np.where(two, counts.by_unit(r_ik * (r_ik - 1)) / (r_i * (r_i - 1)), 0.0)
    p_a = pa_i.sum() / n_2
    pi = counts.by_category(r_ik / entry_r_i) / n
    p_e = (pi * (1.0 - pi)).sum() / (q - 1)
    ac1 = (p_a - p_e) / (1.0 - p_e)
    if n < 2:
        return AC1Interval(float(ac1), math.nan, math.nan, math.nan, float(ci))

    coded_units = r_i >= 1
    r_i, two, pa_i = r_i[coded_units], two[coded_units], pa_i[coded_units]
    r_ik_pi = counts.by_unit(r_ik * pi[counts.category])[coded_units]  # sum_k r_ik pi_k
    pe_i = (r_i - r_ik_pi) / ((q - 1) * r_i)  # sum_k r_ik (1 - pi_k) / ((q - 1) r_i)
    ac1_i = (n / n_2) * (pa_i - p_e * two) / (1.0 - p_e)
    ac1_star = ac1_i - 2.0 * (1.0 - ac1) * (pe_i - p_e) / (1.0 - p_e)
    variance = ((ac1_star - ac1) ** 2).sum() / (n * (n - 1))
    standard_error = math.sqrt(variance)

    from scipy import stats  # slow to import; only this function needs it

    margin = stats.t.ppf(1.0 - (1.0 - ci) / 2.0, n - 1) * standard_error
    return AC1Interval(
        estimate=float(ac1),
        standard_error=standard_error,
        low=float(max(-1.0, ac1 - margin)),
        high=float(min(1.0, ac1 + margin)),
        ci=float(ci),
    )


# --- per-unit statistics (also what the bootstrap resamples) -----------------------------------------


def _prepare(matrix, label: str, categories) -> tuple[CodedMatrix, int | None]:
    values = as_matrix(matrix, label=label)
    if categories is None:
        return encode(values, label=label), None
    given = check_categories(categories, label=label)
    return encode(values, categories=given, label=label), given.size


def agreement_terms(coded: CodedMatrix, *, extra_cells=None, n_extra: int = 0) -> UnitStatistics:
    """Per unit: ``p_a|i [r_i >= 2]``, ``[r_i >= 2]``, ``[r_i >= 1]``, then ``r_ik / r_i`` for each k.

    ``extra_cells`` (unit, column, value) add ``n_extra`` more columns after those. The ``finish``
    of the result is a placeholder; each coefficient supplies its own.
    """
    r_i = coded.codes_per_unit().astype(float)
    counts = coded.counts()
    r_ik = counts.count
    two = r_i >= 2
    with np.errstate(divide="ignore", invalid="ignore"):
        pa_i = np.where(two, counts.by_unit(r_ik * (r_ik - 1)) / (r_i * (r_i - 1)), 0.0)
    head = np.column_stack([pa_i, two, r_i >= 1]).astype(float)
    cells = (counts.unit, counts.category, r_ik / r_i[counts.unit])
    if extra_cells is not None:
        cells = tuple(np.concatenate(pair) for pair in zip(cells, extra_cells, strict=True))
    return UnitStatistics(head, cells, coded.n_categories + n_extra, _undefined)


def _undefined(totals: np.ndarray) -> np.ndarray:
    return np.full(totals.shape[0], np.nan)


def _with_finish(terms: UnitStatistics, finish) -> UnitStatistics:
    return UnitStatistics(terms.dense, terms.cells, terms.n_cells, finish)


def split_terms(totals: np.ndarray, n_categories: int):
    """Totals of :func:`agreement_terms` -> ``p_a``, ``pi`` (per row), categories used (per row)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p_a = np.where(totals[:, 1] > 0, totals[:, 0] / totals[:, 1], np.nan)
        shares = totals[:, _N_TERMS : _N_TERMS + n_categories]
        pi = shares / totals[:, 2:3]
    return p_a, pi, count_categories_used(shares)


def _chance_corrected(p_a: np.ndarray, p_e: np.ndarray, defined: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (p_a - p_e) / (1.0 - p_e)
    return np.where(defined & ~np.isnan(p_a), value, np.nan)


def ac1_statistics(matrix, *, categories=None) -> UnitStatistics:
    coded, q_fixed = _prepare(matrix, AC1, categories)
    k = coded.n_categories

    def finish(totals: np.ndarray) -> np.ndarray:
        p_a, pi, used = split_terms(totals, k)
        q = np.full(used.shape, q_fixed) if q_fixed is not None else used
        with np.errstate(divide="ignore", invalid="ignore"):
            p_e = (pi * (1.0 - pi)).sum(axis=1) / (q - 1)
        return _chance_corrected(p_a, p_e, q >= 2)

    return _with_finish(agreement_terms(coded), finish)


def bp_statistics(matrix, *, categories=None) -> UnitStatistics:
    coded, q_fixed = _prepare(matrix, BP, categories)
    k = coded.n_categories

    def finish(totals: np.ndarray) -> np.ndarray:
        p_a, _, used = split_terms(totals, k)
        q = np.full(used.shape, q_fixed) if q_fixed is not None else used
        with np.errstate(divide="ignore", invalid="ignore"):
            p_e = 1.0 / q
        return _chance_corrected(p_a, p_e, q >= 2)

    return _with_finish(agreement_terms(coded), finish)


def fleiss_generalised_statistics(coded: CodedMatrix) -> UnitStatistics:
    """Fleiss' kappa with Gwet's generalisation to missing codes: ``p_e = sum_k pi_k^2``."""
    k = coded.n_categories

    def finish(totals: np.ndarray) -> np.ndarray:
        p_a, pi, used = split_terms(totals, k)
        p_e = (pi * pi).sum(axis=1)
        return _chance_corrected(p_a, p_e, used >= 2)

    return _with_finish(agreement_terms(coded), finish)


def conger_statistics(matrix) -> UnitStatistics:
    coded = _prepare(matrix, CONGER, None)[0]
    k, m = coded.n_categories, coded.n_coders
    units, coders = np.nonzero(coded.present)
    # one-hot of (coder g, category k) per unit: its totals are Gwet's classification matrix
    by_coder = (units, k + coders * k + coded.codes[units, coders], np.ones(units.size))
    terms = agreement_terms(coded, extra_cells=by_coder, n_extra=m * k)

    def finish(totals: np.ndarray) -> np.ndarray:
        p_a, _, used = split_terms(totals, k)
        classified = totals[:, _N_TERMS + k :].reshape(totals.shape[0], m, k)
        n_g = classified.sum(axis=2)
        active = n_g > 0
        r = active.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            p_gk = np.where(active[:, :, None], classified / n_g[:, :, None], 0.0)
            # pbar_k^2 - s2_k / r == ((sum_g p_gk)^2 - sum_g p_gk^2) / (r (r - 1))
            column = p_gk.sum(axis=1)
            p_e = ((column * column) - (p_gk * p_gk).sum(axis=1)).sum(axis=1) / (r * (r - 1))
        return _chance_corrected(p_a, p_e, (r >= 2) & (used >= 2))

    return _with_finish(terms, finish)
