"""Joint displays: the coded themes read against the closed items.

A coder's codings are per unit; here they are rolled up to respondents: a respondent "has" a theme when
the coder gave it to at least one of their units. Only respondents with at least one unit the coder has
coded count (the base of every percentage): a respondent with an empty answer, or one the coder has not
reached yet, is neither with nor without a theme.

* :func:`theme_by_attribute`: themes x the groups of an attribute (count and percent of the group's
  coded respondents), each theme tested with Fisher's exact test (2 groups) or chi-square (3 or more),
  with Cramer's V and a caveat where expected counts fall below 5.
* :func:`score_by_theme`: a subscale score for respondents with and without each theme (n, mean,
  median), Mann-Whitney U with the rank-biserial r (positive: respondents with the theme score higher).

Holm-adjusted p-values are given across the themes of one display.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from thematic.errors import ThematicError
from thematic.review.decisions import MACHINE
from thematic.scales.answers import load_answers, natural_key
from thematic.scales.describe import GroupStat, group_values, summarise
from thematic.scales.model import ScaleSet
from thematic.scales.stats import GroupTest, TableTest, holm, mann_whitney, table_test
from thematic.store.corpus import check_question
from thematic.store.project import Project

# -- codings rolled up to respondents ---------------------------------------------------------------


def resolve_coder(project: Project, coder: str | None) -> str:
    """The coder whose codings a display uses: the one named, else ``consensus`` when there is one, else
    the only coder in the log (never the machine unless named). A ThematicError when the choice is not
    clear (``thematic.review.codings``)."""
    from thematic.review.codings import check_coder, default_coder

    if coder is not None:
        return coder if coder == MACHINE else check_coder(project, coder)
    return default_coder(project, machine=False)


def respondent_themes(project: Project, coder: str, *,
                      question: str | None = None) -> dict[str, frozenset[str]]:
    """Respondent id -> the themes ``coder`` gave any of their units (of ``question``, when given), as
    the view names them (``codebook/theme`` when the questions in view have different codebooks), for
    respondents with at least one coded unit (an empty set: coded, no theme)."""
    from thematic.review.codings import books_in_view, codings_of, view_themes
    from thematic.store.corpus import list_units

    codings = view_themes(project, codings_of(project, coder, question=question).themes(),
                          books_in_view(project, question))
    out: dict[str, set[str]] = {}
    for unit in list_units(project, question_id=question):
        if unit.id in codings:
            out.setdefault(unit.respondent_id, set()).update(codings[unit.id])
    return {rid: frozenset(themes) for rid, themes in out.items()}


def coded_respondents(project: Project, coder: str, question: str | None) -> dict[str, frozenset[str]]:
    coded = respondent_themes(project, coder, question=question)
    if not coded:
        if coder == MACHINE:
            raise ThematicError("the machine has no suggestions yet (run `thematic suggest` first, or choose "
                                "a human coder with --coder NAME)")
        where = f" of question '{question}'" if question else ""
        raise ThematicError(f"coder '{coder}' has coded no units{where} yet "
                            "(code some units first, or choose another coder with --coder NAME)")
    return coded


def theme_list(project: Project, coded: dict[str, frozenset[str]],
               question: str | None = None) -> list[tuple[str, str]]:
    """(theme id, name) in codebook order (with several codebooks in view, each in turn, as
    ``codebook/theme``), then any coded theme they lack (by id). Without a codebook, the coded themes by
    id."""
    from thematic.review.codings import books_in_view, view_catalogue

    themes = [(t.id, t.name) for t in view_catalogue(books_in_view(project, question))]
    known = {t for t, _ in themes}
    extra = sorted({t for ts in coded.values() for t in ts} - known, key=natural_key)
    return themes + [(t, t) for t in extra]


# -- themes x groups --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeByGroup:
    id: str
    name: str
    counts: tuple[int, ...]              # respondents with the theme, per group
    percents: tuple[float | None, ...]   # of the group's coded respondents
    total: int
    total_percent: float | None
    test: TableTest
    p_holm: float | None


@dataclass(frozen=True)
class ThemeCrosstab:
    """Themes x the groups of ``attribute`` for ``coder``; :meth:`to_dict` is its JSON form."""

    coder: str
    attribute: str
    question: str | None
    groups: tuple[str, ...]
    coded: tuple[int, ...]               # coded respondents per group (the base of the percentages)
    excluded: int                        # coded respondents with no value of the attribute
    not_coded: int                       # respondents the coder has not coded (or who left no answer)
    themes: tuple[ThemeByGroup, ...]
    caveat: str | None

    def to_dict(self) -> dict:
        return {
            "coder": self.coder, "attribute": self.attribute, "question": self.question,
            "groups": [{"name": g, "coded": n} for g, n in zip(self.groups, self.coded, strict=True)],
            "excluded": self.excluded, "not_coded": self.not_coded,
            "themes": [{**asdict(t), "counts": dict(zip(self.groups, t.counts, strict=True)),
                        "percents": dict(zip(self.groups, t.percents, strict=True))} for t in self.themes],
            "caveat": self.caveat,
        }

    def csv_header(self) -> tuple[str, ...]:
        per_group = [f"{g} {what}" for g in self.groups for what in ("n", "%")]
        return ("theme", "name", *per_group, "all n", "all %", "test", "statistic", "dof", "p", "p (Holm)",
                "Cramer's V", "expected < 5")

    def csv_rows(self) -> list[tuple]:
        """One row per theme, in the order of :meth:`csv_header`."""
        rows = []
        for t in self.themes:
            per_group = [v for c, p in zip(t.counts, t.percents, strict=True) for v in (c, p)]
            rows.append((t.id, t.name, *per_group, t.total, t.total_percent, t.test.test, t.test.statistic,
                         t.test.dof, t.test.p, t.p_holm, t.test.cramers_v, t.test.small_expected))
        return rows


def _pct(count: int, total: int) -> float | None:
    return None if total == 0 else round(100.0 * count / total, 2)


def _caveat(rows: list[ThemeByGroup]) -> str | None:
    small = [t for t in rows if t.test.test == "chi-square" and t.test.small_expected]
    if not small:
        return None
    listed = ", ".join(f"{t.id} ({t.test.small_expected} of {t.test.cells} cells)" for t in small)
    return (f"expected counts below 5 for {listed}: their chi-square p-values are approximate "
            "(read those rows as description, or compare fewer, larger groups)")


def crosstab_codings(coded: dict[str, frozenset[str]], attributes: dict[str, dict], attribute: str,
                     themes: list[tuple[str, str]], *, coder: str,
                     question: str | None = None) -> ThemeCrosstab:
    """:func:`theme_by_attribute` on codings already rolled up to respondents."""
    respondents = tuple(sorted(attributes, key=natural_key))
    groups, codes, _ = group_values(respondents, attributes, attribute)
    group_of = dict(zip(respondents, codes, strict=True))
    members = [[rid for rid in coded if group_of.get(rid, -1) == g] for g in range(len(groups))]
    base = tuple(len(m) for m in members)
    excluded = sum(1 for rid in coded if group_of.get(rid, -1) < 0)
    rows = []
    for theme_id, name in themes:
        counts = tuple(sum(theme_id in coded[rid] for rid in m) for m in members)
        table = [list(counts), [n - c for n, c in zip(base, counts, strict=True)]]
        percents = tuple(_pct(c, n) for c, n in zip(counts, base, strict=True))
        rows.append(ThemeByGroup(theme_id, name, counts, percents, sum(counts), _pct(sum(counts), sum(base)),
                                 table_test(table), None))
    adjusted = holm([t.test.p for t in rows])
    rows = [ThemeByGroup(**{**t.__dict__, "p_holm": q}) for t, q in zip(rows, adjusted, strict=True)]
    not_coded = len(respondents) - sum(1 for rid in coded if rid in group_of)
    return ThemeCrosstab(coder, attribute, question, tuple(groups), base, excluded, not_coded, tuple(rows),
                         _caveat(rows))


def theme_by_attribute(project: Project, attribute: str, *, coder: str | None = None,
                       question: str | None = None) -> ThemeCrosstab:
    """Themes x the groups of a respondent attribute (see the module docstring)."""
    from thematic.store.corpus import respondent_attributes

    attributes = respondent_attributes(project)
    if not attributes:
        raise ThematicError("the project has no respondents yet "
                            "(import the survey first: thematic import FILE)")
    check_question(project, question)
    coder = resolve_coder(project, coder)
    coded = coded_respondents(project, coder, question)
    return crosstab_codings(coded, attributes, attribute, theme_list(project, coded, question), coder=coder,
                            question=question)


# -- a subscale score by theme ------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreByTheme:
    id: str
    name: str
    with_theme: GroupStat
    without_theme: GroupStat
    test: GroupTest
    p_holm: float | None


@dataclass(frozen=True)
class ScoresByTheme:
    """One subscale's score for respondents with and without each theme; :meth:`to_dict` is its JSON."""

    coder: str
    subscale: str
    subscale_name: str
    low: float
    high: float
    question: str | None
    coded: int                           # coded respondents with a score (the base)
    no_score: int                        # coded respondents without a score (too few items answered)
    themes: tuple[ScoreByTheme, ...]

    def to_dict(self) -> dict:
        return {"coder": self.coder, "subscale": self.subscale, "subscale_name": self.subscale_name,
                "low": self.low, "high": self.high, "question": self.question, "coded": self.coded,
                "no_score": self.no_score, "themes": [asdict(t) for t in self.themes]}

    def csv_header(self) -> tuple[str, ...]:
        return ("theme", "name", "with n", "with mean", "with median", "without n", "without mean",
                "without median", "U", "p", "p (Holm)", "rank-biserial r")

    def csv_rows(self) -> list[tuple]:
        """One row per theme, in the order of :meth:`csv_header`."""
        return [(t.id, t.name, t.with_theme.n, t.with_theme.mean, t.with_theme.median, t.without_theme.n,
                 t.without_theme.mean, t.without_theme.median, t.test.statistic, t.test.p, t.p_holm,
                 t.test.effect_size) for t in self.themes]


