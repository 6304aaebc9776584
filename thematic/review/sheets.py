"""Coding sheets: an .xlsx a second coder fills in with Excel or LibreOffice, and its import back.

Layout of the ``coding`` sheet (row 1 is the header; one row per unit)::

    unit_id | respondent_id | question | <attributes...> | text | <a column per theme id> | note [| suggested]

Theme cells take 1 (applies) or 0 (does not), with a 0/1 drop-down; a row whose theme cells are all
empty is left uncoded (a note alone on such a row is kept as a flag). Between ``text`` and ``note``
every column is a theme column, which is how a CSV saved from the sheet is read too. A ``codebook``
sheet holds the definitions; a hidden ``thematic`` sheet holds the coder, the codebook version (content
hash) and the run whose suggestions were shown, so an import can refuse a sheet made for another
codebook version. Sheets are blind (no suggestions) unless exported ``with_suggestions``.

An import checks every row first (unit ids, unchanged texts, theme columns, 0/1 cells) and records
nothing unless all rows are valid. Decision ids derive from the file's content, so importing the same
file twice adds nothing.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from thematic.errors import ThematicError
from thematic.outfile import atomic_write, check_output
from thematic.review import _sources
from thematic.review.decisions import Decision, check_coder, derived_uuid, stamp
from thematic.review.validate import DecisionValidator, check_new_coder
from thematic.store import corpus
from thematic.store import decisions as store
from thematic.store.project import Project

FORMAT = "thematic-coding-sheet"
FORMAT_VERSION = "1"
CODING, CODEBOOK, META = "coding", "codebook", "thematic"
FIXED_BEFORE = ("unit_id", "respondent_id", "question")
RISKY_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_PROBLEMS = 8
NOTHING = "fix the sheet and import it again; nothing was recorded"


# -- spreadsheet safety ------------------------------------------------------------------------------


def set_text(cell, value) -> None:
    """Put a value in an openpyxl cell so a spreadsheet shows it as typed.

    Text that begins with ``= + - @``, a tab or a carriage return would be read as a formula by Excel
    (a "CSV/formula injection"); it is written as a string cell with the quote-prefix style, which
    Excel and LibreOffice show as text. Characters XML cannot hold are dropped.
    """
    if value is None or not isinstance(value, str):
        cell.value = value
        return
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.value = text
    if text.startswith(RISKY_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True


def comparable(text: str) -> str:
    """Text as it survives a round trip through a spreadsheet: line ends and edge spaces normalised."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return "\n".join(
        line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ).strip()


# -- export ------------------------------------------------------------------------------------------


@dataclass
class SheetExport:
    path: str
    coder: str
    rows: int
    themes: list[str]
    codebook_version: int
    with_suggestions: bool

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def export_sheet(
    project: Project,
    out: str | Path,
    *,
    coder: str,
    question: str | None = None,
    with_suggestions: bool = False,
    sample: int | None = None,
    seed: int = 0,
    force: bool = False,
    attributes: Sequence[str] = (),
) -> SheetExport:
    """Write a coding sheet for ``coder``: every unit (of ``question``), or a seeded random ``sample``.

    The sheet shows no respondent attributes unless they are named in ``attributes`` (--show-attr): a
    column a second coder should not see (another coder's codes) never reaches the sheet by default.
    """
    import openpyxl

    path = _sheet_path(project, out, coder, force=force)
    corpus.check_question(project, question)
    version = _sources.require_codebook(project, question, one_for="a coding sheet")
    units = _sheet_units(project, question, sample, seed)
    found = _suggestions(project, with_suggestions, question)
    themes = list(version.codebook.themes)
    attr_names = _attribute_columns(project, attributes, themes)
    book = openpyxl.Workbook()
    _write_coding(
        book.active,
        units,
        themes,
        attr_names,
        corpus.respondent_attributes(project) if attr_names else {},
        found.scores if found else None,
    )
    _write_codebook(book.create_sheet(CODEBOOK), version)
    _write_meta(book.create_sheet(META), coder, version, question, found)
    book.active = 0
    atomic_write(path, book.save)
    return SheetExport(str(path), coder, len(units), [t.id for t in themes], version.number,
                       found is not None)


