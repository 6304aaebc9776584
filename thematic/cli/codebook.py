"""`thematic codebook ...`: validate, use, show, versions, diff, export, import."""

from __future__ import annotations

from pathlib import Path

import typer

from thematic.cli.app import app
from thematic.cli.context import open_current
from thematic.cli.output import console, error, note, print_json, safe, warn
from thematic.errors import ThematicError

codebook_app = typer.Typer(
    name="codebook",
    help="Check, use, show, compare and exchange codebooks (YAML, REFI-QDA .qdc, markdown).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(codebook_app, name="codebook")

JSON_HELP = "Print as JSON."


def _short(content_hash: str) -> str:
    return content_hash[:12]


def _day(timestamp: str | None) -> str:
    return "-" if not timestamp else timestamp[:16].replace("T", " ")


def _write(path: Path, text: str, force: bool, project=None) -> None:
    """Write ``text`` to ``path`` through the one output check (thematic.outfile): never over the
    project (the current one, when there is one) or an imported file, never over a file without --force."""
    from thematic.cli.context import project_path
    from thematic.outfile import write_text

    if project is None and project_path().is_file():
        try:
            project = open_current()
        except ThematicError:  # not a project: nothing of it to protect beyond what write_text checks
            project = None
        else:
            with project:
                write_text(path, text, project=project, force=force)
            return
    write_text(path, text, project=project, force=force)


@codebook_app.command()
def validate(
    file: Path = typer.Argument(..., help="A codebook YAML file."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Check a codebook file and list every problem, with its line (exit 2 if there are any)."""
    from thematic.codebook.load import check_codebook_file

    result = check_codebook_file(file)
    cb = result.codebook
    if as_json:
        print_json(
            {
                "file": str(file),
                "valid": result.ok,
                "problems": [{"line": p.line, "message": p.message} for p in result.problems],
                "codebook": cb.codebook if cb else None,
                "themes": len(cb.themes) if cb else None,
                "content_hash": cb.content_hash() if cb else None,
                "groups": [g.to_dict() for g in cb.groups] if cb else None,
            }
        )
    elif cb is not None:
        subs = sum(1 for t in cb.themes if t.parent_id is not None)
        console.print(
            f"{safe(str(file))}: valid codebook {cb.codebook} ({len(cb.themes)} themes"
            + (f", {subs} of them sub-themes" if subs else "")
            + "; content hash "
            f"{_short(cb.content_hash())})"
        )
        if cb.structured or any(t.residual for t in cb.themes):
            console.print(f"structure: {safe(cb.structure_summary())}")
    if result.ok:
        return
    if as_json:
        n = len(result.problems)
        raise ThematicError(
            f"{file} is not a valid codebook ({n} problem{'s' if n != 1 else ''}, listed in the JSON output; "
            "fix them and validate again)"
        )
    for problem in result.problems[:-1]:
        error(str(problem))
    raise ThematicError(str(result.problems[-1]))  # the last one, printed as every error is, exit code 2


@codebook_app.command()
def use(
    file: Path = typer.Argument(..., help="The codebook YAML file to code with from now on."),
    question: list[str] | None = typer.Option(
        None,
        "--question",
        help="Bind it to this question only (repeat, or separate with commas; default: every question).",
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Store a codebook in the project as a version (by content) and make it the current one.

    With --question, the codebook codes those questions only; each question has one codebook.
    """
    from thematic.codebook.versions import use_file
    from thematic.store.codebooks import bindings

    questions = None if not question else [q for item in question for q in item.split(",")]
    with open_current() as project:
        report = use_file(project, file, questions=questions)
        bound = sorted(
            b.question for b in bindings(project) if b.version_number == report.version.number and b.question
        )
        every = not any(b.explicit for b in bindings(project) if b.version_number == report.version.number)
    version, use = report.version, report.use
    where = (
        "every question"
        if every
        else "question " + ", ".join(bound)
        if len(bound) == 1
        else ("questions " + ", ".join(bound))
    )
    if as_json:
        print_json(
            {
                "codebook": version.name,
                "version": version.number,
                "content_hash": version.content_hash,
                "new": use.created,
                "previous": use.previous.number if use.previous else None,
                "questions": None if every else bound,
                "changes": report.diff.to_dict() if report.diff else None,
            }
        )
        return
    themes = f"{len(version.codebook.themes)} themes"
    if use.created:
        console.print(
            f"codebook {version.name} is now in use: version {version.number} (new; {themes}; content hash "
            f"{_short(version.content_hash)})"
        )

    elif use.previous is not None and use.previous.number == version.number:
        console.print(f"codebook {version.name} version {version.number} is already in use (unchanged)")
    else:
        console.print(
            f"codebook {version.name} is now in use: version {version.number} (stored before, on "
            f"{_day(version.created_at)}; {themes})"
        )

    if not every:
        console.print(f"it codes {safe(where)}")
    if report.diff is not None:
        console.print(
            f"changes from version {use.previous.number}: {report.diff.summary()} (details: thematic "
            f"codebook diff {use.previous.number} {version.number})"
        )


@codebook_app.command()
def show(
    version: int | None = typer.Option(
        None, "--version", "-V", help="A stored version (default: the current one)."
    ),
    question: str | None = typer.Option(None, "--question", help="The codebook of this question."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """The codebook as a tree: themes, sub-themes, definitions and rules."""
    from thematic.codebook.versions import version_or_current

    with open_current() as project:
        v = version_or_current(project, version, question=question)
    cb = v.codebook
    if as_json:
        print_json(
            {
                "version": v.number,
                "content_hash": v.content_hash,
                "created_at": v.created_at,
                **cb.to_dict(),
                "structure": [g.to_dict() for g in cb.groups],
            }
        )
        return
    from rich.text import Text
    from rich.tree import Tree

    console.print(f"codebook {cb.codebook}, version {v.number} (content hash {_short(v.content_hash)})")
    if cb.structured or any(t.residual for t in cb.themes):
        console.print(f"structure: {safe(cb.structure_summary())}")
    tree = Tree(Text(cb.title or cb.codebook, style="bold"))
    if cb.description:
        tree.add(Text(cb.description, style="italic"))

    def add(parent, theme) -> None:
        head = Text()
        if theme.colour and console.is_terminal:
            head.append("■ ", style=theme.colour)
        head.append(theme.name, style="bold")
        head.append(f"  {theme.id}", style="dim" if console.is_terminal else "")
        branch = parent.add(head)
        branch.add(Text(theme.definition))
        for name in ("include", "exclude", "examples", "counterexamples"):
            items = getattr(theme, name)
            if items:
                sub = branch.add(Text(f"{name}:", style="dim" if console.is_terminal else ""))
                for item in items:
                    sub.add(Text(item))
        if theme.keywords:
            branch.add(Text("keywords: " + ", ".join(theme.keywords)))
        for child in cb.children(theme.id):
            add(branch, child)

    for theme in cb.children(None):
        add(tree, theme)
    console.print(tree, soft_wrap=False)


@codebook_app.command()
def versions(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Every codebook version stored in the project; the current one is marked."""
    from thematic.store.codebooks import version_history

    with open_current() as project:
        history = version_history(project)
    if as_json:
        print_json(
            [
                {
                    "version": h.version.number,
                    "codebook": h.version.name,
                    "content_hash": h.version.content_hash,
                    "themes": len(h.version.codebook.themes),
                    "created_at": h.version.created_at,
                    "last_used_at": h.last_used_at,
                    "uses": h.uses,
                    "current": h.current,
                }
                for h in history
            ]
        )
        return
    if not history:
        note("no codebook versions yet (run `thematic codebook use FILE`)")
        return
    from rich.table import Table

    table = Table(show_edge=False)
    for col in ("version", "codebook", "themes", "content hash", "stored", "last used"):
        table.add_column(col, justify="right" if col in ("version", "themes") else "left", no_wrap=True)
    for h in history:
        v = h.version
        table.add_row(
            f"{v.number}{'*' if h.current else ''}",
            v.name,
            str(len(v.codebook.themes)),
            _short(v.content_hash),
            v.created_at[:10],
            _day(h.last_used_at),
        )
    console.print(table)
    note("* the current version")


@codebook_app.command()
def diff(
    old: str | None = typer.Argument(
        None, help="A version number or a YAML file (default: the version used before the current one)."
    ),
    new: str | None = typer.Argument(
        None, help="A version number or a YAML file (default: the current version)."
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """What changed between two codebooks: themes added, removed, renamed, definitions and rules changed."""
    from thematic.codebook.versions import compare, is_file_spec

    if is_file_spec(old) and is_file_spec(new):
        comparison = compare(None, old, new)
    else:
        with open_current() as project:
            comparison = compare(project, old, new)
    d = comparison.diff
    if as_json:
        print_json({"old": comparison.old_label, "new": comparison.new_label, **d.to_dict()})
        return
    from rich.text import Text

    console.print(f"{safe(comparison.old_label)} -> {safe(comparison.new_label)}: {d.summary()}")
    for theme in d.added:
        console.print(Text(f"+ {theme.id}: added ({theme.name})"))
    for theme in d.removed:
        console.print(Text(f"- {theme.id}: removed ({theme.name})"))
    for old_id, new_id in d.id_changes:
        console.print(
            Text(
                f"? {old_id} -> {new_id}: same name or definition under a new id (codings made with {old_id} "
                "keep that id)"
            )
        )
    for theme_id, before, after in d.renamed:
        console.print(Text(f'~ {theme_id}: renamed from "{before}" to "{after}"'))
    for change in d.metadata:
        _print_change(change.field, change, "  ")
    for theme_change in d.changed:
        for change in theme_change.changes:
            _print_change(f"{theme_change.id}: {change.field.replace('parent_id', 'parent')}", change, "~ ")


def _print_change(label: str, change, lead: str) -> None:
    from rich.text import Text

    old, new = change.old, change.new
    if isinstance(old, tuple):
        console.print(Text(f"{lead}{label} changed"))
        for item in old:
            if item not in new:
                console.print(Text(f"    - {item}"))
        for item in new:
            if item not in old:
                console.print(Text(f"    + {item}"))
        if [i for i in old if i in new] != [i for i in new if i in old]:
            console.print(Text("    (order changed)"))
    elif change.field in ("definition", "description"):
        console.print(Text(f"{lead}{label} changed"))
        if old and new and len(old) + len(new) > 160:
            from thematic.codebook.diff import word_diff

            for hunk in word_diff(old, new):
                console.print(Text(f"    {hunk}"))
        else:
            console.print(Text(f"    - {old}" if old else "    - (none)"))
            console.print(Text(f"    + {new}" if new else "    + (none)"))
    else:
        console.print(Text(f"{lead}{label}: {old or '(none)'} -> {new or '(none)'}"))


@codebook_app.command("export")
def export(
    file: Path | None = typer.Argument(
        None, help="A codebook YAML file to convert (default: the project's codebook)."
    ),
    format: str = typer.Option("yaml", "--format", "-f", help="yaml, qdc (REFI-QDA) or md (appendix table)."),
    version: int | None = typer.Option(
        None, "--version", "-V", help="A stored version (default: the current one)."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write to this file (default: standard output)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite --out if it exists."),
) -> None:
    """Write the codebook as YAML, as a REFI-QDA codebook (.qdc), or as a markdown table for an appendix."""
    from thematic.codebook.versions import check_format, export_text, version_or_current

    fmt = check_format(format)
    if file is not None:
        if version is not None:
            raise ThematicError(
                "pass either a FILE or --version, not both (--version picks a version stored in the project)"
            )
        from thematic.codebook.load import load_codebook

        if not file.exists() and str(file).isdigit():
            raise ThematicError(
                f"codebook file {file} not found (to export version {file}, pass --version {file})"
            )
        text = export_text(load_codebook(file), fmt)
        if out is not None:
            _write(out, text, force)
    else:
        with open_current() as project:
            v = version_or_current(project, version)
            text = export_text(v.codebook, fmt, version=v)
            if out is not None:
                _write(out, text, force, project)
    if out is None:
        import sys

        sys.stdout.write(text)
        return
    note(f"wrote {out}")


@codebook_app.command("import")
def import_(
    file: Path = typer.Argument(
        ..., help="A REFI-QDA codebook (.qdc), or a project (.qdpx, .qde) to take the codebook from."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="The YAML file to write (default: standard output)."
    ),
    name: str | None = typer.Option(
        None, "--name", help="The codebook's name, a slug (default: from --out)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite --out if it exists."),
) -> None:
    """Convert a REFI-QDA codebook from NVivo, ATLAS.ti, MAXQDA, QualCoder or Taguette into codebook YAML."""
    from thematic.codebook.model import slugify
    from thematic.codebook.qdc import read_qdc

    default = (slugify(out.stem) if out is not None else "") or "imported"
    result = read_qdc(file, name=name, default_name=default)
    text = result.to_yaml(file.name)
    for line in result.notes:
        warn(line)
    if out is None:
        import sys

        sys.stdout.write(text)
        return
    _write(out, text, force)
    cb = result.codebook
    how = (
        "a thematic export, read back exactly"
        if result.from_thematic
        else f"from {' '.join(result.origin.split())}"
        if result.origin
        else "origin not stated"
    )
    console.print(
        f"wrote {safe(str(out))}: codebook {cb.codebook}, {len(cb.themes)} themes ({safe(how)}); check it "
        f"with `thematic codebook validate {safe(str(out))}`"
    )
