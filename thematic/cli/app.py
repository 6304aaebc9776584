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
    from thematic.cli.output import route_core_messages

    route_core_messages()
    global _project_named
    _project_named = project


_project_named = "thematic.db"


def _storage_error(exc: BaseException) -> ThematicError | None:
    """An SQLite error that reached the top, as one line about the project file; None for other errors."""
    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is None or not isinstance(exc, sqlite3.DatabaseError):
        return None
    from pathlib import Path

    from thematic.store.project import damaged, read_only_error

    path, text = Path(_project_named), str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return read_only_error(path)
    if "locked" in text or "busy" in text:
        return ThematicError(
            f"{path} stayed locked by another thematic process (try again when it has finished)",
            ExitCode.ERROR,
        )
    if any(word in text for word in ("malformed", "not a database", "disk i/o", "corrupt")):
        return damaged(path, f"SQLite says: {exc}")
    return None


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
        _interrupted()
        return ExitCode.CTRL_C
    except SystemExit as exc:
        if type(sys.stdout).__name__ == "PacifyFlushWrapper":  # typer's answer to a closed pipe (EPIPE)
            return ExitCode.OK
        raise exc
    except BrokenPipeError:  # the reader of our output went away (`| head -1`): not an error
        from thematic.cli.output import broken_pipe

        try:
            broken_pipe()
        except BrokenPipeError:
            pass
        return ExitCode.OK
    except RecursionError:
        if debug:
            raise
        from thematic.cli.output import error

        error(
            "the input is nested too deeply to read (hundreds of levels: sub-themes, lists or brackets "
            "inside each other; no codebook or survey needs that many, so flatten the file; nothing was "
            "changed)"
        )
        return ExitCode.BAD_INPUT
    except Exception as exc:  # a bug, not a user mistake: still one line unless --debug
        if debug:
            raise
        from thematic.cli.output import error

        storage = _storage_error(exc)
        if storage is not None:
            error(storage.message)
            return storage.exit_code

        error(
            f"{type(exc).__name__}: {exc} (this is a bug in thematic; rerun with --debug for the traceback)"
        )
        return ExitCode.ERROR
    # With standalone_mode=False, a `raise typer.Exit(code)` inside a command comes back as the return value;
    # typer turns Ctrl-C (KeyboardInterrupt) into Exit(130), which must still say what happened.
    if returned == ExitCode.CTRL_C:
        _interrupted()
    return returned if isinstance(returned, int) else ExitCode.OK


def _interrupted() -> None:
    print("\ninterrupted (Ctrl-C); everything saved before this point is kept", file=sys.stderr)


def run() -> None:
    sys.exit(main())
