"""Agreement between coders on a project's decisions: one row per theme, and an overall row.

:func:`agreement_table` reads each chosen coder's current codings (``thematic.store.decisions``), keeps
the units that at least two of them coded, and builds one units x coders matrix per theme: 1 where the
coder applied the theme, 0 where they coded the unit without it, ``nan`` where they did not code the
unit. Each matrix goes to the pure coefficient functions of :mod:`thematic.agreement`, unchanged:

- percent agreement;
- Cohen's kappa with exactly two coders; Fleiss' kappa with three or more when every counted unit was
  coded by all of them (otherwise it is not applicable, and the table says why);
- Krippendorff's alpha (nominal);
- Gwet's AC1, with both categories (0, 1) given, so a theme nobody applied still has two.

Each comes with a percentile bootstrap interval (units resampled, seed fixed and reported). Every
theme and coefficient is computed on the same resamples, drawn exactly as
:func:`thematic.agreement.bootstrap_ci` draws them for the same seed and number of units, so a theme's
interval is the one ``bootstrap_ci`` gives on that theme's matrix, and the overall row's interval is
the interval of the mean over themes.

The overall row holds each coefficient's mean over the themes where it is defined on the data (a
resample where one of those themes is undefined counts as undefined for the mean), and the
exact-match rate: the share of counted units where every coder who coded the unit chose the same set
of themes.

``level="response"`` rolls units up to responses (:data:`RESPONSE_RULE`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from thematic.errors import ThematicError
from thematic.store.project import Project

from .bands import krippendorff_band, landis_koch_band, prevalence, prevalence_is_extreme
from .bootstrap import _counts, _resamples
from .coefficients import COEFFICIENTS

__all__ = [
    "AgreementTable",
    "Estimate",
    "LEVELS",
    "OverallRow",
    "RESPONSE_RULE",
    "ThemeRow",
    "UNIT_RULE",
    "agreement_table",
    "choose_coders",
    "coding_matrices",
]

LEVELS = ("unit", "response")
UNIT_RULE = "a unit counts when at least two of the coders coded it"
RESPONSE_RULE = (
    "a response counts for a coder when they coded at least one of its units, and has a theme for them "
    "when they applied it to at least one of its units; a response counts when at least two of the "
    "coders coded it"
)
KAPPA_MISLEADING = "kappa is misleading here; see AC1"
EXACT_MATCH = "exact_match"
_AC1_CATEGORIES = (0.0, 1.0)
_LABELS = {
    "percent_agreement": "percent agreement",
    "cohen_kappa": "Cohen's kappa",
    "fleiss_kappa": "Fleiss' kappa",
    "krippendorff_alpha": "Krippendorff's alpha",
    "gwet_ac1": "Gwet's AC1",
    EXACT_MATCH: "exact match of theme sets",
}


@dataclass(frozen=True)
class Estimate:
    """One coefficient with its bootstrap interval.

    ``estimate``, ``low`` and ``high`` are ``nan`` when the coefficient is undefined on the data or
    not applicable (``not_applicable`` then says why). ``band`` is Krippendorff's reading for alpha,
    Landis and Koch's for kappa and AC1, None for percent agreement and exact match.
    """

    coefficient: str
    label: str
    estimate: float
    low: float
    high: float
    n_undefined: int
    band: str | None
    not_applicable: str | None = None

    def to_dict(self) -> dict:
        return {k: _json_number(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class ThemeRow:
    """Agreement on one theme's presence. ``prevalence`` is the share of the codes (in counted units)
    that apply the theme; ``kappa_misleading`` is true when it is extreme (see
    :func:`thematic.agreement.prevalence_is_extreme`)."""

    theme: str
    name: str
    n_units: int
    prevalence: float
    kappa_misleading: bool
    estimates: tuple[Estimate, ...]

    def get(self, coefficient: str) -> Estimate:
        for estimate in self.estimates:
            if estimate.coefficient == coefficient:
                return estimate
        raise KeyError(coefficient)

    def to_dict(self) -> dict:
        return {
            "theme": self.theme,
            "name": self.name,
            "n_units": self.n_units,
            "prevalence": _json_number(self.prevalence),
            "kappa_misleading": self.kappa_misleading,
            "estimates": [e.to_dict() for e in self.estimates],
        }


@dataclass(frozen=True)
class OverallRow:
    """Each coefficient's mean over the themes where it is defined (``n_themes`` of them per
    coefficient), and the exact-match rate of theme sets."""

    n_units: int
    n_themes: dict[str, int]
    estimates: tuple[Estimate, ...]

    def get(self, coefficient: str) -> Estimate:
        for estimate in self.estimates:
            if estimate.coefficient == coefficient:
                return estimate
        raise KeyError(coefficient)

    def to_dict(self) -> dict:
        return {
            "n_units": self.n_units,
            "n_themes": dict(self.n_themes),
            "estimates": [e.to_dict() for e in self.estimates],
        }


@dataclass(frozen=True)
class AgreementTable:
    """What `thematic agree` shows, and what a report cites.

    ``n_units`` units (or responses, at ``level="response"``) were coded by at least two of
    ``coders`` and are counted; ``n_coded`` were coded by at least one; ``coded_by`` says how many
    each coder coded. ``overall`` is None when one theme was asked for. ``unknown_themes`` are theme
    ids found in the codings but not in the current codebook; they are left out.
    """

    coders: tuple[str, ...]
    level: str
    rule: str
    n_units: int
    n_coded: int
    coded_by: dict[str, int]
    kappa: str
    rows: tuple[ThemeRow, ...]
    overall: OverallRow | None
    ci: float
    n_boot: int
    seed: int
    codebook_version: int
    unknown_themes: tuple[str, ...] = field(default=())

    @property
    def coefficients(self) -> tuple[str, ...]:
        """The coefficients of every theme row, in the order shown."""
        return ("percent_agreement", self.kappa, "krippendorff_alpha", "gwet_ac1")

    def to_dict(self) -> dict:
        return {
            "coders": list(self.coders),
            "level": self.level,
            "rule": self.rule,
            "n_units": self.n_units,
            "n_coded": self.n_coded,
            "coded_by": dict(self.coded_by),
            "kappa": self.kappa,
            "ci": self.ci,
            "n_boot": self.n_boot,
            "seed": self.seed,
            "codebook_version": self.codebook_version,
            "unknown_themes": list(self.unknown_themes),
            "themes": [row.to_dict() for row in self.rows],
            "overall": None if self.overall is None else self.overall.to_dict(),
        }

    def to_rows(self) -> list[dict]:
        """Long form, one dict per theme (or overall) and coefficient: what ``--format csv`` writes."""
        rows = []
        for row in self.rows:
            for e in row.estimates:
                rows.append(
                    {
                        "row": "theme",
                        "theme": row.theme,
                        "theme_name": row.name,
                        "n_units": row.n_units,
                        "prevalence": row.prevalence,
                        "kappa_misleading": row.kappa_misleading,
                        **_long(e, self.ci),
                    }
                )
        if self.overall is not None:
            for e in self.overall.estimates:
                rows.append(
                    {
                        "row": "overall",
                        "theme": "",
                        "theme_name": "",
                        "n_units": self.overall.n_units,
                        "prevalence": math.nan,
                        "kappa_misleading": False,
                        **_long(e, self.ci),
                    }
                )
        return rows


def _long(e: Estimate, ci: float) -> dict:
    return {
        "coefficient": e.coefficient,
        "label": e.label,
        "estimate": e.estimate,
        "ci_low": e.low,
        "ci_high": e.high,
        "ci": ci,
        "n_undefined": e.n_undefined,
        "band": e.band or "",
        "not_applicable": e.not_applicable or "",
    }


def _json_number(value):
    return None if isinstance(value, float) and math.isnan(value) else value


# -- choosing coders and building matrices ------------------------------------------------------------


def choose_coders(
    project: Project, coders: Sequence[str] | None, *, minimum: int = 2, codings: dict | None = None
) -> list[str]:
    """The coders to compare: those named (checked), or every human coder with a current coding.

    ``machine`` is the latest suggest run; ``consensus`` counts only when named. ``codings``, if
    given, is filled with the current codings read on the way (coder -> unit id -> themes).
    """
    from thematic.review.decisions import CONSENSUS, MACHINE
    from thematic.store import decisions as store

    cache = {} if codings is None else codings

    def coded(coder: str) -> dict[str, frozenset[str]]:
        if coder not in cache:
            cache[coder] = store.current_codings(project, coder)
        return cache[coder]

    def with_codings() -> list[str]:
        return [c for c in store.coders(project) if c not in (MACHINE, CONSENSUS) and coded(c)]

    if coders is None:
        humans = with_codings()
        if len(humans) < minimum:
            have = "nobody has coded any unit yet" if not humans else f"only {humans[0]} has coded units"
            raise ThematicError(
                f"agreement needs at least two coders, and {have} "
                "(have a second coder code the same units, or name them with --coders a,b)"
            )
        return humans
    chosen = [c.strip() for c in coders]
    if any(not c for c in chosen):
        raise ThematicError("--coders has an empty name (separate names with commas, e.g. --coders ana,ben)")
    repeated = sorted({c for c in chosen if chosen.count(c) > 1})
    if repeated:
        raise ThematicError(f"coder '{repeated[0]}' is named twice in --coders (name each coder once)")
    if len(chosen) < minimum:
        raise ThematicError(f"--coders needs at least two coders (e.g. --coders ana,ben); got {len(chosen)}")
    from thematic.store.ml import latest_suggest_run

    everyone = store.coders(project)
    has_run = latest_suggest_run(project) is not None
    for coder in chosen:
        if coder == MACHINE:
            if not has_run:
                raise ThematicError("coder 'machine' has no codings (run `thematic suggest` first)")
            continue
        if not coded(coder):
            listed = with_codings() + ([MACHINE] if has_run else [])
            known = ", ".join(listed) if listed else "none yet"
            what = (
                "has only skipped, flagged or undone decisions" if coder in everyone else "has coded nothing"
            )
            raise ThematicError(f"coder '{coder}' {what} in this project (coders with codings: {known})")
    return chosen


@dataclass(frozen=True)
class CodingMatrices:
    """The counted units (or responses) and, per theme, the units x coders 0/1 matrix (``nan``:
    the coder did not code it)."""

    keys: tuple
    coders: tuple[str, ...]
    sets: tuple[tuple[frozenset[str] | None, ...], ...]
    matrices: dict[str, np.ndarray]
    n_coded: int
    coded_by: dict[str, int]
    unknown_themes: tuple[str, ...]


def coding_matrices(
    project: Project,
    coders: Sequence[str],
    theme_ids: Sequence[str],
    *,
    level: str = "unit",
    known: Sequence[str] | None = None,
    codings: dict | None = None,
) -> CodingMatrices:
    """Read the coders' current codings and build one matrix per theme (see the module docstring).

    ``unknown_themes`` lists the theme ids in the codings that are not in ``known`` (default:
    ``theme_ids``). ``codings``: current codings already read (coder -> unit id -> themes)."""
    from thematic.store import decisions as store

    if level not in LEVELS:
        raise ThematicError(f"unknown level '{level}' (choose unit or response)")
    read = codings or {}
    codings = {c: read[c] if c in read else store.current_codings(project, c) for c in coders}
    if level == "response":
        codings = _by_response(project, codings)
    coded_any = set().union(*(set(c) for c in codings.values()))
    order = _key_order(project, level)
    keys = sorted(
        (k for k in coded_any if sum(k in codings[c] for c in coders) >= 2),
        key=lambda k: (order.get(k, math.inf), str(k)),
    )
    sets = tuple(tuple(codings[c].get(k) for c in coders) for k in keys)
    known = set(theme_ids if known is None else known)
    unknown = sorted({t for per in codings.values() for themes in per.values() for t in themes} - known)
    matrices = {}
    for theme in theme_ids:
        matrix = np.full((len(keys), len(coders)), np.nan)
        for u, row in enumerate(sets):
            for i, themes in enumerate(row):
                if themes is not None:
                    matrix[u, i] = 1.0 if theme in themes else 0.0
        matrices[theme] = matrix
    return CodingMatrices(
        keys=tuple(keys),
        coders=tuple(coders),
        sets=sets,
        matrices=matrices,
        n_coded=len(coded_any),
        coded_by={c: len(codings[c]) for c in coders},
        unknown_themes=tuple(unknown),
    )


def _by_response(project: Project, codings: dict[str, dict[str, frozenset[str]]]) -> dict[str, dict]:
    from thematic.store.corpus import list_units

    response_of = {u.id: u.response_id for u in list_units(project)}
    rolled: dict[str, dict] = {}
    for coder, per_unit in codings.items():
        per_response: dict[int, set[str]] = {}
        for unit_id, themes in per_unit.items():
            if unit_id in response_of:
                per_response.setdefault(response_of[unit_id], set()).update(themes)
        rolled[coder] = {r: frozenset(t) for r, t in per_response.items()}
    return rolled


def _key_order(project: Project, level: str) -> dict:
    from thematic.store.corpus import list_units

    order: dict = {}
    for position, unit in enumerate(list_units(project)):
        order.setdefault(unit.id if level == "unit" else unit.response_id, position)
    return order


# -- the table -------------------------------------------------------------------------------------


def agreement_table(
    project: Project,
    *,
    coders: list[str] | None = None,
    level: str = "unit",
    theme: str | None = None,
    ci: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
) -> AgreementTable:
    """Agreement per theme and overall, from the coders' current codings in ``project``.

    ``coders``: two or more (``machine`` is the latest suggest run); default every human coder with
    a coding. ``level``: ``"unit"`` or ``"response"``. ``theme``: one theme (id or name) instead of
    all. ``ci``, ``n_boot``, ``seed``: the bootstrap interval. Raises ThematicError when fewer than
    two coders are given, or no unit was coded by two of them.
    """
    from thematic.store.codebooks import require_current

    if level not in LEVELS:
        raise ThematicError(f"unknown level '{level}' (choose unit or response)")
    if isinstance(ci, bool) or not isinstance(ci, int | float) or not 0 < ci < 1:
        raise ThematicError(f"--ci must be between 0 and 1, e.g. 0.95 (got {ci})")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 1:
        raise ThematicError(f"--n-boot must be a whole number of at least 1, e.g. 1000 (got {n_boot})")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ThematicError(f"--seed must be a whole number of 0 or more (got {seed})")
    version = require_current(project)
    themes = list(version.codebook.themes)
    if theme is not None:
        from thematic.review.session import resolve_themes

        wanted = resolve_themes(version, [theme])[0]
        themes = [t for t in themes if t.id == wanted]
    read: dict = {}
    chosen = choose_coders(project, coders, codings=read)
    data = coding_matrices(
        project, chosen, [t.id for t in themes], level=level, known=version.codebook.ids(), codings=read
    )
    n = len(data.keys)
    if n == 0:
        what = "unit" if level == "unit" else "response"
        raise ThematicError(
            f"no {what} was coded by at least two of {_names(chosen)} "
            "(agreement needs units that two coders coded; `thematic status` shows who coded how many)"
        )

    complete = all(all(s is not None for s in row) for row in data.sets)
    kappa = "cohen_kappa" if len(chosen) == 2 else "fleiss_kappa"
    kappa_na = None
    if kappa == "fleiss_kappa" and not complete:
        kappa_na = (
            "n/a: Fleiss' kappa needs every coder to code every counted unit "
            "(see Krippendorff's alpha and AC1, which allow missing codes)"
        )
    names = ["percent_agreement", kappa, "krippendorff_alpha", "gwet_ac1"]

    statistics = {}
    for t in themes:
        matrix = data.matrices[t.id]
        for name in names:
            if name == kappa and kappa_na:
                continue
            options = {"categories": _AC1_CATEGORIES} if name == "gwet_ac1" else {}
            statistics[t.id, name] = COEFFICIENTS[name].statistics(matrix, **options)
    exact = np.array([len({s for s in row if s is not None}) == 1 for row in data.sets], dtype=float)

    estimates = {key: s.value() for key, s in statistics.items()}
    resampled, resampled_exact = _bootstrap(statistics, exact, seed=seed, n_boot=n_boot)

    theme_rows = []
    for t in themes:
        matrix = data.matrices[t.id]
        row_estimates = []
        for name in names:
            if (t.id, name) not in statistics:
                row_estimates.append(_na(name, kappa_na))
                continue
            row_estimates.append(_estimate(name, estimates[t.id, name], resampled[t.id, name], ci))
        theme_rows.append(
            ThemeRow(
                theme=t.id,
                name=t.name,
                n_units=n,
                prevalence=prevalence(matrix).get(1.0, 0.0),
                kappa_misleading=prevalence_is_extreme(matrix),
                estimates=tuple(row_estimates),
            )
        )

    overall = None
    if theme is None:
        overall_estimates = []
        n_themes = {}
        for name in names:
            defined = [
                t.id for t in themes if (t.id, name) in statistics and not math.isnan(estimates[t.id, name])
            ]
            n_themes[name] = len(defined)
            if name == kappa and kappa_na:
                overall_estimates.append(_na(name, kappa_na))
                continue
            if not defined:
                overall_estimates.append(_estimate(name, math.nan, np.full(n_boot, np.nan), ci))
                continue
            mean = float(np.mean([estimates[t, name] for t in defined]))
            per_resample = np.mean(np.stack([resampled[t, name] for t in defined]), axis=0)
            overall_estimates.append(_estimate(name, mean, per_resample, ci))
        overall_estimates.append(_estimate(EXACT_MATCH, float(exact.mean()), resampled_exact, ci))
        overall = OverallRow(n_units=n, n_themes=n_themes, estimates=tuple(overall_estimates))

    return AgreementTable(
        coders=tuple(chosen),
        level=level,
        rule=UNIT_RULE if level == "unit" else RESPONSE_RULE,
        n_units=n,
        n_coded=data.n_coded,
        coded_by=data.coded_by,
        kappa=kappa,
        rows=tuple(theme_rows),
        overall=overall,
        ci=float(ci),
        n_boot=n_boot,
        seed=seed,
        codebook_version=version.number,
        unknown_themes=data.unknown_themes,
    )


def _bootstrap(statistics: dict, exact: np.ndarray, *, seed: int, n_boot: int):
    """Every statistic's value on each resample, and the exact-match rate's.

    The resamples are those of :func:`thematic.agreement.bootstrap_ci` for the same seed and number of
    units. Each statistic's per-unit terms are put side by side in one matrix, so a batch of resamples
    is one product for all themes and coefficients (the count matrix is read once, not once each).
    """
    n = exact.size
    blocks, spans, start = [], {}, 0
    for key, s in statistics.items():
        unit, column, value = s.cells
        cells = np.bincount(unit * s.n_cells + column, value, minlength=n * s.n_cells).reshape(n, s.n_cells)
        block = np.hstack([s.dense, cells, np.zeros((n, 0))])
        spans[key] = (start, start + block.shape[1])
        start += block.shape[1]
        blocks.append(block)
    blocks.append(exact.reshape(-1, 1))
    terms = np.hstack(blocks)
    values: dict = {key: [] for key in statistics}
    exact_values = []
    for rows in _resamples(seed, n, n_boot):
        totals = _counts(rows, n) @ terms
        for key, s in statistics.items():
            low, high = spans[key]
            values[key].append(s.finish(totals[:, low:high]))
        exact_values.append(totals[:, -1] / n)
    return {key: np.concatenate(v) for key, v in values.items()}, np.concatenate(exact_values)


def _estimate(name: str, estimate: float, values: np.ndarray, ci: float) -> Estimate:
    """As :func:`thematic.agreement.bootstrap_ci` makes its interval from the resampled values."""
    defined = values[~np.isnan(values)]
    if defined.size:
        low, high = np.quantile(defined, [(1.0 - ci) / 2.0, (1.0 + ci) / 2.0])
    else:
        low = high = math.nan
    return Estimate(
        coefficient=name,
        label=_LABELS[name],
        estimate=float(estimate),
        low=float(low),
        high=float(high),
        n_undefined=int(values.size - defined.size),
        band=_band(name, estimate),
    )


def _na(name: str, reason: str | None) -> Estimate:
    return Estimate(name, _LABELS[name], math.nan, math.nan, math.nan, 0, None, reason)


def _band(name: str, value: float) -> str | None:
    if name == "krippendorff_alpha":
        return krippendorff_band(value)
    if name in ("cohen_kappa", "fleiss_kappa", "gwet_ac1"):
        return landis_koch_band(value)
    return None


def _names(coders: Sequence[str]) -> str:
    coders = list(coders)
    return coders[0] if len(coders) == 1 else ", ".join(coders[:-1]) + " and " + coders[-1]
