"""Agreement between coders on a project's decisions: one row per theme, and overall figures.

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
interval is the one ``bootstrap_ci`` gives on that theme's matrix; the overall figures use the same
resamples.

The overall figures follow the codebook's structure (:attr:`thematic.codebook.model.Codebook.groups`):

- each exclusive group is one nominal variable per unit (the group's theme, or "none" where the group
  is not required), with the same four coefficients over the group's categories, their intervals, and
  the exact-match rate; a coding that gives a unit two themes of the group counts as missing there;
- the independent themes get Krippendorff's alpha with the MASI distance on each unit's set of
  themes (:mod:`thematic.agreement.sets`), a real coefficient with an interval, the exact-match rate,
  and the mean of the per-theme coefficients over the themes with at least ``min_positives``
  positives, labelled "mean of per-theme", without an interval or a band;
- the exact-match rate of the whole coding (every theme) with its interval.

A theme's positives are the counted units at least one coder applied it to; themes with fewer than
``min_positives`` (default 10) are listed apart and left out of every mean.

``level="response"`` rolls units up to responses (:data:`RESPONSE_RULE`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from thematic.errors import ThematicError
from thematic.store.project import Project

from ._matrix import UnitStatistics
from .bands import prevalence, prevalence_is_extreme
from .bootstrap import _counts, _resamples, percentile_interval
from .coefficients import COEFFICIENTS, FIGURES
from .sets import masi_alpha_statistics

__all__ = [
    "AgreementTable",
    "Estimate",
    "GroupAgreement",
    "IndependentAgreement",
    "MIN_POSITIVES",
    "LEVELS",
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
KAPPA_MISLEADING = (
    "kappa and alpha swing with a few codes here, and AC1 and percent agreement stay high whatever the "
    "coders do; judge this theme by its positives"
)
EXACT_MATCH = "exact_match"
MASI_ALPHA = "masi_alpha"
MIN_POSITIVES = 10
MEAN_PREFIX = "mean of per-theme "
GROUP_EXACT = "exact match of the group's category"
_AC1_CATEGORIES = (0.0, 1.0)


@dataclass(frozen=True)
class Estimate:
    """One coefficient with its bootstrap interval.

    ``estimate``, ``low`` and ``high`` are ``nan`` when the coefficient is undefined on the data or
    not applicable (``not_applicable`` then says why). ``band`` is Krippendorff's reading for alpha,
    Landis and Koch's for kappa, Gwet's benchmark for AC1 (the first band the coefficient lies in or
    above with probability 0.95, from its standard error), None for percent agreement, exact match and
    a mean of per-theme coefficients (which has no interval either: ``low`` and ``high`` are ``nan``).
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
    n_positives: int = 0
    group: str | None = None  # the id of its exclusive group, if any

    def get(self, coefficient: str) -> Estimate:
        for estimate in self.estimates:
            if estimate.coefficient == coefficient:
                return estimate
        raise KeyError(coefficient)

    def to_dict(self) -> dict:
        return {
            "theme": self.theme,
            "name": self.name,
            "group": self.group,
            "n_units": self.n_units,
            "n_positives": self.n_positives,
            "prevalence": _json_number(self.prevalence),
            "kappa_misleading": self.kappa_misleading,
            "estimates": [e.to_dict() for e in self.estimates],
        }


@dataclass(frozen=True)
class GroupAgreement:
    """Agreement on an exclusive group as one nominal variable: each coder's category of a unit is
    the group's theme they gave it, or "none" (``categories`` ends with "none" unless the group is
    required). ``n_units``: units with at least two valid codes; ``n_invalid``: codes that gave two
    or more themes of the group (left out as missing); ``n_missing_required``: codes of a required
    group with none of its themes (missing too)."""

    group: str
    label: str
    required: bool
    categories: tuple[str, ...]
    n_units: int
    n_invalid: int
    n_missing_required: int
    estimates: tuple[Estimate, ...]
    ac1_standard_error: float

    def get(self, coefficient: str) -> Estimate:
        return next(e for e in self.estimates if e.coefficient == coefficient)

    def to_dict(self) -> dict:
        return {
            "group": self.group,
            "label": self.label,
            "kind": "nominal",
            "required": self.required,
            "categories": list(self.categories),
            "n_units": self.n_units,
            "n_invalid": self.n_invalid,
            "n_missing_required": self.n_missing_required,
            "ac1_standard_error": _json_number(self.ac1_standard_error),
            "estimates": [e.to_dict() for e in self.estimates],
        }


