"""Krippendorff's alpha: any number of coders, missing codes, four levels of measurement.

Follows Krippendorff, K. (2011), *Computing Krippendorff's Alpha-Reliability*, Annenberg School for
Communication, University of Pennsylvania (https://repository.upenn.edu/asc_papers/43), and keeps its
notation:

- ``m_u``: the number of values (codes) in unit ``u``; only units with ``m_u >= 2`` are pairable, and
  values in other units take no part.
- ``n_uc``: how many coders put unit ``u`` in category ``c``.
- ``o_ck``: the coincidence matrix, ``sum_u n_uc (n_uk - [c = k]) / (m_u - 1)``.
- ``n_c = sum_k o_ck`` and ``n = sum_c n_c``: the pairable values, by category and in all.
- ``delta2_ck``: the squared difference between categories ``c`` and ``k`` at the level of measurement.
- ``alpha = 1 - D_o / D_e = 1 - (n - 1) sum_ck o_ck delta2_ck / sum_ck n_c n_k delta2_ck``.

The coincidence matrix is built from ``n_uc`` in coordinate form (one entry per category present in a
unit; never a loop over units), so 100,000 units take a fraction of a second. Alpha is undefined
(``nan``) when fewer than two categories occur among the pairable values (``D_e = 0``) or when no
unit has two codes.
"""

from __future__ import annotations

import numpy as np

from thematic.errors import ThematicError

from ._matrix import (
    CodedMatrix,
    UnitStatistics,
    as_matrix,
    count_categories_used,
    encode,
    within_unit_pairs,
)

__all__ = ["LEVELS", "krippendorff_alpha"]

LABEL = "Krippendorff's alpha"
LEVELS = ("nominal", "ordinal", "interval", "ratio")

# Above this many categories the ordinal per-unit coincidences (categories squared per unit) get too
# large to keep for a vectorised bootstrap; alpha itself is still computed, and the bootstrap loops.
_ORDINAL_MAX_CATEGORIES = 64


def krippendorff_alpha(matrix, *, level: str = "nominal") -> float:
    """Krippendorff's alpha for a units x coders matrix, with missing codes allowed.

    Parameters
    ----------
    matrix : array-like of shape (n_units, n_coders)
        Category codes as numbers; ``nan`` where a coder did not code a unit.
    level : {"nominal", "ordinal", "interval", "ratio"}, default "nominal"
        The level of measurement, which sets the difference function ``delta2``:
        nominal ``[c != k]``; ordinal ``(sum_{g=c..k} n_g - (n_c + n_k) / 2)^2``; interval
        ``(c - k)^2``; ratio ``((c - k) / (c + k))^2`` (codes must be zero or more).

    Returns
    -------
    float
        ``alpha = 1 - (n - 1) sum_ck o_ck delta2_ck / sum_ck n_c n_k delta2_ck``, where ``o`` is the
        coincidence matrix of the pairable values and ``n_c`` its margins. 1 is perfect reliability,
        0 is what chance produces, and negative values mean systematic disagreement (the lower limit
        is above -1 and depends on the data). ``nan`` when undefined: fewer than two categories among
        the pairable values, or no unit coded by two coders.

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability.
    https://repository.upenn.edu/asc_papers/43 ; Hayes, A. F., & Krippendorff, K. (2007). Answering
    the call for a standard reliability measure for coding data. Communication Methods and Measures
    1(1), 77-89. doi:10.1080/19312450709336664

    Examples
    --------
    Krippendorff's (2011) example C: four coders, twelve units, missing codes (coders are rows there,
    so transpose to units x coders):

    >>> import numpy as np
    >>> nan = np.nan
    >>> coders = np.array([[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...                    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...                    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...                    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]])
    >>> round(krippendorff_alpha(coders.T), 3)
    0.743
    >>> round(krippendorff_alpha(coders.T, level="interval"), 3)
    0.849
    """
    statistics = alpha_statistics(matrix, level=level)
    if statistics is None:  # ordinal with many categories: computed directly
        return _ordinal_direct(_prepare(matrix, level))
    return statistics.value()


def alpha_statistics(matrix, *, level: str = "nominal") -> UnitStatistics | None:
    """Per-unit terms of alpha (for the bootstrap); ``None`` where they would be too large to keep."""
    coded = _prepare(matrix, level)
    m_u = coded.codes_per_unit()
    counts = coded.counts(units=m_u >= 2)  # n_uc over pairable units only
    n_units, n_categories = counts.n_units, counts.n_categories
    cells = (counts.unit, counts.category, counts.count)  # n_uc, whose totals are n_c

    if level == "nominal":
        # D_o needs only the diagonal of o: sum_ck o_ck [c != k] = n - sum_c o_cc.
        n_uc = counts.count
        o_cc = counts.by_unit(n_uc * (n_uc - 1) / (m_u[counts.unit] - 1))
        return UnitStatistics(o_cc.reshape(-1, 1), cells, n_categories, _finish_nominal)

    unit, c, k, n_uc, n_uk = within_unit_pairs(counts)
    o = n_uc * (n_uk - (c == k)) / (m_u[unit] - 1)  # this unit's share of o_ck

    if level in ("interval", "ratio"):
        x = coded.categories
        d2 = _interval_delta2(x[c], x[k]) if level == "interval" else _ratio_delta2(x[c], x[k])
        observed = np.bincount(unit, weights=o * d2, minlength=n_units)
        finish = _finish_interval if level == "interval" else _finish_ratio
        return UnitStatistics(observed.reshape(-1, 1), cells, n_categories, lambda totals: finish(totals, x))

    # ordinal: delta2 depends on the margins n_c, so each resample needs the whole o
    if n_categories > _ORDINAL_MAX_CATEGORIES:
        return None
    keep = o != 0
    return UnitStatistics(
        np.zeros((n_units, 0)),
        (unit[keep], c[keep] * n_categories + k[keep], o[keep]),
        n_categories * n_categories,
        lambda totals: _finish_ordinal(totals, n_categories),
    )


