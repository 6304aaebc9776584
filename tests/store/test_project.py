"""The project file: identity, migrations, transactions, and the append-only decision log."""

from __future__ import annotations

import sqlite3

import pytest

from thematic.clock import utc_now
from thematic.errors import ThematicError
from thematic.store.project import APPLICATION_ID, create_project, open_project, schema_version


def test_new_project_is_identified_and_migrated(tmp_path):
    project, created = create_project(tmp_path / "p.db")
    with project:
        assert created
        assert project.scalar("PRAGMA application_id") == APPLICATION_ID
        assert project.schema_version == schema_version()
        assert project.meta("application") == "thematic"
        assert project.scalar("PRAGMA journal_mode") == "wal"
        assert project.scalar("PRAGMA foreign_keys") == 1
    again, created = create_project(tmp_path / "p.db")
    with again:
        assert not created


def test_init_twice_says_so(cli):
    assert cli("init").exit_code == 0
    result = cli("init")
    assert result.exit_code == 0
    assert "is already a thematic project" in result.stdout


def test_transaction_rolls_back_everything_on_error(project):
    with pytest.raises(RuntimeError), project.transaction():
        project.set_meta("a", "1")
        with project.transaction():  # nested joins the outer one
            project.set_meta("b", "2")
        raise RuntimeError("boom")
    assert project.meta("a") is None and project.meta("b") is None


def test_decision_log_is_append_only(demo_project):
    unit = demo_project.scalar("SELECT id FROM units LIMIT 1")
    with demo_project.transaction():
        demo_project.execute(
            "INSERT INTO decisions (uuid, coder, unit_id, themes, kind, at) "
            "VALUES ('u1', 'ana', ?, '[]', 'code', ?)",
            (unit, utc_now()),
        )
    for sql in ("UPDATE decisions SET coder = 'ben'", "DELETE FROM decisions"):
        with pytest.raises(sqlite3.IntegrityError, match="the decision log is append-only"):
            demo_project.execute(sql)
    assert demo_project.scalar("SELECT coder FROM decisions") == "ana"


def test_foreign_keys_are_enforced(project):
    with pytest.raises(sqlite3.IntegrityError):
        project.execute(
            "INSERT INTO decisions (uuid, coder, unit_id, themes, kind, at) "
            "VALUES ('u', 'ana', 'nope', '[]', 'code', 'x')"
        )


def test_empty_sqlite_file_is_not_a_project(tmp_path):
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    path.touch()
    with pytest.raises(ThematicError, match="is not a thematic project"):
        open_project(path)
