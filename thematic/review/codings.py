"""Whose codings, of which question, under which codebook: the one answer every export reads.

Exports (long and wide tables, the report), the joint displays of themes and scales, the REFI-QDA
project and merges all ask the same two questions:

- **whose codings**: a human coder's (their latest standing ``code`` decision per unit, by the rules of
  :mod:`thematic.review.decisions`), ``consensus`` (the same rules, for the reconciled codings) or
  ``machine`` (for each unit, the assigned themes of the latest suggest run that covers its question,
  ``thematic.store.ml.current_runs``). :func:`check_coder` says whether a coder has anything to give and
  :func:`codings_of` gives it, with when each coding was made and any note.
- **which question and which codebook**: one question, or every question. A project may code its
  questions with different codebooks (``codebook use FILE --question Q``); :func:`books_in_view` lists
  the codebook versions in view with the questions each codes. When several are in view, a theme is
  named by its codebook too (:func:`qualified`, ``codebook/theme``), since two codebooks may use the
  same theme id for different things; :func:`view_themes` gives each unit's themes in those names.

This module only reads (through the store and the rules of ``review.decisions``); it writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from thematic.errors import ThematicError
from thematic.review.decisions import CONSENSUS, MACHINE, effective
from thematic.store.project import Project

SEPARATOR = "/"  # between a codebook's name and a theme id (neither may hold it: both are slugs)


@dataclass(frozen=True)
class Coding:
    """One unit's standing coding by one coder."""

    themes: frozenset[str]  # empty: coded, no theme applies
    at: str | None  # when: the decision's time, or the machine's run's
    uuid: str | None = None  # the decision (None for the machine)
    note: str | None = None  # the coder's latest note on the unit (None for the machine)


@dataclass
class Codings:
    """A coder's standing codings (of one question's units, or of every unit)."""

    coder: str
    question: str | None
    by_unit: dict[str, Coding]  # unit id -> coding; a unit the coder has not coded is absent
    notes: dict[str, str] = field(default_factory=dict)  # unit id -> latest note (coded or not)
    runs: dict = field(default_factory=dict)  # machine: question id -> the SuggestRunRecord it comes from

    def themes(self) -> dict[str, frozenset[str]]:
        return {unit_id: c.themes for unit_id, c in self.by_unit.items()}


@dataclass(frozen=True)
class Book:
    """A codebook version in view and the questions it codes (in the project's order)."""

    version: object  # a thematic.store.codebooks.CodebookVersion
    questions: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.version.name

    def label(self) -> str:
        """"ai-therapy version 1 on answer" (what outputs say about the codebook they used)."""
        return f"{self.version.name} version {self.version.number} on {', '.join(self.questions) or '-'}"


@dataclass(frozen=True)
class PerBook:
    """What a command computed within one codebook (``result``), or why it could not (``problem``)."""

    book: Book
    result: object | None
    problem: str | None = None


def each_book(books, compute, *, require_one: bool = True) -> list[PerBook]:
    """``compute(book)`` for each book, in order; a ThematicError becomes that book's ``problem``. With
    ``require_one``, when no book has a result, one ThematicError: the message itself when every book
    failed for the same reason (a bad option, an unknown coder), else each book's, named."""
    out = []
    for book in books:
        try:
            out.append(PerBook(book, compute(book)))
        except ThematicError as exc:
            out.append(PerBook(book, None, exc.message))
    if not require_one or any(r.problem is None for r in out) or not out:
        return out
    problems = [r.problem for r in out]
    if len(set(problems)) == 1:
        raise ThematicError(problems[0])
    raise ThematicError("; ".join(f"codebook {r.book.label()}: {r.problem}" for r in out))


def books_with_theme(books, theme: str | None) -> list[Book]:
    """The books whose codebook has ``theme`` (an id or name); every book when none has it (so each says
    it is unknown) or no theme is named."""
    if theme is None:
        return list(books)
    from thematic.review.session import resolve_themes

    def has(book) -> bool:
        try:
            resolve_themes(book.version, [theme])
        except ThematicError:
            return False
        return True

    return [b for b in books if has(b)] or list(books)


def check_coder(project: Project, coder: str, *, what: str = "to export") -> str:
    """``coder`` if it has codings (the machine: a suggest run); a ThematicError that lists the coders."""
    from thematic.store.decisions import coders
    from thematic.store.ml import latest_suggest_run

    if coder == MACHINE:
        if latest_suggest_run(project) is None:
            raise ThematicError(
                "the machine has no suggestions yet (run `thematic suggest` first, or choose "
                "a coder with --coder NAME)"
            )
        return coder
    known = coders(project)
    if coder not in known:
        listed = ", ".join(known) if known else "nobody has coded yet"
        raise ThematicError(
            f"coder '{coder}' has no decisions in this project (coders: {listed}; "
            "or --coder machine for the machine's suggestions)"
        )
    return coder


def check_log_coder(project: Project, coder: str) -> str:
    """``coder`` if the log holds decisions of theirs (for log exports, where the machine has none)."""
    from thematic.store.decisions import coders

    known = coders(project)
    if coder not in known:
        listed = ", ".join(known) or "nobody has decided anything yet"
        raise ThematicError(f"coder '{coder}' has no decisions in this project (coders: {listed})")
    return coder


