"""Machine coding commands: embed, suggest, suggestions, and run (the whole machine job in one go)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from thematic.cli import options as opt
from thematic.cli.app import app
from thematic.cli.context import open_current, project_path
from thematic.cli.output import check_limit, console, err_console, note, print_json, safe
from thematic.errors import ThematicError

MODEL_HELP = "Embedding model: an installed model's name or a model folder (default all-MiniLM-L6-v2)."
DEVICE_HELP = "cpu, cuda, cuda:N or mps (default: CUDA when available, else the CPU)."


@contextmanager
def progress_bar() -> Iterator:
    """A progress callback ``progress(task, done, total)`` drawing rich bars on stderr (nothing when stderr
    is not a terminal)."""
    if not err_console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=err_console.real, transient=True)
    tasks: dict[str, int] = {}

    def update(task: str, done: int, total: int) -> None:
        if task not in tasks:
            tasks[task] = bars.add_task(task, total=total)
        bars.update(tasks[task], completed=done, total=total)

    with bars:
        yield update


BACKEND_HELP = ("auto, onnx or torch (default auto: ONNX Runtime on the CPU, exported once from the model's "
                "own weights; PyTorch on a GPU or where the export is not possible).")


def model_choice(model: str | None, device: str | None, backend: str | None = None):
    """None for the default model on the automatic device and backend, else a ModelChoice (checked, not
    loaded)."""
    if model is None and device is None and backend in (None, "auto"):
        return None
    from thematic.ml.embed import ModelChoice, choose_device

    if device is not None:
        choose_device(device)
    return ModelChoice(model, device, backend)


def backend_label(backend: str | None) -> str:
    """" (ONNX Runtime)" or " (PyTorch)" after the device in a summary; nothing when nothing was embedded."""
    return {"onnx": " (ONNX Runtime)", "torch": " (PyTorch)"}.get(backend or "", "")


def parse_thresholds(values: list[str]) -> float | dict | None:
    """``--threshold 0.3`` (every theme) and/or ``--threshold THEME=0.3`` (one theme)."""
    if not values:
        return None
    out: dict[str, float] = {}
    for value in values:
        theme, _, number = value.rpartition("=")
        try:
            score = float(number)
        except ValueError:
            raise ThematicError(
                f"--threshold must be a number or THEME=NUMBER, not '{value}' "
                "(for example --threshold 0.3 or --threshold therapeutic-risks=0.25)") from None
        if not math.isfinite(score) or not -1.0 <= score <= 1.0:
            raise ThematicError(
                f"--threshold must be a score from -1 to 1 (scores are cosine similarities), not '{number}' "
                "(for example --threshold 0.3)")
        out[theme.strip() or "*"] = score
    return out


def short_text(text: str | None, width: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 3] + "..."


# -- embed -----------------------------------------------------------------------------------------------
@app.command()
def embed(
    model: str | None = typer.Option(None, "--model", help=MODEL_HELP),
    device: str | None = typer.Option(None, "--device", help=DEVICE_HELP),
    backend: str | None = typer.Option(None, "--backend", help=BACKEND_HELP),
    batch_size: int | None = typer.Option(
        None, "--batch-size", help="Texts per model batch (default: 64 on the CPU, 256 on a GPU)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Embed every unit not embedded yet (vectors are cached in the project)."""
    from thematic.ml.embed import embed_project

    choice = model_choice(model, device, backend)
    with open_current() as project, progress_bar() as progress:
        summary = embed_project(project, model=choice, batch_size=batch_size, progress=progress)
    if as_json:
        print_json(summary.to_dict())
        return
    where = (f" on {summary.device}" if summary.device else "") + backend_label(summary.backend)
    console.print(f"{summary.units} units ({summary.unique_texts} distinct texts): {summary.embedded} "
                  f"embedded, {summary.cached} already cached; model {safe(summary.model)} "
                  f"({summary.fingerprint}){where}, {summary.seconds:.1f} s")


# -- suggest ---------------------------------------------------------------------------------------------
def questions_label(questions) -> str:
    """" of question q1" / " of questions q1, q2" after a unit count; nothing for every question."""
    if not questions:
        return ""
    return f" of question{'s' if len(questions) > 1 else ''} {safe(', '.join(questions))}"


def render_suggest_run(run) -> None:
    from rich.table import Table

    console.print(f"suggest run {run.id}: {run.units} units{questions_label(run.questions)} against codebook "
                  f"{safe(run.codebook)} (version {run.codebook_version}), model {safe(run.model)}")
    table = Table(show_edge=False)
    for col, justify in (("theme", "left"), ("threshold", "right"), ("units", "right"), ("% units", "right")):
        table.add_column(col, justify=justify)
    for theme in run.themes:
        share = 100.0 * theme.units / run.units if run.units else 0.0
        table.add_row(safe(theme.id), f"{theme.threshold:.3f}", str(theme.units), f"{share:.1f}")
    console.print(table)
    console.print(f"{run.unassigned_units} units with no theme; see them with `thematic suggestions`")
    implied = implied_residual_note(run)
    if implied:
        note(implied)