@dataclass(frozen=True)
class IndependentAgreement:
    """The independent themes together: MASI alpha and exact match of their sets (with intervals),
    and the mean of per-theme coefficients over the ``covered`` themes (those with at least
    ``min_positives`` positives; ``rare`` are left out), labelled as such, with no interval or band."""

    themes: tuple[str, ...]
    n_units: int
    estimates: tuple[Estimate, ...]
    means: tuple[Estimate, ...]
    covered: tuple[str, ...]
    rare: tuple[tuple[str, int], ...]
    min_positives: int

    def get(self, coefficient: str) -> Estimate:
        return next(e for e in (*self.estimates, *self.means) if e.coefficient == coefficient)

    def to_dict(self) -> dict:
        return {
            "themes": list(self.themes),
            "n_units": self.n_units,
            "estimates": [e.to_dict() for e in self.estimates],
            "mean_of_per_theme": [e.to_dict() for e in self.means],
            "covered": list(self.covered),
            "rare": [{"theme": t, "n_positives": n} for t, n in self.rare],
            "min_positives": self.min_positives,
        }


@dataclass(frozen=True)
class AgreementTable:
    """What `thematic agree` shows, and what a report cites.

    ``n_units`` units (or responses, at ``level="response"``) were coded by at least two of
    ``coders`` and are counted; ``n_coded`` were coded by at least one; ``coded_by`` says how many
    each coder coded. ``groups`` (one per exclusive group), ``independent`` and ``exact_match`` are
    the overall figures (see the module docstring); they are empty/None when one theme was asked
    for. ``unknown_themes`` are theme ids found in the codings but not in the codebook; they are
    left out.
    """

    coders: tuple[str, ...]
    level: str
    rule: str
    n_units: int
    n_coded: int
    coded_by: dict[str, int]
    kappa: str
    rows: tuple[ThemeRow, ...]
    groups: tuple[GroupAgreement, ...]
    independent: IndependentAgreement | None
    exact_match: Estimate | None
    ci: float
    n_boot: int
    seed: int
    codebook_version: int
    unknown_themes: tuple[str, ...] = field(default=())
    codebook: str = ""
    question: str | None = None
    min_positives: int = MIN_POSITIVES
    questions: tuple[str, ...] = ()  # the questions whose units count (empty: every question)

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
            "codebook": self.codebook,
            "codebook_version": self.codebook_version,
            "question": self.question,
            "min_positives": self.min_positives,
            "unknown_themes": list(self.unknown_themes),
            "exact_match": None if self.exact_match is None else self.exact_match.to_dict(),
            "groups": [g.to_dict() for g in self.groups],
            "independent": None if self.independent is None else self.independent.to_dict(),
            "themes": [row.to_dict() for row in self.rows],
        }

    def summary_lines(self) -> list[str]:
        """The overall figures as plain sentences (what reports print above the per-theme table)."""
        lines = []
        if self.exact_match is not None:
            lines.append(f"exact match of the whole coding (every theme): {_fmt(self.exact_match)}")
        for g in self.groups:
            categories = ", ".join(g.categories)
            lines.append(
                f"exclusive group {g.label} ({categories}), one nominal variable, {g.n_units} units: "
                + "; ".join(f"{e.label} {_fmt(e)}" for e in g.estimates)
            )
        if self.independent is not None:
            ind = self.independent
            lines.append(
                f"independent themes ({', '.join(ind.themes)}), {ind.n_units} units: "
                + "; ".join(f"{e.label} {_fmt(e)}" for e in ind.estimates)
            )
            if ind.means and ind.covered:
                lines.append(
                    f"mean of per-theme coefficients over the {len(ind.covered)} independent themes with at "
                    f"least {ind.min_positives} positives (no interval, no band): "
                    + "; ".join(f"{e.label.removeprefix(MEAN_PREFIX)} {_num(e.estimate)}" for e in ind.means)
                )
            if ind.rare:
                lines.append(
                    f"themes with fewer than {ind.min_positives} positives, left out of the means: "
                    + ", ".join(f"{t} ({n})" for t, n in ind.rare)
                )
        return lines

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
        overall = []
        if self.exact_match is not None:
            overall.append(("overall", "", self.n_units, self.exact_match))
        for g in self.groups:
            overall += [("group", g.group, g.n_units, e) for e in g.estimates]
        if self.independent is not None:
            ind = self.independent
            overall += [("independent", "", ind.n_units, e) for e in (*ind.estimates, *ind.means)]
        for kind, name, n, e in overall:
            rows.append(
                {
                    "row": kind,
                    "theme": name,
                    "theme_name": "",
                    "n_units": n,
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


def _num(value: float) -> str:
    return "undefined" if math.isnan(value) else f"{value:.3f}"


def _fmt(e: Estimate) -> str:
    if e.not_applicable:
        return "n/a"
    text = _num(e.estimate)
    if not math.isnan(e.low):
        text += f" [{e.low:.3f}, {e.high:.3f}]"
    return text + (f" {e.band}" if e.band else "")


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
    min_positives: int = MIN_POSITIVES,
    question: str | None = None,
    book=None,
) -> AgreementTable:
    """Agreement per theme and overall, from the coders' current codings in ``project``.

    ``coders``: two or more (``machine`` is the latest suggest run); default every human coder with
    a coding. ``level``: ``"unit"`` or ``"response"``. ``theme``: one theme (id or name) instead of
    all. ``ci``, ``n_boot``, ``seed``: the bootstrap interval. ``min_positives``: themes with fewer
    positives are left out of every mean. ``question``: only the units of this question, with the
    codebook bound to it (default: the project's one codebook). ``book`` (a
    :class:`thematic.review.codings.Book`): only the units of its questions, under its codebook version
    (see :func:`agreement_per_book`). Raises ThematicError when fewer than two coders are given, or no
    unit was coded by two of them.
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
    if isinstance(min_positives, bool) or not isinstance(min_positives, int) or min_positives < 0:
        raise ThematicError(f"--min-positives must be a whole number of 0 or more (got {min_positives})")
    if book is not None:
        version, questions = book.version, tuple(book.questions)
        if question is None and len(questions) == 1:
            question = questions[0]
    else:
        version = require_current(project, question=question)
        questions = () if question is None else (question,)
    codebook = version.codebook
    themes = list(codebook.themes)
    if theme is not None:
        from thematic.review.session import resolve_themes

        wanted = resolve_themes(version, [theme])[0]
        themes = [t for t in themes if t.id == wanted]
    read: dict = {}
    chosen = choose_coders(project, coders, codings=read)
    if questions:
        read = _only_questions(project, chosen, read, questions)
    data = coding_matrices(
        project, chosen, [t.id for t in themes], level=level, known=codebook.ids(), codings=read
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

    statistics: dict = {}
    ac1_se: dict = {}
    from .gwet import gwet_ac1_ci

    for t in themes:
        matrix = data.matrices[t.id]
        for name in names:
            if name == kappa and kappa_na:
                continue
            options = {"categories": _AC1_CATEGORIES} if name == "gwet_ac1" else {}
            statistics[t.id, name] = COEFFICIENTS[name].statistics(matrix, **options)
        ac1_se[t.id] = gwet_ac1_ci(matrix, ci=ci, categories=_AC1_CATEGORIES).standard_error

    # exclusive groups: one nominal variable each
    group_data = []
    if theme is None:
        for g in codebook.groups:
            if not g.exclusive:
                continue
            matrix, invalid, missing = _nominal(data.sets, g)
            categories = (*g.themes, *(() if g.required else ("none",)))
            key = ("group", g.id)
            valid_rows = (~np.isnan(matrix)).sum(axis=1) >= 2
            group_kappa_na = None
            if kappa == "fleiss_kappa" and np.isnan(matrix[valid_rows]).any():
                group_kappa_na = kappa_na or (
                    "n/a: Fleiss' kappa needs every coder to code every counted unit "
                    "(see Krippendorff's alpha and AC1, which allow missing codes)"
                )
            codes = tuple(float(i) for i in range(len(categories)))
            for name in names:
                if name == kappa and group_kappa_na:
                    continue
                options = {"categories": codes} if name == "gwet_ac1" else {}
                statistics[key, name] = COEFFICIENTS[name].statistics(matrix, **options)
            statistics[key, EXACT_MATCH] = _exact_statistics(matrix)
            se = gwet_ac1_ci(matrix, ci=ci, categories=codes).standard_error
            group_data.append(
                (g, key, categories, int(valid_rows.sum()), invalid, missing, group_kappa_na, se)
            )
    independent_ids = [t.id for t in themes if not codebook.group_of(t.id).exclusive] if theme is None else []
    if independent_ids:
        wanted = frozenset(independent_ids)
        sub_sets = [tuple(None if s is None else s & wanted for s in row) for row in data.sets]
        statistics["independent", MASI_ALPHA] = masi_alpha_statistics(sub_sets)
        statistics["independent", EXACT_MATCH] = _exact_sets_statistics(sub_sets)
    exact = np.array([len({s for s in row if s is not None}) == 1 for row in data.sets], dtype=float)

    estimates = {key: s.value() for key, s in statistics.items()}
    resampled, resampled_exact = _bootstrap(statistics, exact, seed=seed, n_boot=n_boot)

    theme_rows = []
    positives = {}
    for t in themes:
        matrix = data.matrices[t.id]
        positives[t.id] = int((np.nan_to_num(matrix, nan=0.0) == 1).any(axis=1).sum())
        row_estimates = []
        for name in names:
            if (t.id, name) not in statistics:
                row_estimates.append(_na(name, kappa_na))
                continue
            row_estimates.append(
                _estimate(name, estimates[t.id, name], resampled[t.id, name], ci, se=ac1_se[t.id])
            )
        group = codebook.group_of(t.id)
        theme_rows.append(
            ThemeRow(
                theme=t.id,
                name=t.name,
                n_units=n,
                prevalence=prevalence(matrix).get(1.0, 0.0),
                kappa_misleading=prevalence_is_extreme(matrix),
                estimates=tuple(row_estimates),
                n_positives=positives[t.id],
                group=group.id if group.exclusive else None,
            )
        )

    groups = []
    for g, key, categories, n_group, invalid, missing, group_kappa_na, se in group_data:
        group_estimates = []
        for name in [*names, EXACT_MATCH]:
            if (key, name) not in statistics:
                group_estimates.append(_na(name, group_kappa_na))
                continue
            estimate = _estimate(name, estimates[key, name], resampled[key, name], ci, se=se)
            if name == EXACT_MATCH:
                estimate = replace(estimate, label=GROUP_EXACT)
            group_estimates.append(estimate)
        groups.append(
            GroupAgreement(
                group=g.id,
                label=g.label,
                required=g.required,
                categories=categories,
                n_units=n_group,
                n_invalid=invalid,
                n_missing_required=missing,
                estimates=tuple(group_estimates),
                ac1_standard_error=float(se),
            )
        )

    independent = None
    if independent_ids:
        covered = [t for t in independent_ids if positives[t] >= min_positives]
        rare = tuple((t, positives[t]) for t in independent_ids if positives[t] < min_positives)
        means = []
        for name in names:
            defined = [t for t in covered if (t, name) in statistics and not math.isnan(estimates[t, name])]
            if name == kappa and kappa_na:
                continue
            value = float(np.mean([estimates[t, name] for t in defined])) if defined else math.nan
            means.append(
                Estimate(
                    coefficient=f"mean_{name}",
                    label=MEAN_PREFIX + FIGURES[name].label,
                    estimate=value,
                    low=math.nan,
                    high=math.nan,
                    n_undefined=0,
                    band=None,
                )
            )
        independent = IndependentAgreement(
            themes=tuple(independent_ids),
            n_units=int(sum(1 for row in data.sets if sum(s is not None for s in row) >= 2)),
            estimates=tuple(
                _estimate(name, estimates["independent", name], resampled["independent", name], ci)
                for name in (MASI_ALPHA, EXACT_MATCH)
            ),
            means=tuple(means),
            covered=tuple(covered),
            rare=rare,
            min_positives=min_positives,
        )
    exact_match = _estimate(EXACT_MATCH, float(exact.mean()), resampled_exact, ci) if theme is None else None

    return AgreementTable(
        coders=tuple(chosen),
        level=level,
        rule=UNIT_RULE if level == "unit" else RESPONSE_RULE,
        n_units=n,
        n_coded=data.n_coded,
        coded_by=data.coded_by,
        kappa=kappa,
        rows=tuple(theme_rows),
        groups=tuple(groups),
        independent=independent,
        exact_match=exact_match,
        ci=float(ci),
        n_boot=n_boot,
        seed=seed,
        codebook_version=version.number,
        unknown_themes=data.unknown_themes,
        codebook=codebook.codebook,
        question=question,
        min_positives=min_positives,
        questions=questions,
    )


def agreement_per_book(project: Project, books, **options) -> list:
    """:func:`agreement_table` once per book (a codebook version and the questions it codes), since
    agreement is only defined within one codebook: a list of :class:`thematic.review.codings.PerBook`
    (see :func:`thematic.review.codings.each_book` for when it raises). ``options`` are agreement_table's,
    less ``question`` and ``book``."""
    from thematic.review.codings import each_book

    return each_book(books, lambda book: agreement_table(project, book=book, **options))


def agreement_sections(project: Project, *, question: str | None = None, theme: str | None = None,
                       **options) -> list:
    """What `thematic agree` and the report show: ``[(None, table)]`` when the project codes its
    questions with one codebook (or ``question`` names one), else one ``(PerBook, table or None)`` per
    codebook in view that has ``theme`` (all of them when no theme is named), over the questions it
    codes (:func:`agreement_per_book`). ``options`` are :func:`agreement_table`'s. Raises ThematicError
    as :func:`agreement_table` does with one codebook, and as :func:`each_book` does with several."""
    from thematic.review.codings import books_in_view, books_with_theme

    books = [] if question is not None else books_in_view(project)
    if len(books) <= 1:
        return [(None, agreement_table(project, question=question, theme=theme, **options))]
    results = agreement_per_book(project, books_with_theme(books, theme), theme=theme, **options)
    return [(r, r.result) for r in results]


def _only_questions(project: Project, coders, read: dict, questions: Sequence[str]) -> dict:
    """The coders' current codings restricted to the units of some questions."""
    from thematic.store import decisions as store
    from thematic.store.corpus import list_units

    units = {u.id for q in questions for u in list_units(project, question_id=q)}
    out = {}
    for c in coders:
        codings = read[c] if c in read else store.current_codings(project, c)
        out[c] = {u: t for u, t in codings.items() if u in units}
    return out


def _nominal(sets, group) -> tuple[np.ndarray, int, int]:
    """The units x coders matrix of a group's categories (index into the group's themes, then "none");
    ``nan`` where a coder did not code the unit, gave two themes of the group, or (required group)
    none of them. Also the counts of the last two."""
    index = {t: i for i, t in enumerate(group.themes)}
    none = float(len(group.themes))
    matrix = np.full((len(sets), len(sets[0]) if sets else 0), np.nan)
    invalid = missing = 0
    for u, row in enumerate(sets):
        for c, themes in enumerate(row):
            if themes is None:
                continue
            chosen = [index[t] for t in themes if t in index]
            if len(chosen) == 1:
                matrix[u, c] = chosen[0]
            elif len(chosen) > 1:
                invalid += 1
            elif group.required:
                missing += 1
            else:
                matrix[u, c] = none
    return matrix, invalid, missing


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> UnitStatistics:
    """Per-unit terms of sum(numerator) / sum(denominator)."""
    dense = np.column_stack([numerator, denominator]).astype(float)

    def finish(totals: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(totals[:, 1] > 0, totals[:, 0] / totals[:, 1], np.nan)

    empty = np.zeros(0, dtype=int)
    return UnitStatistics(dense=dense, cells=(empty, empty, np.zeros(0)), n_cells=0, finish=finish)


def _exact_statistics(matrix: np.ndarray) -> UnitStatistics:
    """The share of units with two or more codes where every code is the same category."""
    counted = (~np.isnan(matrix)).sum(axis=1) >= 2
    same = np.array([len(set(row[~np.isnan(row)].tolist())) == 1 for row in matrix]) & counted
    return _ratio(same.astype(float), counted.astype(float))


def _exact_sets_statistics(sets) -> UnitStatistics:
    counted = np.array([sum(s is not None for s in row) >= 2 for row in sets])
    same = np.array([len({s for s in row if s is not None}) == 1 for row in sets]) & counted
    return _ratio(same.astype(float), counted.astype(float))


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


def _estimate(name: str, estimate: float, values: np.ndarray, ci: float, *, se: float = math.nan) -> Estimate:
    """The interval :func:`thematic.agreement.bootstrap_ci` makes from the resampled values."""
    low, high, n_undefined = percentile_interval(values, ci)
    return Estimate(
        coefficient=name,
        label=FIGURES[name].label,
        estimate=float(estimate),
        low=low,
        high=high,
        n_undefined=n_undefined,
        band=FIGURES[name].reading(estimate, se),
    )


def _na(name: str, reason: str | None) -> Estimate:
    return Estimate(name, FIGURES[name].label, math.nan, math.nan, math.nan, 0, None, reason)


def _names(coders: Sequence[str]) -> str:
    coders = list(coders)
    return coders[0] if len(coders) == 1 else ", ".join(coders[:-1]) + " and " + coders[-1]
