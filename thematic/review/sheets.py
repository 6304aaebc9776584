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
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    check_coder(coder)
    path = Path(out)
    if path.suffix.lower() != ".xlsx":
        raise ThematicError(
            f"coding sheets are .xlsx workbooks (name the file with .xlsx, e.g. --out {coder}.xlsx)"
        )
    check_output(path, project=project, force=force)
    corpus.check_question(project, question)
    version = _sources.require_codebook(project, question)
    units = corpus.list_units(project, question_id=question)
    if not units:
        raise ThematicError("no units to put on a sheet (import a survey first with `thematic import`)")
    if sample is not None:
        if sample < 1:
            raise ThematicError(f"--sample must be at least 1 (got {sample})")
        if sample < len(units):
            chosen = set(random.Random(seed).sample(range(len(units)), sample))
            units = [u for i, u in enumerate(units) if i in chosen]
    run = _sources.suggest_run(project, question) if with_suggestions else None
    if with_suggestions and run is None:
        raise ThematicError("--with-suggestions needs machine suggestions (run `thematic suggest` first)")
    scores = _sources.scores(project, run) if run else {}
    themes = list(version.codebook.themes)
    attr_names = corpus.check_attributes(project, attributes)
    reserved = {*FIXED_BEFORE, "text", "note", "suggested", *(t.id for t in themes)}
    taken = [a for a in attr_names if a in reserved]
    if taken:
        raise ThematicError(f"attribute '{taken[0]}' has the name of a column the sheet needs (rename the "
                            "column in the survey file, or leave it out)")
    attributes = corpus.respondent_attributes(project) if attr_names else {}

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = CODING
    header = [*FIXED_BEFORE, *attr_names, "text", *(t.id for t in themes), "note"]
    if with_suggestions:
        header.append("suggested")
    bold = Font(bold=True)
    for col, name in enumerate(header, start=1):
        set_text(ws.cell(row=1, column=col), name)
        ws.cell(row=1, column=col).font = bold
    text_col = header.index("text") + 1
    first_theme = text_col + 1
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
        if with_suggestions:
            assigned = sorted(t for t, (_, a) in scores.get(unit.id, {}).items() if a)
            set_text(ws.cell(row=row, column=len(header)), "; ".join(assigned))
    last_row = len(units) + 1
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
    for offset in range(len(themes)):
        letter = get_column_letter(first_theme + offset)
        validation.add(f"{letter}2:{letter}{last_row}")
        ws.column_dimensions[letter].width = max(8, min(24, len(themes[offset].id) + 2))
        for row in range(2, last_row + 1):
            ws.cell(row=row, column=first_theme + offset).fill = fill
    widths = {"unit_id": 18, "respondent_id": 14, "question": 12, "text": 70, "note": 30, "suggested": 30}
    for col, name in enumerate(header, start=1):
        if name in widths:
            ws.column_dimensions[get_column_letter(col)].width = widths[name]
    ws.freeze_panes = ws.cell(row=2, column=text_col)

    cb = book.create_sheet(CODEBOOK)
    intro = [
        f"Codebook: {version.name} (version {version.number})"
        + (f" - {version.codebook.title}" if version.codebook.title else ""),
        "How to code: on the 'coding' sheet, put 1 in a theme's column when the theme applies to the "
        "answer and 0 when it does not. A coded row needs a 0 or a 1 in every theme column; leave all of a "
        "row's theme cells empty to leave it uncoded. Do not change unit_id or text. Notes are welcome.",
    ]
    if version.codebook.description:
        intro.append(version.codebook.description.strip())
    for row, line in enumerate(intro, start=1):
        set_text(cb.cell(row=row, column=1), line)
        cb.cell(row=row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
    cb.merge_cells(start_row=2, start_column=1, end_row=2, end_column=6)
    table_row = len(intro) + 2
    columns = ("id", "name", "definition", "include", "exclude", "examples", "counterexamples")
    for col, name in enumerate(columns, start=1):
        set_text(cb.cell(row=table_row, column=col), name)
        cb.cell(row=table_row, column=col).font = bold
    for row, theme in enumerate(themes, start=table_row + 1):
        values = [
            theme.id,
            theme.name,
            theme.definition.strip(),
            *("\n".join(f"- {x}" for x in getattr(theme, f)) for f in columns[3:]),
        ]
        for col, value in enumerate(values, start=1):
            set_text(cb.cell(row=row, column=col), value)
            cb.cell(row=row, column=col).alignment = wrap
    for col, width in zip("ABCDEFG", (22, 22, 60, 45, 45, 45, 45), strict=True):
        cb.column_dimensions[col].width = width

    meta = book.create_sheet(META)
    meta.sheet_state = "hidden"
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
            ("suggest_run", "" if run is None else str(run.id)),
            ("with_suggestions", "1" if run else "0"),
        ],
        start=1,
    ):
        set_text(meta.cell(row=row, column=1), key)
        set_text(meta.cell(row=row, column=2), value)
    book.active = 0
    atomic_write(path, book.save)
    return SheetExport(str(path), coder, len(units), [t.id for t in themes], version.number, run is not None)


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
    """Record the codings of a filled-in sheet (.xlsx, or .csv/.tsv saved from one) for ``coder``."""
    check_new_coder(project, coder)
    path = Path(path)
    if not path.exists():
        raise ThematicError(f"file not found: {path} (check the path)")
    if path.is_dir():
        raise ThematicError(f"{path} is a folder (give the .xlsx coding sheet)")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        sheet = _read_xlsx(path)
    elif suffix in (".csv", ".tsv", ".tab"):
        sheet = _read_csv(path)
    else:
        raise ThematicError(
            f"{path.name}: a coding sheet is an .xlsx workbook or a .csv saved from one "
            f"(not '{path.suffix or 'no extension'}')"
        )
    name = path.name
    notes: list[str] = []
    current = _sources.require_codebook(project, (sheet.meta.get("question") or None) if sheet.meta else None)
    version = current
    sheet_hash = sheet.meta.get("codebook_hash") or None
    if sheet.layout_of_thematic and not sheet.meta:
        raise ThematicError(
            f"{name} is a thematic coding sheet whose hidden sheet '{META}' was deleted, so the coder and "
            f"the codebook version it was made for cannot be checked (export a new sheet for {coder}, and "
            f"copy the codings into it; {NOTHING.split('; ')[1]})"
        )
    if sheet.meta and not (sheet.meta.get("coder") and sheet_hash):
        raise ThematicError(
            f"{name}: the hidden sheet '{META}' was edited (it no longer names the coder and the codebook "
            f"version; export a new sheet for {coder}, and copy the codings into it; "
            f"{NOTHING.split('; ')[1]})"
        )
    if sheet.meta:
        if sheet.meta.get("format") != FORMAT:
            raise ThematicError(
                f"{name} is not a thematic coding sheet (make one with `thematic sheet export`)"
            )
        made_for = sheet.meta.get("coder", "")
        if made_for and made_for != coder:
            raise ThematicError(
                f"{name} was exported for coder '{made_for}', not '{coder}' "
                f"(pass --coder {made_for}, or export a sheet for {coder})"
            )
        if sheet_hash and sheet_hash != current.content_hash:
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
            notes.append(
                f"{name} was made for {made}; the project uses version {current.number} "
                "(imported as you asked; the decisions name the sheet's version)"
            )
            if known is not None:
                version = known
    else:
        notes.append(
            f"{name} carries no codebook version (a CSV, or a sheet not made by thematic): "
            f"its theme columns were checked against the current codebook (version {current.number})"
        )
        sheet_hash = current.content_hash

    problems: list[str] = []
    columns = sheet.columns
    for required in ("unit_id", "text"):
        if required not in columns:
            raise ThematicError(
                f"{name} has no '{required}' column (columns are: {', '.join(columns) or 'none'}; "
                "use a sheet made by `thematic sheet export`)"
            )
    text_at = columns.index("text")
    note_at = columns.index("note") if "note" in columns[text_at:] else None
    end = note_at if note_at is not None else len(columns)
    theme_cols = [(i, c) for i, c in enumerate(columns) if text_at < i < end and c != "suggested"]
    suggested_at = columns.index("suggested") if "suggested" in columns else None
    theme_ids = version.codebook.ids()
    if not theme_cols:
        raise ThematicError(
            f"{name} has no theme columns after 'text' (use a sheet made by `thematic sheet export`)"
        )
    seen_cols: set[str] = set()
    for _, col in theme_cols:
        if col not in theme_ids:
            problems.append(
                f"row 1, column '{col}': not a theme of the codebook (themes are: {', '.join(theme_ids)})"
            )
        elif col in seen_cols:
            problems.append(f"row 1, column '{col}': the theme has two columns")
        seen_cols.add(col)
    # A sheet made for a version this project does not hold cannot be asked for that version's themes.
    unknown_version = sheet_hash != current.content_hash and version is current
    for theme_id in theme_ids:
        if theme_id not in seen_cols and not unknown_version:
            problems.append(f"row 1: no column for theme '{theme_id}'")

    id_at = columns.index("unit_id")
    ids = [str(row[id_at]).strip() for _, row in sheet.rows if not _blank(row[id_at])]
    missing = store.missing_units(project, ids)
    seen_units: dict[str, int] = {}
    decided: list[tuple[int, str, frozenset[str] | None, str | None, list[str] | None]] = []
    uncoded = 0
    for number, row in sheet.rows:
        if all(_blank(v) for v in row):
            continue
        unit_id = "" if _blank(row[id_at]) else str(row[id_at]).strip()
        if not unit_id:
            problems.append(f"row {number}, column 'unit_id': empty")
            continue
        if unit_id in missing:
            problems.append(f"row {number}, column 'unit_id': unit '{unit_id}' is not in this project")
            continue
        if unit_id in seen_units:
            problems.append(
                f"row {number}, column 'unit_id': unit '{unit_id}' is also on row {seen_units[unit_id]}"
            )
            continue
        seen_units[unit_id] = number
        unit = corpus.get_unit(project, unit_id)
        given = "" if row[text_at] is None else str(row[text_at])
        if comparable(given) != comparable(unit.text):
            problems.append(
                f"row {number}, column 'text': differs from the text of unit '{unit_id}' in the project"
            )
        cells = [(col, row[i]) for i, col in theme_cols]
        note = None if note_at is None or _blank(row[note_at]) else str(row[note_at]).strip()
        suggested = None
        if suggested_at is not None and sheet.meta.get("with_suggestions") == "1":
            raw = "" if row[suggested_at] is None else str(row[suggested_at])
            suggested = sorted(s.strip() for s in raw.split(";") if s.strip())
        if all(_blank(v) for _, v in cells):
            if note:
                decided.append((number, unit_id, None, note, suggested))
            else:
                uncoded += 1
            continue
        themes = set()
        blanks = [col for col, value in cells if _blank(value)]
        row_ok = not blanks
        if blanks:
            named = ", ".join(f"'{col}'" for col in blanks)
            problems.append(
                f"row {number}, column{'s' if len(blanks) > 1 else ''} {named}: empty while other "
                "theme cells of the row are filled"
            )
        for col, value in cells:
            if _blank(value):
                continue
            flag = _zero_one(value)
            if flag is None:
                problems.append(f"row {number}, column '{col}': '{_show(value)}' is not 0 or 1")
                row_ok = False
            elif flag:
                themes.add(col)
        if row_ok:
            decided.append((number, unit_id, frozenset(themes), note, suggested))
    if problems:
        shown = "; ".join(problems[:MAX_PROBLEMS])
        more = f"; and {len(problems) - MAX_PROBLEMS} more" if len(problems) > MAX_PROBLEMS else ""
        label = f"{len(problems)} problems: " if len(problems) > 1 else ""
        raise ThematicError(f"{name}: {label}{shown}{more} (theme cells take 0 or 1; {NOTHING})")

    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    at = stamp()
    run = sheet.meta.get("suggest_run") or None
    new = []
    for _, unit_id, themes, note, suggested in decided:
        shown_suggestions = (
            None
            if suggested is None
            else {"run": int(run) if run and run.isdigit() else run, "assigned": suggested}
        )
        kind = "flag" if themes is None else "code"
        new.append(
            Decision.new(
                coder,
                unit_id,
                themes or (),
                kind,
                note=note,
                codebook_hash=sheet_hash,
                suggestions=shown_suggestions,
                uuid=derived_uuid("sheet", digest, coder, unit_id),
                at=at,
            )
        )
    DecisionValidator(project).require(
        [(row, d) for (row, *_), d in zip(decided, new, strict=True)], source=name, hint=NOTHING, label="row"
    )
    added = store.record_many(project, new)
    flagged = sum(1 for d in new if d.kind == "flag")
    return SheetImport(
        name,
        coder,
        len(seen_units) + uncoded,
        added,
        len(new) - added,
        len(new) - flagged,
        flagged,
        uncoded,
        version.number if version else None,
        notes,
    )
