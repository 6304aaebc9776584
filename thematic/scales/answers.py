"""Respondents' answers to the closed items, read from their imported attributes and checked.

An answer is a number from the item's response set (``4``, ``4.0``) or one of its labels (``Agree``,
any case); an empty cell, or a code listed under ``missing:`` in the scale file, is a missing answer.
Anything else is refused, naming the respondent and the column, so a stray ``often`` or ``99`` never
turns silently into a mean.

>>> from thematic.scales.model import parse_scales
>>> scales = parse_scales("scales: s\\nresponses: {yn: {0: 'No', 1: 'Yes'}}\\n"
...                       "items: [{id: q, responses: yn}]\\nmissing: [NA]")
>>> read_answers({"A": {"q": "1"}, "B": {"q": "no"}, "C": {"q": "NA"}}, scales).column("q").tolist()
[1.0, 0.0, nan]
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from thematic.errors import ThematicError
from thematic.scales.model import Item, ScaleSet, Subscale, _number, format_value
from thematic.store.project import Project

_MAX_COLUMNS_LISTED = 30


def natural_key(text: str) -> list:
    """Sort key that puts ``R2`` before ``R10`` and ``2`` before ``10``.

    >>> sorted(["R10", "R2", "b", "a"], key=natural_key)
    ['a', 'b', 'R2', 'R10']
    """
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
            for part in re.split(r"(\d+)", str(text)) if part]


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value))


@dataclass(frozen=True)
class Answers:
    """Answers as numbers: ``values[r, j]`` is respondent ``respondents[r]``'s answer to ``items[j]``
    as given (before reverse keying); ``nan`` where missing."""

    scales: ScaleSet
    respondents: tuple[str, ...]
    values: np.ndarray
    attributes: dict[str, dict]

    def column(self, item_id: str) -> np.ndarray:
        return self.values[:, self.scales.item_ids().index(item_id)]

    def scored(self, item_id: str) -> np.ndarray:
        """The item's answers as they count towards a subscale (reverse-keyed items turned round)."""
        item = self.scales.item(item_id)
        return np.array([item.score(v) if not math.isnan(v) else math.nan for v in self.column(item_id)])

    def subscale_matrix(self, subscale: Subscale) -> np.ndarray:
        """Respondents x the subscale's items, scored (reverse keying applied), ``nan`` where missing."""
        return np.column_stack([self.scored(i) for i in subscale.items])

    def subscale_scores(self, subscale: Subscale) -> np.ndarray:
        """Each respondent's mean of the subscale's scored items, over the items they answered, when they
        answered at least ``min_items`` of them; ``nan`` otherwise."""
        matrix = self.subscale_matrix(subscale)
        answered = (~np.isnan(matrix)).sum(axis=1)
        with np.errstate(invalid="ignore"):
            means = np.nanmean(np.where(answered[:, None] > 0, matrix, 0.0), axis=1) if matrix.size else None
        return np.where(answered >= subscale.min_items, means, np.nan)


def _parse(raw, item: Item, missing: set[str], respondent: str) -> float:
    if is_blank(raw):
        return math.nan
    text = str(raw).strip()
    if text in missing:
        return math.nan
    number = _number(raw)
    responses = item.responses
    if number is not None:
        for code in missing:
            if _number(code) == number:
                return math.nan
        if number in responses.values:
            return number
        raise ThematicError(
            f"respondent {respondent} answered {text} to {item.id}, which is not a value of response set "
            f"{responses.name} (values are {responses.describe_values()}; correct the data, or list {text} "
            "under missing: in the scale file if it codes a missing answer)")
    folded = text.casefold()
    for value, label in responses.options:
        if label.casefold() == folded:
            return value
    raise ThematicError(
        f"respondent {respondent} answered '{text}' to {item.id}, which is neither a number nor a label of "
        f"response set {responses.name} ({_options(item)}) (correct the data, or list '{text}' under "
        "missing: in the scale file if it codes a missing answer)")


def _options(item: Item) -> str:
    options = item.responses.options
    shown = [f"{format_value(v)} = {label}" for v, label in options[:3]]
    if len(options) > 4:
        shown.append("...")
    if len(options) > 3:
        shown.append(f"{format_value(options[-1][0])} = {options[-1][1]}")
    return ", ".join(shown)


def read_answers(attributes: dict[str, dict], scales: ScaleSet) -> Answers:
    """Check and convert every respondent's answers to the scale file's items.

    ``attributes`` is {respondent id: {column: value}} (as the project stores them). Every item must be
    a column of the data; every answer must be a value or label of its response set, or missing.
    """
    if not attributes:
        raise ThematicError("the project has no respondents yet "
                            "(import the survey first: thematic import FILE)")
    columns: list[str] = []
    for attrs in attributes.values():
        for column in attrs:
            if column not in columns:
                columns.append(column)
    for item in scales.items:
        if item.id not in columns:
            listed = ", ".join(columns[:_MAX_COLUMNS_LISTED]) + (", ..." if len(columns) > _MAX_COLUMNS_LISTED
                                                                 else "")
            raise ThematicError(
                f"item '{item.id}' in {scales.source} is not a column of the imported data "
                f"(imported columns: {listed or 'none'}; correct the item id, or import the column)")
    respondents = tuple(sorted(attributes, key=natural_key))
    missing = set(scales.missing)
    values = np.full((len(respondents), len(scales.items)), np.nan)
    for r, rid in enumerate(respondents):
        attrs = attributes[rid]
        for j, item in enumerate(scales.items):
            values[r, j] = _parse(attrs.get(item.id), item, missing, rid)
    return Answers(scales, respondents, values, attributes)


def load_answers(project: Project, scales: ScaleSet) -> Answers:
    """:func:`read_answers` on the project's respondents."""
    from thematic.store.corpus import respondent_attributes

    return read_answers(respondent_attributes(project), scales)
