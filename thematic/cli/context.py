"""Helpers for commands: the project they act on."""

from __future__ import annotations

from pathlib import Path

from thematic.cli import clickshim as click


def project_path() -> Path:
    ctx = click.get_current_context()
    return Path(ctx.find_root().obj["project"])


def open_current():
    """The project named by --project / THEMATIC_PROJECT; a clear error if it is missing or foreign."""
    from thematic.store.project import open_project

    return open_project(project_path())
