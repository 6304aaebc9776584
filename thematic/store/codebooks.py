"""Codebook versions in the project: ``codebook_versions``, ``codebook_uses`` and ``themes``.

A codebook is stored once per content hash, as a numbered version (1, 2, ...) with the YAML text it
was read from and one ``themes`` row per theme. Each ``codebook use`` appends a row to
``codebook_uses``, bound to every question (scope ``all``) or to the questions listed in
``codebook_use_questions``. The latest use that covers a question names the question's codebook
(:func:`bindings`); with one codebook on every question that is "the current version". Versions are
never changed or removed, so every score and decision can name the version it was made under.

The rules of binding (:func:`record_use`): a question has one codebook. ``use`` without questions
binds every question, unless codebooks are bound per question: then it updates a codebook already
bound (on its own questions) and refuses a new one. ``use`` with questions binds them, and keeps the
codebook's earlier questions; it refuses a question another codebook was bound to by name.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from thematic.clock import utc_now
from thematic.errors import ThematicError
from thematic.store.corpus import check_question
from thematic.store.project import Project

if TYPE_CHECKING:  # the model is read when a version is stored or parsed, not to list bindings (`status`)
    from thematic.records.codebook import Codebook

NO_CODEBOOK = "no codebook in use (run `thematic codebook use FILE` first)"
ALL = "all"


@dataclass(frozen=True)
class Binding:
    """The codebook version a question is coded with, and the use that bound it (``explicit``: the use
    named the question; otherwise it bound every question)."""

    question: str | None
    version_number: int
    use_id: int
    explicit: bool


@dataclass(frozen=True)
class CodebookVersion:
    """A codebook as stored in a project: its version number, content hash and when it was first stored."""

    number: int
    content_hash: str
    created_at: str
    codebook: Codebook
    yaml_text: str = field(default="", compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.codebook.codebook


@dataclass(frozen=True)
class CodebookUse:
    """What :func:`record_use` did: the version now current, whether it was new, and the one before."""

    version: CodebookVersion
    created: bool
    previous: CodebookVersion | None


@dataclass(frozen=True)
class VersionSummary:
    """One line of `thematic codebook versions`."""

    version: CodebookVersion
    uses: int
    last_used_at: str | None
    current: bool


def use_codebook(
    project: Project, codebook: Codebook, *, yaml_text: str | None = None, questions=None
) -> CodebookVersion:
    """Store ``codebook`` as a version (if its content is new) and make it the current one.

    ``yaml_text`` is the file it was read from (kept as written, comments included); without it the
    codebook's own :meth:`Codebook.to_yaml` is stored. ``questions``: bind it to these questions only
    (see the module docstring). Joins an open transaction, or makes its own.
    """
    return record_use(project, codebook, yaml_text=yaml_text, questions=questions).version


def record_use(
    project: Project, codebook: Codebook, *, yaml_text: str | None = None, questions=None
) -> CodebookUse:
    """:func:`use_codebook`, saying also whether the version is new and which version was current."""
    from thematic.records.codebook import LIST_FIELDS

    content_hash = codebook.content_hash()
    if yaml_text is not None:
        from thematic.records.codebook_yaml import parse_codebook

        if parse_codebook(yaml_text, "<stored text>").content_hash() != content_hash:
            raise ValueError("yaml_text does not hold the codebook passed with it")
    with project.transaction():
        project.lock("codebooks")  # numbers versions and uses: one session at a time
        scope, chosen = _scope(project, codebook.codebook, questions)
        previous = _previous_of(project, scope, chosen)
        version = version_by_hash(project, content_hash)
        created = version is None
        if version is None:
            number = int(project.scalar("SELECT COALESCE(MAX(id), 0) FROM codebook_versions")) + 1
            text = yaml_text if yaml_text is not None else codebook.to_yaml()
            created_at = utc_now()
            project.execute(
                "INSERT INTO codebook_versions (id, content_hash, name, yaml, created_at) VALUES (?, ?, ?, "
                "?, ?)",
                (number, content_hash, codebook.codebook, text, created_at),
            )
            project.conn.executemany(
                """INSERT INTO themes (version_id, id, position, parent_id, name, definition, include_rules,
                       exclude_rules, examples, counterexamples, keywords, colour)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    (
                        number,
                        t.id,
                        position,
                        t.parent_id,
                        t.name,
                        t.definition,
                        *(json.dumps(list(getattr(t, name)), ensure_ascii=False) for name in LIST_FIELDS),
                        t.colour,
                    )
                    for position, t in enumerate(codebook.themes)
                ],
            )
            version = CodebookVersion(number, content_hash, created_at, codebook, text)
        use_id = int(project.scalar("SELECT COALESCE(MAX(id), 0) FROM codebook_uses")) + 1
        project.execute(
            "INSERT INTO codebook_uses (id, version_id, used_at, scope) VALUES (?, ?, ?, ?)",
            (use_id, version.number, utc_now(), scope),
        )
        project.conn.executemany(
            "INSERT INTO codebook_use_questions (use_id, question_id) VALUES (?, ?)",
            [(use_id, q) for q in chosen],
        )
    return CodebookUse(version, created, previous)