def _sheet_path(project: Project, out: str | Path, coder: str, *, force: bool) -> Path:
    """Where the sheet goes: an .xlsx the output check allows, for a coder name that can be used."""
    check_coder(coder)
    path = Path(out)
    if path.suffix.lower() != ".xlsx":
        raise ThematicError(
            f"coding sheets are .xlsx workbooks (name the file with .xlsx, e.g. --out {coder}.xlsx)"
        )
    check_output(path, project=project, force=force)
    return path


def _sheet_units(project: Project, question: str | None, sample: int | None, seed: int) -> list:
    """The units on the sheet, in corpus order: all of them (of ``question``), or a seeded sample."""
    units = corpus.list_units(project, question_id=question)
    if not units:
        raise ThematicError("no units to put on a sheet (import a survey first with `thematic import`)")
    if sample is not None:
        if sample < 1:
            raise ThematicError(f"--sample must be at least 1 (got {sample})")
        if sample < len(units):
            chosen = set(random.Random(seed).sample(range(len(units)), sample))
            units = [u for i, u in enumerate(units) if i in chosen]
    return units


def _suggestions(project: Project, with_suggestions: bool, question: str | None = None):
    """The machine's suggestions the sheet shows (each unit's from the run covering its question), or
    None for a blind sheet."""
    if not with_suggestions:
        return None
    found = _sources.suggestions(project, question)
    if found is None:
        raise ThematicError("--with-suggestions needs machine suggestions (run `thematic suggest` first)")
    return found


def _attribute_columns(project: Project, attributes: Sequence[str], themes: list) -> list[str]:
    """The respondent attributes asked for, checked, none named like a column the sheet needs."""
    attr_names = corpus.check_attributes(project, attributes)
    reserved = {*FIXED_BEFORE, "text", "note", "suggested", *(t.id for t in themes)}
    taken = [a for a in attr_names if a in reserved]
    if taken:
        raise ThematicError(f"attribute '{taken[0]}' has the name of a column the sheet needs (rename the "
                            "column in the survey file, or leave it out)")
    return attr_names


def _write_coding(ws, units: list, themes: list, attr_names: list[str], attributes: dict,
                  scores: dict | None) -> None:
    """The ``coding`` sheet: a header, one row per unit, 0/1 drop-downs in the theme columns.
    ``scores`` (unit -> theme -> (score, assigned)) fills a ``suggested`` column; None leaves it out."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws.title = CODING
    header = [*FIXED_BEFORE, *attr_names, "text", *(t.id for t in themes), "note"]
    if scores is not None:
        header.append("suggested")
    bold = Font(bold=True)
    for col, name in enumerate(header, start=1):
        set_text(ws.cell(row=1, column=col), name)
        ws.cell(row=1, column=col).font = bold
    text_col = header.index("text") + 1
    wrap = Alignment(wrap_text=True, vertical="top")
    for row, unit in enumerate(units, start=2):
        values = [
            unit.id,
            unit.respondent_id,
            unit.question_id,
            *(attributes.get(unit.respondent_id, {}).get(a) for a in attr_names),
            unit.text,
        ]
        for col, value in enumerate(values, start=1):
            set_text(
                ws.cell(row=row, column=col),
                value if value is None or isinstance(value, int | float) else str(value),
            )
        ws.cell(row=row, column=text_col).alignment = wrap
        if scores is not None:
            assigned = sorted(t for t, (_, a) in scores.get(unit.id, {}).items() if a)
            set_text(ws.cell(row=row, column=len(header)), "; ".join(assigned))
    _theme_cells(ws, themes, first=text_col + 1, last_row=len(units) + 1)
    widths = {"unit_id": 18, "respondent_id": 14, "question": 12, "text": 70, "note": 30, "suggested": 30}
    for col, name in enumerate(header, start=1):
        if name in widths:
            ws.column_dimensions[get_column_letter(col)].width = widths[name]
    ws.freeze_panes = ws.cell(row=2, column=text_col)


def _theme_cells(ws, themes: list, *, first: int, last_row: int) -> None:
    """Theme columns ``first``...: a 0/1 drop-down on every cell below the header, and a fill."""
    from openpyxl.styles import PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    fill = PatternFill("solid", fgColor="FFF5E6")
    validation = DataValidation(
        type="list",
        formula1='"0,1"',
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        errorTitle="0 or 1",
        error="Enter 1 if the theme applies to this answer, 0 if it does not.",
        promptTitle="1 = applies, 0 = does not",
        prompt="Leave every theme cell of a row empty to leave the unit uncoded.",
    )
    ws.add_data_validation(validation)
    for offset, theme in enumerate(themes):
        letter = get_column_letter(first + offset)
        validation.add(f"{letter}2:{letter}{last_row}")
        ws.column_dimensions[letter].width = max(8, min(24, len(theme.id) + 2))
        for row in range(2, last_row + 1):
            ws.cell(row=row, column=first + offset).fill = fill


CODEBOOK_COLUMNS = (
    "id", "name", "group", "per answer", "residual",
    "definition", "include", "exclude", "examples", "counterexamples",
)


def structure_lines(codebook) -> list[str]:
    """The codebook's structure as instructions to a coder, one line per exclusive group or residual
    theme (none for a codebook of independent themes).

    >>> from thematic.records.codebook import Codebook, Theme, ThemeGroup
    >>> cb = Codebook("s", themes=(Theme("a", "A", "x."), Theme("b", "B", "y."), Theme("c", "C", "z."),
    ...                            Theme("other", "Other", "w.", residual=True)),
    ...               declared_groups=(ThemeGroup("stance", ("a", "b", "other"), exclusive=True),))
    >>> for line in structure_lines(cb): print(line)
    Group stance (a, b, other): one theme of group stance at most per answer.
    Residual theme other: 1 only when no other theme of group stance applies.
    """
    lines = []
    for group in codebook.groups:
        if group.exclusive:
            rule = "exactly one theme of group {} per answer" if group.required else (
                "one theme of group {} at most per answer")
            lines.append(f"Group {group.label} ({', '.join(group.themes)}): {rule.format(group.label)}.")
        for theme in group.residual:
            where = "the independent themes" if group.id is None else f"group {group.label}"
            lines.append(f"Residual theme {theme}: 1 only when no other theme of {where} applies.")
    return lines


def _structure_cells(group) -> tuple[str, str]:
    """A theme's ``group`` and ``per answer`` cells on the codebook sheet."""
    rule = ("exactly one of the group" if group.required
            else "one of the group at most" if group.exclusive else "any number")
    return ("" if group.id is None else group.label), rule


