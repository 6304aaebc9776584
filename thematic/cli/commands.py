"""Which module holds each command, and the line `thematic --help` shows for it.

A command's module is imported only when that command runs (or its help is asked for), so `thematic
--help` and `thematic status` do not import and build the other twenty-odd commands. One module per
command group: a new command gets a row in commands.tsv (beside this file), in the order `--help` lists
them.
`tests/cli/test_commands.py` checks this table against the commands the modules really define.
"""

from __future__ import annotations

import importlib


def _read_table() -> dict[str, tuple[str, str]]:
    """name: (module under thematic.cli, the first paragraph of its help), from commands.tsv."""
    from pathlib import Path

    table = {}
    for line in (Path(__file__).parent / "commands.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, module, text = line.split("\t")
            table[name] = (module, text)
    return table


COMMANDS: dict[str, tuple[str, str]] = _read_table()


def import_all() -> None:
    """Import every command module, so that each registers its commands on the app (docs, tests)."""
    for module in dict.fromkeys(module for module, _ in COMMANDS.values()):
        importlib.import_module(f"thematic.cli.{module}")


def build(app, name: str):
    """The click command (or group) ``name``, built from its module's registration on ``app``; None if
    the module registers no such command."""
    import typer.main

    module, _ = COMMANDS[name]
    importlib.import_module(f"thematic.cli.{module}")
    for info in app.registered_commands:
        if (info.name or typer.main.get_command_name(info.callback.__name__)) == name:
            return typer.main.get_command_from_info(
                info, pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode)
    for info in app.registered_groups:
        if info.name == name:
            return typer.main.get_group_from_info(
                info, pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode, suggest_commands=app.suggest_commands)
    return None