def scores_by_theme_codings(coded: dict[str, frozenset[str]], respondents: tuple[str, ...],
                            scores: np.ndarray, themes: list[tuple[str, str]], *, coder: str, subscale: str,
                            subscale_name: str, low: float, high: float,
                            question: str | None = None) -> ScoresByTheme:
    """:func:`score_by_theme` on codings rolled up to respondents and each respondent's score."""
    score_of = dict(zip(respondents, scores, strict=True))
    base = [rid for rid in sorted(coded, key=natural_key) if not np.isnan(score_of.get(rid, np.nan))]
    rows = []
    for theme_id, name in themes:
        with_ = np.array([score_of[r] for r in base if theme_id in coded[r]], dtype=float)
        without = np.array([score_of[r] for r in base if theme_id not in coded[r]], dtype=float)
        stats = [GroupStat(label, *(summarise(v)[i] for i in (0, 1, 3)))
                 for label, v in (("with", with_), ("without", without))]
        rows.append(ScoreByTheme(theme_id, name, stats[0], stats[1], mann_whitney(with_, without), None))
    adjusted = holm([t.test.p for t in rows])
    rows = [ScoreByTheme(**{**t.__dict__, "p_holm": q}) for t, q in zip(rows, adjusted, strict=True)]
    return ScoresByTheme(coder, subscale, subscale_name, low, high, question, len(base),
                         len(coded) - len(base), tuple(rows))


def score_by_theme(project: Project, scales: ScaleSet, subscale: str, *, coder: str | None = None,
                   question: str | None = None) -> ScoresByTheme:
    """A subscale's scores for respondents with and without each theme (see the module docstring)."""
    sub = scales.subscale(subscale)
    answers = load_answers(project, scales)
    check_question(project, question)
    coder = resolve_coder(project, coder)
    coded = coded_respondents(project, coder, question)
    responses = scales.item(sub.items[0]).responses
    return scores_by_theme_codings(coded, answers.respondents, answers.subscale_scores(sub),
                                   theme_list(project, coded, question), coder=coder, subscale=sub.id,
                                   subscale_name=sub.name, low=responses.low, high=responses.high,
                                   question=question)



