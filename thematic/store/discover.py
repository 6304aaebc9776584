"""Queries for discovery runs: ``discover_runs``, ``clusters`` and ``cluster_members``.

A run is written whole (its parameters, one row per cluster, one row per unit) inside the caller's
transaction, and read back as plain dicts; :mod:`thematic.ml.discover` turns them into its dataclasses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from thematic.store.project import Project


def insert_run(project: Project, *, codebook_version_id: int | None, model: str, parameters: dict,
               created_at: str) -> int:
    return project.insert_id(
        "INSERT INTO discover_runs (codebook_version_id, model, parameters, created_at) VALUES (?, ?, ?, ?) "
        "RETURNING id",
        (codebook_version_id, model, json.dumps(parameters, ensure_ascii=False, sort_keys=True), created_at),
    )


def insert_clusters(project: Project, run_id: int, rows: Iterable[dict]) -> None:
    """rows: dicts with cluster, size, keywords (list), exemplars (list of unit ids), nearest_theme,
    similarity, is_candidate."""
    project.conn.executemany(
        "INSERT INTO clusters (run_id, cluster, size, keywords, exemplars, nearest_theme, similarity, "
        "is_candidate) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (run_id, r["cluster"], r["size"], json.dumps(r["keywords"], ensure_ascii=False),
             json.dumps(r["exemplars"]), r["nearest_theme"], r["similarity"], int(bool(r["is_candidate"])))
            for r in rows
        ),
    )


def insert_members(project: Project, run_id: int,
                   rows: Iterable[tuple[str, int, float | None, float | None]]) -> None:
    """rows: (unit id, cluster, x, y)."""
    project.conn.executemany(
        "INSERT INTO cluster_members (run_id, unit_id, cluster, x, y) VALUES (?, ?, ?, ?, ?)",
        ((run_id, unit_id, cluster, x, y) for unit_id, cluster, x, y in rows),
    )


def latest_run_id(project: Project) -> int | None:
    return project.scalar("SELECT MAX(id) FROM discover_runs")


def get_run(project: Project, run_id: int) -> dict | None:
    row = project.conn.execute(
        "SELECT id, codebook_version_id, model, parameters, created_at FROM discover_runs WHERE id = ?",
        (run_id,),
    ).fetchone()
    if row is None:
        return None
    return {"id": row[0], "codebook_version_id": row[1], "model": row[2], "parameters": json.loads(row[3]),
            "created_at": row[4]}


def run_clusters(project: Project, run_id: int) -> list[dict]:
    """A run's clusters in display order (largest first, unclustered units last)."""
    return [
        {"cluster": c, "size": size, "keywords": json.loads(kw), "exemplars": json.loads(ex),
         "nearest_theme": theme, "similarity": sim, "is_candidate": bool(cand)}
        for c, size, kw, ex, theme, sim, cand in project.execute(
            """SELECT cluster, size, keywords, exemplars, nearest_theme, similarity, is_candidate
               FROM clusters WHERE run_id = ?
               ORDER BY CASE WHEN cluster < 0 THEN 1 ELSE 0 END, cluster""",
            (run_id,),
        )
    ]


def run_members(project: Project, run_id: int) -> list[tuple[str, int, float | None, float | None]]:
    """(unit id, cluster, x, y) for every unit of a run, in corpus order."""
    return [
        (unit_id, cluster, x, y)
        for unit_id, cluster, x, y in project.execute(
            """SELECT m.unit_id, m.cluster, m.x, m.y FROM cluster_members m
               JOIN units u ON u.id = m.unit_id JOIN responses r ON r.id = u.response_id
               WHERE m.run_id = ? ORDER BY r.id, u.seq""",
            (run_id,),
        )
    ]


def unit_texts(project: Project, unit_ids: Iterable[str]) -> dict[str, str]:
    ids = list(dict.fromkeys(unit_ids))
    found: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start: start + 500]
        marks = ", ".join("?" for _ in chunk)
        found.update(project.execute(f"SELECT id, text FROM units WHERE id IN ({marks})", chunk))
    return found
