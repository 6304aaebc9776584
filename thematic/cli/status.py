"""`thematic status`: what the project holds, printed for people or as JSON.

Free of typer and click: :func:`thematic.cli.app.main` runs it directly when the command line is only
global options, ``status`` and ``--json`` (the typer command calls it too).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from thematic.cli.context import location
from thematic.cli.output import print_json, safe, strip_controls


def show_status(project: Path | str, *, as_json: bool = False) -> None:
    """Print what ``project`` (a path, or a PostgreSQL connection string) holds."""
    from thematic.store.project import open_project
    from thematic.store.status import project_status

    with open_project(location(project)) as opened:
        info = project_status(opened)
    if as_json:
        print_json(info)
        return
    head, tail = status_lines(info)
    if not info["questions"] and plain_is_exact(head + tail):
        sys.stdout.write("".join(f"{line}\n" for line in head + tail))
        sys.stdout.flush()  # a closed pipe fails here, where main() turns it into exit 0
        return
    from thematic.cli.output import console, escape

    for line in head:
        console.print(escape(line))
    if info["questions"]:
        from rich.table import Table

        table = Table(show_edge=False)
        table.add_column("question")
        table.add_column("responses", justify="right")
        table.add_column("units", justify="right")
        for q in info["questions"]:
            table.add_row(safe(q["question"]), str(q["responses"]), str(q["units"]))
        console.print(table)
    for line in tail:
        console.print(escape(line))


def status_lines(info: dict) -> tuple[list[str], list[str]]:
    """The lines above the question table and below it, as plain text (controls shown, not obeyed)."""
    head = [
        f"project {strip_controls(str(info['project']))} (schema {info['schema_version']}; units: "
        f"{info['unit'] or '-'})",
        f"{info['sources']} files imported, {info['respondents']} respondents, "
        f"{info['responses']} responses, {info['units']} units",
    ]
    cb = info["codebook"]
    if cb is None and info["codebooks"]:  # a codebook per question
        tail = ["codebooks: " + "; ".join(
            f"{strip_controls(str(c['question']))}: {strip_controls(c['name'])} (version {c['version']})"
            for c in info["codebooks"]
        )]
    else:
        name = f"{strip_controls(cb['name'])} (version {cb['version']})" if cb else "none"
        tail = [f"codebook: {name}"]
    tail.append(
        f"embedded: {info['embedded_units']} of {info['units']} units; "
        f"suggest runs: {info['suggest_runs']}; discover runs: {info['discover_runs']}"
    )
    if info["coded"]:
        coded = ", ".join(f"{strip_controls(c['coder'])} {c['units']}" for c in info["coded"])
        tail.append(f"coded: {coded}")
    else:
        tail.append("coded: nobody yet")
    return head, tail


_RICH_WOULD_CHANGE = re.compile(r":\S+?:|\t")  # an emoji code (":smile:") or a tab, which rich rewrites


def plain_is_exact(lines: list[str]) -> bool:
    r"""Whether writing ``lines`` as they are shows what rich's console shows (no emoji codes, no tabs):
    then `status` need not import rich (about 16 ms of its start-up).

    >>> plain_is_exact(["codebook: ai-therapy (version 1)", "suggest runs: 0; discover runs: 0"])
    True
    >>> plain_is_exact(["project a:smile:.db"]), plain_is_exact(["project a\tb.db"])
    (False, False)
    """
    return not any(_RICH_WOULD_CHANGE.search(line) for line in lines)
