"""What every export starts from: one coder's current codings, with units, respondents and themes.

The coder is a human coder in the decision log, ``consensus`` (reconciled codings) or ``machine`` (for
each unit, the latest suggest run covering its question). A coding is a coder's latest standing ``code``
decision on a unit (docs/design.md, "The decision log"); a unit the coder has not coded has no coding
(``themes`` is None), which is not the same as "coded, no theme applies" (an empty set). Whose codings and
which codebooks are in view come from :mod:`thematic.review.codings`; with several codebooks in view (no
--question in a project whose questions have different codebooks) themes are named ``codebook/theme``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from thematic.store.corpus import Unit, check_question
from thematic.store.project import Project

if TYPE_CHECKING:
    from thematic.store.ml import SuggestRunRecord

MACHINE = "machine"
CONSENSUS = "consensus"


@dataclass(frozen=True)
class ThemeInfo:
    """A theme as exports show it. ``in_codebook`` is False for a theme id that was coded under an
    earlier codebook version and is not in the current one (its name is then its id)."""

    id: str
    name: str
    definition: str = ""
    colour: str | None = None
    parent_id: str | None = None
    in_codebook: bool = True


@dataclass(frozen=True)
class CodedUnit:
    unit: Unit
    attributes: dict
    themes: frozenset[str] | None  # None: not coded by this coder
    decided_at: str | None
    scores: dict[str, float] = field(default_factory=dict)  # machine scores (latest run), theme -> score


@dataclass
class Coded:
    """One coder's codings of every unit (of one question, or all), ready to export."""

    coder: str
    question: str | None
    themes: list[ThemeInfo]
    units: list[CodedUnit]
    attribute_names: list[str]
    codebook_name: str | None
    codebook_title: str | None
    codebook_version: int | None
    codebook_hash: str | None
    suggest_run: SuggestRunRecord | None  # the newest of suggest_runs
    books: list = field(default_factory=list)  # the codebooks in view (thematic.review.codings.Book)
    suggest_runs: list = field(default_factory=list)  # the runs the machine's codings and scores come from

    def theme(self, theme_id: str) -> ThemeInfo:
        return next(t for t in self.themes if t.id == theme_id)

    @property
    def coded(self) -> list[CodedUnit]:
        return [u for u in self.units if u.themes is not None]


def check_coder(project: Project, coder: str) -> str:
    """``coder`` if it has codings to export; a ThematicError that lists the coders otherwise."""
    from thematic.review.codings import check_coder as check

    return check(project, coder)


def default_coder(project: Project) -> str:
    """``consensus`` when there is one, else the only human coder, else ``machine`` when a suggest run
    exists; a ThematicError when the choice is not clear."""
    from thematic.review.codings import default_coder as choose

    return choose(project)


def theme_infos(project: Project, coded_ids: set[str], question: str | None = None, books=None
                ) -> tuple[list[ThemeInfo], object]:
    """Themes of the codebook in view (of ``question``, when given; in its order), then any coded theme it
    lacks; and the version (None when no codebook, or several, are in view). With several codebooks in
    view (``books``, from ``thematic.review.codings.books_in_view``), each codebook's themes in turn, named
    ``codebook/theme`` and "Name (codebook)"."""
    from thematic.review.codings import books_in_view, view_catalogue

    books = books_in_view(project, question) if books is None else books
    themes = [ThemeInfo(v.id, v.name, v.theme.definition, v.theme.colour, v.parent_id)
              for v in view_catalogue(books)]
    known = {t.id for t in themes}
    themes += [ThemeInfo(t, t, in_codebook=False) for t in sorted(coded_ids - known)]
    return themes, (books[0].version if len(books) == 1 else None)


def attribute_names(attributes: dict[str, dict]) -> list[str]:
    """Attribute names in the order they first appear."""
    names: dict[str, None] = {}
    for attrs in attributes.values():
        for key in attrs:
            names.setdefault(key, None)
    return list(names)


def load_coded(project: Project, coder: str, *, question: str | None = None) -> Coded:
    """Gather ``coder``'s codings (see the module docstring) of every unit, or of one question's."""
    from thematic.review.codings import books_in_view, codings_of, view_themes
    from thematic.store.corpus import list_units, respondent_attributes
    from thematic.store.ml import machine_scores

    check_question(project, question)
    check_coder(project, coder)
    books = books_in_view(project, question)
    found = codings_of(project, coder, question=question)
    codings = view_themes(project, found.themes(), books)
    raw_scores = machine_scores(project, question=question)
    scores = {u: {t: s for t, (s, _) in per.items()} for u, per in
              view_themes_scores(project, raw_scores, books).items()}
    attributes = respondent_attributes(project)
    units = [
        CodedUnit(
            u,
            attributes.get(u.respondent_id, {}),
            codings.get(u.id),
            found.by_unit[u.id].at if u.id in found.by_unit else None,
            scores.get(u.id, {}),
        )
        for u in list_units(project, question_id=question)
    ]
    themes, version = theme_infos(project, {t for ts in codings.values() for t in ts}, question, books)
    runs = {r.id: r for r in found.runs.values()} if coder == MACHINE else \
        {r.id: r for r in _current_runs(project, question).values()}
    return Coded(
        coder=coder,
        question=question,
        themes=themes,
        units=units,
        attribute_names=attribute_names(attributes),
        codebook_name=version.codebook.codebook if version else (
            ", ".join(b.name for b in books) if books else None),
        codebook_title=version.codebook.title if version else None,
        codebook_version=version.number if version else None,
        codebook_hash=version.content_hash if version else None,
        suggest_run=max(runs.values(), key=lambda r: r.id) if runs else None,
        books=books,
        suggest_runs=sorted(runs.values(), key=lambda r: r.id),
    )


def _current_runs(project: Project, question: str | None) -> dict:
    from thematic.store.ml import current_runs

    return {q: r for q, r in current_runs(project).items() if question is None or q == question}


def view_themes_scores(project: Project, scores: dict[str, dict], books) -> dict[str, dict]:
    """Machine scores (unit -> theme -> value) with theme ids named as the view names them."""
    if len(books) <= 1:
        return scores
    from thematic.review.codings import qualified, unit_books

    book_of = unit_books(project, books)
    return {u: per if u not in book_of else {qualified(book_of[u], t): v for t, v in per.items()}
            for u, per in scores.items()}
