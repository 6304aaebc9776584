"""Terminal output: people on stdout (rich), warnings and progress on stderr, JSON for scripts."""

from __future__ import annotations

import json
import sys

from rich.console import Console
from rich.markup import escape

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False)


def error(message: str) -> None:
    err_console.print(f"error: {escape(message)}", soft_wrap=True, style="bold red" if err_console.is_terminal else None)


def warn(message: str) -> None:
    err_console.print(f"warning: {escape(message)}", soft_wrap=True, style="yellow" if err_console.is_terminal else None)


def note(message: str) -> None:
    err_console.print(escape(message), soft_wrap=True, style="dim" if err_console.is_terminal else None)


def print_json(value) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def safe(text: str) -> str:
    """Escape survey text so rich prints it exactly as typed (``[b]`` stays ``[b]``)."""
    return escape(text)
