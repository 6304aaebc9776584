"""The click pieces thematic needs, wherever this typer keeps them.

typer >= 0.24 vendors a trimmed click as ``typer._click`` (exits and aborts moved to
``typer.exceptions``); older typer runs on the click package.
"""

import typer

try:
    from typer._click.exceptions import ClickException, UsageError
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover - older typer
    from click import ClickException, UsageError, get_current_context

Exit = typer.Exit
Abort = typer.Abort

__all__ = ["Abort", "ClickException", "Exit", "UsageError", "get_current_context"]
