"""Agreement on sets of themes: Krippendorff's alpha with the MASI distance (Passonneau 2006).

When a unit may take any number of themes, what each coder gives a unit is a set, and the question
"how far apart are two codings" has an answer between 0 (same set) and 1 (disjoint sets). MASI
(Measuring Agreement on Set-valued Items) is ``1 - J * M``: ``J`` is the Jaccard index of the two
sets, ``M`` is 1 when they are equal, 2/3 when one contains the other, 1/3 when they only overlap,
0 when they are disjoint (as NLTK computes it, so that :func:`masi_alpha` equals
``nltk.metrics.agreement.AnnotationTask(distance=masi_distance).alpha()``). Two empty sets ("no
theme" from both) are at distance 0; NLTK divides by zero there.

Krippendorff's alpha is ``1 - D_o / D_e`` with ``D_o = (1/n) sum_u sum_{v,w} n_uv n_uw d(v, w) / (m_u - 1)``
over units with ``m_u >= 2`` codings, and ``D_e = sum_{v,w} n_v n_w d(v, w) / (n (n - 1))``: one real
coefficient over the whole coding, with missing codings allowed, unlike a mean of per-theme figures.

>>> rows = [(frozenset({"a"}), frozenset({"a"})), (frozenset({"a", "b"}), frozenset({"a"})),
...         (frozenset(), frozenset()), (frozenset({"b"}), frozenset({"b"}))]
>>> round(masi_alpha(rows), 4)
0.7812

References
----------
Passonneau, R. (2006). Measuring agreement on set-valued items (MASI) for semantic and pragmatic
annotation. Proceedings of LREC 2006. Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._matrix import UnitStatistics

MASI_LABEL = "Krippendorff's alpha (MASI, theme sets)"
EXACT_LABEL = "exact match of theme sets"

__all__ = ["masi_alpha", "masi_alpha_statistics", "masi_distance"]


def masi_distance(a: frozenset, b: frozenset) -> float:
    """MASI distance between two sets of themes (0: the same set; 1: disjoint).

    >>> masi_distance(frozenset("ab"), frozenset("a")), masi_distance(frozenset(), frozenset())
    (0.6666666666666667, 0.0)
    """
    if a == b:
        return 0.0
    inter, union = len(a & b), len(a | b)
    if inter == min(len(a), len(b)):
        m = 2 / 3
    elif inter > 0:
        m = 1 / 3
    else:
        m = 0.0
    return 1.0 - inter / union * m


def masi_alpha_statistics(rows: Sequence[Sequence[frozenset | None]]) -> UnitStatistics:
    """Per-unit terms of MASI alpha (what the bootstrap resamples): one row per unit, one entry per
    coder, None where the coder did not code the unit."""
    values: dict[frozenset, int] = {}
    for row in rows:
        for s in row:
            if s is not None:
                values.setdefault(frozenset(s), len(values))
    k = len(values)
    distance = np.zeros((k, k))
    ordered = list(values)
    for i, a in enumerate(ordered):
        for j, b in enumerate(ordered):
            distance[i, j] = masi_distance(a, b)
    n_units = len(rows)
    dense = np.zeros((n_units, 2))  # observed disagreement term, pairable codings
    unit, column, count = [], [], []
    for u, row in enumerate(rows):
        coded = [values[frozenset(s)] for s in row if s is not None]
        m = len(coded)
        if m < 2:
            continue
        n_uv = np.bincount(coded, minlength=k).astype(float)
        present = np.nonzero(n_uv)[0]
        sub = n_uv[present]
        dense[u] = (sub @ distance[np.ix_(present, present)] @ sub / (m - 1), m)
        unit += [u] * present.size
        column += present.tolist()
        count += sub.tolist()

    def finish(totals: np.ndarray) -> np.ndarray:
        observed, n, n_v = totals[:, 0], totals[:, 1], totals[:, 2:]
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = np.einsum("bi,ij,bj->b", n_v, distance, n_v) / (n * (n - 1))
            alpha = 1.0 - (observed / n) / expected
        return np.where((n >= 2) & (expected > 0), alpha, np.nan)

    return UnitStatistics(
        dense=dense,
        cells=(np.asarray(unit, dtype=int), np.asarray(column, dtype=int), np.asarray(count, dtype=float)),
        n_cells=k,
        finish=finish,
    )


def masi_alpha(rows: Sequence[Sequence[frozenset | None]]) -> float:
    """Krippendorff's alpha with the MASI distance on each unit's sets of themes (``nan`` when every
    coding is the same set, or fewer than two units have two codings)."""
    return masi_alpha_statistics(rows).value()