def _write_codebook(ws, version) -> None:
    """The ``codebook`` sheet: how to code, the codebook's structure, then one row per theme."""
    from openpyxl.styles import Alignment, Font

    codebook = version.codebook
    wrap = Alignment(wrap_text=True, vertical="top")
    intro = [
        f"Codebook: {version.name} (version {version.number})"
        + (f" - {codebook.title}" if codebook.title else ""),
        "How to code: on the 'coding' sheet, put 1 in a theme's column when the theme applies to the "
        "answer and 0 when it does not. A coded row needs a 0 or a 1 in every theme column; leave all of a "
        "row's theme cells empty to leave it uncoded. Do not change unit_id or text. Notes are welcome.",
        *structure_lines(codebook),
    ]
    if codebook.description:
        intro.append(codebook.description.strip())
    for row, line in enumerate(intro, start=1):
        set_text(ws.cell(row=row, column=1), line)
        ws.cell(row=row, column=1).alignment = wrap
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=6)
    table_row = len(intro) + 2
    for col, name in enumerate(CODEBOOK_COLUMNS, start=1):
        set_text(ws.cell(row=table_row, column=col), name)
        ws.cell(row=table_row, column=col).font = Font(bold=True)
    for row, theme in enumerate(codebook.themes, start=table_row + 1):
        values = [
            theme.id,
            theme.name,
            *_structure_cells(codebook.group_of(theme.id)),
            "yes" if theme.residual else "",
            theme.definition.strip(),
            *("\n".join(f"- {x}" for x in getattr(theme, f)) for f in CODEBOOK_COLUMNS[6:]),
        ]
        for col, value in enumerate(values, start=1):
            set_text(ws.cell(row=row, column=col), value)
            ws.cell(row=row, column=col).alignment = wrap
    for col, width in zip("ABCDEFGHIJ", (22, 22, 16, 22, 9, 60, 45, 45, 45, 45), strict=True):
        ws.column_dimensions[col].width = width