def _question_ids(project: Project) -> list[str]:
    return [r[0] for r in project.query("SELECT id FROM questions ORDER BY position")]


def _scope(project: Project, name: str, questions) -> tuple[str, list[str]]:
    """The scope of a new use of codebook ``name``, checked against the rules of the module docstring."""
    state = bindings(project)
    names = _names_by_version(project)
    per_question = {b.question: b for b in state if b.explicit}
    if questions is None:
        if not per_question:
            return ALL, []
        own = [b.question for b in state if names[b.version_number] == name and b.question is not None]
        if own and all(names[b.version_number] == name for b in state):
            return ALL, []
        if own:
            return "questions", own
        listing = _listing(state, names)
        raise ThematicError(
            f"codebooks are bound per question in this project ({listing}); say which questions codebook "
            f"{name} codes with --question Q (one codebook per question)"
        )
    wanted = [q.strip() for q in questions]
    known = _question_ids(project)
    for q in wanted:
        if not q:
            raise ThematicError("--question has an empty name (separate questions with commas, e.g. q1,q2)")
        check_question(project, q, known)
    for q in wanted:
        b = per_question.get(q)
        if b is not None and names[b.version_number] != name:
            raise ThematicError(
                f"question '{q}' is coded with codebook {names[b.version_number]} already (one codebook per "
                f"question: bind codebook {name} to other questions)"
            )
    own = [q for q, b in per_question.items() if names[b.version_number] == name]
    chosen = [q for q in known if q in set(wanted) | set(own)]
    return "questions", chosen


def _names_by_version(project: Project) -> dict[int, str]:
    return {int(r[0]): r[1] for r in project.query("SELECT id, name FROM codebook_versions")}


def _listing(state: list[Binding], names: dict[int, str]) -> str:
    by_name: dict[str, list[str]] = {}
    for b in state:
        by_name.setdefault(names[b.version_number], []).append(b.question or "every other question")
    return "; ".join(f"{n} on {', '.join(qs)}" for n, qs in by_name.items())


def _previous_of(project: Project, scope: str, chosen: list[str]) -> CodebookVersion | None:
    """The version that coded the new use's questions until now (the first of them, when per question)."""
    if scope == ALL:
        try:
            return current_version(project)
        except ThematicError:
            return None
    number = next((b.version_number for b in bindings(project) if b.question in chosen), None)
    return None if number is None else get_version(project, number)


def bindings(project: Project) -> list[Binding]:
    """Each question's codebook: one Binding per question of the project (``question`` None stands for
    every question when the project has none yet). Empty when no codebook was ever used."""
    rows = project.query("SELECT id, version_id, scope FROM codebook_uses ORDER BY id")
    if not rows:
        return []
    listed: dict[int, list[str]] = {}
    for use_id, question in project.query("SELECT use_id, question_id FROM codebook_use_questions"):
        listed.setdefault(int(use_id), []).append(question)
    every: tuple[int, int] | None = None
    explicit: dict[str, tuple[int, int]] = {}
    for use_id, version_id, scope in rows:
        if scope == ALL:
            every, explicit = (int(use_id), int(version_id)), {}
        else:
            for q in listed.get(int(use_id), []):
                explicit[q] = (int(use_id), int(version_id))
    questions = _question_ids(project)
    out = []
    for q in questions:
        if q in explicit:
            out.append(Binding(q, explicit[q][1], explicit[q][0], True))
        elif every is not None:
            out.append(Binding(q, every[1], every[0], False))
    if not questions and every is not None:
        out.append(Binding(None, every[1], every[0], False))
    for q, (use_id, version_id) in explicit.items():  # bound before the question's answers were removed
        if q not in questions:
            out.append(Binding(q, version_id, use_id, True))
    return out


def _version(row) -> CodebookVersion:
    number, content_hash, yaml_text, created_at = row
    codebook = _parse_stored(yaml_text, int(number))
    return CodebookVersion(int(number), content_hash, created_at, codebook, yaml_text)


@functools.lru_cache(maxsize=64)
def _parse_stored(yaml_text: str, number: int) -> Codebook:
    """Stored versions never change, so each text is parsed once per process (a Codebook is immutable)."""
    from thematic.records.codebook_yaml import parse_codebook

    return parse_codebook(yaml_text, f"codebook version {number}")


