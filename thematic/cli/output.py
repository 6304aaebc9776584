"""Terminal output: people on stdout (rich), warnings and progress on stderr, JSON for scripts."""

from __future__ import annotations

import json
import logging
import sys

from thematic.terminal import strip_controls  # also used by the commands


class _LazyConsole:
    """A rich Console made on first use: importing rich.console costs ~16 ms that `--help` need not pay."""

    def __init__(self, **options):
        self._options = options
        self._console = None

    @property
    def real(self):
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
            # rich turns a closed pipe (`thematic codebook show | head -1`) into SystemExit(1); a reader
            # that has seen enough is no error, so it becomes BrokenPipeError, which main() ends with 0.
            self._console.on_broken_pipe = broken_pipe
        return self._console

    def __getattr__(self, name: str):
        return getattr(self.real, name)


def broken_pipe() -> None:
    """Point stdout at /dev/null (so the flush at exit cannot fail again) and raise BrokenPipeError."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (tests capture it)
        pass
    raise BrokenPipeError


console = _LazyConsole(highlight=False, soft_wrap=True)
err_console = _LazyConsole(stderr=True, highlight=False)


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def error(message: str) -> None:
    err_console.print(
        f"error: {escape(message)}", soft_wrap=True, style="bold red" if err_console.is_terminal else None
    )


def warn(message: str) -> None:
    err_console.print(
        f"warning: {escape(message)}", soft_wrap=True, style="yellow" if err_console.is_terminal else None
    )


def note(message: str) -> None:
    err_console.print(escape(message), soft_wrap=True, style="dim" if err_console.is_terminal else None)


def print_json(value) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def json_or_notes(summary, as_json: bool) -> bool:
    """``--json``: print ``summary.to_dict()`` as JSON and return True (the command prints nothing more);
    otherwise print each of ``summary.notes`` on stderr and return False."""
    if as_json:
        print_json(summary.to_dict())
        return True
    for line in summary.notes:
        note(line)
    return False


def safe(text: str) -> str:
    """Survey text as rich prints it exactly as typed (``[b]`` stays ``[b]``), control characters shown,
    never obeyed (:func:`strip_controls`)."""
    return escape(strip_controls(str(text)))


MAX_LIMIT = 1_000_000_000


def check_limit(value: int | None) -> int | None:
    """A typer callback for ``--limit``: 0 (all) or a positive count that SQLite can hold."""
    if value is None:
        return value
    if value < 0 or value > MAX_LIMIT:
        from thematic.errors import ThematicError

        raise ThematicError(
            f"--limit must be 0 (all) or a count from 1 to {MAX_LIMIT:,}, not {value}"
        )
    return value


class _UserLines(logging.Handler):
    """The core's messages for the user (the ``thematic`` logger: warnings and notes) printed as the CLI
    prints its own: ``warning: ...`` for WARNING and above, a note for INFO."""

    def emit(self, record: logging.LogRecord) -> None:
        (warn if record.levelno >= logging.WARNING else note)(record.getMessage())


def route_core_messages() -> None:
    """Print what the core logs to the ``thematic`` logger on stderr, once per process."""
    logger = logging.getLogger("thematic")
    if not any(isinstance(h, _UserLines) for h in logger.handlers):
        logger.addHandler(_UserLines())
    logger.setLevel(logging.INFO)
    logger.propagate = False


# -- a section per codebook (agree, disagreements, evaluate on a project with a codebook per question) --


def section_title(book) -> str:
    """The line above a codebook's section: ``codebook ai-therapy version 1, questions: answer``."""
    questions = ", ".join(book.questions) or "-"
    return f"codebook {book.name} version {book.version.number}, questions: {questions}"


def book_entry(per_book, data: dict | None) -> dict:
    """One codebook's part of a multi-codebook JSON answer: its questions, then the command's usual
    object (or ``problem``: why there is none)."""
    book = per_book.book
    head = {"codebook": book.name, "codebook_version": book.version.number, "questions": list(book.questions)}
    if data is None:
        return {**head, "problem": per_book.problem}
    return {**head, **data}
