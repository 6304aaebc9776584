"""Commands for the closed items: scales describe, scales check, and the joint display crosstab."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import typer

from thematic.cli.app import app
from thematic.cli.context import open_current
from thematic.cli.output import console, note, print_json, safe
from thematic.errors import ThematicError, check_choice

FORMATS = ("table", "json", "csv")

scales_app = typer.Typer(
    help="Closed items (Likert scales): describe items and subscales from a scale file.",
    no_args_is_help=True,
)
app.add_typer(scales_app, name="scales")


def _write_csv(header: tuple[str, ...], rows) -> None:
    from thematic.export.safety import guard_csv_value

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow([guard_csv_value(h) for h in header])
    for row in rows:  # attribute values and item labels come from respondents: never a formula
        writer.writerow(["" if v is None else guard_csv_value(v) for v in row])


def _print_table(table) -> None:
    """Print a table; when stdout is not a terminal (a file, a pipe), at its natural width, unfolded."""
    if console.is_terminal:
        _print_table(table)
        return
    from rich.console import Console
    from rich.measure import Measurement

    width = Measurement.get(console, console.options.update(max_width=1000), table).maximum
    wide = Console(file=console.file, width=max(width, console.width), highlight=False, color_system=None)
    wide.print(table)


def _num(value, digits: int = 2) -> str:
    from thematic.scales.describe import fmt

    return fmt(value, digits)


def _respondents(n: int) -> str:
    return f"{n} respondent" + ("" if n == 1 else "s")


def _p(value) -> str:
    if value is None:
        return "-"
    return "<.001" if value < 0.001 else f"{value:.3f}"


@scales_app.command("check")
def check(
    scales: Path = typer.Option(..., "--scales", help="The scale file (YAML): items, responses, subscales."),
) -> None:
    """Check a scale file, and the project's answers to its items."""
    from thematic.scales.answers import load_answers
    from thematic.scales.model import load_scales

    scale_set = load_scales(scales)
    with open_current() as project:
        answers = load_answers(project, scale_set)
    reverse = sum(i.reverse for i in scale_set.items)
    console.print(f"{safe(scales.name)} is valid: {len(scale_set.items)} items ({reverse} reverse-keyed), "
                  f"{len(scale_set.subscales)} subscales; answers of {len(answers.respondents)} respondents "
                  "checked")


@scales_app.command("describe")
def describe(
    scales: Path = typer.Option(..., "--scales", help="The scale file (YAML): items, responses, subscales."),
    by: str | None = typer.Option(None, "--by", help="Compare the groups of this attribute (e.g. role)."),
    format: str = typer.Option("table", "--format", help="table, json or csv (long form)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap for alpha's interval."),
    n_boot: int = typer.Option(2000, "--n-boot", help="Bootstrap resamples for alpha's interval (0: none)."),
) -> None:
    """Item distributions, subscale scores and alpha, ranked; --by compares groups."""
    from thematic.scales.describe import describe as describe_core
    from thematic.scales.model import load_scales

    check_choice(format, FORMATS, "--format")
    scale_set = load_scales(scales)
    with open_current() as project:
        result = describe_core(project, scale_set, by=by, n_boot=n_boot, seed=seed)
    if format == "json":
        print_json(result.to_dict())
    elif format == "csv":
        _write_csv(("section", "id", "group", "statistic", "value"), result.csv_rows())
    else:
        render_described(result, scale_set)


