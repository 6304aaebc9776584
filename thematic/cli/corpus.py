"""Commands for the project and its corpus: init, import, status, units, show."""

from __future__ import annotations

from pathlib import Path

import typer

from thematic.cli import options as opt
from thematic.cli.app import app
from thematic.cli.context import open_current, project_path
from thematic.cli.output import check_limit, console, note, print_json, safe, strip_controls
from thematic.errors import ThematicError


@app.command()
def init() -> None:
    """Create a project file (or say that it exists already)."""
    from thematic.store.project import create_project

    path = project_path()
    project, created = create_project(path)
    with project:
        if created:
            console.print(f"created project {safe(project.location)}")
        else:
            console.print(
                f"{safe(project.location)} is already a thematic project (schema version "
                f"{project.schema_version}); nothing changed"
            )


@app.command()
def check(as_json: bool = typer.Option(False, "--json", help="Print the report as JSON.")) -> None:
    """Check the whole project: every page, every reference, every decision. Exit 1 on any problem."""
    from thematic.integrity import check_project
    from thematic.store.project import open_project

    with open_project(project_path(), check=False) as project:
        report = check_project(project)
    if as_json:
        print_json(report.to_dict())
    else:
        for what, problems in report.checks:
            console.print(f"{'ok' if not problems else 'PROBLEM'}: {what}")
            for problem in problems:
                console.print(f"  {safe(problem)}")
        console.print(
            f"{safe(report.path)}: no problems found"
            if report.ok
            else f"{safe(report.path)}: problems found (restore a backup, or get help with the lines above)"
        )
    if not report.ok:
        raise typer.Exit(1)


