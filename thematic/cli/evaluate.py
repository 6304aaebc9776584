"""`thematic evaluate`: cross-validated machine-vs-human agreement per theme, and a learning curve."""

from __future__ import annotations

import math

import typer

from thematic.cli.app import app
from thematic.cli.context import open_current
from thematic.cli.output import console, note, print_json, safe
from thematic.errors import ThematicError, check_choice

FORMATS = ("table", "json")


def _interval(figure, digits: int = 2) -> str:
    if math.isnan(figure.low) or math.isnan(figure.high):
        return "-"
    return f"[{figure.low:.{digits}f}, {figure.high:.{digits}f}]"


def _number(value: float, digits: int = 3) -> str:
    return "undefined" if value != value else f"{value:.{digits}f}"


@app.command("evaluate")
def evaluate_(
    from_coder: str = typer.Option("consensus", "--from", help="Whose decisions to learn from and compare "
                                   "with (default: consensus, the reconciled codings)."),
    folds: int = typer.Option(5, "--folds", help="Cross-validation folds (units split by respondent)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the folds, the curve's subsets and the bootstrap."),
    format: str = typer.Option("table", "--format", help="table or json."),
    model: str | None = typer.Option(None, "--model", help="Embedding model: an installed model's name or a "
                                     "model folder (default all-MiniLM-L6-v2)."),
    question: str | None = typer.Option(None, "--question", help="Only this question's units, under the "
                                        "codebook bound to it."),
) -> None:
    """Machine-vs-human agreement on units the model never trained on (cross-validated), per theme.

    In a project whose questions have different codebooks, one evaluation per codebook, over the
    questions it codes."""
    check_choice(format, FORMATS, "--format")
    from thematic.cli.ml import model_choice, progress_bar
    from thematic.cli.output import book_entry, section_title
    from thematic.ml.evaluate import evaluate
    from thematic.review.codings import books_in_view, each_book

    choice = model_choice(model, None)
    options = dict(from_coder=from_coder, folds=folds, seed=seed, model=choice)
    with open_current() as project, progress_bar() as progress:
        books = [] if question is not None else books_in_view(project)
        if len(books) <= 1:
            result = evaluate(project, progress=progress, question=question, **options)
        else:
            results = each_book(books, lambda b: evaluate(project, progress=progress, book=b, **options))
    if len(books) <= 1:
        if format == "json":
            print_json(result.to_dict())
        else:
            render(result)
        return
    if format == "json":
        print_json([book_entry(r, None if r.result is None else r.result.to_dict()) for r in results])
        return
    for i, r in enumerate(results):
        if i:
            console.print()
        console.print(safe(f"== {section_title(r.book)} =="))
        if r.result is None:
            console.print(safe(f"no evaluation: {r.problem}"))
        else:
            render(r.result)


def render(result) -> None:
    from rich.table import Table

    console.print(f"machine vs {safe(result.from_coder)}: {result.coded_units} coded units "
                  f"({result.respondents} respondents), codebook {safe(result.codebook)} "
                  f"(version {result.codebook_version}), model {safe(result.model)}, "
                  f"{result.folds}-fold cross-validation")
    if result.structure is not None:
        for line in headline_lines(result.structure):
            console.print(safe(line))
        console.print()
    table = Table(show_edge=False)
    for col in ("theme", "coded", "coder +", "machine +", "learned in"):
        table.add_column(col, justify="left" if col == "theme" else "right")
    for row in result.themes:
        table.add_row(safe(row.theme_id), str(row.units), str(row.positives), str(row.machine_positives),
                      f"{row.learned_folds}/{result.folds} folds")
    console.print(table)
    table = Table(show_edge=False)
    for col in ("theme", "measure", "machine", "95% CI", "zero-shot"):
        table.add_column(col, justify="left" if col in ("theme", "measure") else "right")
    for row in result.themes:
        for i, (name, figure, zero) in enumerate((("kappa", row.kappa, row.zero_shot_kappa),
                                                  ("AC1", row.ac1, None), ("precision", row.precision, None),
                                                  ("recall", row.recall, None))):
            table.add_row(safe(row.theme_id) if i == 0 else "", name, _number(figure.estimate, 2),
                          _interval(figure), "" if zero is None else _number(zero.estimate, 2),
                          end_section=i == 3)
    console.print(table)
    console.print(f"mean of per-theme kappa over all themes (not a coefficient of the coding): "
                  f"{_number(result.macro_kappa)} learned, {_number(result.zero_shot_macro_kappa)} zero-shot")
    from thematic.ml import evaluate as E

    console.print(f"  on the {result.unseen_units} held-out units whose text no training fold had: "
                  f"{_number(result.unseen_macro_kappa)}; over the {result.themes_with_enough_positives} "
                  f"themes with at least {E.MIN_THEME_POSITIVES} positives: "
                  f"{_number(result.macro_kappa_enough_positives)}")
    if result.curve:
        console.print("\nlearning curve (coded units each fold's model learned from):")
        curve = Table(show_edge=False)
        for col in ("coded units", "mean kappa", "zero-shot", "themes learned"):
            curve.add_column(col, justify="right")
        for point in result.curve:
            curve.add_row(str(point.coded_units), _number(point.macro_kappa),
                          _number(point.zero_shot_macro_kappa), f"{point.themes_learned:.1f}")
        console.print(curve)
    note(result.method)


