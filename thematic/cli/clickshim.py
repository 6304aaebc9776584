"""The click pieces thematic needs, in one place.

typer is pinned below 0.24 (pyproject.toml), so these come from the click package it runs on.
"""

import typer
from click import ClickException, UsageError, get_current_context

Exit = typer.Exit
Abort = typer.Abort

__all__ = ["Abort", "ClickException", "Exit", "UsageError", "get_current_context"]
