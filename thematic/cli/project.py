"""Commands on whole projects: `project copy` between an SQLite file and a PostgreSQL database."""

from __future__ import annotations

import typer

from thematic.cli.app import app
from thematic.cli.output import console, print_json, safe

project_app = typer.Typer(help="Whole projects: copy between SQLite and PostgreSQL.", no_args_is_help=True)
app.add_typer(project_app, name="project")


@project_app.command("copy")
def copy(
    source: str = typer.Argument(..., help="The project to copy: a file, or postgresql://USER@HOST/DB."),
    destination: str = typer.Argument(
        ..., help="Where to: a new file, or an empty database (postgresql://USER@HOST/DB, from createdb)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Copy a whole project to a new file or an empty database, verified by row counts and a content hash."""
    from thematic.store.copy import copy_project

    summary = copy_project(source, destination)
    if as_json:
        print_json(summary.to_dict())
        return
    console.print(
        f"copied {summary.rows:,} rows in {len(summary.tables)} tables from {safe(summary.source)} to "
        f"{safe(summary.destination)}"
    )
    console.print(f"verified: row counts and content hash match (sha256 {summary.content_hash[:16]})")


@project_app.command("roles")
def roles() -> None:
    """Create the PostgreSQL roles thematic_reader and thematic_coder and grant them their rights here."""
    from thematic.cli.context import open_current
    from thematic.store.roles import CODER, READER, setup_roles

    with open_current() as project:
        statements = setup_roles(project)
        where = project.location
    for sql in statements:
        console.print(safe(sql))
    console.print(
        f"roles ready on {safe(where)}: {READER} reads; {CODER} reads and appends decisions (no update or "
        "delete). Make people members, e.g. CREATE ROLE ana LOGIN IN ROLE thematic_coder"
    )