def render_described(result, scale_set) -> None:
    from rich.table import Table

    from thematic.scales.model import format_value

    console.print(f"scales {safe(result.scales)} ({safe(result.source)}): {result.respondents} respondents, "
                  f"{len(result.items)} items, {len(result.subscales)} subscales")
    by_set: dict[str, list] = {}
    for item in result.items:
        by_set.setdefault(item.response_set, []).append(item)
    for set_name, items in by_set.items():
        responses = scale_set.item(items[0].id).responses
        console.print()
        console.print(f"items on {safe(set_name)}: " + ", ".join(
            f"{format_value(v)} = {safe(label)}" for v, label in responses.options))
        table = Table(show_edge=False)
        table.add_column("item")
        for value, _ in responses.options:
            table.add_column(format_value(value), justify="right")
        for col in ("missing", "n", "mean", "median"):
            table.add_column(col, justify="right")
        for item in items:
            cells = [f"{c.count} ({c.percent:.0f}%)" for c in item.categories]
            table.add_row(safe(item.id) + (" (R)" if item.reverse else ""), *cells,
                          f"{item.missing} ({item.missing_percent:.0f}%)", str(item.n), _num(item.mean),
                          _num(item.median, 1))
        _print_table(table)
    if any(i.reverse for i in result.items):
        console.print("(R): reverse-keyed; shown as answered, turned round in subscale scores")
    percent = f"{result.ci * 100:g}%"
    if result.subscales:
        console.print()
        table = Table(show_edge=False)
        columns = ("rank", "subscale", "scale", "items", "n", "mean", "SD", "median", "alpha",
                   f"{percent} CI")
        for col in columns:
            table.add_column(col, justify="left" if col in ("subscale", "scale") else "right")
        for sub in result.subscales:
            a = sub.alpha
            ci = f"{_num(a.low)} to {_num(a.high)}" if a.low is not None else "-"
            table.add_row(str(sub.rank or "-"), safe(sub.name), safe(sub.scale), str(len(sub.items)),
                          str(sub.n), _num(sub.mean), _num(sub.sd), _num(sub.median), _num(a.alpha), ci)
        _print_table(table)
        for scale, order in result.ranking:
            means = {s.id: s for s in result.subscales}
            console.print(f"{safe(scale)}: " + " > ".join(
                f"{safe(means[s].name)} ({_num(means[s].mean)})" for s in order))
        console.print("alpha: Cronbach's alpha over respondents who answered every item of the subscale, "
                      f"{percent} percentile bootstrap interval ({result.n_boot} resamples, "
                      f"seed {result.seed}); scores: mean of the items answered, when at least "
                      "min_items were")
    if result.by is not None:
        render_comparisons(result)


def render_comparisons(result) -> None:
    from rich.table import Table

    console.print()
    console.print(f"by {safe(result.by)}: " + ", ".join(f"{safe(g)} {n}" for g, n in result.groups)
                  + (f"; left out: {_respondents(result.excluded)} with no value" if result.excluded else ""))
    table = Table(show_edge=False)
    table.add_column("")
    for group, _ in result.groups:
        table.add_column(safe(group), justify="right")
    for col in ("test", "statistic", "p", "p (Holm)", "effect"):
        table.add_column(col, justify="right")
    for c in result.comparisons:
        t = c.test
        short = "r" if t.effect == "rank-biserial r" else "ε²"
        test = "U" if t.test.startswith("Mann") else "H"
        table.add_row(("subscale " if c.kind == "subscale" else "") + safe(c.id),
                      *[f"{_num(g.mean)} / {_num(g.median, 1)} ({g.n})" for g in c.groups],
                      test, _num(t.statistic, 1), _p(t.p), _p(c.p_holm),
                      f"{short} = {_num(t.effect_size)}" if t.effect_size is not None else "-")
    _print_table(table)
    if len(result.groups) == 2:
        legend = (f"U: Mann-Whitney; r: rank-biserial (positive: {safe(result.groups[0][0])} higher than "
                  f"{safe(result.groups[1][0])})")
    else:
        legend = "H: Kruskal-Wallis; ε²: epsilon-squared"
    console.print(f"cells: mean / median (n). {legend}; Holm within items and within subscales.")


