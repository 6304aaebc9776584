"""The entry point: the one place where errors become exit codes, and the quick path of `status`.

The typer app itself (the root command and its global options) is :mod:`thematic.cli.root`, imported
when a command needs it; ``thematic.cli.app.app`` still names it. `thematic status` (with
``--project``/``-p``, ``--debug`` and ``--json`` only) runs without typer and click: parsing them costs
more than the rest of the command (docs/performance.md, "Start-up of light commands"). Any other
arguments, or a spelling the quick path does not know, go to typer, which answers them as before.
"""

from __future__ import annotations

import os
import sys

from thematic.errors import ExitCode, ThematicError

project_named = "thematic.db"  # the --project value of the command running (for storage errors)


def __getattr__(name: str):
    if name in ("app", "LazyCommands"):
        from thematic.cli import root

        return getattr(root, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def quick_status(args: list[str]) -> tuple[str, bool] | None:
    """(project, as_json) when ``args`` are global options, then ``status``, then at most ``--json``,
    each spelled as typer accepts it; None for anything else (typer then parses the arguments).

    >>> quick_status(["--project", "p.db", "--debug", "status", "--json"])
    ('p.db', True)
    >>> quick_status(["status", "--help"]) is None
    True
    """
    project = os.environ.get("THEMATIC_PROJECT") or "thematic.db"
    rest = list(args)
    while rest and rest[0] != "status":
        arg = rest.pop(0)
        if arg in ("--project", "-p") and rest and rest[0] and not rest[0].startswith("-"):
            project = rest.pop(0)
        elif arg.startswith("--project=") and len(arg) > len("--project="):
            project = arg.split("=", 1)[1]
        elif arg != "--debug":
            return None
    if rest[:1] != ["status"] or rest[1:] not in ([], ["--json"]):
        return None
    return project, rest[1:] == ["--json"]


def _storage_error(exc: BaseException) -> ThematicError | None:
    """An SQLite error that reached the top, as one line about the project file; None for other errors."""
    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is None or not isinstance(exc, sqlite3.DatabaseError):
        return None
    from pathlib import Path

    from thematic.store.project import damaged, read_only_error

    path, text = Path(project_named), str(exc).lower()
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
    global project_named
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or bool(os.environ.get("THEMATIC_DEBUG"))
    quick = quick_status(args)
    try:
        if quick is not None:
            from thematic.cli.status import show_status

            project_named = quick[0]
            returned = show_status(quick[0], as_json=quick[1])
        else:
            from thematic.cli.root import app

            returned = app(args=args, prog_name="thematic", standalone_mode=False)
    except ThematicError as exc:
        if debug:
            raise
        from thematic.cli.output import error

        error(exc.message)
        return exc.exit_code
    except KeyboardInterrupt:
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
    except Exception as exc:
        click = sys.modules.get("click")  # loaded whenever typer ran the command
        if click is not None and isinstance(exc, click.exceptions.Exit):
            return exc.exit_code
        if click is not None and isinstance(exc, click.ClickException):
            exc.show()
            return ExitCode.BAD_INPUT if isinstance(exc, click.UsageError) else ExitCode.ERROR
        if click is not None and isinstance(exc, click.exceptions.Abort):
            _interrupted()
            return ExitCode.CTRL_C
        if debug:  # a bug, not a user mistake: still one line unless --debug
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