def implied_residual_note(run) -> str | None:
    """One line when suggest read catch-all themes ("Other") as residual (thematic.ml.residual)."""
    implied = run.parameters.get("implied_residual") or []
    if not implied:
        return None
    names = {t.id: t.name for t in run.themes}
    listed = ", ".join(f"{t} ({safe(names.get(t, t))})" for t in implied)
    return (f"read as catch-all{'s' if len(implied) > 1 else ''}: {listed}: given only where no other theme "
            "of the group is, and to non-answers; mark it `residual: true` in the codebook to make this a "
            "rule, or rename it to score it as any other theme")


@app.command("suggest")
def suggest_(
    model: str | None = typer.Option(None, "--model", help=MODEL_HELP),
    device: str | None = typer.Option(None, "--device", help=DEVICE_HELP),
    backend: str | None = typer.Option(None, "--backend", help=BACKEND_HELP),
    threshold: list[str] = typer.Option(
        [], "--threshold", help="A score threshold for every theme (0.3), or THEME=0.3; repeat for several. "
        "Default: each theme's mean score plus half a standard deviation."),
    seed: int = typer.Option(0, "--seed", help="Stored with the run (scoring itself is not random)."),
    learn: bool = typer.Option(False, "--learn", help="Learn from coders' decisions: a classifier per theme "
                               "with enough of them (docs/learning.md)."),
    from_coder: str | None = typer.Option(None, "--from", help="With --learn: whose decisions "
                                          "(default consensus)."),
    question: str | None = typer.Option(None, "--question", "-q", help="Only this question's units "
                                        "(default: every question that has a codebook)."),
    as_json: bool = typer.Option(False, "--json", help="Print the run summary as JSON (a list of runs when "
                                 "the questions have different codebooks)."),
) -> None:
    """Score every unit against its question's codebook and store the runs (coder `machine`).

    One run per codebook in use, over the units of the questions it codes; --question limits it."""
    from thematic.ml.scopes import suggest_each

    choice = model_choice(model, device, backend)
    thresholds = parse_thresholds(threshold)
    from thematic.cli.evaluate import check_learn_options, learned_note
    check_learn_options(learn, from_coder, thresholds)
    with open_current() as project, progress_bar() as progress:
        runs = suggest_each(project, question=question, learn=learn, from_coder=from_coder or "consensus",
                            model=choice, thresholds=thresholds, seed=seed, progress=progress)
    if as_json:
        print_json(runs[0].to_dict() if len(runs) == 1 else [run.to_dict() for run in runs])
        return
    for k, run in enumerate(runs):
        if k:
            console.print()
        render_suggest_run(run)
        if learn:
            note(learned_note(run))


