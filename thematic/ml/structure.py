"""Machine suggestions that respect the codebook's structure (docs/codebook.md, "Structure").

:func:`apply_structure` takes a units x themes score matrix, each theme's threshold, and the
codebook's groups (:attr:`thematic.codebook.model.Codebook.groups`), and returns which themes each unit
gets:

- an independent theme: as its threshold (and ``assigned``, when given) says;
- an exclusive group: at most one theme, among those that clear their thresholds the one with the
  highest ``score - 0.75 * threshold`` (:data:`THRESHOLD_WEIGHT`); none when no theme clears its
  threshold (the abstain rule: the thresholds are where abstaining is decided, so choose them on the
  project's coded units where there are any);
- a ``required`` group: exactly one, the highest ``score - 0.75 * threshold`` even when none clears its
  threshold;
- a ``residual`` theme: only when no other theme of its group is assigned, and then only when it clears
  its own threshold (or the group is required and nothing else was chosen).

Which theme a group keeps: ``score - 0.75 * threshold`` lies between the highest score (weight 0) and the
widest margin over the threshold (weight 1). The widest margin favours themes whose thresholds sit low
(rare themes, themes the scorer gives low scores to); the highest score favours themes that score high
everywhere (frequent and generic themes). Measured on the train splits of NHS phase 1, Counsel Chat and
the demo corpus, for zero-shot scores and for learned probabilities alike, 0.75 never lost macro kappa
against the widest margin by more than 0.001 and gained up to 0.026; the highest score gained more on
the two single-label sets (zero-shot) but lost 0.066 on the demo corpus, where it hands a theme that
scores high everywhere the answers of another. On the test splits, scored once, the zero-shot gain held
(+0.002) and the learned one did not show (docs/performance.md, "Which theme an exclusive group keeps";
``benchmarks/quality/exclusive_pick.py``).

It is a pure function of arrays, so a learner or a zero-shot scorer can call it on its own scores.

>>> import numpy as np
>>> from thematic.codebook.model import ThemeGroup
>>> ids = ["a", "b", "other", "risk"]
>>> groups = [ThemeGroup("stance", ("a", "b", "other"), exclusive=True, residual=("other",)),
...           ThemeGroup(None, ("risk",))]
>>> scores = np.array([[0.9, 0.8, 0.7, 0.6],    # a and b clear: a ranks higher (0.525 against 0.425)
...                    [0.1, 0.2, 0.7, 0.1],    # only the residual clears
...                    [0.1, 0.2, 0.1, 0.9]])   # nothing in the stance: abstain; risk alone
>>> apply_structure(scores, np.full(4, 0.5), groups, ids).astype(int).tolist()
[[1, 0, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1]]

Thresholds of their own: a clears by 0.3, b by 0.35 (the widest margin), but a's score is so much
higher that it ranks first (0.9 - 0.45 = 0.45 against 0.7 - 0.2625 = 0.4375):

>>> apply_structure(np.array([[0.9, 0.7, 0.0, 0.0]]), np.array([0.6, 0.35, 0.5, 0.5]), groups,
...                 ids).astype(int).tolist()
[[1, 0, 0, 0]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["THRESHOLD_WEIGHT", "apply_structure", "group_rank"]

#: In an exclusive group the theme with the highest ``score - THRESHOLD_WEIGHT * threshold`` is kept
#: (0: the highest score; 1: the widest margin over the threshold). See the module docstring.
THRESHOLD_WEIGHT = 0.75


def group_rank(scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """The rank by which an exclusive group keeps a theme: ``score - THRESHOLD_WEIGHT * threshold``.

    >>> group_rank(np.array([[0.9, 0.7]]), np.array([0.6, 0.35])).round(4).tolist()
    [[0.45, 0.4375]]
    """
    scores = np.asarray(scores, dtype=float)
    thresholds = np.broadcast_to(np.asarray(thresholds, dtype=float), (scores.shape[1],))
    return scores - THRESHOLD_WEIGHT * thresholds[None, :]


def apply_structure(
    scores: np.ndarray,
    thresholds: np.ndarray,
    codebook_groups: Sequence,
    theme_ids: Sequence[str],
    *,
    assigned: np.ndarray | None = None,
    rank: np.ndarray | None = None,
) -> np.ndarray:
    """Units x themes booleans that follow the groups' rules (see the module docstring).

    ``scores``: units x themes, columns in ``theme_ids`` order; ``thresholds``: one per theme;
    ``codebook_groups``: :class:`thematic.codebook.model.ThemeGroup` objects (themes of a group that are
    not in ``theme_ids`` are ignored); ``assigned``: the per-theme decision before structure (default
    ``scores >= thresholds``), e.g. with a margin rule already applied; ``rank``: units x themes, which
    theme of an exclusive group to keep (the highest; default :func:`group_rank`).
    """
    scores = np.asarray(scores, dtype=float)
    thresholds = np.broadcast_to(np.asarray(thresholds, dtype=float), (scores.shape[1],))
    base = scores >= thresholds[None, :] if assigned is None else np.asarray(assigned, dtype=bool)
    out = base.copy()
    column = {t: i for i, t in enumerate(theme_ids)}
    order = group_rank(scores, thresholds) if rank is None else np.asarray(rank, dtype=float)
    n = scores.shape[0]
    for group in codebook_groups:
        cols = [column[t] for t in group.themes if t in column]
        residual = [column[t] for t in group.residual if t in column]
        main = [c for c in cols if c not in residual]
        if not cols:
            continue
        if group.exclusive:
            out[:, cols] = False
            chosen = np.full(n, -1)
            if main:
                sub = np.where(base[:, main], order[:, main], -np.inf)
                best = np.argmax(sub, axis=1)
                has = np.isfinite(sub[np.arange(n), best])
                chosen[has] = np.asarray(main)[best[has]]
            if residual:
                best_res = np.argmax(order[:, residual], axis=1)
                clears = base[np.arange(n)[:, None], np.asarray(residual)[None, :]].any(axis=1)
                take = (chosen < 0) & (clears | group.required)
                chosen[take] = np.asarray(residual)[best_res[take]]
            if group.required and main:
                forced = chosen < 0
                best_any = np.argmax(order[:, main], axis=1)
                chosen[forced] = np.asarray(main)[best_any[forced]]
            has = chosen >= 0
            out[np.nonzero(has)[0], chosen[has]] = True
        elif residual and main:
            others = base[:, main].any(axis=1)
            out[np.ix_(others, residual)] = False
    return out
