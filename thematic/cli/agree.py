"""Commands for agreement between coders: agree, disagreements, reconcile."""

from __future__ import annotations

import math

import typer

from thematic.cli.app import app
from thematic.cli.context import open_current
from thematic.cli.output import book_entry, console, print_json, safe, section_title, warn
from thematic.errors import ThematicError

AGREE_FORMATS = ("table", "json", "csv", "md")
DISAGREEMENT_FORMATS = ("table", "json")


def _split_coders(value: str | None) -> list[str] | None:
    return None if value is None else value.split(",")


def _check_format(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ThematicError(f"unknown format '{value}' (choose {', '.join(allowed[:-1])} or {allowed[-1]})")
    return value


def _num(value: float, digits: int = 3) -> str:
    return "undefined" if math.isnan(value) else f"{value:.{digits}f}"


def _interval(e) -> str:
    if math.isnan(e.low):
        return "-"
    return f"[{e.low:.3f}, {e.high:.3f}]"


def _names(coders) -> str:
    coders = list(coders)
    return coders[0] if len(coders) == 1 else ", ".join(coders[:-1]) + " and " + coders[-1]


@app.command()
def agree(
    coders: str | None = typer.Option(
        None,
        "--coders",
        help="Coders to compare, comma-separated (default: every human coder); "
        "'machine' is the latest suggest run.",
    ),
    level: str = typer.Option("unit", "--level", help="unit, or response (sentence units rolled up)."),
    theme: str | None = typer.Option(None, "--theme", help="Only this theme (id or name)."),
    ci: float = typer.Option(0.95, "--ci", help="Confidence level of the bootstrap intervals."),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples of units."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap (same seed, same intervals)."),
    format: str = typer.Option("table", "--format", help="table, json, csv or md."),
    min_positives: int = typer.Option(
        10, "--min-positives", help="Themes with fewer positives are listed apart and left out of means."
    ),
    question: str | None = typer.Option(
        None, "--question", help="Only this question's units, with the codebook bound to it."
    ),
) -> None:
    """Inter-coder agreement that follows the codebook's structure, with bootstrap CIs.

    Only units coded by at least two of the coders count. An exclusive group of themes is one nominal
    variable (percent agreement, kappa, alpha, AC1 over its categories); independent themes get
    Krippendorff's alpha with the MASI distance on each unit's set of themes; the exact-match rate
    stands beside every overall figure. Each theme is also compared as present/absent. In a project
    whose questions have different codebooks, one section per codebook, over the questions it codes.
    """
    from thematic.agreement.table import agreement_sections

    _check_format(format, AGREE_FORMATS)
    with open_current() as project, project.snapshot():
        sections = agreement_sections(project, question=question, theme=theme, coders=_split_coders(coders),
                                      level=level, ci=ci, n_boot=n_boot, seed=seed,
                                      min_positives=min_positives)
    for _, table in sections:
        if table is not None:
            _warn_unknown(table)
    _show_agree(format, sections)


def _warn_unknown(table) -> None:
    if table.unknown_themes:
        warn(
            f"codings use themes that are not in codebook version {table.codebook_version}: "
            f"{', '.join(table.unknown_themes)} (they are left out; `thematic codebook use` the codebook "
            "they come from to include them)"
        )


def _show_agree(format: str, sections) -> None:
    """``sections``: (PerBook or None, table or None); one section without a title when the project
    codes its questions with one codebook (the output it always had)."""
    import sys

    multi = sections[0][0] is not None
    if format == "json":
        if not multi:
            print_json(sections[0][1].to_dict())
        else:
            print_json([book_entry(r, None if t is None else t.to_dict()) for r, t in sections])
        return
    if format == "csv":
        _agree_csv(sections)
        return
    out: list[str] = []
    for r, table in sections:
        if multi:
            if out:
                out.append("")
            title = section_title(r.book)
            out.append(f"## {title[0].upper()}{title[1:]}" if format == "md" else f"== {title} ==")
            if format == "md":
                out.append("")
        if table is None:
            out.append(f"no agreement computed: {r.problem}")
        else:
            out.extend(_agree_md(table) if format == "md" else _agree_table(table))
    if format == "md":
        sys.stdout.write("\n".join(out) + "\n")
    else:
        for line in out:
            console.print(safe(line))


