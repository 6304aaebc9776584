"""All SQL for the decision log: append decisions, read them back, and the codings they add up to.

The ``decisions`` table is append-only (triggers refuse UPDATE and DELETE). A decision's uuid is its
identity: recording one that is already there adds nothing, which makes imports idempotent. Reads
return decisions in log order, ``(at, uuid)``, never in arrival order, so merged copies agree.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable

from thematic.errors import ExitCode, ThematicError
from thematic.records import decision as log
from thematic.records.decision import Decision
from thematic.store.project import Project

_COLUMNS = "uuid, coder, unit_id, themes, kind, target_uuid, note, codebook_hash, suggestions, at"
_RETRIES = 6


def _row(decision: Decision) -> tuple:
    return (
        decision.uuid,
        decision.coder,
        decision.unit_id,
        json.dumps(sorted(decision.themes), ensure_ascii=False),
        decision.kind,
        decision.target_uuid,
        decision.note,
        decision.codebook_hash,
        None
        if decision.suggestions is None
        else json.dumps(decision.suggestions, ensure_ascii=False, sort_keys=True),
        decision.at,
    )


def _decision(row) -> Decision:
    uuid, coder, unit_id, themes, kind, target, note, cb_hash, suggestions, at = row
    return Decision(
        uuid=uuid,
        coder=coder,
        unit_id=unit_id,
        themes=frozenset(json.loads(themes)),
        kind=kind,
        target_uuid=target,
        note=note,
        codebook_hash=cb_hash,
        suggestions=None if suggestions is None else json.loads(suggestions),
        at=at,
    )


def record_many(project: Project, decisions: Iterable[Decision]) -> int:
    """Append decisions in one transaction; returns how many were new (a known uuid adds nothing).

    Every unit must exist in the project (a ThematicError names the first that does not). When called
    outside a transaction, a write lock that stays busy past the busy timeout is retried a few times.
    """
    rows = [_row(d) for d in decisions]
    if not rows:
        return 0
    missing = missing_units(project, {r[2] for r in rows})
    if missing:
        first = sorted(missing)[0]
        raise ThematicError(f"unit '{first}' not found in this project (list unit ids with `thematic units`)")
    attempt = 0
    while True:
        try:
            with project.transaction() as conn:
                sql = (f"INSERT INTO decisions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT (uuid) DO NOTHING")
                if project.engine.name == "postgresql":  # one statement for the sheet, rows in order
                    arrays = ", ".join("?::text[]" for _ in _COLUMNS.split(","))
                    return conn.execute(
                        f"INSERT INTO decisions ({_COLUMNS}) SELECT * FROM unnest({arrays}) "
                        "ON CONFLICT (uuid) DO NOTHING",
                        [list(column) for column in zip(*rows, strict=True)],
                    ).rowcount
                added = 0
                for row in rows:
                    added += conn.execute(sql, row).rowcount
            return added
        except Exception as exc:
            busy = project.engine.is_retryable(exc)
            attempt += 1
            if project._depth or not busy or attempt >= _RETRIES:
                if busy:
                    raise ThematicError(
                        "the project file stayed locked by another process (try again; nothing was recorded)",
                        ExitCode.ERROR,
                    ) from exc
                raise
            time.sleep(0.05 * 2**attempt)


def record(project: Project, decision: Decision) -> bool:
    """Append one decision (committed when this returns, unless inside an outer transaction).

    Returns False if a decision with that uuid was already in the log.
    """
    return record_many(project, [decision]) == 1


def missing_units(project: Project, unit_ids: Iterable[str]) -> set[str]:
    """The ids among ``unit_ids`` that are not units of this project."""
    wanted = set(unit_ids)
    found: set[str] = set()
    ids = sorted(wanted)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        found.update(r[0] for r in project.execute(f"SELECT id FROM units WHERE id IN ({marks})", chunk))
    return wanted - found


def decisions(
    project: Project, *, coder: str | None = None, question: str | None = None, unit_id: str | None = None
) -> list[Decision]:
    """The log (or one coder's, one question's, one unit's part of it) in log order: ``at``, then uuid."""
    sql = f"SELECT {', '.join('d.' + c.strip() for c in _COLUMNS.split(','))} FROM decisions d"
    where, params = [], []
    if question is not None:
        sql += " JOIN units u ON u.id = d.unit_id JOIN responses r ON r.id = u.response_id"
        where.append("r.question_id = ?")
        params.append(question)
    if coder is not None:
        where.append("d.coder = ?")
        params.append(coder)
    if unit_id is not None:
        where.append("d.unit_id = ?")
        params.append(unit_id)
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY d.at, d.uuid"
    return [_decision(row) for row in project.execute(sql, params)]


def by_uuid(project: Project, uuids: Iterable[str]) -> dict[str, Decision]:
    """The stored decisions among ``uuids``."""
    ids = sorted(set(uuids))
    found: dict[str, Decision] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        for row in project.execute(f"SELECT {_COLUMNS} FROM decisions WHERE uuid IN ({marks})", chunk):
            found[row[0]] = _decision(row)
    return found


def count(project: Project) -> int:
    return int(project.scalar("SELECT COUNT(*) FROM decisions"))


def coders(project: Project) -> list[str]:
    """Everyone with at least one decision in the log, sorted."""
    return [r[0] for r in project.execute("SELECT DISTINCT coder FROM decisions ORDER BY coder")]


def current_codings(
    project: Project, coder: str, *, question: str | None = None
) -> dict[str, frozenset[str]]:
    """Unit id -> theme ids of the coder's latest non-undone ``code`` decision.

    Coder ``machine`` gives the latest suggest run's assignments (``thematic.store.ml.machine_codings``).
    """
    if coder == log.MACHINE:
        from thematic.store.ml import machine_codings

        codings = machine_codings(project)
        if question is not None:
            keep = unit_ids(project, question=question)
            codings = {u: t for u, t in codings.items() if u in keep}
        return codings
    return log.current_codings(decisions(project, coder=coder, question=question))


def latest_notes(project: Project, coder: str) -> dict[str, str]:
    """Unit id -> the coder's latest note on it (from a decision that has not been undone)."""
    return log.latest_notes(decisions(project, coder=coder))


def unit_ids(project: Project, *, question: str | None = None) -> set[str]:
    if question is None:
        return {r[0] for r in project.execute("SELECT id FROM units")}
    return {
        r[0]
        for r in project.execute(
            "SELECT u.id FROM units u JOIN responses r ON r.id = u.response_id WHERE r.question_id = ?",
            (question,),
        )
    }
