"""Commands that take coded data out, and REFI-QDA projects in: `export units|quotes|refi`, `report`,
`import-refi`."""

from __future__ import annotations

from pathlib import Path

import typer

from thematic.cli.app import app
from thematic.cli.context import open_current
from thematic.cli.output import console, json_or_notes, note, print_json, safe

export_app = typer.Typer(help="Export coded units, quote banks and REFI-QDA projects.", no_args_is_help=True)
app.add_typer(export_app, name="export")

CODER_HELP = ("Whose codings: a coder's name, consensus, or machine (for each question, the latest suggest "
              "run that covers it).")


def _guarded(count: int) -> None:
    if count:
        note(f"{count} texts begin with = + - @ (or a tab); they are written as text, never as formulas")


@export_app.command("units")
def export_units_(
    coder: str = typer.Option(..., "--coder", "-c", help=CODER_HELP),
    out: Path = typer.Option(..., "--out", "-o", help="The file to write (.csv, .xlsx or .json)."),
    format: str | None = typer.Option(
        None, "--format", "-f", help="csv, xlsx or json (default: from --out)."
    ),
    layout: str = typer.Option(
        "long", "--layout", help="long (a row per unit x theme) or wide (0/1 columns)."
    ),
    level: str = typer.Option("unit", "--level", help="Wide rows per unit or per response."),
    question: str | None = typer.Option(None, "--question", "-q", help="Only this question."),
    force: bool = typer.Option(False, "--force", help="Replace --out if it exists."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Write one coder's codings as a long or wide table for R, SPSS or Excel."""
    from thematic.export.units import export_units

    with open_current() as project, project.snapshot():
        summary = export_units(
            project, out, coder=coder, fmt=format, layout=layout, level=level, question=question, force=force
        )
    if as_json:
        print_json(summary.to_dict())
        return
    what = "units" if summary.level == "unit" else "responses"
    console.print(
        f"wrote {safe(summary.path)}: {summary.rows} rows ({summary.layout}, {summary.format}; "
        f"coder {safe(summary.coder)}; {summary.coded_units} of {summary.units} units coded; "
        f"one row per {'unit x theme' if summary.layout == 'long' else what[:-1]})"
    )
    _guarded(summary.guarded)


@export_app.command("quotes")
def export_quotes_(
    coder: str = typer.Option(..., "--coder", "-c", help=CODER_HELP),
    out: Path = typer.Option(..., "--out", "-o", help="The file to write (.xlsx or .md)."),
    format: str | None = typer.Option(None, "--format", "-f", help="xlsx or md (default: from --out)."),
    question: str | None = typer.Option(None, "--question", "-q", help="Only this question."),
    attr: list[str] | None = typer.Option(
        None, "--attr", help="Attribute to show beside each quote (repeat; default: all)."
    ),
    force: bool = typer.Option(False, "--force", help="Replace --out if it exists."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Write the quote bank: every excerpt coded with each theme, a sheet or section per theme."""
    from thematic.export.quotes import export_quotes

    with open_current() as project, project.snapshot():
        summary = export_quotes(
            project,
            out,
            coder=coder,
            fmt=format,
            question=question,
            attributes=list(attr) if attr else None,
            force=force,
        )
    if as_json:
        print_json(summary.to_dict())
        return
    console.print(
        f"wrote {safe(summary.path)}: {summary.excerpts} excerpts under {summary.themes} themes "
        f"(coder {safe(summary.coder)})"
    )
    _guarded(summary.guarded)


@export_app.command("refi")
def export_refi_(
    out: Path = typer.Option(..., "--out", "-o", help="The .qdpx file to write."),
    coder: list[str] | None = typer.Option(
        None, "--coder", "-c", help="Coder to include (repeat; default: every coder in the log)."
    ),
    machine: bool = typer.Option(False, "--machine", help="Include the machine's suggestions as a user."),
    force: bool = typer.Option(False, "--force", help="Replace --out if it exists."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Write a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, MAXQDA or QualCoder."""
    from thematic.export.refi import export_refi
    from thematic.outfile import check_output

    with open_current() as project, project.snapshot():
        check_output(out, project=project, force=force)
        summary = export_refi(project, out, coders=list(coder) if coder else None, machine=machine)
    if as_json:
        print_json(summary.to_dict())
        return
    console.print(
        f"wrote {safe(summary.path)}: {summary.sources} sources, {summary.codes} codes, "
        f"{summary.codings} codings by {', '.join(safe(u) for u in summary.users) or 'nobody'}"
    )


@app.command()
def report(
    out: Path = typer.Option(..., "--out", "-o", help="The file to write (.html or .md)."),
    format: str | None = typer.Option(None, "--format", "-f", help="html or md (default: from --out)."),
    coder: str | None = typer.Option(
        None, "--coder", "-c", help="Whose codings (default: consensus, else the only coder, else machine)."
    ),
    by: list[str] | None = typer.Option(
        None,
        "--by",
        help="Attribute to break prevalence down by (repeat; default: every categorical attribute).",
    ),
    scales: Path | None = typer.Option(None, "--scales", help="A scale file: adds the closed-items section."),
    question: str | None = typer.Option(None, "--question", "-q", help="Only this question."),
    exemplars: int = typer.Option(3, "--exemplars", help="Quotes per theme."),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples for the intervals."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
    force: bool = typer.Option(False, "--force", help="Replace --out if it exists."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Write the study report: a self-contained HTML page (or markdown) with tables and charts."""
    from thematic.export.report import write_report

    with open_current() as project, project.snapshot():
        summary = write_report(project, out, fmt=format, coder=coder, by=list(by) if by else None,
                               scales=scales, question=question, exemplars=exemplars, n_boot=n_boot,
                               seed=seed, force=force)
    if json_or_notes(summary, as_json):
        return
    console.print(
        f"wrote {safe(summary.path)} ({summary.format}; coder {safe(summary.coder)}; "
        f"{len(summary.charts)} charts)"
    )


@app.command("import-refi")
def import_refi_(
    file: Path = typer.Argument(..., help="A REFI-QDA project (.qdpx)."),
    question: str = typer.Option("text", "--question", "-q", help="Question id for sources that name none."),
    unit: str | None = typer.Option(
        None, "--unit", help="response or sentence (default: as exported, or the project's)."
    ),
    name: str | None = typer.Option(
        None, "--name", help="Codebook name (a slug) for another tool's codebook."
    ),
    coder: str | None = typer.Option(
        None, "--coder", help="Coder for codings that name no user (refused without it)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Import a REFI-QDA project: sources, codebook, cases and every user's codings as decisions."""
    from thematic.export.refi_import import import_refi

    with open_current() as project:
        summary = import_refi(project, file, question=question, unit=unit, name=name, coder=coder)
    if json_or_notes(summary, as_json):
        return
    if summary.already_imported:
        return
    console.print(
        f"imported {safe(summary.file)}: {summary.sources} sources ({summary.responses_new} new responses, "
        f"{summary.units_new} units), {summary.respondents_new} new respondents, {summary.themes} themes, "
        f"{summary.decisions_new} decisions ({summary.decisions_present} already present) by "
        f"{', '.join(safe(c) for c in summary.coders) or 'nobody'}"
    )