_SELECT = "SELECT id, content_hash, yaml, created_at FROM codebook_versions"


def current_version(project: Project, *, question: str | None = None,
                    one_for: str | None = None) -> CodebookVersion | None:
    """The codebook version of ``question`` (default: the one version every question is coded with), or
    None when no codebook was ever used. Raises ThematicError when the question is not in the project,
    or when no question is named and the questions have different codebooks (``one_for``: what records
    one codebook, e.g. "a review session", for a message that says why a question must be named)."""
    state = bindings(project)
    if question is not None:
        known = _question_ids(project)
        check_question(project, question, known)
        number = next((b.version_number for b in state if b.question == question), None)
        return None if number is None else get_version(project, number)
    numbers = {b.version_number for b in state}
    if not numbers:
        return None
    if len(numbers) > 1:
        names = {n: get_version(project, n) for n in numbers}
        listing = "; ".join(
            f"{names[b.version_number].name} version {b.version_number} on {b.question}" for b in state
        )
        if one_for:
            raise ThematicError(
                f"{one_for} records one codebook, and this project codes its questions with different "
                f"codebooks ({listing}); name one question with --question Q"
            )
        raise ThematicError(
            f"this project codes its questions with different codebooks ({listing}); name one with "
            "--question Q"
        )
    return get_version(project, numbers.pop())


def question_codebooks(project: Project) -> dict[str | None, CodebookVersion]:
    """Every question's codebook version (questions without one are left out)."""
    return {b.question: get_version(project, b.version_number) for b in bindings(project)}


def require_current(project: Project, *, question: str | None = None,
                    one_for: str | None = None) -> CodebookVersion:
    version = current_version(project, question=question, one_for=one_for)
    if version is None:
        if question is not None:
            raise ThematicError(
                f"question '{question}' has no codebook (run `thematic codebook use FILE --question "
                f"{question}`)"
            )
        raise ThematicError(NO_CODEBOOK)
    return version


def get_version(project: Project, number: int) -> CodebookVersion:
    row = project.conn.execute(f"{_SELECT} WHERE id = ?", (number,)).fetchone()
    if row is not None:
        return _version(row)
    latest = project.scalar("SELECT MAX(id) FROM codebook_versions")
    if latest is None:
        raise ThematicError(
            f"codebook version {number} not found (no codebook has been used in this project; run `thematic "
            "codebook use FILE` first)"
        )
    versions = "version 1" if latest == 1 else f"versions 1 to {latest}"
    raise ThematicError(
        f"codebook version {number} not found (this project has {versions}; list them with `thematic "
        "codebook versions`)"
    )


def version_by_hash(project: Project, content_hash: str) -> CodebookVersion | None:
    row = project.conn.execute(f"{_SELECT} WHERE content_hash = ?", (content_hash,)).fetchone()
    return None if row is None else _version(row)


def themes_by_hash(project: Project) -> dict[str, set[str]]:
    """Every stored version's content hash -> its theme ids (a version without themes maps to none)."""
    themes: dict[str, set[str]] = {}
    for content_hash, theme in project.execute(
        "SELECT v.content_hash, t.id FROM codebook_versions v LEFT JOIN themes t ON t.version_id = v.id"
    ):
        themes.setdefault(content_hash, set())
        if theme is not None:
            themes[content_hash].add(theme)
    return themes


def list_versions(project: Project) -> list[CodebookVersion]:
    """Every stored version, oldest first."""
    return [_version(row) for row in project.query(f"{_SELECT} ORDER BY id")]


def version_history(project: Project) -> list[VersionSummary]:
    """Every version with how often and when it was last used, and which one is current."""
    uses = {
        row[0]: (int(row[1]), row[2])
        for row in project.query(
            "SELECT version_id, COUNT(*), MAX(used_at) FROM codebook_uses GROUP BY version_id"
        )
    }
    current = {b.version_number for b in bindings(project)}
    return [
        VersionSummary(v, *uses.get(v.number, (0, None)), current=v.number in current)
        for v in list_versions(project)
    ]


def previous_version(project: Project) -> CodebookVersion | None:
    """The version that was current before the current one (the last use of a different version)."""
    current = project.scalar("SELECT version_id FROM codebook_uses ORDER BY id DESC LIMIT 1")
    if current is None:
        return None
    number = project.scalar(
        "SELECT version_id FROM codebook_uses WHERE version_id <> ? ORDER BY id DESC LIMIT 1", (current,)
    )
    return None if number is None else get_version(project, int(number))
