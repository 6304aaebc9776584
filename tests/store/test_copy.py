"""`thematic project copy`: a whole project from SQLite to PostgreSQL and back, verified."""

from __future__ import annotations

import numpy as np
import pytest

from tests.export.conftest import build_study
from thematic.store import ml
from thematic.store.copy import content_digest
from thematic.store.project import open_project

pytestmark = pytest.mark.one_engine


@pytest.fixture
def study_file(tmp_path):
    path = build_study(tmp_path / "study.db")
    with open_project(path) as project, project.transaction():
        ml.insert_vectors(project, "model-x", [("abc", np.array([0.5, -1.25, 3e-8], dtype="<f4"))])
    return path


def test_copy_to_postgresql_and_back_keeps_every_row(study_file, pg_server, cli, tmp_path):
    url = pg_server.url(pg_server.create_database())
    there = cli("project", "copy", study_file, url)
    assert there.exit_code == 0, there.stderr
    with open_project(study_file) as project:
        counts, digest = content_digest(project)
    assert there.stdout.splitlines() == [
        f"copied {sum(counts.values()):,} rows in {len(counts)} tables from {study_file} to {url}",
        f"verified: row counts and content hash match (sha256 {digest[:16]})",
    ]
    back = tmp_path / "back.db"
    assert cli("project", "copy", url, back).exit_code == 0
    with open_project(back) as project:
        assert content_digest(project) == (counts, digest)
        assert ml.cached_vectors(project, "model-x", ["abc"])["abc"] == np.array(
            [0.5, -1.25, 3e-8], dtype="<f4").tobytes()
    assert counts["decisions"] > 200 and counts["scores"] > 400
    # The same commands give the same answers on the copy in PostgreSQL.
    for args in (("agree", "--coders", "ana,ben"), ("export", "units", "--coder", "ana", "--out", "-")):
        assert cli(*args, project=url).stdout == cli(*args, project=study_file).stdout
    # Numbering continues after the copied ids.
    with open_project(url) as project:
        before = ml.suggest_run_count(project)
        with project.transaction():
            new_id = ml.insert_suggest_run(project, codebook_version=1, model="m", parameters={},
                                           created_at="2026-01-01T00:00:00Z")
        assert new_id == before + 1


def test_copy_refuses_a_destination_in_use(study_file, pg_server, cli, tmp_path):
    result = cli("project", "copy", study_file, study_file)
    assert result.exit_code != 0
    assert f"{study_file} exists already (copy only into a new file" in result.stderr
    url = pg_server.url(pg_server.create_database())
    assert cli("project", "copy", study_file, url).exit_code == 0
    again = cli("project", "copy", study_file, url)
    assert again.exit_code != 0
    assert f"{url} is already a thematic project (copy only into a new file or an empty" in again.stderr
