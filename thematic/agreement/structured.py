"""Machine against one coder, in the shape of the codebook: the headline of ``thematic evaluate``.

:func:`structured_figures` takes the coder's and the machine's codings of the same units as units x
themes booleans and returns:

- for each exclusive group, the group as one nominal variable (the coder's category against the
  machine's): percent agreement, Cohen's kappa, Krippendorff's alpha, Gwet's AC1 over the group's
  categories, each with a percentile bootstrap interval. The machine's category is "several" where it
  gave a unit two or more themes of the group (always a disagreement: the codebook allows one); a coder
  coding that breaks the group's rule leaves the unit out for that group (counted);
- for the independent themes, the macro kappa: the mean of per-theme Cohen's kappa over the themes
  the coder gave to at least ``min_positives`` units, with the number of themes it covers and the
  themes left out; and Krippendorff's alpha with the MASI distance on the units' sets of independent
  themes, with an interval;
- the exact-match rate of the whole coding (every theme the same), with an interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from .bootstrap import bootstrap_ci
from .coefficients import cohen_kappa, percent_agreement
from .gwet import gwet_ac1
from .krippendorff import krippendorff_alpha
from .sets import masi_alpha

__all__ = ["GroupFigures", "StructuredFigures", "structured_figures"]

MIN_POSITIVES = 10
SEVERAL = "several"


def _r(value: float) -> float | None:
    return None if value != value else round(float(value), 4)


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    def to_dict(self) -> dict:
        return {k: _r(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class GroupFigures:
    group: str
    label: str
    categories: tuple[str, ...]
    units: int
    coder_invalid: int
    machine_several: int
    percent_agreement: Interval
    kappa: Interval
    alpha: Interval
    ac1: Interval

    def to_dict(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if not isinstance(getattr(self, k), Interval)}
        out["categories"] = list(self.categories)
        for name in ("percent_agreement", "kappa", "alpha", "ac1"):
            out[name] = getattr(self, name).to_dict()
        return out


@dataclass(frozen=True)
class StructuredFigures:
    groups: tuple[GroupFigures, ...]
    independent: tuple[str, ...]
    macro_kappa: float
    covered: tuple[str, ...]
    rare: tuple[tuple[str, int], ...]
    masi_alpha: Interval | None
    exact_match: Interval
    min_positives: int = MIN_POSITIVES
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        return {
            "groups": [g.to_dict() for g in self.groups],
            "independent": {
                "themes": list(self.independent),
                "macro_kappa": _r(self.macro_kappa),
                "covered": list(self.covered),
                "rare": [{"theme": t, "positives": n} for t, n in self.rare],
                "min_positives": self.min_positives,
                "masi_alpha": None if self.masi_alpha is None else self.masi_alpha.to_dict(),
            },
            "exact_match": self.exact_match.to_dict(),
        }


def _interval(func, matrix, *, n_boot: int, seed: int) -> Interval:
    result = bootstrap_ci(func, matrix, n_boot=n_boot, seed=seed)
    return Interval(result.estimate, result.low, result.high)


def _codes(rows: np.ndarray, group, *, machine: bool) -> tuple[np.ndarray, int]:
    """Each unit's category index in the group (its themes, then "none" unless required, then
    "several"), nan where a coder's coding breaks the rule; and how many broke it."""
    k = len(group.themes)
    none = None if group.required else k
    several = k if group.required else k + 1
    out = np.full(rows.shape[0], np.nan)
    broken = 0
    for u, row in enumerate(rows):
        chosen = np.flatnonzero(row)
        if len(chosen) == 1:
            out[u] = chosen[0]
        elif len(chosen) == 0 and none is not None:
            out[u] = none
        elif machine:
            out[u] = several  # two or more (or none of a required group): never what the coder gave
            broken += 1
        else:
            broken += 1
    return out, broken