@app.command("import")
def import_(
    file: Path = opt.SURVEY_FILE,
    id: str | None = opt.ID,
    text: list[str] = opt.TEXT,
    attr: list[str] | None = opt.ATTR,
    item: str | None = opt.ITEM,
    question_column: str | None = opt.QUESTION_COLUMN,
    unit: str = opt.UNIT,
    dedupe: str | None = opt.DEDUPE,
    sheet: str | None = opt.SHEET,
    format: str | None = opt.FILE_FORMAT,
    encoding: str | None = opt.ENCODING,
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Import survey responses and segment them into coding units."""
    from thematic.ingest.importer import import_file

    options = opt.import_options(
        id=id, text=text, attr=attr, unit=unit, dedupe=dedupe, item=item, question_column=question_column,
        sheet=sheet, format=format, encoding=encoding)
    with open_current() as project:
        summary = import_file(project, file, options)
    if as_json:
        print_json(summary.to_dict())
        return
    render_import_summary(summary)


def render_import_summary(summary) -> None:
    from rich.table import Table

    for line in summary.notes:
        note(line)
    if summary.already_imported:
        return
    console.print(
        f"imported {safe(summary.file)} ({summary.format}, {summary.rows} rows): "
        f"{summary.respondents_total} respondents ({summary.respondents_new} new)"
        + (f", {summary.dropped_duplicates} duplicate rows dropped" if summary.dropped_duplicates else "")
    )
    attributes = ", ".join(safe(a) for a in summary.attributes) or "none"
    console.print(f"attributes: {attributes}" + ("" if summary.attributes_chosen else
                                                 " (every other column; choose them with --attr NAME)"))
    table = Table(show_edge=False)
    items = any(q.items != q.responses for q in summary.questions)
    columns = ["question", "responses", *(["items"] if items else []), "skipped (empty)", "already present",
               f"units ({summary.unit})"]
    for col in columns:
        table.add_column(col, justify="left" if col == "question" else "right")
    for q in summary.questions:
        table.add_row(safe(q.question), str(q.responses), *([str(q.items)] if items else []),
                      str(q.skipped_empty), str(q.already_present), str(q.units))
    console.print(table)
    console.print(f"{summary.units} units created")


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """What the project holds: respondents, questions, units, codebook, runs, coding per coder."""
    from thematic.store.status import project_status

    with open_current() as project:
        info = project_status(project)
    if as_json:
        print_json(info)
        return
    console.print(
        f"project {safe(info['project'])} (schema {info['schema_version']}; units: {info['unit'] or '-'})"
    )
    console.print(
        f"{info['sources']} files imported, {info['respondents']} respondents, "
        f"{info['responses']} responses, {info['units']} units"
    )
    if info["questions"]:
        from rich.table import Table

        table = Table(show_edge=False)
        table.add_column("question")
        table.add_column("responses", justify="right")
        table.add_column("units", justify="right")
        for q in info["questions"]:
            table.add_row(safe(q["question"]), str(q["responses"]), str(q["units"]))
        console.print(table)
    cb = info["codebook"]
    if cb is None and info["codebooks"]:  # a codebook per question
        console.print(
            "codebooks: "
            + "; ".join(
                f"{safe(c['question'])}: {safe(c['name'])} (version {c['version']})"
                for c in info["codebooks"]
            )
        )
    else:
        console.print(
            f"codebook: {safe(cb['name']) + ' (version ' + str(cb['version']) + ')' if cb else 'none'}"
        )
    console.print(
        f"embedded: {info['embedded_units']} of {info['units']} units; "
        f"suggest runs: {info['suggest_runs']}; discover runs: {info['discover_runs']}"
    )
    if info["coded"]:
        console.print("coded: " + ", ".join(f"{safe(c['coder'])} {c['units']}" for c in info["coded"]))
    else:
        console.print("coded: nobody yet")


@app.command()
def units(
    question: str | None = typer.Option(None, "--question", "-q", help="Only this question."),
    limit: int = typer.Option(20, "--limit", "-n", help="How many to list (0: all).", callback=check_limit),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """List coding units with their ids."""
    from dataclasses import asdict

    from thematic.store import corpus

    with open_current() as project:
        corpus.check_question(project, question)
        rows = corpus.list_units(project, question_id=question, limit=limit or None)
        total = corpus.unit_count(project)
    if as_json:
        print_json([asdict(u) for u in rows])
        return
    from rich.table import Table

    table = Table(show_edge=False)
    for col in ("unit", "respondent", "question", "text"):
        table.add_column(col, overflow="fold")
    for u in rows:
        short = u.text if len(u.text) <= 90 else u.text[:87] + "..."
        table.add_row(safe(u.id), safe(u.respondent_id), safe(u.question_id), safe(short.replace("\n", " ")))
    console.print(table)
    if len(rows) < total and not question:
        note(f"showing {len(rows)} of {total} units (--limit 0 for all)")


@app.command()
def show(
    unit_id: str = typer.Argument(..., help="A unit id, as `thematic units` lists them."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """One unit in context: its respondent's attributes and the whole response."""
    from dataclasses import asdict

    from thematic.store import corpus

    with open_current() as project:
        unit = corpus.get_unit(project, unit_id)
        if unit is None:
            raise ThematicError(f"unit '{unit_id}' not found (list unit ids with `thematic units`)")
        _, _, response = corpus.get_response(project, unit.response_id)
        attributes = corpus.get_respondent(project, unit.respondent_id)
    if as_json:
        print_json({**asdict(unit), "response": response, "attributes": attributes})
        return
    from rich.text import Text

    console.print(
        f"unit {unit.id}: respondent {safe(unit.respondent_id)}, question {safe(unit.question_id)}, "
        f"characters {unit.start}-{unit.end}"
    )
    if attributes:
        console.print("  " + "; ".join(f"{safe(k)}: {safe(str(v))}" for k, v in attributes.items()))
    response = strip_controls(response)  # one character for one: the unit's offsets still hold
    text = Text(response)
    text.stylize("bold reverse" if console.is_terminal else "", unit.start, unit.end)
    if not console.is_terminal and (unit.start, unit.end) != (0, len(response)):
        text = Text(
            response[: unit.start] + "[[" + response[unit.start : unit.end] + "]]" + response[unit.end :]
        )
    console.print(text)