def _run_meta(found) -> str:
    """The ``suggest_run`` the sheet records: the run's id; with several runs (one per question), a JSON
    object of question id -> run id."""
    if found is None:
        return ""
    if found.run is not None:
        return str(found.run.id)
    return json.dumps({q: r.id for q, r in found.by_question.items()}, sort_keys=True)


def _shown_runs(project: Project, meta: str | None, decided) -> str | dict[str, int] | None:
    """What each row's decision records as the run whose suggestions the sheet showed: the meta's run id,
    or (a JSON object of question id -> run id) unit id -> the run of the unit's question."""
    if meta is None or meta == "":
        return None
    if not str(meta).startswith("{"):
        return str(meta)
    try:
        per_question = json.loads(meta)
    except ValueError:
        return None
    if not isinstance(per_question, dict):
        return None
    question_of = {u.id: u.question_id for u in corpus.list_units(project)}
    return {r.unit_id: per_question[question_of[r.unit_id]] for r in decided
            if isinstance(per_question.get(question_of.get(r.unit_id)), int)}


def _write_meta(ws, coder: str, version, question: str | None, found) -> None:
    """The hidden ``thematic`` sheet: what an import checks the sheet against."""
    ws.sheet_state = "hidden"
    for row, (key, value) in enumerate(
        [
            ("format", FORMAT),
            ("format_version", FORMAT_VERSION),
            ("coder", coder),
            ("codebook_hash", version.content_hash),
            ("codebook_version", str(version.number)),
            ("codebook", version.name),
            ("question", question or ""),
            ("exported_at", stamp()),
            ("suggest_run", _run_meta(found)),
            ("with_suggestions", "1" if found else "0"),
        ],
        start=1,
    ):
        set_text(ws.cell(row=row, column=1), key)
        set_text(ws.cell(row=row, column=2), value)


# -- import ------------------------------------------------------------------------------------------


@dataclass
class SheetImport:
    file: str
    coder: str
    rows: int
    recorded: int
    already: int
    coded: int
    flagged: int
    uncoded: int
    codebook_version: int | None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class _Sheet:
    columns: list[str]
    rows: list[tuple[int, list]]  # (spreadsheet row number, cell values)
    meta: dict[str, str]
    layout_of_thematic: bool = False  # the workbook has thematic's coding and codebook sheets


def _read_xlsx(path: Path) -> _Sheet:
    from thematic.ingest.readers import open_workbook

    book = open_workbook(path)
    try:
        ws = book[CODING] if CODING in book.sheetnames else book.worksheets[0]
        meta: dict[str, str] = {}
        if META in book.sheetnames:
            for key, value, *_ in book[META].iter_rows(values_only=True, max_col=2):
                if key is not None:
                    meta[str(key)] = "" if value is None else str(value)
        it = ws.iter_rows(values_only=True)
        header = next(it, None) or ()
        columns = ["" if h is None else str(h).strip() for h in header]
        while columns and not columns[-1]:
            columns.pop()
        rows = [
            (number, list(values[: len(columns)]) + [None] * (len(columns) - len(values)))
            for number, values in enumerate(it, start=2)
        ]
        return _Sheet(columns, rows, meta, CODING in book.sheetnames and CODEBOOK in book.sheetnames)
    finally:
        book.close()


def _read_csv(path: Path) -> _Sheet:
    from thematic.ingest.readers import read_rows

    delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    columns, rows = read_rows(path, delimiter)
    return _Sheet(columns, [(n, r + [""] * (len(columns) - len(r))) for n, r in rows], {})


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _zero_one(value) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float) and value in (0, 1):
        return int(value)
    if isinstance(value, str) and value.strip() in ("0", "1", "0.0", "1.0"):
        return int(float(value.strip()))
    return None


