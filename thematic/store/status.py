"""What a project holds, for `thematic status`."""

from __future__ import annotations

from thematic.store import corpus
from thematic.store.project import Project


def project_status(project: Project) -> dict:
    status = corpus.counts(project)
    status["project"] = project.location
    status["schema_version"] = project.schema_version
    status["unit"] = project.meta("unit")
    status["codebook_versions"] = project.scalar("SELECT COUNT(*) FROM codebook_versions")
    current = project.conn.execute(
        """SELECT v.id, v.name FROM codebook_uses u JOIN codebook_versions v ON v.id = u.version_id
           ORDER BY u.id DESC LIMIT 1"""
    ).fetchone()
    status["codebook"] = None if current is None else {"version": current[0], "name": current[1]}
    status["embedded_units"] = project.scalar(
        "SELECT COUNT(*) FROM units u "
        "WHERE EXISTS (SELECT 1 FROM embeddings e WHERE e.text_sha256 = u.text_sha256)"
    )
    status["suggest_runs"] = project.scalar("SELECT COUNT(*) FROM suggest_runs")
    status["discover_runs"] = project.scalar("SELECT COUNT(*) FROM discover_runs")
    status["coded"] = [
        {"coder": coder, "units": n}
        for coder, n in project.execute(
            "SELECT coder, COUNT(DISTINCT unit_id) FROM decisions WHERE kind = 'code' "
            "GROUP BY coder ORDER BY coder"
        )
    ]
    return status
