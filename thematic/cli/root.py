"""The typer app: the root command (a lazy group) and its global options.

Imported only when a command needs typer (every command but the quick ones of :mod:`thematic.cli.app`);
``thematic.cli.app.app`` names the same object.
"""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from thematic.cli import app as entry
from thematic.cli import clickshim as click
from thematic.cli.commands import COMMANDS, build


class LazyCommands(TyperGroup):
    """The root command: each subcommand's module is imported, and its click command built, only when it
    is asked for; `--help` lists them from :data:`thematic.cli.commands.COMMANDS`."""

    def list_commands(self, ctx) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx, name: str):
        if name not in self.commands and name in COMMANDS:
            command = build(app, name)
            if command is not None:
                self.commands[name] = command
        return self.commands.get(name)

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            from difflib import get_close_matches

            matches = get_close_matches(args[0], list(COMMANDS)) if args else []
            if matches and "Did you mean" not in exc.message:
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {', '.join(map(repr, matches))}?"
            raise

    def format_commands(self, ctx, formatter) -> None:
        from click.utils import make_default_short_help

        limit = formatter.width - 6 - max(map(len, COMMANDS))
        with formatter.section("Commands"):
            formatter.write_dl([(name, make_default_short_help(text, limit))
                                for name, (_, text) in COMMANDS.items()])


app = typer.Typer(
    cls=LazyCommands,
    name="thematic",
    help="Code free-text survey answers into themes: import, embed, suggest, review, agree, export.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from thematic import __version__

        typer.echo(f"thematic {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    ctx: typer.Context,
    project: str = typer.Option(
        "thematic.db",
        "--project",
        "-p",
        envvar="THEMATIC_PROJECT",
        help="The project: an SQLite file (default ./thematic.db) or postgresql://USER@HOST/DB; or set "
        "THEMATIC_PROJECT.",
    ),
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback on errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    ctx.obj = {"project": project, "debug": debug}
    entry.project_named = project
