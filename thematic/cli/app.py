"""The typer app, its global options, and the one place where errors become exit codes."""

from __future__ import annotations

import os
import sys

import typer
from typer.core import TyperGroup

from thematic.cli import clickshim as click
from thematic.cli.commands import COMMANDS, build
from thematic.errors import ExitCode, ThematicError


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


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code. Errors print one line on stderr, no traceback."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or bool(os.environ.get("THEMATIC_DEBUG"))
    try:
        returned = app(args=args, prog_name="thematic", standalone_mode=False)
    except ThematicError as exc:
        if debug:
            raise
        from thematic.cli.output import error

        error(exc.message)
        return exc.exit_code
    except click.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return ExitCode.BAD_INPUT if isinstance(exc, click.UsageError) else ExitCode.ERROR
    except (KeyboardInterrupt, click.Abort):
        print("\ninterrupted; everything saved before this point is kept", file=sys.stderr)
        return ExitCode.CTRL_C
    except BrokenPipeError:
        return ExitCode.OK
    except Exception as exc:  # a bug, not a user mistake: still one line unless --debug
        if debug:
            raise
        from thematic.cli.output import error

        error(
            f"{type(exc).__name__}: {exc} (this is a bug in thematic; rerun with --debug for the traceback)"
        )
        return ExitCode.ERROR
    # With standalone_mode=False, a `raise typer.Exit(code)` inside a command comes back as the return value.
    return returned if isinstance(returned, int) else ExitCode.OK


def run() -> None:
    sys.exit(main())
