"""`thematic check` on both engines: SQLite checks its pages and references; a PostgreSQL server keeps
its own pages and enforces foreign keys, so only the decision log's rules are checked there."""

from __future__ import annotations

from tests.conftest import DEMO_CODEBOOK, DEMO_CSV


def test_check_a_healthy_project(cli, engine, project_location):
    assert cli("init").exit_code == 0
    assert cli("import", DEMO_CSV, "--id", "respondent_id", "--text", "answer").exit_code == 0
    assert cli("codebook", "use", DEMO_CODEBOOK).exit_code == 0
    assert cli("code", "R001.fe1a0077b1", "--coder", "ana", "--theme", "mixed-support").exit_code == 0
    result = cli("check")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    if engine == "sqlite":
        assert lines[:2] == [
            "ok: pages and records (PRAGMA integrity_check)",
            "ok: references between tables (PRAGMA foreign_key_check)",
        ]
    assert lines[-2] == "ok: the decision log"
    assert lines[-1].endswith(": no problems found")
    assert "password" not in result.stdout