# -- suggestions -----------------------------------------------------------------------------------------
@app.command()
def suggestions(
    theme: str | None = typer.Option(None, "--theme", "-t", help="Only this theme."),
    min_score: float | None = typer.Option(
        None, "--min-score", help="Every unit x theme scoring at least this, assigned or not "
        "(default: the assigned ones)."),
    run: int | None = typer.Option(None, "--run", help="A suggest run id (default: for each question, the "
                                   "latest run that covers it)."),
    question: str | None = typer.Option(None, "--question", "-q", help="Only this question's units."),
    limit: int = typer.Option(50, "--limit", "-n", help="How many to list per run (0: all).",
                              callback=check_limit),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """List a suggest run's suggestions, best first within each theme."""
    from thematic.store import corpus
    from thematic.store import ml as store
    from thematic.store.codebooks import get_version

    if min_score is not None and not (math.isfinite(min_score) and -1.0 <= min_score <= 1.0):
        raise ThematicError(f"--min-score must be a score from -1 to 1 (scores are cosine similarities), "
                            f"not {min_score}")
    with open_current() as project:
        corpus.check_question(project, question)
        if run is not None:
            found = store.get_suggest_run(project, run)
            if found is None:
                raise ThematicError(f"suggest run {run} not found (leave out --run for the latest)")
            pairs = [(found.id, None if question is None else [question])]
        else:
            pairs = store.current_pairs(project, question)
            if not pairs:
                raise ThematicError("no suggest run yet (run `thematic suggest` first)" if question is None
                                    else f"no suggest run covers question '{question}' (run `thematic "
                                    f"suggest --question {question}` first)")
        runs = [store.get_suggest_run(project, run_id) for run_id, _ in pairs]
        if theme is not None and not any(theme in get_version(project, r.codebook_version).codebook.ids()
                                         for r in runs):
            theme_ids = get_version(project, runs[0].codebook_version).codebook.ids()
            raise ThematicError(f"theme '{theme}' is not in codebook version {runs[0].codebook_version} "
                                f"(themes are: {', '.join(theme_ids)})")
        listed = [(r, store.list_suggestions(project, r.id, theme_id=theme, min_score=min_score,
                                             limit=limit or None, questions=qs))
                  for r, (_, qs) in zip(runs, pairs, strict=True)]
        books = {r.id: get_version(project, r.codebook_version) for r in runs}
    if as_json:
        if len(listed) == 1:
            print_json({"run": listed[0][0].id, "suggestions": listed[0][1]})
        else:
            print_json({"runs": [{"run": r.id, "codebook": books[r.id].name,
                                  "codebook_version": r.codebook_version, "suggestions": rows}
                                 for r, rows in listed]})
        return
    from rich.table import Table

    what = "assigned suggestions" if min_score is None else f"scores of at least {min_score}"
    for k, (found, rows) in enumerate(listed):
        table = Table(show_edge=False)
        for col, justify in (("theme", "left"), ("score", "right"), ("", "left"), ("unit", "left"),
                             ("respondent", "left"), ("text", "left")):
            table.add_column(col, justify=justify, overflow="fold" if col == "text" else None)
        for row in rows:
            table.add_row(safe(row["theme"]), f"{row['score']:.3f}", "*" if row["assigned"] else "",
                          row["unit"], safe(row["respondent"]), safe(short_text(row["text"])))
        if len(listed) > 1:
            if k:
                console.print()
            console.print(f"run {found.id}: codebook {safe(books[found.id].name)} (version "
                          f"{found.codebook_version}){questions_label(pairs[k][1])}")
        console.print(table)
        more = " shown (--limit 0 for all)" if limit and len(rows) == limit else ""
        note(f"run {found.id}: {len(rows)} {what}{more}; * marks an assigned theme")


# -- run -------------------------------------------------------------------------------------------------
def render_run(summary) -> None:
    from rich.table import Table

    from thematic.cli.corpus import render_import_summary
    from thematic.cli.discover import render as render_discovery

    if summary.created_project:
        note(f"created project {summary.project}")
    render_import_summary(summary.imported)
    embedded = summary.embedded
    note(f"embedded {embedded.embedded} texts ({embedded.cached} cached) with {embedded.model}"
         + (f" on {embedded.device}" if embedded.device else "") + backend_label(embedded.backend))
    console.print(f"\n{summary.units} units from {summary.respondents} respondents, coded against "
                  f"{safe(summary.codebook)} (version {summary.codebook_version}); suggest run "
                  f"{summary.suggested.id}")
    table = Table(show_edge=False)
    for col, justify in (("theme", "left"), ("units", "right"), ("% respondents", "right"),
                         ("exemplar", "left")):
        table.add_column(col, justify=justify, overflow="fold" if col == "exemplar" else None)
    width = 90  # folded over lines in a narrow terminal
    for row in summary.themes:
        table.add_row(safe(row.name), str(row.units), f"{row.percent_respondents:.1f}",
                      safe(short_text(row.exemplar, width)) if row.exemplar else "-")
    table.add_row("(no theme)", str(summary.unassigned_units), "", "")
    console.print(table)
    if summary.discovery is not None:
        console.print()
        render_discovery(summary.discovery)
    if summary.discovery_note:
        note(summary.discovery_note)
    implied = implied_residual_note(summary.suggested)
    if implied:
        note(implied)
    if summary.csv_path:
        console.print(f"\nwrote {safe(summary.csv_path)}")
    note("machine suggestions are the coder `machine`: review them with `thematic review` before reporting")


@app.command("run")
def run_(
    file: Path = opt.SURVEY_FILE,
    codebook: Path = typer.Option(..., "--codebook", "-c", help="The codebook YAML file."),
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
    out: Path | None = typer.Option(None, "--out", "-o", help="Folder for coded-units.csv (made if absent)."),
    model: str | None = typer.Option(None, "--model", help=MODEL_HELP),
    device: str | None = typer.Option(None, "--device", help=DEVICE_HELP),
    backend: str | None = typer.Option(None, "--backend", help=BACKEND_HELP),
    threshold: list[str] = typer.Option([], "--threshold", help="As for `thematic suggest`."),
    seed: int = typer.Option(0, "--seed", help="Seed stored with the runs."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """The machine job in one go: import, codebook, embed, suggest, discover; a theme table and a CSV."""
    from thematic.ml.pipeline import run_job

    options = opt.import_options(
        id=id, text=text, attr=attr, unit=unit, dedupe=dedupe, item=item, question_column=question_column,
        sheet=sheet, format=format, encoding=encoding)
    choice = model_choice(model, device, backend)
    thresholds = parse_thresholds(threshold)
    with progress_bar() as progress:
        summary = run_job(project_path(), file, options, codebook, out_dir=out, model=choice, seed=seed,
                          thresholds=thresholds, progress=progress)
    if as_json:
        print_json(summary.to_dict())
        return
    render_run(summary)