def codings_of(project: Project, coder: str, *, question: str | None = None) -> Codings:
    """``coder``'s standing codings (see the module docstring), of ``question``'s units when given."""
    from thematic.store import decisions as log
    from thematic.store.ml import current_runs, machine_codings

    if coder == MACHINE:
        runs = {q: r for q, r in current_runs(project).items() if question is None or q == question}
        at_of = _machine_times(project, runs)
        by_unit = {u: Coding(themes, at_of.get(u)) for u, themes in
                   machine_codings(project, question=question).items()}
        return Codings(coder, question, by_unit, {}, runs)
    standing = effective(log.decisions(project, coder=coder, question=question))
    notes = {d.unit_id: d.note for d in standing if d.note}
    by_unit = {d.unit_id: Coding(d.themes, d.at, d.uuid, notes.get(d.unit_id))
               for d in standing if d.kind == "code"}
    return Codings(coder, question, by_unit, notes)


def _machine_times(project: Project, runs: dict) -> dict[str, str]:
    """unit id -> the creation time of the run its machine coding comes from."""
    from thematic.store.corpus import list_units

    if not runs:
        return {}
    return {u.id: runs[u.question_id].created_at for u in list_units(project) if u.question_id in runs}


def books_in_view(project: Project, question: str | None = None) -> list[Book]:
    """The codebook versions that code ``question`` (or every question), each with its questions, in the
    order of the questions; empty when no codebook is in use. A ThematicError for an unknown question."""
    from thematic.store.codebooks import bindings, current_version, get_version
    from thematic.store.corpus import questions

    if question is not None:
        version = current_version(project, question=question)  # checks the question
        return [] if version is None else [Book(version, (question,))]
    state = bindings(project)
    version_of = {b.question: b.version_number for b in state}
    per_version: dict[int, list[str]] = {}
    for q, _ in questions(project):
        if q in version_of:
            per_version.setdefault(version_of[q], []).append(q)
    if not per_version and None in version_of:  # a codebook in use, no question imported yet
        per_version[version_of[None]] = []
    return [Book(get_version(project, number), tuple(qs)) for number, qs in per_version.items()]


def qualified(codebook: str, theme_id: str) -> str:
    """A theme's name in a view of several codebooks: ``codebook/theme``.

    >>> qualified("ai-therapy", "mixed-support")
    'ai-therapy/mixed-support'
    """
    return f"{codebook}{SEPARATOR}{theme_id}"


@dataclass(frozen=True)
class ViewTheme:
    """A theme as a view names it (``codebook/theme`` and "Name (codebook)" with several codebooks)."""

    id: str
    name: str
    theme: object  # the codebook's Theme
    book: Book
    parent_id: str | None


def view_catalogue(books: list[Book]) -> list[ViewTheme]:
    """Every theme of the codebooks in view, each codebook in turn, in its own order."""
    many = len(books) > 1
    out = []
    for book in books:
        for t in book.version.codebook.themes:
            parent = t.parent_id and (qualified(book.name, t.parent_id) if many else t.parent_id)
            out.append(ViewTheme(qualified(book.name, t.id) if many else t.id,
                                 f"{t.name} ({book.name})" if many else t.name, t, book, parent or None))
    return out


def unit_books(project: Project, books: list[Book]) -> dict[str, str]:
    """Unit id -> the name of the codebook in view that codes its question (units of questions no
    codebook in view codes are left out)."""
    from thematic.store.corpus import list_units

    book_of = {q: b.name for b in books for q in b.questions}
    return {u.id: book_of[u.question_id] for u in list_units(project) if u.question_id in book_of}


def view_themes(project: Project, codings: dict[str, frozenset[str]], books: list[Book]
                ) -> dict[str, frozenset[str]]:
    """Each unit's themes as the view names them: as they are with one codebook in view; with several,
    qualified by the codebook of the unit's question (:func:`qualified`). Units of a question no
    codebook in view codes keep their ids."""
    if len(books) <= 1:
        return dict(codings)
    book_of = unit_books(project, books)
    return {u: themes if u not in book_of else frozenset(qualified(book_of[u], t) for t in themes)
            for u, themes in codings.items()}


def default_coder(project: Project, *, machine: bool = True) -> str:
    """``consensus`` when there is one, else the only human coder, else (with ``machine``) ``machine``
    when a suggest run exists; a ThematicError when the choice is not clear."""
    from thematic.store.decisions import coders
    from thematic.store.ml import latest_suggest_run

    known = coders(project)
    if CONSENSUS in known:
        return CONSENSUS
    if len(known) == 1:
        return known[0]
    if len(known) > 1:
        raise ThematicError(
            f"several coders have coded: {', '.join(known)} (choose one with --coder NAME, "
            "or reconcile them into consensus first)"
        )
    if not machine:
        raise ThematicError("nobody has coded yet (code some units first, or pass --coder machine to use the "
                            "machine's suggestions)")
    if latest_suggest_run(project) is not None:
        return MACHINE
    raise ThematicError(
        "nobody has coded yet and there are no machine suggestions (code some units, or run "
        "`thematic suggest`, first)"
    )