def _show(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if len(text) <= 20 else text[:17] + "..."


def import_sheet(
    project: Project, path: str | Path, *, coder: str, allow_version_mismatch: bool = False
) -> SheetImport:
    """Record the codings of a filled-in sheet (.xlsx, or .csv/.tsv saved from one) for ``coder``.

    Every step checks before anything is written: the file, the hidden sheet, the codebook version, the
    columns, every row; then the decisions pass the validator and are recorded in one transaction.
    """
    check_new_coder(project, coder)
    path = Path(path)
    sheet = read_sheet(path)
    name = path.name
    current = _sources.require_codebook(project, (sheet.meta.get("question") or None) if sheet.meta else None)
    check_meta(sheet, name, coder)
    made_for = sheet_version(project, sheet, name, current, allow_version_mismatch=allow_version_mismatch)
    layout = sheet_layout(sheet.columns, name)
    problems = theme_column_problems(layout, made_for)
    rows = read_rows(project, sheet, layout)
    raise_problems(name, problems + rows.problems)
    new = sheet_decisions(rows.decided, coder, made_for.codebook_hash, path,
                          _shown_runs(project, sheet.meta.get("suggest_run"), rows.decided))
    DecisionValidator(project).require(
        [(r.row, d) for r, d in zip(rows.decided, new, strict=True)], source=name, hint=NOTHING, label="row"
    )
    added = store.record_many(project, new)
    flagged = sum(1 for d in new if d.kind == "flag")
    return SheetImport(
        name,
        coder,
        rows.units + rows.uncoded,
        added,
        len(new) - added,
        len(new) - flagged,
        flagged,
        rows.uncoded,
        made_for.version.number,
        made_for.notes,
    )


def read_sheet(path: Path) -> _Sheet:
    """The sheet's columns, rows and hidden metadata, from an .xlsx or a .csv/.tsv saved from one."""
    if not path.exists():
        raise ThematicError(f"file not found: {path} (check the path)")
    if path.is_dir():
        raise ThematicError(f"{path} is a folder (give the .xlsx coding sheet)")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix in (".csv", ".tsv", ".tab"):
        return _read_csv(path)
    raise ThematicError(
        f"{path.name}: a coding sheet is an .xlsx workbook or a .csv saved from one "
        f"(not '{path.suffix or 'no extension'}')"
    )


def check_meta(sheet: _Sheet, name: str, coder: str) -> None:
    """A thematic sheet keeps its hidden sheet whole, and was made for ``coder``."""
    if sheet.layout_of_thematic and not sheet.meta:
        raise ThematicError(
            f"{name} is a thematic coding sheet whose hidden sheet '{META}' was deleted, so the coder and "
            f"the codebook version it was made for cannot be checked (export a new sheet for {coder}, and "
            f"copy the codings into it; {NOTHING.split('; ')[1]})"
        )
    if not sheet.meta:
        return
    if not (sheet.meta.get("coder") and sheet.meta.get("codebook_hash")):
        raise ThematicError(
            f"{name}: the hidden sheet '{META}' was edited (it no longer names the coder and the codebook "
            f"version; export a new sheet for {coder}, and copy the codings into it; "
            f"{NOTHING.split('; ')[1]})"
        )
    if sheet.meta.get("format") != FORMAT:
        raise ThematicError(f"{name} is not a thematic coding sheet (make one with `thematic sheet export`)")
    made_for = sheet.meta["coder"]
    if made_for != coder:
        raise ThematicError(
            f"{name} was exported for coder '{made_for}', not '{coder}' "
            f"(pass --coder {made_for}, or export a sheet for {coder})"
        )


@dataclass(frozen=True)
class MadeFor:
    """The codebook version a sheet's decisions name (``codebook_hash``; ``version``: the project's
    version of that hash), with notes for the user."""

    version: object
    codebook_hash: str
    notes: list[str] = field(default_factory=list)


def sheet_version(project: Project, sheet: _Sheet, name: str, current, *,
                  allow_version_mismatch: bool) -> MadeFor:
    """Which codebook version the sheet was made for, refused when it is not the current one unless
    ``allow_version_mismatch`` (and then only a version the project holds)."""
    if not sheet.meta:
        return MadeFor(current, current.content_hash, notes=[
            f"{name} carries no codebook version (a CSV, or a sheet not made by thematic): "
            f"its theme columns were checked against the current codebook (version {current.number})"
        ])
    sheet_hash = sheet.meta["codebook_hash"]
    if sheet_hash == current.content_hash:
        return MadeFor(current, sheet_hash)
    known = _sources.codebook_by_hash(project, sheet_hash)
    made = (
        f"codebook version {known.number}"
        if known
        else f"a codebook this project does not hold (hash {sheet_hash[:12]})"
    )
    if not allow_version_mismatch:
        raise ThematicError(
            f"{name} was made for {made}, but the project now uses version {current.number} "
            "(pass --allow-version-mismatch to import it anyway, or export a new sheet)"
        )
    if known is None:
        raise ThematicError(
            f"{name} was made for {made} (decisions must name a codebook version of the project: "
            f"run `thematic codebook use FILE` with that codebook first, or export a new sheet; "
            "nothing was recorded)"
        )
    return MadeFor(known, sheet_hash, notes=[
        f"{name} was made for {made}; the project uses version {current.number} "
        "(imported as you asked; the decisions name the sheet's version)"
    ])


@dataclass(frozen=True)
class Layout:
    """Where a sheet's columns are: unit id, text, note and suggested (None when absent), and the theme
    columns (index, header) between ``text`` and ``note``."""

    columns: list[str]
    id_at: int
    text_at: int
    note_at: int | None
    suggested_at: int | None
    themes: list[tuple[int, str]]


def sheet_layout(columns: list[str], name: str) -> Layout:
    """The sheet's columns: ``unit_id`` and ``text`` required, at least one theme column after ``text``.

    >>> sheet_layout(["unit_id", "text", "a", "b", "note"], "s.csv").themes
    [(2, 'a'), (3, 'b')]
    """
    for required in ("unit_id", "text"):
        if required not in columns:
            raise ThematicError(
                f"{name} has no '{required}' column (columns are: {', '.join(columns) or 'none'}; "
                "use a sheet made by `thematic sheet export`)"
            )
    text_at = columns.index("text")
    note_at = columns.index("note") if "note" in columns[text_at:] else None
    end = note_at if note_at is not None else len(columns)
    themes = [(i, c) for i, c in enumerate(columns) if text_at < i < end and c != "suggested"]
    if not themes:
        raise ThematicError(
            f"{name} has no theme columns after 'text' (use a sheet made by `thematic sheet export`)"
        )
    suggested_at = columns.index("suggested") if "suggested" in columns else None
    return Layout(columns, columns.index("unit_id"), text_at, note_at, suggested_at, themes)


def theme_column_problems(layout: Layout, made_for: MadeFor) -> list[str]:
    """Theme columns that are not themes of the codebook, or twice; themes without a column."""
    theme_ids = made_for.version.codebook.ids()
    problems = []
    seen: set[str] = set()
    for _, col in layout.themes:
        if col not in theme_ids:
            problems.append(
                f"row 1, column '{col}': not a theme of the codebook (themes are: {', '.join(theme_ids)})"
            )
        elif col in seen:
            problems.append(f"row 1, column '{col}': the theme has two columns")
        seen.add(col)
    problems += [f"row 1: no column for theme '{t}'" for t in theme_ids if t not in seen]
    return problems


@dataclass(frozen=True)
class RowCoding:
    """What one row of a sheet says: its themes (None: a note alone, recorded as a flag), its note, and
    the suggestions the sheet showed on it."""

    row: int
    unit_id: str
    themes: frozenset[str] | None
    note: str | None
    suggested: list[str] | None


@dataclass
class Rows:
    decided: list[RowCoding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    units: int = 0  # rows naming a unit of the project once (coded or not)
    uncoded: int = 0


def read_rows(project: Project, sheet: _Sheet, layout: Layout) -> Rows:
    """Every row checked (its unit, its text, its theme cells); what the valid ones say."""
    ids = [str(row[layout.id_at]).strip() for _, row in sheet.rows if not _blank(row[layout.id_at])]
    missing = store.missing_units(project, ids)
    seen: dict[str, int] = {}
    out = Rows()
    for number, row in sheet.rows:
        if all(_blank(v) for v in row):
            continue
        unit_id, problem = _row_unit(project, number, row, layout, missing, seen)
        if problem:
            out.problems.append(problem)
        if unit_id is None:
            continue
        out.units += 1
        coding, problems = row_coding(number, unit_id, row, layout, sheet.meta.get("with_suggestions") == "1")
        out.problems += problems
        if coding is None and not problems:
            out.uncoded += 1
        elif coding is not None:
            out.decided.append(coding)
    return out


def _row_unit(project: Project, number: int, row: list, layout: Layout, missing: set[str],
              seen: dict[str, int]) -> tuple[str | None, str | None]:
    """The row's unit id (None when the row cannot be read further) and a problem with it, if any: an
    empty id, a unit not in the project or on an earlier row, a text that differs from the unit's."""
    unit_id = "" if _blank(row[layout.id_at]) else str(row[layout.id_at]).strip()
    if not unit_id:
        return None, f"row {number}, column 'unit_id': empty"
    if unit_id in missing:
        return None, f"row {number}, column 'unit_id': unit '{unit_id}' is not in this project"
    if unit_id in seen:
        return None, f"row {number}, column 'unit_id': unit '{unit_id}' is also on row {seen[unit_id]}"
    seen[unit_id] = number
    given = "" if row[layout.text_at] is None else str(row[layout.text_at])
    if comparable(given) != comparable(corpus.get_unit(project, unit_id).text):
        return unit_id, (
            f"row {number}, column 'text': differs from the text of unit '{unit_id}' in the project"
        )
    return unit_id, None


def row_coding(number: int, unit_id: str, row: list, layout: Layout,
               with_suggestions: bool) -> tuple[RowCoding | None, list[str]]:
    """One row's theme cells, note and suggestions: its coding (None for a row left uncoded, or one with
    problems) and the problems of its cells.

    >>> layout = sheet_layout(["unit_id", "text", "a", "b", "note"], "s.csv")
    >>> row_coding(2, "u1", ["u1", "t", 1, "0", "see"], layout, False)
    (RowCoding(row=2, unit_id='u1', themes=frozenset({'a'}), note='see', suggested=None), [])
    >>> row_coding(3, "u2", ["u2", "t", 1, "yes", None], layout, False)
    (None, ["row 3, column 'b': 'yes' is not 0 or 1"])
    """
    cells = [(col, row[i]) for i, col in layout.themes]
    note_at = layout.note_at
    note = None if note_at is None or _blank(row[note_at]) else str(row[note_at]).strip()
    suggested = None
    if layout.suggested_at is not None and with_suggestions:
        raw = "" if row[layout.suggested_at] is None else str(row[layout.suggested_at])
        suggested = sorted(s.strip() for s in raw.split(";") if s.strip())
    if all(_blank(v) for _, v in cells):
        return (RowCoding(number, unit_id, None, note, suggested) if note else None), []
    problems = []
    blanks = [col for col, value in cells if _blank(value)]
    if blanks:
        named = ", ".join(f"'{col}'" for col in blanks)
        problems.append(
            f"row {number}, column{'s' if len(blanks) > 1 else ''} {named}: empty while other "
            "theme cells of the row are filled"
        )
    themes = set()
    for col, value in cells:
        if _blank(value):
            continue
        flag = _zero_one(value)
        if flag is None:
            problems.append(f"row {number}, column '{col}': '{_show(value)}' is not 0 or 1")
        elif flag:
            themes.add(col)
    return (None if problems else RowCoding(number, unit_id, frozenset(themes), note, suggested)), problems


def raise_problems(name: str, problems: list[str]) -> None:
    """One error naming the first problems of the sheet and how many there are; nothing when none."""
    if not problems:
        return
    shown = "; ".join(problems[:MAX_PROBLEMS])
    more = f"; and {len(problems) - MAX_PROBLEMS} more" if len(problems) > MAX_PROBLEMS else ""
    label = f"{len(problems)} problems: " if len(problems) > 1 else ""
    raise ThematicError(f"{name}: {label}{shown}{more} (theme cells take 0 or 1; {NOTHING})")


def sheet_decisions(decided: list[RowCoding], coder: str, codebook_hash: str, path: Path,
                    suggest_run: str | dict[str, int] | None) -> list[Decision]:
    """The rows' decisions, one time for all, ids derived from the file's bytes (a second import of the
    same file adds nothing): ``code``, or ``flag`` for a note alone. ``suggest_run``: the run whose
    suggestions the sheet showed, or unit id -> run id when they came from several."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    at = stamp()
    if isinstance(suggest_run, dict):
        runs = suggest_run

        def shown(unit_id):
            return runs.get(unit_id)
    else:
        run = suggest_run or None
        single = int(run) if run and run.isdigit() else run

        def shown(unit_id):
            return single
    return [
        Decision.new(
            coder,
            r.unit_id,
            r.themes or (),
            "flag" if r.themes is None else "code",
            note=r.note,
            codebook_hash=codebook_hash,
            suggestions=None if r.suggested is None else {"run": shown(r.unit_id), "assigned": r.suggested},
            uuid=derived_uuid("sheet", digest, coder, r.unit_id),
            at=at,
        )
        for r in decided
    ]