def _prepare(matrix, level: str) -> CodedMatrix:
    if level not in LEVELS:
        raise ThematicError(
            f"{LABEL}: unknown level of measurement {level!r} (choose nominal, ordinal, interval or ratio)"
        )
    values = as_matrix(matrix, label=LABEL)
    if level == "ratio" and (values < 0).any():
        lowest = values[values < 0].min()
        raise ThematicError(
            f"{LABEL} at the ratio level needs codes of zero or more, but the matrix holds {lowest:g} "
            "(use the interval level for codes below zero)"
        )
    return encode(values, label=LABEL)


def _alpha(n: np.ndarray, observed: np.ndarray, expected: np.ndarray, used: np.ndarray) -> np.ndarray:
    """``1 - (n - 1) D_o / D_e`` per row; nan where fewer than two categories are used."""
    defined = (used >= 2) & (expected > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1.0 - (n - 1.0) * observed / expected
    return np.where(defined, alpha, np.nan)


def _finish_nominal(totals: np.ndarray) -> np.ndarray:
    o_cc, n_c = totals[:, 0], totals[:, 1:]
    n = n_c.sum(axis=1)
    observed = n - o_cc  # sum_ck o_ck [c != k]
    expected = n * n - (n_c * n_c).sum(axis=1)  # sum_ck n_c n_k [c != k]
    return _alpha(n, observed, expected, count_categories_used(n_c))


def _interval_delta2(x_c: np.ndarray, x_k: np.ndarray) -> np.ndarray:
    return (x_c - x_k) ** 2


def _ratio_delta2(x_c: np.ndarray, x_k: np.ndarray) -> np.ndarray:
    total = x_c + x_k
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(total == 0, 0.0, (x_c - x_k) / total)  # codes are >= 0: total 0 only when both 0
    return d * d


def _spread(n_c: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``sum_ck n_c n_k (x_c - x_k)^2``, as ``2 n sum_c n_c (x_c - mean)^2`` (no K x K matrix)."""
    n = n_c.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, (n_c * x).sum(axis=1) / n, 0.0)
    centred = x - mean[:, None]  # x is (K,) or (B, K)
    return 2.0 * n * (n_c * centred * centred).sum(axis=1)


def _finish_interval(totals: np.ndarray, x: np.ndarray) -> np.ndarray:
    observed, n_c = totals[:, 0], totals[:, 1:]
    return _alpha(n_c.sum(axis=1), observed, _spread(n_c, x), count_categories_used(n_c))


def _finish_ratio(totals: np.ndarray, x: np.ndarray) -> np.ndarray:
    observed, n_c = totals[:, 0], totals[:, 1:]
    expected = np.zeros(n_c.shape[0])
    step = max(1, (1 << 20) // max(x.size, 1))  # rows of the delta2 matrix per block
    for start in range(0, x.size, step):
        block = slice(start, start + step)
        d2 = _ratio_delta2(x[block, None], x[None, :])  # (block, K)
        expected += (n_c[:, block] * (n_c @ d2.T)).sum(axis=1)
    return _alpha(n_c.sum(axis=1), observed, expected, count_categories_used(n_c))


def _ordinal_ranks(n_c: np.ndarray) -> np.ndarray:
    """``r_c = sum_{g<c} n_g + n_c / 2``: then ordinal delta2_ck = (r_c - r_k)^2."""
    return np.cumsum(n_c, axis=-1) - n_c / 2.0


def _finish_ordinal(totals: np.ndarray, n_categories: int) -> np.ndarray:
    o = totals.reshape(totals.shape[0], n_categories, n_categories)
    n_c = o.sum(axis=2)
    r = _ordinal_ranks(n_c)
    difference = r[:, :, None] - r[:, None, :]
    observed = (o * difference * difference).sum(axis=(1, 2))
    return _alpha(n_c.sum(axis=1), observed, _spread(n_c, r), count_categories_used(n_c))


def _ordinal_direct(coded: CodedMatrix) -> float:
    """Ordinal alpha from the coincidences in coordinate form, for many categories."""
    m_u = coded.codes_per_unit()
    counts = coded.counts(units=m_u >= 2)
    unit, c, k, n_uc, n_uk = within_unit_pairs(counts)
    o = n_uc * (n_uk - (c == k)) / (m_u[unit] - 1)
    n_c = counts.by_category(counts.count).reshape(1, -1)
    r = _ordinal_ranks(n_c)[0]
    observed = np.array([(o * (r[c] - r[k]) ** 2).sum()])
    return float(_alpha(n_c.sum(axis=1), observed, _spread(n_c, r[None, :]), count_categories_used(n_c))[0])
