"""Queries for exports, the report and REFI-QDA import: whole responses, and per-response units."""

from __future__ import annotations

from thematic.store.corpus import _UNIT_COLUMNS, Unit, _unit
from thematic.store.project import Project


def all_responses(project: Project, *, question_id: str | None = None) -> list[tuple[int, str, str, str]]:
    """(response id, respondent id, question id, text) for every response, in import order."""
    sql = "SELECT id, respondent_id, question_id, text FROM responses"
    params: list = []
    if question_id is not None:
        sql += " WHERE question_id = ?"
        params.append(question_id)
    return [tuple(r) for r in project.execute(sql + " ORDER BY id", params)]


def find_response(project: Project, respondent_id: str, question_id: str) -> tuple[int, str] | None:
    """(response id, text) of a respondent's answer to a question, or None."""
    row = project.conn.execute(
        "SELECT id, text FROM responses WHERE respondent_id = ? AND question_id = ?",
        (respondent_id, question_id),
    ).fetchone()
    return None if row is None else (int(row[0]), row[1])


def response_units(project: Project, response_id: int) -> list[Unit]:
    """The units of one response, in order."""
    return [
        _unit(row)
        for row in project.execute(
            f"SELECT {_UNIT_COLUMNS} FROM units u JOIN responses r ON r.id = u.response_id "
            "WHERE u.response_id = ? ORDER BY u.seq",
            (response_id,),
        )
    ]


def decision_tallies(project: Project) -> list[tuple[str, int, int, str | None, str | None]]:
    """(coder, decisions, distinct units, first at, last at) per coder in the log, by coder."""
    return [
        tuple(r)
        for r in project.execute(
            "SELECT coder, COUNT(*), COUNT(DISTINCT unit_id), MIN(at), MAX(at) FROM decisions "
            "GROUP BY coder ORDER BY coder"
        )
    ]