def _heading(table) -> list[str]:
    what = "units" if table.level == "unit" else "responses"
    coded = ", ".join(f"{c} {n}" for c, n in table.coded_by.items())
    return [
        f"agreement of {_names(table.coders)} on {table.n_units} {what} coded by at least two of them "
        f"({table.n_coded} coded by any: {coded})",
        f"codebook {table.codebook} version {table.codebook_version}"
        + (f" (questions {', '.join(table.questions)})" if len(table.questions) > 1
           else f" (question {table.question})" if table.question else "")
        + f"; {table.level} level; "
        f"{table.ci:.0%} bootstrap intervals from {table.n_boot} resamples of {what}, seed {table.seed}",
    ]


def _footnotes(table, *, flags: bool = True) -> list[str]:
    from thematic.agreement.table import KAPPA_MISLEADING

    lines = []
    for row in table.rows:
        if row.kappa_misleading and flags:
            lines.append(f"! {row.theme}: prevalence {row.prevalence:.3f} is extreme; {KAPPA_MISLEADING}")
    for g in table.groups:
        if g.n_invalid:
            lines.append(
                f"! group {g.group}: {g.n_invalid} codings give a unit two or more of its themes; they "
                "count as missing for the group"
            )
        if g.n_missing_required:
            lines.append(
                f"! group {g.group} is required, but {g.n_missing_required} codings give a unit none of its "
                "themes; they count as missing for the group"
            )
    reasons = {e.not_applicable for row in table.rows for e in row.estimates if e.not_applicable}
    lines.extend(sorted(reasons))
    if table.level == "response":
        lines.append(f"response level: {table.rule}")
    if any(e.n_undefined for row in table.rows for e in row.estimates):
        lines.append(
            "some intervals leave out resamples where the coefficient was undefined "
            "(n_undefined in --format json)"
        )
    return lines


def _agree_table(table) -> list[str]:
    """Plain aligned text (it fits 80 columns, and reads the same in a terminal, a pipe or a paper)."""
    from thematic.agreement.table import KAPPA_MISLEADING

    every = [e for row in table.rows for e in row.estimates]
    every += [e for g in table.groups for e in g.estimates]
    if table.independent is not None:
        every += [*table.independent.estimates, *table.independent.means]
    width = max(len(e.label) for e in every)
    lines = _heading(table)

    def block(title: str, estimates, flag: str | None = None) -> None:
        lines.append("")
        lines.append(title)
        for e in estimates:
            value = "n/a" if e.not_applicable else _num(e.estimate)
            interval = "" if e.not_applicable else _interval(e)
            lines.append(f"  {e.label:<{width}}  {value:>9}  {interval:<14}  {e.band or ''}".rstrip())
        if flag:
            lines.append(f"  ! {flag}")

    lines.append("")
    lines.append(f"  {'coefficient':<{width}}  {'value':>9}  {f'{table.ci:.0%} CI':<14}  band")
    if table.exact_match is not None:
        block(f"whole coding (every theme): {table.n_units} {_what(table)}", [table.exact_match])
    for g in table.groups:
        rule = "exactly one" if g.required else "at most one"
        block(
            f"exclusive group {g.label} ({rule} of {', '.join(g.categories)}): one nominal variable, "
            f"{g.n_units} {_what(table)}",
            g.estimates,
        )
    ind = table.independent
    if ind is not None:
        block(f"independent themes ({', '.join(ind.themes)}): {ind.n_units} {_what(table)}", ind.estimates)
        if ind.covered:
            lines.append(
                f"  means over {len(ind.covered)} of them, those with {ind.min_positives}+ positives "
                "(no interval, no band):"
            )
            for e in ind.means:
                lines.append(f"  {e.label:<{width}}  {_num(e.estimate):>9}")
        if ind.rare:
            lines.append(
                f"  fewer than {ind.min_positives} positives, left out of the means: "
                + ", ".join(f"{t} ({n})" for t, n in ind.rare)
            )
    if table.rows:
        lines.append("")
        lines.append("per theme, present or absent:")
    for row in table.rows:
        block(
            f"{row.theme} ({row.name}): {row.n_units} {_what(table)}, {row.n_positives} positives, "
            f"prevalence {row.prevalence:.3f}",
            row.estimates,
            f"prevalence is extreme: {KAPPA_MISLEADING}" if row.kappa_misleading else None,
        )
    extra = _footnotes(table, flags=False)
    if extra:
        lines.append("")
        lines.extend(extra)
    return lines


def _what(table) -> str:
    return "units" if table.level == "unit" else "responses"


