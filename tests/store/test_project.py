"""The project file: identity, migrations, transactions, and the append-only decision log."""

from __future__ import annotations

import sqlite3

import pytest

from thematic.clock import utc_now
from thematic.errors import ThematicError
from thematic.store.engine import database_errors, redact
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
    refused = ["UPDATE decisions SET coder = 'ben'", "DELETE FROM decisions"]
    if demo_project.engine.name == "postgresql":
        refused.append("TRUNCATE decisions")
    for sql in refused:
        with pytest.raises(database_errors(), match="the decision log is append-only"):
            demo_project.execute(sql)
    assert demo_project.scalar("SELECT coder FROM decisions") == "ana"


def test_foreign_keys_are_enforced(project):
    with pytest.raises(database_errors()):
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


# -- PostgreSQL ----------------------------------------------------------------------------------------------
@pytest.fixture
def pg_url(pg_server):
    name = pg_server.create_database()
    yield pg_server.url(name)
    pg_server.drop_database(name)


def test_postgres_project_is_identified_and_migrated(pg_url, cli):
    result = cli("init", project=pg_url)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"created project {pg_url}"
    with open_project(pg_url) as project:
        assert project.engine.name == "postgresql"
        assert project.meta("application") == "thematic"
        assert project.schema_version == schema_version() == int(project.meta("schema_version"))
        assert project.location == pg_url
    again = cli("init", project=pg_url)
    assert "is already a thematic project" in again.stdout


def _table_dump(url: str) -> list:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT key, value FROM meta ORDER BY key").fetchall()


def test_postgres_project_newer_than_the_program_is_refused_untouched(pg_url):
    create_project(pg_url)[0].close()
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", (str(schema_version() + 1),))
    before = _table_dump(pg_url)
    with pytest.raises(ThematicError, match=r"was written by a newer thematic \(schema version"):
        open_project(pg_url)
    assert _table_dump(pg_url) == before


def test_empty_or_foreign_postgres_database_is_not_a_project(pg_url):
    import psycopg

    with pytest.raises(ThematicError, match="is not a thematic project yet"):
        open_project(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id int)")
    with pytest.raises(ThematicError, match="holds tables of another application"):
        create_project(pg_url)


def test_connection_errors_name_the_server_without_the_password(pg_server, cli):
    url = pg_server.url("no_such_db").replace("postgres@", "postgres:hunter2@")
    result = cli("status", project=url)
    assert result.exit_code != 0
    assert "hunter2" not in result.stdout + result.stderr
    assert "could not connect to postgresql://postgres@/no_such_db" in result.stderr
    assert 'database "no_such_db" does not exist' in result.stderr


def test_redact_drops_passwords_only():
    assert redact("postgresql://ana:pw@h:5432/db?sslmode=require") == "postgresql://ana@h:5432/db?sslmode=require"
    assert redact("postgresql://ana@/db?host=/tmp/s&password=pw") == "postgresql://ana@/db?host=/tmp/s"


def test_thematic_project_variable_names_a_postgres_project(pg_url, monkeypatch, capsys):
    from thematic.cli.app import main

    create_project(pg_url)[0].close()
    monkeypatch.setenv("THEMATIC_PROJECT", pg_url)
    assert main(["status"]) == 0
    assert capsys.readouterr().out.startswith(f"project {pg_url} (schema {schema_version()}")
