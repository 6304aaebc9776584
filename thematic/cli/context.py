"""Helpers for commands: the project they act on."""

from __future__ import annotations

from pathlib import Path

from thematic.cli import clickshim as click


def project_path() -> Path | str:
    """The --project value: a path, or a PostgreSQL connection string kept as written."""
    from thematic.store.engine import is_url

    value = click.get_current_context().find_root().obj["project"]
    return value if is_url(value) else Path(value)


def open_current():
    """The project named by --project / THEMATIC_PROJECT; a clear error if it is missing or foreign."""
    from thematic.store.project import open_project

    return open_project(project_path())
