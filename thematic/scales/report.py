"""Everything a report's "Closed items" section shows, in one call.

::

    section = closed_items(project, "scales/ai-therapy.yaml", by="role", theme_by="would_consider")
    section.described, section.crosstab, section.scores_by_theme, section.notes
    likert_figure(section.described).savefig("closed-items.png")   # thematic.scales.charts

The joint displays need codings: when nobody has coded yet (or the chosen coder has coded nothing),
they are None and ``notes`` says why; the scale statistics are there either way. A bad scale file, an
unknown attribute or a non-numeric answer still raises ThematicError, as the commands do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from thematic.errors import ThematicError
from thematic.scales.answers import load_answers
from thematic.scales.describe import Described, describe_answers
from thematic.scales.joint import (
    ScoresByTheme,
    ThemeCrosstab,
    coded_respondents,
    crosstab_codings,
    resolve_coder,
    scores_by_theme_codings,
    theme_list,
)
from thematic.scales.model import ScaleSet, load_scales
from thematic.store.project import Project


@dataclass(frozen=True)
class ClosedItems:
    """The closed-items section: scale statistics, and the joint displays where there are codings."""

    described: Described
    crosstab: ThemeCrosstab | None            # themes x the groups of ``theme_by``
    scores_by_theme: tuple[ScoresByTheme, ...]  # one per subscale
    coder: str | None
    notes: tuple[str, ...]

    def to_dict(self) -> dict:
        return {
            "describe": self.described.to_dict(),
            "crosstab": None if self.crosstab is None else self.crosstab.to_dict(),
            "scores_by_theme": [s.to_dict() for s in self.scores_by_theme],
            "coder": self.coder,
            "notes": list(self.notes),
        }


def closed_items(project: Project, scales: ScaleSet | str | Path, *, by: str | None = None,
                 theme_by: str | None = None, coder: str | None = None, question: str | None = None,
                 n_boot: int = 2000, ci: float = 0.95, seed: int = 0) -> ClosedItems:
    """Describe the closed items (``by``: compare groups), then, if there are codings, themes x the
    groups of ``theme_by`` and every subscale's score by theme. ``scales`` is a ScaleSet or a path."""
    scale_set = scales if isinstance(scales, ScaleSet) else load_scales(scales)
    answers = load_answers(project, scale_set)
    described = describe_answers(answers, by=by, n_boot=n_boot, ci=ci, seed=seed)
    notes: list[str] = []
    try:
        chosen = resolve_coder(project, coder)
        coded = coded_respondents(project, chosen, question)
    except ThematicError as exc:
        if coder is not None and "has no decisions" in exc.message:
            raise
        notes.append(f"no joint displays: {exc.message}")
        return ClosedItems(described, None, (), None, tuple(notes))
    themes = theme_list(project, coded, question)
    crosstab = None
    if theme_by is not None:
        crosstab = crosstab_codings(coded, answers.attributes, theme_by, themes, coder=chosen,
                                    question=question)
    scores = []
    for sub in scale_set.subscales:
        responses = scale_set.item(sub.items[0]).responses
        scores.append(scores_by_theme_codings(coded, answers.respondents, answers.subscale_scores(sub),
                                              themes, coder=chosen, subscale=sub.id, subscale_name=sub.name,
                                              low=responses.low, high=responses.high, question=question))
    return ClosedItems(described, crosstab, tuple(scores), chosen, tuple(notes))
