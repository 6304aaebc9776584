"""Least privilege on PostgreSQL: a coder records decisions but cannot rewrite or delete them."""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import DEMO_CSV
from thematic.errors import ThematicError
from thematic.review.decisions import Decision
from thematic.store import decisions as store
from thematic.store.corpus import list_units
from thematic.store.project import create_project, open_project

pytestmark = pytest.mark.one_engine


def test_a_coder_appends_decisions_and_nothing_else(pg_server, cli, tmp_path):
    name = pg_server.create_database()
    lead_url, coder_url = pg_server.url(name), pg_server.url(name, user="cora")
    assert cli("init", project=lead_url).exit_code == 0
    imported = cli("import", DEMO_CSV, "--id", "respondent_id", "--text", "answer", project=lead_url)
    assert imported.exit_code == 0
    result = cli("project", "roles", project=lead_url)
    assert result.exit_code == 0, result.stderr
    assert "GRANT INSERT ON decisions TO thematic_coder" in result.stdout
    pg_server.admin().execute("DROP ROLE IF EXISTS cora")
    pg_server.admin().execute("CREATE ROLE cora LOGIN IN ROLE thematic_coder")

    with open_project(coder_url) as project:
        unit = list_units(project)[0].id
        assert store.record(project, Decision.new("cora", unit, ["mixed-support"]))
        for sql in ("UPDATE decisions SET coder = 'x'", "DELETE FROM decisions", "TRUNCATE decisions",
                    "DELETE FROM units"):
            with pytest.raises(ThematicError, match=r"refused this: permission denied for table"), \
                    project.transaction():
                project.execute(sql)
        assert [d.coder for d in store.decisions(project)] == ["cora"]
    more = tmp_path / "more.csv"
    more.write_text("respondent_id,answer\nX1,a new answer\n", encoding="utf-8")
    refused = cli("import", more, "--id", "respondent_id", "--text", "answer", project=coder_url)
    assert refused.exit_code != 0
    assert refused.stderr.count("\n") == 1 and "permission denied for table sources" in refused.stderr
    exported = cli("export", "units", "--coder", "cora", "--out", tmp_path / "u.csv", project=coder_url)
    assert exported.exit_code == 0, exported.stderr
    # Even the owner cannot rewrite the log: the trigger refuses it for everyone.
    with create_project(lead_url)[0] as lead, pytest.raises(psycopg.Error, match="append-only"):
        lead.execute("DELETE FROM decisions")
    pg_server.drop_database(name)
