"""What a codebook's words say about its catch-all themes and its themes for "nothing", for zero-shot
suggestions (issue 16: on a hidden set of short single-label answers a generic "Other" theme won 276).

Two readings of the codebook, both from the themes' names and definitions, no coded data:

**Residual-like themes** (:func:`residual_like`). A theme named "Other", "Miscellaneous", "None of the
above", "Not assigned" (or "Others", "Misc", "Unclassified", "Anything else"), or whose definition
says it is for what the other themes do not cover ("Comments that do not fit any other category", "not
covered by", "none of the other categories", "could not be given any of the other categories"), is a
catch-all: its prototype ("comments", "anything") sits near every answer. Where the codebook does not
mark a residual theme in that theme's group, :func:`implied_groups` makes such a theme residual there
(``thematic.ml.structure.apply_structure``: only when no other theme of its group is assigned), and so,
as every residual theme, a theme for non-answers. A codebook that marks residual themes itself is left as
written.

**Themes for "nothing"** (:func:`nothing_themes`). "Nothing to improve", "No complaints", "Nothing
could be improved" (the answer says there is nothing to improve) and "Nothing was good" (nothing was
good). A non-answer ("Nothing.", "n/a") is what such a theme is for, more than a catch-all: in each
group, :func:`route_non_answers` gives a non-answer the best-scoring of the group's themes for
"nothing" of the question's polarity (:func:`thematic.ml.zeroshot.question_polarity`: "improve" takes
"nothing to improve", "praise" takes "nothing was good"; a question of unknown polarity either),
else, as before, the best-scoring of its themes for non-answers (residual themes included).

How it was chosen (benchmarks/quality/definitions.py --routing, docs/performance.md "Zero-shot with
definitions (issue 16)"), on train splits only: on NHS phase 1 (single-label, 44 subcategories) 697 of
the 7,235 train answers are non-answers and the coder gave 691 of them "Nothing to improve"; routing
them there raised suggest's macro kappa from 0.208 to 0.225 (with definitions; 0.198 to 0.215 names
only). Making "Miscellaneous" / "Other" residual cut the answers it gets from 162 to 51 (coder: 12),
at no cost in kappa; on the NHS multi-label set, "Not assigned" made residual (and so taking the
non-answers) raised it from 0.249 to 0.256 (0.222 to 0.228 names only). Counsel Chat and the demo
codebook have neither kind of theme and are unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

_RESIDUAL_NAME = re.compile(
    r"^\W*(?:others?|misc\.?|miscellaneous|none of the above|not assigned|unclassified|uncategori[sz]ed|"
    r"anything else|everything else)(?:\s*(?:[/(:,;\-\u2013\u2014].*|(?:comments?|issues?|topics?|themes?|"
    r"categor(?:y|ies)|responses?|answers?|feedback|reasons?|things?|matters?)))?\W*$", re.IGNORECASE)
_RESIDUAL_DEFINITION = re.compile(
    r"\b(?:do(?:es)? not fit|doesn'?t fit|don'?t fit|not covered by|"
    r"none of the other (?:themes|categories|codes)|(?:could|can) not be given any|"
    r"no other (?:theme|category|code) (?:applies|fits))\b", re.IGNORECASE)
_NOTHING = {
    "improve": re.compile(
        r"\b(?:nothing (?:to (?:improve|change)|"
        r"(?:could|would|should|needs? to) be (?:improved|changed|better)|"
        r"(?:i|they|we|he|she|you) would (?:change|improve))|no (?:complaints?|improvements? needed|changes? "
        r"needed)|(?:could|can)(?:n'?t| ?not) (?:be|have been) improved)\b", re.IGNORECASE),
    "praise": re.compile(r"\bnothing (?:was|went|is) (?:good|right|well|positive)\b|\bnothing good\b",
                         re.IGNORECASE),
}


def residual_like(themes: Sequence) -> list[str]:
    """Ids of the themes whose name or definition says they are for what no other theme covers.

    >>> from thematic.codebook.model import Theme
    >>> residual_like([Theme("other", "Other", "Anything else."),
    ...                Theme("misc", "Left over", "Comments that do not fit any other category."),
    ...                Theme("safe", "Feeling safe", "Threats from other patients."),
    ...                Theme("others", "Other patients", "What other patients did."),
    ...                Theme("oc", "Other comments", "x"), Theme("nc", "Other / no codable content", "x")])
    ['other', 'misc', 'oc', 'nc']
    """
    return [t.id for t in themes
            if _RESIDUAL_NAME.search(t.name) or _RESIDUAL_DEFINITION.search(t.definition or "")]


def nothing_themes(themes: Sequence) -> dict[str, list[str]]:
    """{"improve": ids of the themes for "nothing to improve", "praise": for "nothing was good"}, from their
    names and definitions.

    >>> from thematic.codebook.model import Theme
    >>> nothing_themes([Theme("ni", "Nothing to improve", "The person would change nothing."),
    ...                 Theme("nc", "Happy", "No complaints: the person says all was fine."),
    ...                 Theme("ng", "Nothing was good", "Nothing about the service was good."),
    ...                 Theme("food", "Food", "Meals and drinks.")])
    {'improve': ['ni', 'nc'], 'praise': ['ng']}
    """
    return {kind: [t.id for t in themes if pattern.search(f"{t.name}. {t.definition or ''}")]
            for kind, pattern in _NOTHING.items()}


def implied_groups(themes: Sequence, groups: Sequence) -> list:
    """``groups`` with, in each group that marks no residual theme, its residual-like themes
    (:func:`residual_like`) made residual, where the group has other themes too.

    >>> from thematic.codebook.model import Codebook, Theme
    >>> book = Codebook("c", themes=(Theme("a", "Food", "Meals."), Theme("o", "Other", "Anything else.")))
    >>> [(g.themes, g.residual) for g in implied_groups(book.themes, book.groups)]
    [(('a', 'o'), ('o',))]
    """
    like = set(residual_like(themes))
    out = []
    for group in groups:
        mine = tuple(t for t in group.themes if t in like)
        if like and not group.residual and mine and len(mine) < len(group.themes):
            group = replace(group, residual=mine)
        out.append(group)
    return out


def route_non_answers(assigned: np.ndarray, scores: np.ndarray, blank: np.ndarray, groups: Sequence,
                      theme_ids: Sequence[str], themes: Sequence, takers: Sequence[str],
                      questions: Sequence[str | None] | None = None) -> np.ndarray:
    """:func:`thematic.ml.zeroshot.route_non_answers` that gives a non-answer, in each group, the
    best-scoring of the group's themes for "nothing" of its question's polarity (:func:`nothing_themes`;
    both kinds where the question's polarity is unknown) where the group has one, else the best-scoring of
    its ``takers`` (themes for non-answers) as before.

    >>> from thematic.codebook.model import Codebook, Theme
    >>> themes = (Theme("ni", "Nothing to improve", "x"), Theme("ng", "Nothing was good", "x"),
    ...           Theme("o", "Other", "x", residual=True), Theme("food", "Food", "x"))
    >>> groups = Codebook("c", themes=themes).groups
    >>> route_non_answers(np.zeros((3, 4), dtype=bool), np.array([[0.1, 0.2, 0.9, 0], [0.1, 0.2, 0.9, 0],
    ...                   [0.1, 0.2, 0.9, 0]]), np.array([True, True, True]), groups,
    ...                   ["ni", "ng", "o", "food"], themes, ["o"],
    ...                   ["What could be better?", "What was good?", "Comments"]).astype(int).tolist()
    [[1, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0]]
    """
    from thematic.ml import zeroshot

    blank = np.asarray(blank, dtype=bool)
    nothing = nothing_themes(themes)
    if not blank.any() or not (nothing["improve"] or nothing["praise"]):
        return zeroshot.route_non_answers(assigned, scores, blank, groups, theme_ids, takers)
    asked = questions if questions is not None else [None] * len(blank)
    polarity = np.array([zeroshot.question_polarity(q) for q in asked], dtype=object)
    out = np.asarray(assigned, dtype=bool).copy()
    for kind in ("improve", "praise", None):
        mask = blank & np.array([p == kind for p in polarity])
        if not mask.any():
            continue
        preferred = set(nothing[kind] if kind else nothing["improve"] + nothing["praise"])
        routed = []
        for group in groups:
            mine = tuple(t for t in group.themes if t in preferred) or tuple(t for t in group.themes
                                                                              if t in set(takers))
            routed.append(replace(group, residual=mine))
        out = zeroshot.route_non_answers(out, scores, mask, routed, theme_ids, None)
    return out