@app.command()
def crosstab(
    theme_by: str | None = typer.Option(None, "--theme-by", help="Themes x the groups of this attribute."),
    coder: str | None = typer.Option(None, "--coder",
                                     help="Whose codings (default: consensus, or the only coder)."),
    scales: Path | None = typer.Option(None, "--scales", help="The scale file, with --score."),
    score: str | None = typer.Option(None, "--score", help="A subscale's score by theme (needs --scales)."),
    question: str | None = typer.Option(None, "--question", "-q", help="Only codings of this question."),
    format: str = typer.Option("table", "--format", help="table, json or csv."),
) -> None:
    """Joint display: themes by a respondent attribute, or a subscale score by theme."""
    check_choice(format, FORMATS, "--format")
    if theme_by is not None and score is not None:
        raise ThematicError("pass either --theme-by or --score, not both (run crosstab once for each)")
    if score is not None and scales is None:
        raise ThematicError(f"--score needs --scales FILE "
                            f"(name the scale file that defines subscale '{score}')")
    if theme_by is None and score is None:
        raise ThematicError("crosstab needs --theme-by ATTR or --scales FILE --score SUBSCALE "
                            "(themes by a respondent attribute, or a subscale score by theme)")
    if theme_by is not None:
        from thematic.scales.joint import theme_by_attribute

        with open_current() as project:
            result = theme_by_attribute(project, theme_by, coder=coder, question=question)
        _show_joint(result, format, render_crosstab)
        return
    from thematic.scales.joint import score_by_theme
    from thematic.scales.model import load_scales

    scale_set = load_scales(scales)
    with open_current() as project:
        result = score_by_theme(project, scale_set, score, coder=coder, question=question)
    _show_joint(result, format, render_score_by_theme)


def _show_joint(result, format: str, render) -> None:
    """A joint display as JSON, CSV or a table for people."""
    if format == "json":
        print_json(result.to_dict())
    elif format == "csv":
        _write_csv(result.csv_header(), result.csv_rows())
    else:
        render(result)


def render_crosstab(result) -> None:
    from rich.table import Table

    console.print(f"themes by {safe(result.attribute)} (coder {safe(result.coder)}; percent of the group's "
                  "coded respondents)")
    table = Table(show_edge=False)
    table.add_column("theme")
    for group, n in zip(result.groups, result.coded, strict=True):
        table.add_column(f"{safe(group)} (n={n})", justify="right")
    table.add_column(f"all (n={sum(result.coded)})", justify="right")
    for col in ("test", "p", "p (Holm)", "V"):
        table.add_column(col, justify="right")
    for t in result.themes:
        cells = [f"{c} ({_num(p, 0)}%)" if p is not None else str(c) for c, p in zip(t.counts, t.percents,
                                                                                     strict=True)]
        test = {"Fisher's exact": "Fisher", "chi-square": f"χ²({t.test.dof}) = {_num(t.test.statistic)}"}.get(
            t.test.test, "-")
        table.add_row(safe(t.name), *cells, f"{t.total} ({_num(t.total_percent, 0)}%)", test, _p(t.test.p),
                      _p(t.p_holm), _num(t.test.cramers_v))
    _print_table(table)
    if result.excluded:
        note(f"left out: {_respondents(result.excluded)} coded but with no value of {result.attribute}")
    if result.not_coded:
        note(f"not counted: {_respondents(result.not_coded)} with no answer coded by {result.coder}")
    console.print("V: Cramer's V; Holm across themes.")
    if result.caveat:
        console.print(f"caveat: {safe(result.caveat)}")


def render_score_by_theme(result) -> None:
    from rich.table import Table

    from thematic.scales.model import format_value

    span = f"{format_value(result.low)} to {format_value(result.high)}"
    console.print(f"{safe(result.subscale_name)} score ({span}) by theme (coder {safe(result.coder)}; "
                  f"{result.coded} coded respondents with a score)")
    table = Table(show_edge=False)
    for col in ("theme", "with theme", "without", "U", "p", "p (Holm)", "r"):
        table.add_column(col, justify="left" if col == "theme" else "right")
    for t in result.themes:
        table.add_row(safe(t.name), *[f"{_num(g.mean)} / {_num(g.median, 1)} ({g.n})"
                                      for g in (t.with_theme, t.without_theme)],
                      _num(t.test.statistic, 1), _p(t.test.p), _p(t.p_holm), _num(t.test.effect_size))
    _print_table(table)
    if result.no_score:
        note(f"not counted: {_respondents(result.no_score)} coded but with no {result.subscale} score "
             "(too few items answered)")
    console.print("cells: mean / median (n). U: Mann-Whitney; r: rank-biserial (positive: respondents with "
                  "the theme score higher); Holm across themes.")
