"""Write docs/cli.md from the typer app itself, so the reference cannot go stale.

Run: .venv/bin/python -m thematic.cli.gendocs > docs/cli.md   (or `make docs`)
A test regenerates it and fails on any difference.
"""

from __future__ import annotations

import os


def _walk(command, ctx_parent, path):
    ctx = command.make_context(path[-1], [], parent=ctx_parent, resilient_parsing=True)
    ctx.terminal_width = 100
    ctx.max_content_width = 100
    yield path, command, ctx
    if hasattr(command, "commands"):  # a group: its commands, loaded as `thematic` loads them
        for name in command.list_commands(ctx):
            yield from _walk(command.get_command(ctx, name), ctx, [*path, name])


def render() -> str:
    os.environ["COLUMNS"] = "100"
    import typer

    from thematic.cli.app import app
    from thematic.cli.commands import import_all

    import_all()

    root = typer.main.get_command(app)
    parts = [
        "# CLI reference",
        "",
        "Generated from the program itself by `make docs` (`python -m thematic.cli.gendocs`); do not edit.",
        "",
    ]
    for path, command, ctx in _walk(root, None, ["thematic"]):
        title = " ".join(path)
        parts += [f"## `{title}`", "", "```", command.get_help(ctx).rstrip(), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
