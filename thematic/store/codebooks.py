"""Codebook versions in the project: ``codebook_versions``, ``codebook_uses`` and ``themes``.

A codebook is stored once per content hash, as a numbered version (1, 2, ...) with the YAML text it
was read from and one ``themes`` row per theme. Each ``codebook use`` appends a row to
``codebook_uses``; the version of the latest use is the current one. Versions are never changed or
removed, so every score and decision can name the version it was made under.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field

from thematic.clock import utc_now
from thematic.codebook.model import LIST_FIELDS, Codebook
from thematic.errors import ThematicError
from thematic.store.project import Project

NO_CODEBOOK = "no codebook in use (run `thematic codebook use FILE` first)"


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


def use_codebook(project: Project, codebook: Codebook, *, yaml_text: str | None = None) -> CodebookVersion:
    """Store ``codebook`` as a version (if its content is new) and make it the current one.

    ``yaml_text`` is the file it was read from (kept as written, comments included); without it the
    codebook's own :meth:`Codebook.to_yaml` is stored. Joins an open transaction, or makes its own.
    """
    return record_use(project, codebook, yaml_text=yaml_text).version


def record_use(project: Project, codebook: Codebook, *, yaml_text: str | None = None) -> CodebookUse:
    """:func:`use_codebook`, saying also whether the version is new and which version was current."""
    content_hash = codebook.content_hash()
    if yaml_text is not None:
        from thematic.codebook.load import parse_codebook

        if parse_codebook(yaml_text, "<stored text>").content_hash() != content_hash:
            raise ValueError("yaml_text does not hold the codebook passed with it")
    with project.transaction():
        previous = current_version(project)
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
            "INSERT INTO codebook_uses (id, version_id, used_at) VALUES (?, ?, ?)",
            (use_id, version.number, utc_now()),
        )
    return CodebookUse(version, created, previous)


def _version(row) -> CodebookVersion:
    number, content_hash, yaml_text, created_at = row
    codebook = _parse_stored(yaml_text, int(number))
    return CodebookVersion(int(number), content_hash, created_at, codebook, yaml_text)


@functools.lru_cache(maxsize=64)
def _parse_stored(yaml_text: str, number: int) -> Codebook:
    """Stored versions never change, so each text is parsed once per process (a Codebook is immutable)."""
    from thematic.codebook.load import parse_codebook

    return parse_codebook(yaml_text, f"codebook version {number}")


_SELECT = "SELECT id, content_hash, yaml, created_at FROM codebook_versions"


def current_version(project: Project) -> CodebookVersion | None:
    """The version of the latest `codebook use`, or None when no codebook was ever used."""
    row = project.conn.execute(
        f"{_SELECT} WHERE id = (SELECT version_id FROM codebook_uses ORDER BY id DESC LIMIT 1)"
    ).fetchone()
    return None if row is None else _version(row)


def require_current(project: Project, *, question: str | None = None) -> CodebookVersion:
    version = current_version(project)
    if version is None:
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
    current = project.scalar("SELECT version_id FROM codebook_uses ORDER BY id DESC LIMIT 1")
    return [
        VersionSummary(v, *uses.get(v.number, (0, None)), current=v.number == current)
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
