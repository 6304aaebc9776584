"""``scales describe``: item distributions, subscale scores and reliability, and group comparisons.

Per item: how many respondents gave each response (count, percent of all respondents, percent of
those who answered) and how many left it blank, with n, mean, SD and median of the answers as given.
Per subscale: each respondent's score is the mean of the subscale's items after reverse keying, over
the items they answered, when they answered at least ``min_items`` of them (else no score); n, mean,
SD (``n - 1``) and median of the scores; Cronbach's alpha over respondents who answered every item,
with a seeded percentile bootstrap interval. Subscales are ranked by mean within their ``scale`` (the
study's "goal, then task, then bond" reading). With ``by``: each item and subscale compared across the
attribute's groups (Mann-Whitney U or Kruskal-Wallis H, with an effect size; see
:mod:`thematic.scales.stats`), Holm-adjusted within the items and within the subscales.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from thematic.errors import ThematicError
from thematic.scales.answers import Answers, is_blank, load_answers, natural_key
from thematic.scales.model import ScaleSet, format_value
from thematic.scales.stats import AlphaResult, GroupTest, alpha_with_ci, compare_groups, holm
from thematic.store.project import Project

MAX_GROUPS = 12
BOOTSTRAP_METHOD = "percentile"


@dataclass(frozen=True)
class Category:
    value: float
    label: str
    count: int
    percent: float              # of all respondents
    valid_percent: float | None  # of respondents who answered the item


@dataclass(frozen=True)
class ItemSummary:
    id: str
    text: str | None
    response_set: str
    reverse: bool
    subscales: tuple[str, ...]
    n: int
    missing: int
    missing_percent: float
    mean: float | None
    sd: float | None
    median: float | None
    categories: tuple[Category, ...]


@dataclass(frozen=True)
class SubscaleSummary:
    id: str
    name: str
    scale: str
    items: tuple[str, ...]
    reverse_items: tuple[str, ...]
    min_items: int
    low: float                   # the response set's lowest and highest values
    high: float
    n: int
    missing: int
    mean: float | None
    sd: float | None
    median: float | None
    alpha: AlphaResult
    rank: int | None             # 1 = highest mean within its scale


@dataclass(frozen=True)
class GroupStat:
    name: str
    n: int
    mean: float | None
    median: float | None


@dataclass(frozen=True)
class Comparison:
    kind: str                    # "item" or "subscale"
    id: str
    groups: tuple[GroupStat, ...]
    test: GroupTest
    p_holm: float | None


@dataclass(frozen=True)
class Described:
    """Everything ``scales describe`` reports; :meth:`to_dict` is its JSON form."""

    scales: str
    title: str | None
    source: str
    respondents: int
    items: tuple[ItemSummary, ...]
    subscales: tuple[SubscaleSummary, ...]
    ranking: tuple[tuple[str, tuple[str, ...]], ...]     # (scale, subscale ids by mean, highest first)
    n_boot: int
    ci: float
    seed: int
    by: str | None = None
    groups: tuple[tuple[str, int], ...] = ()              # (group, respondents)
    excluded: int = 0                                      # respondents with no value of ``by``
    comparisons: tuple[Comparison, ...] = ()

    def item(self, id: str) -> ItemSummary:
        return next(i for i in self.items if i.id == id)

    def subscale(self, id: str) -> SubscaleSummary:
        return next(s for s in self.subscales if s.id == id)

    def to_dict(self) -> dict:
        out = {
            "scales": self.scales, "title": self.title, "source": self.source,
            "respondents": self.respondents,
            "items": [asdict(i) for i in self.items],
            "subscales": [_subscale_dict(s) for s in self.subscales],
            "ranking": [{"scale": scale, "subscales": list(order)} for scale, order in self.ranking],
            "bootstrap": {"method": BOOTSTRAP_METHOD, "n_boot": self.n_boot, "ci": self.ci,
                          "seed": self.seed},
            "by": None,
        }
        if self.by is not None:
            out["by"] = {
                "attribute": self.by,
                "groups": [{"name": g, "respondents": n} for g, n in self.groups],
                "excluded": self.excluded,
                "adjustment": "Holm, within items and within subscales",
                "comparisons": [asdict(c) for c in self.comparisons],
            }
        return out

    def csv_rows(self) -> list[tuple[str, str, str, str, object]]:
        """Long form for spreadsheets and R: (section, id, group, statistic, value)."""
        rows: list[tuple[str, str, str, str, object]] = []
        for item in self.items:
            for c in item.categories:
                key = f"{format_value(c.value)} {c.label}"
                rows += [("item", item.id, "", f"count: {key}", c.count),
                         ("item", item.id, "", f"percent: {key}", c.percent)]
            rows += [("item", item.id, "", name, getattr(item, name))
                     for name in ("missing", "n", "mean", "sd", "median")]
        for sub in self.subscales:
            rows += [("subscale", sub.id, "", name, getattr(sub, name))
                     for name in ("n", "missing", "mean", "sd", "median", "rank")]
            rows += [("subscale", sub.id, "", "alpha", sub.alpha.alpha),
                     ("subscale", sub.id, "", "alpha n", sub.alpha.n),
                     ("subscale", sub.id, "", "alpha ci low", sub.alpha.low),
                     ("subscale", sub.id, "", "alpha ci high", sub.alpha.high)]
        for comp in self.comparisons:
            section = f"{comp.kind} by {self.by}"
            for g in comp.groups:
                rows += [(section, comp.id, g.name, name, getattr(g, name))
                         for name in ("n", "mean", "median")]
            t = comp.test
            rows += [(section, comp.id, "", "test", t.test), (section, comp.id, "", "statistic", t.statistic),
                     (section, comp.id, "", "p", t.p), (section, comp.id, "", "p (Holm)", comp.p_holm),
                     (section, comp.id, "", t.effect, t.effect_size)]
        rows.append(("bootstrap", "", "", "seed", self.seed))
        rows.append(("bootstrap", "", "", "resamples", self.n_boot))
        return rows


def _subscale_dict(sub: SubscaleSummary) -> dict:
    d = asdict(sub)
    a = sub.alpha
    d["alpha"] = {"alpha": a.alpha, "ci_low": a.low, "ci_high": a.high, "n": a.n}
    return d


def summarise(values: np.ndarray) -> tuple[int, float | None, float | None, float | None]:
    present = values[~np.isnan(values)]
    n = int(present.size)
    if n == 0:
        return 0, None, None, None
    sd = float(np.std(present, ddof=1)) if n > 1 else None
    return n, float(np.mean(present)), sd, float(np.median(present))


def _pct(count: int, total: int) -> float | None:
    return None if total == 0 else round(100.0 * count / total, 2)


def group_values(respondents: tuple[str, ...], attributes: dict[str, dict],
                 attribute: str) -> tuple[list[str], np.ndarray, int]:
    """The attribute's groups (natural order), each respondent's group index (-1: no value), and how
    many respondents have no value. A ThematicError when the attribute is not a column or does not split
    the respondents into 2 to ``MAX_GROUPS`` groups."""
    columns = sorted({c for attrs in attributes.values() for c in attrs}, key=natural_key)
    if attribute not in columns:
        raise ThematicError(f"attribute '{attribute}' is not a column of the imported data "
                            f"(columns: {', '.join(columns[:30])}{', ...' if len(columns) > 30 else ''})")
    raw = [attributes[rid].get(attribute) for rid in respondents]
    labels = [None if is_blank(v) else str(v).strip() for v in raw]
    groups = sorted({v for v in labels if v is not None}, key=natural_key)
    if len(groups) < 2:
        only = f"only '{groups[0]}'" if groups else "no values"
        raise ThematicError(f"attribute '{attribute}' has {only} among the respondents "
                            "(choose an attribute with two or more groups)")
    if len(groups) > MAX_GROUPS:
        raise ThematicError(f"attribute '{attribute}' has {len(groups)} different values (compare by an "
                            f"attribute with at most {MAX_GROUPS} groups, such as role)")
    index = {g: i for i, g in enumerate(groups)}
    codes = np.array([-1 if v is None else index[v] for v in labels])
    return groups, codes, int((codes < 0).sum())


def _compare(kind: str, id: str, values: np.ndarray, groups: list[str], codes: np.ndarray):
    per_group = [values[(codes == g) & ~np.isnan(values)] for g in range(len(groups))]
    stats = tuple(GroupStat(name, *(summarise(v)[i] for i in (0, 1, 3)))
                  for name, v in zip(groups, per_group, strict=True))
    return kind, id, stats, compare_groups(per_group)


def describe_answers(answers: Answers, *, by: str | None = None, n_boot: int = 2000, ci: float = 0.95,
                     seed: int = 0) -> Described:
    """:func:`describe` on answers already read (see :func:`thematic.scales.answers.read_answers`)."""
    scales = answers.scales
    total = len(answers.respondents)
    if by is not None:  # a bad attribute fails before any work
        groups, codes, excluded = group_values(answers.respondents, answers.attributes, by)
    items = []
    for item in scales.items:
        column = answers.column(item.id)
        n, mean, sd, median = summarise(column)
        categories = tuple(
            Category(value, label, int((column == value).sum()), _pct(int((column == value).sum()), total),
                     _pct(int((column == value).sum()), n))
            for value, label in item.responses.options)
        items.append(ItemSummary(item.id, item.text, item.responses.name, item.reverse,
                                 tuple(scales.subscales_of(item.id)), n, total - n, _pct(total - n, total),
                                 mean, sd, median, categories))

    subscale_rows = []
    for sub in scales.subscales:
        scores = answers.subscale_scores(sub)
        n, mean, sd, median = summarise(scores)
        alpha = alpha_with_ci(answers.subscale_matrix(sub), n_boot=n_boot, ci=ci, seed=seed)
        first = scales.item(sub.items[0]).responses
        subscale_rows.append(dict(id=sub.id, name=sub.name, scale=sub.scale, items=sub.items,
                                  reverse_items=tuple(i for i in sub.items if scales.item(i).reverse),
                                  min_items=sub.min_items, low=first.low, high=first.high, n=n,
                                  missing=total - n, mean=mean, sd=sd, median=median, alpha=alpha))
    ranking = []
    for scale in dict.fromkeys(s["scale"] for s in subscale_rows):
        members = [s for s in subscale_rows if s["scale"] == scale and s["mean"] is not None]
        members.sort(key=lambda s: -s["mean"])
        for rank, s in enumerate(members, start=1):
            s["rank"] = rank
        ranking.append((scale, tuple(s["id"] for s in members)))
    subscales = tuple(SubscaleSummary(**{"rank": None, **s}) for s in subscale_rows)

    described = Described(scales.name, scales.title, scales.source, total, tuple(items), subscales,
                          tuple(ranking), n_boot, ci, seed)
    if by is None:
        return described

    raw = [_compare("item", item.id, answers.column(item.id), groups, codes) for item in scales.items]
    raw += [_compare("subscale", sub.id, answers.subscale_scores(sub), groups, codes)
            for sub in scales.subscales]
    adjusted: list[float | None] = []
    for kind in ("item", "subscale"):
        adjusted += holm([t.p for k, _, _, t in raw if k == kind])
    comparisons = tuple(Comparison(kind, id, stats, test, q) for (kind, id, stats, test), q in
                        zip(raw, adjusted, strict=True))
    sizes = tuple((g, int((codes == i).sum())) for i, g in enumerate(groups))
    return Described(**{**described.__dict__, "by": by, "groups": sizes, "excluded": excluded,
                        "comparisons": comparisons})


def describe(project: Project, scales: ScaleSet, *, by: str | None = None, n_boot: int = 2000,
             ci: float = 0.95, seed: int = 0) -> Described:
    """Describe the project's answers to the closed items in ``scales`` (see the module docstring).

    ``by`` names a respondent attribute (e.g. ``role``) whose groups are compared; ``seed`` and
    ``n_boot`` fix the bootstrap of alpha's interval (reported with the result).
    """
    if n_boot < 0:
        raise ThematicError(f"--n-boot must be 0 or more (it is {n_boot})")
    if not 0 < ci < 1:
        raise ThematicError(f"the confidence level must be between 0 and 1 (it is {ci})")
    return describe_answers(load_answers(project, scales), by=by, n_boot=n_boot, ci=ci, seed=seed)


def fmt(value, digits: int = 2) -> str:
    """A statistic for a table: ``-`` when undefined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"
