"""Least-privilege roles for a team on a PostgreSQL project.

Two group roles (NOLOGIN; people log in as their own roles, made members of one):

- ``thematic_reader``: reads everything (exports, `agree`, `status`, the report).
- ``thematic_coder``: a reader that can also append decisions; it cannot update, delete or truncate
  them (no privilege, and the append-only triggers refuse it for everyone anyway), nor change the
  corpus, codebooks or machine runs.

The lead who owns the database keeps every other right (import, `codebook use`, `suggest`). Tables that
later migrations add are readable by readers too (default privileges).
"""

from __future__ import annotations

from thematic.errors import ThematicError
from thematic.store.project import Project

READER = "thematic_reader"
CODER = "thematic_coder"


def setup_roles(project: Project) -> list[str]:
    """Create the group roles where missing and grant them their rights on this project's database.

    Returns the statements run (for the record; none holds a secret)."""
    if project.engine.name != "postgresql":
        raise ThematicError(
            "roles are for PostgreSQL projects (an SQLite project is one file: coders work in copies and "
            "the lead merges them with `thematic decisions import`)"
        )
    database = project.scalar("SELECT current_database()")
    statements = []
    for role in (READER, CODER):
        if not project.scalar("SELECT 1 FROM pg_roles WHERE rolname = ?", (role,)):
            statements.append(f"CREATE ROLE {role} NOLOGIN")
    statements += [
        f"GRANT {READER} TO {CODER}",
        f'GRANT CONNECT ON DATABASE "{database}" TO {READER}',
        f"GRANT USAGE ON SCHEMA {_schema(project)} TO {READER}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {_schema(project)} TO {READER}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {_schema(project)} GRANT SELECT ON TABLES TO {READER}",
        f"GRANT INSERT ON decisions TO {CODER}",
        f"GRANT USAGE ON SEQUENCE {_sequence(project)} TO {CODER}",
    ]
    with project.transaction():
        for sql in statements:
            project.execute(sql)
    return statements


def _schema(project: Project) -> str:
    return '"' + project.scalar("SELECT current_schema()").replace('"', '""') + '"'


def _sequence(project: Project) -> str:
    return project.scalar("SELECT pg_get_serial_sequence('decisions', 'seq')")
