"""Machine suggestions that respect the codebook's structure (docs/codebook.md, "Structure").

:func:`apply_structure` takes a units x themes score matrix, each theme's threshold, and the
codebook's groups (:attr:`thematic.codebook.model.Codebook.groups`), and returns which themes each unit
gets:

- an independent theme: as its threshold (and ``assigned``, when given) says;
- an exclusive group: at most one theme, the one that clears its threshold by the widest margin
  (``score - threshold``); none when no theme clears its threshold (the abstain rule: the thresholds
  are where abstaining is decided, so choose them on the project's coded units where there are any);
- a ``required`` group: exactly one, the widest margin even when none clears its threshold;
- a ``residual`` theme: only when no other theme of its group is assigned, and then only when it clears
  its own threshold (or the group is required and nothing else was chosen).

It is a pure function of arrays, so a learner or a zero-shot scorer can call it on its own scores.

>>> import numpy as np
>>> from thematic.codebook.model import ThemeGroup
>>> ids = ["a", "b", "other", "risk"]
>>> groups = [ThemeGroup("stance", ("a", "b", "other"), exclusive=True, residual=("other",)),
...           ThemeGroup(None, ("risk",))]
>>> scores = np.array([[0.9, 0.8, 0.7, 0.6],    # a and b clear: a has the wider margin
...                    [0.1, 0.2, 0.7, 0.1],    # only the residual clears
...                    [0.1, 0.2, 0.1, 0.9]])   # nothing in the stance: abstain; risk alone
>>> apply_structure(scores, np.full(4, 0.5), groups, ids).astype(int).tolist()
[[1, 0, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["apply_structure"]


def apply_structure(
    scores: np.ndarray,
    thresholds: np.ndarray,
    codebook_groups: Sequence,
    theme_ids: Sequence[str],
    *,
    assigned: np.ndarray | None = None,
) -> np.ndarray:
    """Units x themes booleans that follow the groups' rules (see the module docstring).

    ``scores``: units x themes, columns in ``theme_ids`` order; ``thresholds``: one per theme;
    ``codebook_groups``: :class:`thematic.codebook.model.ThemeGroup` objects (themes of a group that are
    not in ``theme_ids`` are ignored); ``assigned``: the per-theme decision before structure (default
    ``scores >= thresholds``), e.g. with a margin rule already applied.
    """
    scores = np.asarray(scores, dtype=float)
    thresholds = np.broadcast_to(np.asarray(thresholds, dtype=float), (scores.shape[1],))
    base = scores >= thresholds[None, :] if assigned is None else np.asarray(assigned, dtype=bool)
    out = base.copy()
    column = {t: i for i, t in enumerate(theme_ids)}
    margin = scores - thresholds[None, :]
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
                sub = np.where(base[:, main], margin[:, main], -np.inf)
                best = np.argmax(sub, axis=1)
                has = np.isfinite(sub[np.arange(n), best])
                chosen[has] = np.asarray(main)[best[has]]
            if residual:
                res_margin = margin[:, residual]
                best_res = np.argmax(res_margin, axis=1)
                clears = base[np.arange(n)[:, None], np.asarray(residual)[None, :]].any(axis=1)
                take = (chosen < 0) & (clears | group.required)
                chosen[take] = np.asarray(residual)[best_res[take]]
            if group.required and main:
                forced = chosen < 0
                best_any = np.argmax(margin[:, main], axis=1)
                chosen[forced] = np.asarray(main)[best_any[forced]]
            has = chosen >= 0
            out[np.nonzero(has)[0], chosen[has]] = True
        elif residual and main:
            others = base[:, main].any(axis=1)
            out[np.ix_(others, residual)] = False
    return out