def headline_lines(figures) -> list[str]:
    """The structure-aware headline: nominal figures per exclusive group, macro kappa over the
    independent themes with enough positives (and how many it covers), exact match of the coding."""
    def fig(f) -> str:
        return f"{_number(f.estimate)} {_interval(f, 3)}"

    lines = []
    for g in figures.groups:
        lines.append(
            f"exclusive group {g.label} ({g.units} units, one nominal variable over "
            f"{', '.join(g.categories)}): "
            f"kappa {fig(g.kappa)}, alpha {fig(g.alpha)}, AC1 {fig(g.ac1)}, "
            f"percent agreement {fig(g.percent_agreement)}"
        )
        if g.machine_several:
            lines.append(f"  the machine gave {g.machine_several} units two or more of its themes "
                         "(counted as disagreement)")
        if g.coder_invalid:
            lines.append(f"  {g.coder_invalid} of the coder's codings break the group's rule (left out)")
    if figures.independent:
        n = len(figures.independent)
        lines.append(
            f"independent themes: macro kappa {_number(figures.macro_kappa)} over the {len(figures.covered)} "
            f"of {n} themes the coder gave to {figures.min_positives} or more units"
            + (f"; MASI alpha {fig(figures.masi_alpha)}" if figures.masi_alpha is not None else "")
        )
        if figures.rare:
            lines.append("  left out (too few positives): "
                         + ", ".join(f"{t} ({k})" for t, k in figures.rare))
    lines.append(f"exact match of the whole coding: {fig(figures.exact_match)}")
    return lines


# -- for `thematic suggest --learn [--from CODER]` (thematic/cli/ml.py) -------------------------------------
def check_learn_options(learn: bool, from_coder: str | None, thresholds) -> None:
    """The option combinations `suggest` refuses: --from without --learn, --threshold with --learn."""
    if from_coder is not None and not learn:
        raise ThematicError(f"--from needs --learn (thematic suggest --learn --from {from_coder})")
    if learn and thresholds is not None:
        raise ThematicError("--threshold cannot be used with --learn (learned thresholds come from the "
                            "coders' decisions; drop one of the two)")


def learned_note(run) -> str:
    """One line under a learned run: whose decisions, and which themes kept their zero-shot scores."""
    params = run.parameters
    themes = params.get("themes", {})
    kept = [tid for tid, info in themes.items() if info.get("method") != "learned"]
    line = (f"learned from {params.get('from_coder')}'s {params.get('coded_units')} coded units: "
            f"{len(themes) - len(kept)} of {len(themes)} themes learned")
    figures = params.get("candidates_loo_kappa") or {}
    if params.get("learner") in figures:
        line += f" by {params['learner']} (held-out kappa on the decisions {figures[params['learner']]:.2f})"
    if kept:
        why = (f"fewer than {params.get('min_positives')} units coded with, or {params.get('min_negatives')} "
               "without, the theme")
        if params.get("min_learned_kappa") is not None:
            why += f", or a leave-one-out kappa below {params['min_learned_kappa']} on its decisions"
        if params.get("zero_shot_calibration") is not None or "min_pooled_themes" not in params:
            line += f"; {', '.join(kept)} scored zero-shot, calibrated on the learned themes ({why})"
        else:  # too few learned themes to calibrate on (learner.MIN_POOLED_THEMES)
            line += (f"; {', '.join(kept)} kept the zero-shot suggestions ({why}; calibrating them on the "
                     f"learned themes needs {params['min_pooled_themes']} learned themes)")
    single = params.get("single_label")
    if single and single.get("note"):
        line += f"; {single['note']}"
    return line + "; check the figures with `thematic evaluate`"
