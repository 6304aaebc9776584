"""The CLI reference is generated from the app and must match docs/cli.md; every command has help."""

from __future__ import annotations

import typer

from tests.conftest import REPO


def test_cli_reference_is_up_to_date():
    from thematic.cli.gendocs import render

    assert (REPO / "docs" / "cli.md").read_text(encoding="utf-8") == render(), (
        "docs/cli.md is stale: run `make docs`"
    )


def test_every_command_has_help():
    from thematic.cli.app import app
    from thematic.cli.gendocs import _walk

    root = typer.main.get_command(app)
    missing = [
        " ".join(path)
        for path, command, _ in _walk(root, None, ["thematic"])
        if not (command.help or "").strip()
    ]
    assert missing == []


def test_version_and_unknown_command(cli):
    result = cli("--version")
    assert result.exit_code == 0 and result.stdout.startswith("thematic ")
    result = cli("frobnicate")
    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.stderr