def _agree_md(table) -> list[str]:
    lines = [f"{line[0].upper()}{line[1:]}." for line in _heading(table)]
    header = ["theme", "n", "prevalence"] + [e.label for e in (table.rows[0].estimates if table.rows else ())]
    out = [
        " ".join(lines),
        "",
        "| " + " | ".join(header) + " |",
        "| --- | ---: | ---: |" + " --- |" * (len(header) - 3),
    ]

    def cell(e) -> str:
        if e.not_applicable:
            return "n/a"
        text = f"{_num(e.estimate)} {_interval(e)}" if not math.isnan(e.low) else _num(e.estimate)
        return text + (f" {e.band}" if e.band else "")

    for row in table.rows:
        prevalence = f"{row.prevalence:.3f}" + (" !" if row.kappa_misleading else "")
        name = f"{row.name} (`{row.theme}`)".replace("|", "\\|")
        cells = " | ".join(cell(e) for e in row.estimates)
        out.append(f"| {name} | {row.n_units} | {prevalence} | {cells} |")
    summary = table.summary_lines()
    if summary:
        out = out[:1] + [""] + [f"- {line[0].upper()}{line[1:]}." for line in summary] + out[1:]
    notes = _footnotes(table)
    if notes:
        out += [""] + [f"- {line}" for line in notes]
    return out