def structured_figures(
    codebook,
    theme_ids: Sequence[str],
    human: np.ndarray,
    machine: np.ndarray,
    known: np.ndarray | None = None,
    *,
    min_positives: int = MIN_POSITIVES,
    n_boot: int = 1000,
    seed: int = 0,
    theme_kappas: dict[str, float] | None = None,
) -> StructuredFigures:
    """The figures of the module docstring. ``human``, ``machine``, ``known``: units x themes (columns in
    ``theme_ids`` order; ``known`` false where the coder's decision predates the theme). ``theme_kappas``:
    per-theme kappas already computed (else computed here)."""
    import functools

    human = np.asarray(human, dtype=bool)
    machine = np.asarray(machine, dtype=bool)
    known = np.ones_like(human) if known is None else np.asarray(known, dtype=bool)
    column = {t: i for i, t in enumerate(theme_ids)}
    groups = []
    for g in codebook.groups:
        if not g.exclusive:
            continue
        cols = [column[t] for t in g.themes if t in column]
        rows = known[:, cols].all(axis=1)
        h, invalid = _codes(human[rows][:, cols], g, machine=False)
        m, several = _codes(machine[rows][:, cols], g, machine=True)
        keep = ~np.isnan(h)
        matrix = np.column_stack([h[keep], m[keep]])
        names = (*g.themes, *(() if g.required else ("none",)))
        categories = names + ((SEVERAL,) if several else ())
        ac1 = functools.partial(gwet_ac1, categories=tuple(float(i) for i in range(len(categories))))
        groups.append(
            GroupFigures(
                group=g.id,
                label=g.label,
                categories=categories,
                units=int(keep.sum()),
                coder_invalid=invalid,
                machine_several=several,
                percent_agreement=_interval(percent_agreement, matrix, n_boot=n_boot, seed=seed),
                kappa=_interval(cohen_kappa, matrix, n_boot=n_boot, seed=seed),
                alpha=_interval(krippendorff_alpha, matrix, n_boot=n_boot, seed=seed),
                ac1=_interval(ac1, matrix, n_boot=n_boot, seed=seed),
            )
        )
    independent = [t for t in theme_ids if not codebook.group_of(t).exclusive]
    positives = {t: int(human[known[:, column[t]], column[t]].sum()) for t in independent}
    covered = [t for t in independent if positives[t] >= min_positives]
    rare = tuple((t, positives[t]) for t in independent if positives[t] < min_positives)
    kappas = dict(theme_kappas or {})
    for t in covered:
        if t not in kappas:
            c = column[t]
            k = known[:, c]
            kappas[t] = cohen_kappa(np.column_stack([human[k, c], machine[k, c]]).astype(float))
    values = [kappas[t] for t in covered if not math.isnan(kappas[t])]
    macro = float(np.mean(values)) if values else math.nan
    masi = None
    if independent:
        cols = [column[t] for t in independent]
        rows = known[:, cols].all(axis=1)
        ids = np.array(independent)
        sets = [
            (frozenset(ids[h_row]), frozenset(ids[m_row]))
            for h_row, m_row in zip(human[rows][:, cols], machine[rows][:, cols], strict=True)
        ]
        index = np.arange(len(sets), dtype=float).reshape(-1, 1)

        def masi_of(rows_index) -> float:
            return masi_alpha([sets[int(i)] for i in np.asarray(rows_index)[:, 0]])

        masi = _interval(masi_of, index, n_boot=min(n_boot, 200), seed=seed)
    all_known = known.all(axis=1)
    same = (human[all_known] == machine[all_known]).all(axis=1).astype(float).reshape(-1, 1)

    def share(matrix) -> float:
        return float(np.asarray(matrix).mean()) if len(matrix) else math.nan

    exact = _interval(share, same, n_boot=n_boot, seed=seed)
    return StructuredFigures(
        groups=tuple(groups),
        independent=tuple(independent),
        macro_kappa=macro,
        covered=tuple(covered),
        rare=rare,
        masi_alpha=masi,
        exact_match=exact,
        min_positives=min_positives,
    )
