"""Queries for the corpus: sources, respondents, questions, responses and units."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from thematic.errors import ThematicError
from thematic.store.project import Project


@dataclass(frozen=True)
class Unit:
    id: str
    respondent_id: str
    question_id: str
    response_id: int
    seq: int
    start: int
    end: int
    text: str
    text_sha256: str


_UNIT_COLUMNS = """u.id, r.respondent_id, r.question_id, u.response_id, u.seq, u.start_offset, u.end_offset,
                   u.text, u.text_sha256"""


def _unit(row) -> Unit:
    return Unit(*row)


def check_question(project: Project, question: str | None, known: Sequence[str] | None = None) -> None:
    """Nothing when ``question`` is None or a question of the project; else a ThematicError listing them
    (the one message every command gives for an unknown question). ``known``: the project's question
    ids, when the caller has them already."""
    if question is None:
        return
    known = [q for q, _ in questions(project)] if known is None else list(known)
    if question not in known:
        listed = ", ".join(known) if known else "none yet: import answers first"
        raise ThematicError(f"question '{question}' is not in this project (questions: {listed})")


def check_attributes(project: Project, names: Sequence[str], option: str = "--show-attr") -> list[str]:
    """``names``, each once, if every one is a respondent attribute; else a ThematicError listing them."""
    known: dict[str, None] = {}
    for attributes in respondent_attributes(project).values():
        known.update(dict.fromkeys(attributes))
    unknown = [name for name in names if name not in known]
    if unknown:
        listed = ", ".join(known) or "none yet"
        raise ThematicError(f"no respondent attribute '{unknown[0]}' ({option} names one of: {listed})")
    return list(dict.fromkeys(names))


def find_source(project: Project, sha256: str, options: str):
    return project.conn.execute(
        "SELECT id, name, imported_at FROM sources WHERE sha256 = ? AND options = ?", (sha256, options)
    ).fetchone()


def source_hashes(project: Project) -> set[str]:
    """The sha256 of every file imported into the project."""
    return {r[0] for r in project.query("SELECT DISTINCT sha256 FROM sources")}


def source_with_hash(project: Project, sha256: str) -> tuple[str, str] | None:
    """(name, imported_at) of the first file imported with these bytes, else None."""
    rows = project.query(
        "SELECT name, imported_at FROM sources WHERE sha256 = ? ORDER BY id LIMIT 1", (sha256,)
    )
    return (rows[0][0], rows[0][1]) if rows else None


def questions_answered_with(project: Project, respondent_id: str, text: str) -> list[str]:
    """The questions to which ``respondent_id`` gave exactly the answer ``text``."""
    return [r[0] for r in project.query(
        "SELECT question_id FROM responses WHERE respondent_id = ? AND text = ?", (respondent_id, text))]


def insert_source(project: Project, *, name: str, sha256: str, options: str, imported_at: str) -> int:
    project.lock("import")  # one import at a time writes respondents and numbers questions
    return project.insert_id(
        "INSERT INTO sources (name, sha256, options, imported_at, summary) VALUES (?, ?, ?, ?, '{}') "
        "RETURNING id",
        (name, sha256, options, imported_at),
    )


def set_source_summary(project: Project, source_id: int, summary: dict) -> None:
    """The import's last write. On PostgreSQL it also refreshes the planner's statistics of the tables an
    import fills (a bulk COPY leaves them stale until autovacuum comes by)."""
    project.execute("UPDATE sources SET summary = ? WHERE id = ?", (json.dumps(summary), source_id))
    if project.engine.name == "postgresql":
        project.execute("ANALYZE respondents, responses, units")


def respondent_attributes(project: Project) -> dict[str, dict]:
    return {
        rid: json.loads(attrs) for rid, attrs in project.execute("SELECT id, attributes FROM respondents")
    }


def insert_respondents(project: Project, rows: Iterable[tuple[str, dict, int]]) -> None:
    project.insert_rows(
        "respondents", ("id", "attributes", "source_id"),
        ((rid, json.dumps(attrs, ensure_ascii=False), sid) for rid, attrs, sid in rows),
    )


def update_respondent_attributes(project: Project, rows: Iterable[tuple[str, dict]]) -> None:
    project.conn.executemany(
        "UPDATE respondents SET attributes = ? WHERE id = ?",
        ((json.dumps(attrs, ensure_ascii=False), rid) for rid, attrs in rows),
    )


def questions(project: Project) -> list[tuple[str, str | None]]:
    return [(r[0], r[1]) for r in project.execute("SELECT id, text FROM questions ORDER BY position")]


def ensure_question(project: Project, question_id: str, text: str | None) -> None:
    position = project.scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM questions")
    project.execute(
        "INSERT INTO questions (id, text, position) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
        (question_id, text, position),
    )
    if text:
        project.execute("UPDATE questions SET text = ? WHERE id = ? AND text IS NULL", (text, question_id))


def response_texts(project: Project, question_id: str) -> dict[str, str]:
    return dict(
        project.execute("SELECT respondent_id, text FROM responses WHERE question_id = ?", (question_id,))
    )


def insert_response(project: Project, respondent_id: str, question_id: str, text: str, source_id: int) -> int:
    return project.insert_id(
        "INSERT INTO responses (respondent_id, question_id, text, source_id) VALUES (?, ?, ?, ?) "
        "RETURNING id",
        (respondent_id, question_id, text, source_id),
    )


def insert_responses(project: Project, question_id: str, rows: list[tuple[str, str]],
                     source_id: int) -> list[int]:
    """Insert one question's answers, rows (respondent id, text) in order; returns their new ids.

    PostgreSQL takes a block of ids from the identity sequence and COPYs the rows (one round trip per
    block instead of one per answer); SQLite inserts them one by one."""
    if project.engine.name != "postgresql":
        return [insert_response(project, rid, question_id, text, source_id) for rid, text in rows]
    if not rows:
        return []
    ids = sorted(r[0] for r in project.query(
        "SELECT nextval(pg_get_serial_sequence('responses', 'id')) FROM generate_series(1, ?)", (len(rows),)))
    project.insert_rows(
        "responses", ("id", "respondent_id", "question_id", "text", "source_id"),
        ((i, rid, question_id, text, source_id) for i, (rid, text) in zip(ids, rows, strict=True)),
    )
    return ids


def insert_units(project: Project, rows: Iterable[tuple]) -> None:
    """rows: (id, response_id, seq, start, end, text, text_sha256)."""
    project.insert_rows(
        "units", ("id", "response_id", "seq", "start_offset", "end_offset", "text", "text_sha256"), rows
    )


def get_unit(project: Project, unit_id: str) -> Unit | None:
    row = project.conn.execute(
        f"SELECT {_UNIT_COLUMNS} FROM units u JOIN responses r ON r.id = u.response_id WHERE u.id = ?",
        (unit_id,),
    ).fetchone()
    return None if row is None else _unit(row)


def list_units(
    project: Project, *, question_id: str | None = None, limit: int | None = None, offset: int = 0
) -> list[Unit]:
    sql = f"SELECT {_UNIT_COLUMNS} FROM units u JOIN responses r ON r.id = u.response_id"
    params: list = []
    if question_id is not None:
        sql += " WHERE r.question_id = ?"
        params.append(question_id)
    sql += " ORDER BY r.id, u.seq"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return [_unit(row) for row in project.execute(sql, params)]


def get_response(project: Project, response_id: int) -> tuple[str, str, str]:
    """(respondent id, question id, full text) of a response."""
    row = project.conn.execute(
        "SELECT respondent_id, question_id, text FROM responses WHERE id = ?", (response_id,)
    ).fetchone()
    return tuple(row)


def get_respondent(project: Project, respondent_id: str) -> dict:
    row = project.conn.execute("SELECT attributes FROM respondents WHERE id = ?", (respondent_id,)).fetchone()
    return {} if row is None else json.loads(row[0])


def counts(project: Project) -> dict:
    per_question = [
        {"question": q, "text": t, "responses": n_resp, "units": n_units}
        for q, t, n_resp, n_units in project.execute(
            """SELECT q.id, q.text,
                      (SELECT COUNT(*) FROM responses r WHERE r.question_id = q.id),
                      (SELECT COUNT(*) FROM units u JOIN responses r ON r.id = u.response_id
                        WHERE r.question_id = q.id)
               FROM questions q ORDER BY q.position"""
        )
    ]
    return {
        "sources": project.scalar("SELECT COUNT(*) FROM sources"),
        "respondents": project.scalar("SELECT COUNT(*) FROM respondents"),
        "responses": project.scalar("SELECT COUNT(*) FROM responses"),
        "units": project.scalar("SELECT COUNT(*) FROM units"),
        "questions": per_question,
    }


def unit_count(project: Project) -> int:
    """How many units the project holds (every question)."""
    return int(project.scalar("SELECT COUNT(*) FROM units"))


def list_sources(project: Project) -> list[dict]:
    return [
        {"id": sid, "name": name, "imported_at": at, "summary": json.loads(summary)}
        for sid, name, at, summary in project.execute(
            "SELECT id, name, imported_at, summary FROM sources ORDER BY id"
        )
    ]
