"""Commands for coding sheets (`sheet export|import`) and the decision log
(`decisions export|import|import-wide|log`)."""

from __future__ import annotations

from pathlib import Path

import typer

from thematic.cli import options as opt
from thematic.cli.app import app
from thematic.cli.context import open_current
from thematic.cli.output import check_limit, console, json_or_notes, note, print_json, safe, warn

sheet_app = typer.Typer(help="Excel coding sheets for a coder who installs nothing.", no_args_is_help=True)
decisions_app = typer.Typer(
    help="The decision log: export, import (merge coders), import wide tables, show.", no_args_is_help=True
)
app.add_typer(sheet_app, name="sheet")
app.add_typer(decisions_app, name="decisions")


@sheet_app.command("export")
def sheet_export(
    coder: str = typer.Option(..., "--coder", "-c", help="Who will fill the sheet in."),
    out: Path = typer.Option(..., "--out", "-o", help="The .xlsx file to write."),
    question: str | None = typer.Option(None, "--question", "-q", help="Only this question's units."),
    with_suggestions: bool = typer.Option(
        False, "--with-suggestions", help="Show the machine's suggestions (sheets are blind by default)."
    ),
    sample: int | None = typer.Option(None, "--sample", help="A random sample of this many units."),
    seed: int = typer.Option(0, "--seed", help="Seed for --sample (same seed, same sample)."),
    force: bool = typer.Option(False, "--force", help="Replace --out if it exists."),
    show_attr: list[str] = typer.Option(
        [], "--show-attr", help="A respondent attribute to put on the sheet (repeat; default: none)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Write an .xlsx coding sheet: a row per unit, a 0/1 column per theme, the codebook on a second sheet."""
    from thematic.review.sheets import export_sheet

    with open_current() as project:
        summary = export_sheet(project, out, coder=coder, question=question,
                               with_suggestions=with_suggestions, sample=sample, seed=seed, force=force,
                               attributes=show_attr)
    if as_json:
        print_json(summary.to_dict())
        return
    console.print(
        f"wrote {safe(summary.path)}: {summary.rows} units x {len(summary.themes)} themes for "
        f"{safe(coder)} (codebook version {summary.codebook_version}; "
        f"{'with the machine suggestions' if summary.with_suggestions else 'blind'})"
    )


@sheet_app.command("import")
def sheet_import(
    file: Path = typer.Argument(..., help="The filled-in .xlsx sheet (or a .csv saved from it)."),
    coder: str = typer.Option(..., "--coder", "-c", help="Who filled it in."),
    allow_version_mismatch: bool = typer.Option(
        False, "--allow-version-mismatch", help="Import a sheet made for another codebook version."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Record the codings in a filled-in sheet; nothing is recorded unless every row is valid."""
    from thematic.review.sheets import import_sheet

    with open_current() as project:
        report = import_sheet(project, file, coder=coder, allow_version_mismatch=allow_version_mismatch)
    if json_or_notes(report, as_json):
        return
    console.print(
        f"recorded {report.recorded} decision{'s' if report.recorded != 1 else ''} for {safe(coder)} "
        f"from {safe(report.file)}: {report.coded} coded, {report.flagged} flagged (a note, no codes), "
        f"{report.uncoded} rows left uncoded"
        + (f"; {report.already} already in the log" if report.already else "")
    )


@decisions_app.command("export")
def decisions_export(
    out: str = typer.Option(..., "--out", "-o", help="The .jsonl file to write ('-' for stdout)."),
    coder: str | None = typer.Option(None, "--coder", "-c", help="Only this coder's decisions."),
    force: bool = typer.Option(False, "--force", help="Replace --out if it exists."),
) -> None:
    """Write the decision log as JSON lines, to merge into another copy of the project."""
    from thematic.review.merge import export_decisions, log_text

    with open_current() as project:
        if out == "-":
            text, _ = log_text(project, coder=coder)
        else:
            n = export_decisions(project, out, coder=coder, force=force)
    if out == "-":
        import sys

        sys.stdout.write(text)
        sys.stdout.flush()
        return
    console.print(f"wrote {n} decision{'s' if n != 1 else ''} to {safe(out)}")


@decisions_app.command("import")
def decisions_import(
    file: Path = typer.Argument(..., help="A .jsonl file made by `thematic decisions export`."),
    skip_bad: bool = typer.Option(
        False, "--skip-bad", help="Import the good lines, list the bad (default: any bad line, nothing)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Merge decisions from another copy of the project: idempotent, in any order."""
    from thematic.review.merge import import_decisions

    with open_current() as project:
        report = import_decisions(project, file, skip_bad=skip_bad)
    if as_json:
        print_json(report.to_dict())
        return
    for line in report.skipped:
        warn(f"{report.file}: skipped {line}")
    who = ", ".join(f"{safe(c)} {n}" for c, n in report.coders.items())
    console.print(
        f"added {report.added} decision{'s' if report.added != 1 else ''} from {safe(report.file)}"
        + (f" ({who})" if who else "")
        + f"; {report.already} already in the log"
        + (f"; {len(report.skipped)} bad lines skipped" if report.skipped else "")
    )


@decisions_app.command("import-wide")
def decisions_import_wide(
    file: Path = typer.Argument(..., help="CSV, TSV, XLSX or JSONL with one row per respondent."),
    coder: str = typer.Option(..., "--coder", "-c", help="Whose codings these are."),
    id: str = typer.Option(..., "--id", help="Column with the respondent id."),
    question: str = typer.Option(..., "--question", "-q", help="The question the codes are for."),
    add_codes: bool = typer.Option(False, "--add-codes", help="Add unknown codes to a new codebook version."),
    code_column: list[str] = typer.Option(
        [], "--code-column",
        help="A column holding codes: code names (several in a cell separated by ;), or 0/1 for one "
        "code; repeat (default: detect).",
    ),
    sheet: str | None = opt.SHEET,
    format: str | None = opt.FILE_FORMAT,
    encoding: str | None = opt.ENCODING,
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Import codings made elsewhere: 'Code 1..N' columns of code names, or one 0/1 column per code."""
    from thematic.review.wide import import_wide

    with open_current() as project:
        report = import_wide(
            project,
            file,
            coder=coder,
            id_column=id,
            question=question,
            add_codes=add_codes,
            code_columns=list(code_column) or None,
            sheet=sheet,
            fmt=format,
            encoding=encoding,
        )
    if json_or_notes(report, as_json):
        return
    if report.added_themes:
        note(
            f"added {len(report.added_themes)} theme{'s' if len(report.added_themes) != 1 else ''} to a new "
            f"codebook version {report.codebook_version}: {', '.join(report.added_themes)} "
            "(give them definitions)"
        )
    console.print(
        f"recorded {report.recorded} decision{'s' if report.recorded != 1 else ''} for {safe(coder)} from "
        f"{safe(report.file)} ({report.layout}: {safe(', '.join(report.code_columns))}); "
        f"{report.no_theme} with no theme, {report.no_answer} rows without an answer left out"
        + (f"; {report.already} already in the log" if report.already else "")
    )


@decisions_app.command("log")
def decisions_log(
    coder: str | None = typer.Option(None, "--coder", "-c", help="Only this coder."),
    unit: str | None = typer.Option(None, "--unit", "-u", help="Only this unit."),
    limit: int = typer.Option(50, "--limit", "-n", help="The most recent N (0: all).", callback=check_limit),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Show the decision log: who decided what, when, seeing what."""
    from thematic.store import decisions as store

    with open_current() as project:
        rows = store.decisions(project, coder=coder, unit_id=unit)
    total = len(rows)
    if limit:
        rows = rows[-limit:]
    if as_json:
        print_json([d.to_dict() for d in rows])
        return
    from rich.table import Table

    table = Table(show_edge=False)
    for col in ("at", "coder", "unit", "kind", "themes", "note", "seen"):
        table.add_column(col, no_wrap=col in ("at", "unit", "kind"), overflow="fold")
    for d in rows:
        seen = "-" if d.kind == "undo" else "blind" if d.suggestions is None else "suggestions"
        what = d.target_uuid[:8] if d.kind == "undo" else (", ".join(sorted(d.themes)) or "-")
        table.add_row(
            d.at[:19].replace("T", " "),
            safe(d.coder),
            d.unit_id,
            d.kind,
            safe(what),
            safe(d.note or ""),
            seen,
        )
    console.print(table)
    if total > len(rows):
        note(f"showing the latest {len(rows)} of {total} decisions (--limit 0 for all)")