def _agree_csv(sections) -> None:
    """Long form; with several codebooks each row starts with its codebook, version and questions."""
    import csv
    import sys

    from thematic.export.safety import guard_csv_value

    multi = sections[0][0] is not None
    rows = []
    for r, table in sections:
        if table is None:
            continue
        head = {} if not multi else {"codebook": r.book.name, "codebook_version": r.book.version.number,
                                     "questions": ",".join(r.book.questions)}
        rows += [{**head, **row} for row in table.to_rows()]
    fields = list(rows[0]) if rows else []
    writer = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
    writer.writerow({f: guard_csv_value(f) for f in fields})
    for row in rows:  # theme names come from the codebook: a name like "=cmd" must not become a formula
        cells = {k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        writer.writerow({k: guard_csv_value(v) for k, v in cells.items()})


@app.command()
def disagreements(
    coders: str = typer.Option(..., "--coders", help="The two coders to compare: a,b ('machine' allowed)."),
    theme: str | None = typer.Option(None, "--theme", help="Only disagreements on this theme (id or name)."),
    question: str | None = typer.Option(
        None, "--question", help="Only this question's units, with the codebook bound to it."
    ),
    format: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Each unit two coders both coded but coded differently, with its text and both codings.

    In a project whose questions have different codebooks, one section per codebook, over the questions
    it codes."""
    from thematic.agreement.reconcile import compare
    from thematic.review.codings import Book, books_in_view, books_with_theme, each_book
    from thematic.store.codebooks import require_current

    _check_format(format, DISAGREEMENT_FORMATS)
    pair = _split_coders(coders)
    with open_current() as project, project.snapshot():
        books = [] if question is not None else books_in_view(project)
        if len(books) <= 1:
            version = require_current(project, question=question)
            single = Book(version, (question,) if question else ())
            results = each_book([single], lambda book: compare(project, pair, theme=theme, question=question))
        else:
            results = each_book(books_with_theme(books, theme),
                                lambda book: compare(project, pair, theme=theme, book=book))
    multi = len(books) > 1
    if format == "json":
        answers = [_disagreements_json(r.book.version, r.result, _one_question(r.book)) if r.result else None
                   for r in results]
        print_json([book_entry(r, a) for r, a in zip(results, answers, strict=True)] if multi else answers[0])
        return
    for i, r in enumerate(results):
        if multi:
            if i:
                console.print()
            console.print(safe(f"== {section_title(r.book)} =="))
            if r.result is None:
                console.print(safe(f"no comparison: {r.problem}"))
                continue
        _disagreements_text(r.book.version, r.result)


def _one_question(book) -> str | None:
    """The question a book's figures are for, when it is one (as agreement tables name it)."""
    return book.questions[0] if len(book.questions) == 1 else None


def _theme_names(version):
    names = {t.id: t.name for t in version.codebook.themes}
    order = {t.id: i for i, t in enumerate(version.codebook.themes)}

    def named(themes) -> list[str]:
        return [names.get(t, t) for t in sorted(themes, key=lambda t: (order.get(t, len(order)), t))]

    return names, named


def _disagreements_json(version, result, question: str | None) -> dict:
    _names_of, named = _theme_names(version)
    a, b = result.coders
    return {
        "coders": [a, b],
        "codebook": version.name,
        "codebook_version": version.number,
        "question": question,
        "theme": result.theme,
        "n_both": result.n_both,
        "n_disagreements": len(result.disagreements),
        "only_one": result.only_one,
        "disagreements": [
            {
                "unit_id": d.unit.id,
                "respondent_id": d.unit.respondent_id,
                "question_id": d.unit.question_id,
                "text": d.unit.text,
                "codings": {c: sorted(d.codings[c]) for c in (a, b)},
                "names": {c: named(d.codings[c]) for c in (a, b)},
                "notes": dict(d.notes),
            }
            for d in result.disagreements
        ],
    }


def _disagreements_text(version, result) -> None:
    names, named = _theme_names(version)
    a, b = result.coders
    about = f" about {names.get(result.theme, result.theme)}" if result.theme else ""
    left_out = f" ({result.only_one} units coded by only one of them are left out)" if result.only_one else ""
    console.print(
        safe(
            f"{a} and {b} disagree{about} on {len(result.disagreements)} of the {result.n_both} units "
            f"they both coded{left_out}"
        )
    )
    for d in result.disagreements:
        console.print()
        unit = d.unit
        console.print(
            f"{unit.id} · respondent {safe(unit.respondent_id)} · question {safe(unit.question_id)}"
        )
        console.print("  " + safe(" ".join(d.unit.text.split())))
        for c in (a, b):
            console.print(f"  {safe(c)}: {safe(', '.join(named(d.codings[c])) or 'no theme')}")
            if c in d.notes:
                console.print(f"  {safe(c)}'s note: {safe(d.notes[c])}")
        console.print(f"  differ on: {safe(', '.join(named(d.codings[a] ^ d.codings[b])))}")


@app.command()
def reconcile(
    coders: str = typer.Option(..., "--coders", help="The two coders to reconcile: a,b."),
    as_: str = typer.Option("consensus", "--as", help="Record the reconciled codings as this coder."),
    add_pair: bool = typer.Option(
        False, "--add-pair", help="Record into a coder that already holds another pair's reconciliation."
    ),
    question: str | None = typer.Option(
        None, "--question", help="Only this question's units, with the codebook bound to it."
    ),
) -> None:
    """Walk the units two coders disagree on and record the agreed coding (as coder consensus).

    Units where they agree are carried to consensus at once, with the note "agreed by a, b". The
    screen and keys are those of `thematic review`, with both coders' codings and notes shown; each
    decision is saved with a note of who disagreed. Run the same command again to go on.
    """
    import sys

    from thematic.agreement.reconcile import ReconcileSession, apply_plan, carry_note, plan_reconcile
    from thematic.review.decisions import check_coder
    from thematic.review.keys import TerminalKeys, reader_for
    from thematic.review.screen import loop
    from thematic.store.codebooks import require_current

    check_coder(as_, allow_consensus=True)
    with open_current() as project:
        version = require_current(project, question=question, one_for="a reconcile session")
        plan = plan_reconcile(
            project, _split_coders(coders), target=as_, codebook=version, question=question, add_pair=add_pair
        )
        apply_plan(project, plan)
        comparison = plan.comparison
        a, b = comparison.coders
        console.print(
            safe(
                f"{a} and {b} both coded {comparison.n_both} units: they agree on {len(comparison.agreed)} "
                f"and disagree on {len(comparison.disagreements)}"
                + (
                    f"; {comparison.only_one} units coded by only one of them are left out"
                    if comparison.only_one
                    else ""
                )
            )
        )
        console.print(
            safe(
                f"carried {len(plan.carry)} agreed units to {as_} (note: {carry_note((a, b))})"
                + (f"; {plan.already} were there already" if plan.already else "")
                + (f"; {plan.kept} keep the coding {as_} gave them by hand" if plan.kept else "")
            )
        )
        if plan.withdraw:
            console.print(
                f"withdrew {len(plan.withdraw)} carried codings where {safe(a)} and {safe(b)} no longer agree"
            )
        if not plan.walk:
            console.print("nothing to reconcile: no units where they disagree")
            return
        session = ReconcileSession(project, plan, codebook=version)
        reader = reader_for(sys.stdin)
        loop(session, reader, console.real, interactive=isinstance(reader, TerminalKeys))
