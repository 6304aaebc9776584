"""What each engine must do the same way: snapshots, idempotent appends, background writes, numbering."""

from __future__ import annotations

import numpy as np

from thematic.review.decisions import Decision
from thematic.store import decisions as store
from thematic.store import ml
from thematic.store.corpus import list_units
from thematic.store.project import open_project


def test_a_snapshot_does_not_see_writes_made_after_it_began(demo_project, project_location):
    unit = list_units(demo_project)[0].id
    other = open_project(project_location)
    with demo_project.snapshot():
        before = store.count(demo_project)
        store.record(other, Decision.new("ana", unit, []))
        assert store.count(demo_project) == before
    assert store.count(demo_project) == before + 1
    other.close()


def test_record_many_counts_only_new_decisions(demo_project):
    units = [u.id for u in list_units(demo_project)[:3]]
    made = [Decision.new("ana", u, ["mixed-support"]) for u in units]
    assert store.record_many(demo_project, made[:2]) == 2
    assert store.record_many(demo_project, made) == 1
    assert store.record_many(demo_project, [made[0], made[0]]) == 0
    assert sorted(d.uuid for d in store.decisions(demo_project)) == sorted(d.uuid for d in made)


def test_background_vector_writer_uses_its_own_connection(project):
    vectors = [(f"sha{i}", np.full(4, i, dtype="<f4")) for i in range(10)]
    with ml.VectorWriter(project, "m", background=True) as writer:
        writer.put(vectors[:5])
        writer.put(vectors[5:])
    found = ml.cached_vectors(project, "m", [f"sha{i}" for i in range(10)])
    assert found == {sha: v.tobytes() for sha, v in vectors}


def test_ids_are_numbered_from_one_in_arrival_order(demo_project):
    runs = []
    with demo_project.transaction():
        for _ in range(3):
            runs.append(ml.insert_suggest_run(demo_project, codebook_version=_codebook(demo_project),
                                              model="m", parameters={}, created_at="2026-01-01T00:00:00Z"))
    assert runs == [1, 2, 3]
    assert demo_project.scalar("SELECT MIN(id) FROM responses") == 1


def _codebook(project) -> int:
    from tests.conftest import DEMO_CODEBOOK
    from thematic.codebook.load import load_codebook
    from thematic.store.codebooks import use_codebook

    return use_codebook(project, load_codebook(DEMO_CODEBOOK)).number
