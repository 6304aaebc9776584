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
    from thematic.store.codebooks import bindings

    names = {int(r[0]): r[1] for r in project.query("SELECT id, name FROM codebook_versions")}
    bound = bindings(project)
    status["codebooks"] = [
        {"question": b.question, "version": b.version_number, "name": names[b.version_number]} for b in bound
    ]
    distinct = {b.version_number for b in bound}
    status["codebook"] = (
        {"version": next(iter(distinct)), "name": names[next(iter(distinct))]} if len(distinct) == 1 else None
    )
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
