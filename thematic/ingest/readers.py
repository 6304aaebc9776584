"""Readers: turn a survey file into a header and rows of strings.

Supported: CSV, TSV, XLSX (openpyxl), JSONL, SPSS .sav (pyreadstat, in :mod:`thematic.ingest.spss`), and
Qualtrics CSV exports (detected: two extra header rows,
the first holding question texts, the second ``{"ImportId": ...}`` cells).
Encodings: UTF-8, UTF-8 with a byte order mark, and Windows-1252 (detected and reported).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from thematic.errors import ThematicError

MAX_CELL_CHARS = 1_000_000
FORMATS = ("csv", "tsv", "xlsx", "jsonl", "sav")
_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "tsv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".sav": "sav",
}


@dataclass
class Table:
    """A file read into memory: column names, rows of strings, and what the reader noticed."""

    path: Path
    format: str
    columns: list[str]
    rows: list[list[str]]
    first_row_number: int = 2  # spreadsheet row number of rows[0] (the header is row 1)
    encoding: str | None = None
    question_texts: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def detect_format(path: Path, fmt: str | None) -> str:
    if fmt:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise ThematicError(f"unknown format '{fmt}' (choose one of: {', '.join(FORMATS)})")
        return fmt
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise ThematicError(
            f"{path.name}: cannot tell the file type from '{path.suffix or 'no extension'}' "
            f"(pass --format {'|'.join(FORMATS)})"
        )
    return found


def read_table(
    path: str | Path, *, fmt: str | None = None, sheet: str | None = None, encoding: str | None = None
) -> Table:
    path = Path(path)
    if not path.exists():
        raise ThematicError(f"file not found: {path} (check the path)")
    if path.is_dir():
        raise ThematicError(f"{path} is a folder (give a file)")
    fmt = detect_format(path, fmt)
    if fmt == "xlsx":
        table = _read_xlsx(path, sheet)
    elif fmt == "sav":
        from thematic.ingest.spss import read_sav

        table = read_sav(path)
    else:
        raw = path.read_bytes()
        text, used, note = decode(raw, path, encoding)
        if fmt == "jsonl":
            table = _read_jsonl(path, text)
        else:
            table = _read_delimited(path, text, "\t" if fmt == "tsv" else ",", fmt)
        table.encoding = used
        if note:
            table.notes.append(note)
    if not table.columns:
        raise ThematicError(f"{path.name} is empty (expected a header row and one row per respondent)")
    if not table.rows:
        raise ThematicError(
            f"{path.name} has a header but no rows (expected one row per respondent below it)"
        )
    _check_cells(table)
    return table


def decode(raw: bytes, path: Path, encoding: str | None) -> tuple[str, str, str | None]:
    """Decode bytes; returns (text, encoding used, a note for the user or None)."""
    if encoding:
        try:
            return raw.decode(encoding), encoding, None
        except LookupError:
            raise ThematicError(f"unknown encoding '{encoding}' (try utf-8 or cp1252)") from None
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise ThematicError(
                f"{path.name}: line {line} cannot be decoded as {encoding} (byte 0x{raw[exc.start]:02x}; "
                "check the encoding the file was saved in)"
            ) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8"), "utf-8-sig", None
        except UnicodeDecodeError as exc:
            return _undecodable(raw, path, exc.start + 3)
    try:
        return raw.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        return _undecodable(raw, path, exc.start)
    return (
        text,
        "cp1252",
        (f"{path.name} is not UTF-8: decoded as Windows-1252 (pass --encoding to choose another)"),
    )


def _undecodable(raw: bytes, path: Path, position: int):
    line = raw[:position].count(b"\n") + 1
    raise ThematicError(
        f"{path.name}: line {line} has bytes that are neither UTF-8 nor Windows-1252 "
        f"(byte 0x{raw[position]:02x} at offset {position}; re-save the file as UTF-8, or pass --encoding)"
    )


def _read_delimited(path: Path, text: str, delimiter: str, fmt: str) -> Table:
    csv.field_size_limit(max(MAX_CELL_CHARS * 4, 1 << 24))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            return Table(path, fmt, [], [])
        rows = list(reader)
    except csv.Error as exc:
        raise ThematicError(
            f"{path.name}: line {reader.line_num} is not valid {fmt.upper()} ({exc})"
        ) from None
    header = [h.strip() for h in header]
    table = Table(path, fmt, header, rows)
    if _detect_qualtrics(table):
        table.format = "qualtrics"
    # Drop wholly blank lines (a trailing empty line in a spreadsheet export).
    table.rows = (
        [r for r in table.rows if any(cell.strip() for cell in r)] if _has_blank(table.rows) else table.rows
    )
    return table


def _has_blank(rows: list[list[str]]) -> bool:
    return any(not any(cell.strip() for cell in r) for r in rows)


def _detect_qualtrics(table: Table) -> bool:
    """A Qualtrics export has two extra header rows: question texts, then ``{"ImportId": ...}`` cells."""
    rows = table.rows
    if len(rows) < 2 or not _is_qualtrics(rows[1]):
        return False
    table.question_texts = {
        col: text.strip() for col, text in zip(table.columns, rows[0], strict=False) if text.strip()
    }
    table.rows = rows[2:]
    table.first_row_number = 4
    table.notes.append(f"{table.path.name} is a Qualtrics export: skipped its two extra header rows")
    return True


def _is_qualtrics(row: list[str]) -> bool:
    cells = [c.strip() for c in row if c.strip()]
    return bool(cells) and all(c.startswith('{"ImportId"') or c.startswith("{'ImportId'") for c in cells)


def _cell_str(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def open_workbook(path: Path):
    """An openpyxl workbook, read-only with cached values; one clear line if the file is not one."""
    import zipfile

    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ThematicError(
            f"{path.name} is not a readable .xlsx workbook ({exc}; re-save it from Excel)"
        ) from None


def _read_xlsx(path: Path, sheet: str | None) -> Table:
    book = open_workbook(path)
    try:
        if sheet is None:
            ws = book.worksheets[0]
        elif sheet in book.sheetnames:
            ws = book[sheet]
        else:
            raise ThematicError(
                f"sheet '{sheet}' not found in {path.name} (sheets are: {', '.join(book.sheetnames)})"
            )
        it = ws.iter_rows(values_only=True)
        header = next(it, None)
        if header is None:
            return Table(path, "xlsx", [], [])
        columns = [_cell_str(h).strip() for h in header]
        while columns and not columns[-1]:
            columns.pop()
        rows = []
        for values in it:
            row = [_cell_str(v) for v in values[: len(columns)]]
            if any(cell.strip() for cell in row):
                rows.append(row)
        table = Table(path, "xlsx", columns, rows)
        _detect_qualtrics(table)
        return table
    finally:
        book.close()


def _read_jsonl(path: Path, text: str) -> Table:
    columns: dict[str, None] = {}
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ThematicError(
                f"{path.name}: line {number} is not valid JSON ({exc.msg}; one object per line)"
            ) from None
        if not isinstance(record, dict):
            raise ThematicError(f"{path.name}: line {number} is not a JSON object (one object per line)")
        for key in record:
            columns.setdefault(str(key), None)
        records.append((number, record))
    names = list(columns)
    rows = []
    for _, record in records:
        row = []
        for name in names:
            value = record.get(name)
            row.append(
                value
                if isinstance(value, str)
                else (
                    ""
                    if value is None
                    else _cell_str(value)
                    if isinstance(value, int | float)
                    else json.dumps(value, ensure_ascii=False)
                )
            )
        rows.append(row)
    table = Table(path, "jsonl", names, rows, first_row_number=1)
    return table


def _check_cells(table: Table) -> None:
    for offset, row in enumerate(table.rows):
        for col, cell in zip(table.columns, row, strict=False):
            if len(cell) > MAX_CELL_CHARS:
                size = len(cell.encode("utf-8")) / 1_000_000
                where = "line" if table.format == "jsonl" else "row"
                raise ThematicError(
                    f"{table.path.name}: {where} {table.first_row_number + offset}, column '{col}' holds "
                    f"{size:.1f} MB, more than the {MAX_CELL_CHARS // 1_000_000} MB one answer may hold "
                    "(is a quote left open on an earlier row? fix the file and import again)"
                )
