"""Terminal output: people on stdout (rich), warnings and progress on stderr, JSON for scripts."""

from __future__ import annotations

import json
import sys


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
        return self._console

    def __getattr__(self, name: str):
        return getattr(self.real, name)


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


def safe(text: str) -> str:
    """Escape survey text so rich prints it exactly as typed (``[b]`` stays ``[b]``)."""
    return escape(text)
