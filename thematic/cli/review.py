"""Commands for coding: review (one unit at a time, interactive or scripted) and code (one decision)."""

from __future__ import annotations

import typer

from thematic.cli.app import app
from thematic.cli.context import open_current
from thematic.cli.output import console, print_json, safe


@app.command()
def review(
    coder: str = typer.Option(..., "--coder", "-c", help="Your name as a coder (e.g. ana)."),
    blind: bool = typer.Option(
        False, "--blind", help="Hide the machine's suggestions and other coders' codings."
    ),
    theme: str | None = typer.Option(
        None, "--theme", help="Only units the machine suggested this theme for."
    ),
    question: str | None = typer.Option(None, "--question", "-q", help="Only this question's units."),
    order: str = typer.Option(
        "document", "--order", help="document (file order), uncertain (machine least sure first) or random."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed for --order random (same seed, same order)."),
    recode: bool = typer.Option(False, "--recode", help="Walk units you have coded already, too."),
    attr: list[str] = typer.Option(
        [], "--show-attr", "--attr",
        help="A respondent attribute to show (repeat; default: the first six, and none with --blind).",
    ),
) -> None:
    """Code units one at a time: digits toggle themes, Enter saves (press ? on the screen for all keys).

    At a terminal each key acts at once; with input from a pipe, each line holds keys separated by
    spaces, an empty line or "." saves (see docs/review.md). Every decision is saved before the next
    unit appears; run the same command again to go on where you stopped.
    """
    import sys

    from thematic.review import _sources
    from thematic.review.decisions import check_coder
    from thematic.review.keys import TerminalKeys, reader_for
    from thematic.review.screen import loop
    from thematic.review.session import ReviewSession, others_panel, plan_walk

    check_coder(coder)
    with open_current() as project:
        version = _sources.require_codebook(project, question, one_for="a review session")
        walk = plan_walk(
            project, version, question=question, theme=theme, order=order, seed=seed, blind=blind
        )
        session = ReviewSession(
            project,
            walk.units,
            coder=coder,
            codebook=version,
            suggestions=walk.suggestions,
            run_id=walk.run_id,
            blind=blind,
            recode=recode,
            panel=None if blind else others_panel(project, coder),
            attributes=attr if (attr or blind) else None,
        )
        reader = reader_for(sys.stdin)
        loop(session, reader, console.real, interactive=isinstance(reader, TerminalKeys))


@app.command()
def code(
    unit_id: str = typer.Argument(..., help="The unit, as `thematic units` lists it."),
    coder: str = typer.Option(..., "--coder", "-c", help="Your name as a coder."),
    theme: list[str] = typer.Option([], "--theme", "-t", help="A theme that applies (id or name); repeat."),
    none: bool = typer.Option(False, "--none", help="No theme applies."),
    note: str | None = typer.Option(None, "--note", help="A note to keep with the decision."),
    as_json: bool = typer.Option(False, "--json", help="Print the decision as JSON."),
) -> None:
    """Record one coding decision, without the review screen."""
    from thematic.review.session import code_one

    with open_current() as project:
        decision = code_one(project, unit_id, coder=coder, themes=theme, none=none, note=note)
    if as_json:
        print_json(decision.to_dict())
        return
    what = ", ".join(sorted(decision.themes)) or "no theme"
    console.print(f"saved: {safe(coder)} coded {unit_id} {safe(what)}")
