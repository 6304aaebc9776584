"""Which module holds each command, and the line `thematic --help` shows for it.

A command's module is imported only when that command runs (or its help is asked for), so `thematic
--help` and `thematic status` do not import and build the other twenty-odd commands. One module per
command group: a new command gets a row here, in the order `--help` lists them.
`tests/cli/test_commands.py` checks this table against the commands the modules really define.
"""

from __future__ import annotations

import importlib

# name: (module under thematic.cli, the first paragraph of its help)
COMMANDS: dict[str, tuple[str, str]] = {
    "agree": ("agree", "Inter-coder agreement per theme and overall: percent agreement, kappa, alpha and "
                       "AC1 with CIs."),
    "disagreements": ("agree", "Each unit two coders both coded but coded differently, with its text and "
                               "both codings."),
    "reconcile": ("agree", "Walk the units two coders disagree on and record the agreed coding (as coder "
                           "consensus)."),
    "init": ("corpus", "Create a project file (or say that it exists already)."),
    "import": ("corpus", "Import survey responses and segment them into coding units."),
    "status": ("corpus", "What the project holds: respondents, questions, units, codebook, runs, coding per "
                         "coder."),
    "units": ("corpus", "List coding units with their ids."),
    "show": ("corpus", "One unit in context: its respondent's attributes and the whole response."),
    "embed": ("ml", "Embed every unit not embedded yet (vectors are cached in the project)."),
    "suggest": ("ml", "Score every unit against every theme of the current codebook and store the run "
                      "(coder `machine`)."),
    "suggestions": ("ml", "List a suggest run's suggestions, best first within each theme."),
    "run": ("ml", "The machine job in one go: import, codebook, embed, suggest, discover; a theme table and "
                  "a CSV."),
    "discover": ("discover", "Find clusters of similar units: keywords, exemplars, nearest theme or "
                             "candidate new theme."),
    "evaluate": ("evaluate", "Machine-vs-human agreement on units the model never trained on "
                             "(cross-validated), per theme."),
    "report": ("export", "Write the study report: a self-contained HTML page (or markdown) with tables and "
                         "charts."),
    "import-refi": ("export", "Import a REFI-QDA project: sources, codebook, cases and every user's codings "
                              "as decisions."),
    "review": ("review", "Code units one at a time: digits toggle themes, Enter saves (press ? on the screen "
                         "for all keys)."),
    "code": ("review", "Record one coding decision, without the review screen."),
    "crosstab": ("scales", "Joint display: themes by a respondent attribute, or a subscale score by theme."),
    "codebook": ("codebook", "Check, use, show, compare and exchange codebooks (YAML, REFI-QDA .qdc, "
                             "markdown)."),
    "sheet": ("decisions", "Excel coding sheets for a coder who installs nothing."),
    "decisions": ("decisions", "The decision log: export, import (merge coders), import wide tables, show."),
    "export": ("export", "Export coded units, quote banks and REFI-QDA projects."),
    "scales": ("scales", "Closed items (Likert scales): describe items and subscales from a scale file."),
}


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
