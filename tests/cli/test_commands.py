"""The table of commands that `thematic --help` lists (and that loads each command's module on demand)
matches the commands the modules define: names, modules and help lines."""

from __future__ import annotations

import pytest
import typer

from thematic.cli.app import app
from thematic.cli.commands import COMMANDS, build, import_all


def registered() -> dict[str, str]:
    """name -> module, for every command and group the command modules register on the app."""
    import_all()
    found = {}
    for info in app.registered_commands:
        found[info.name or typer.main.get_command_name(info.callback.__name__)] = info.callback.__module__
    for info in app.registered_groups:
        callbacks = [c.callback for c in info.typer_instance.registered_commands]
        found[info.name] = callbacks[0].__module__
    return found


def test_the_table_names_every_command_and_its_module():
    table = {name: f"thematic.cli.{module}" for name, (module, _) in COMMANDS.items()}
    assert registered() == table, (
        "thematic/cli/commands.tsv is out of step with the commands the modules register: add, "
        "remove or move the row"
    )


@pytest.mark.parametrize("limit", [30, 45, 60, 300])
def test_the_help_lines_are_the_commands_own(limit):
    from click.utils import make_default_short_help

    for name, (_, text) in COMMANDS.items():
        assert make_default_short_help(text, limit) == build(app, name).get_short_help_str(limit), (
            f"the help line of `thematic {name}` in thematic/cli/commands.tsv differs from its docstring"
        )
