"""Readers: turn a survey file into a header and rows of strings.

Supported: CSV, TSV, XLSX (openpyxl), JSONL, SPSS .sav (pyreadstat, in :mod:`thematic.ingest.spss`), and
Qualtrics CSV exports (detected: two extra header rows,
the first holding question texts, the second ``{"ImportId": ...}`` cells).
Encodings: UTF-8, UTF-8 / UTF-16 / UTF-32 with a byte order mark, and Windows-1252 (detected and reported);
a file mixing UTF-8 and Windows-1252 lines is refused. Structural damage (a quote left open, a stray
quote, two columns of one name, rows longer or shorter than the header, NULs, formula cells with no
saved value) is refused with its row and line, never read into the wrong answer (docs/safety.md).
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
    for bom, name in _BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(name), name if name != "utf-8" else "utf-8-sig", None
            except UnicodeDecodeError as exc:
                if name == "utf-8":
                    return _undecodable(raw, path, exc.start + len(bom))
                line = raw[: exc.start + len(bom)].count("\n".encode(name)) + 1
                raise ThematicError(
                    f"{path.name}: line {line} is not valid {name.upper()} though the file begins with a "
                    f"{name.upper()} byte order mark (re-save the file as UTF-8)"
                ) from None
    utf16 = _utf16_without_bom(raw)
    if utf16:
        raise ThematicError(
            f"{path.name} looks like {utf16.upper()} text without a byte order mark (pass --encoding "
            f"{utf16}, or re-save the file as UTF-8)"
        )
    try:
        return raw.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError:
        pass
    _refuse_mixed(raw, path)
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        return _undecodable(raw, path, exc.start)
    return (
        text,
        "cp1252",
        (f"{path.name} is not UTF-8: decoded as Windows-1252 (pass --encoding to choose another)"),
    )


_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def _utf16_without_bom(raw: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when the first bytes are ASCII text interleaved with NULs."""
    head = raw[:2000]
    if len(head) < 4 or head.count(0) < len(head) // 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _refuse_mixed(raw: bytes, path: Path) -> None:
    """Refuse a file with both UTF-8 lines (non-ASCII) and lines that are not UTF-8: decoding it either
    way would turn one kind of line into mojibake."""
    utf8_line = None
    bad_line = None
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad_line = bad_line or number
        else:
            utf8_line = utf8_line or number
        if utf8_line and bad_line:
            raise ThematicError(
                f"{path.name}: line {bad_line} is not UTF-8, but line {utf8_line} is: the file mixes UTF-8 "
                "and another encoding (Windows-1252?), and either reading would garble one kind of line "
                "(re-save the whole file as UTF-8, or fix that line)"
            )


def _undecodable(raw: bytes, path: Path, position: int):
    line = raw[:position].count(b"\n") + 1
    raise ThematicError(
        f"{path.name}: line {line} has bytes that are neither UTF-8 nor Windows-1252 "
        f"(byte 0x{raw[position]:02x} at offset {position}; re-save the file as UTF-8, or pass --encoding)"
    )


def _parse_records(path: Path, text: str, delimiter: str, fmt: str) -> list[tuple[int, list[str]]]:
    """(first line, fields) per record; a quote left open or a stray quote is refused with its line."""
    csv.field_size_limit(max(MAX_CELL_CHARS * 4, 1 << 24))
    _refuse_nul(path, text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for fields in reader:
            records.append((start, fields))
            start = reader.line_num + 1
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise ThematicError(
                f"{path.name}: line {start} (row {len(records) + 1}) opens a quote that is never closed: "
                "everything after it would become one answer (close the quote, or write a quote inside an "
                'answer as "")'
            ) from None
        raise ThematicError(
            f"{path.name}: line {reader.line_num} (row {len(records) + 1}) is not valid {fmt.upper()} "
            f"({exc}; "
            'a field that starts with a quote must end with one, and a quote inside it is written "")'
        ) from None
    return records


def read_rows(path: Path, delimiter: str = ",") -> tuple[list[str], list[tuple[int, list[str]]]]:
    """A delimited file checked as :func:`read_table` checks it: (columns, [(row number, fields)]),
    blank rows left out. For readers with their own row handling (coding sheets saved as CSV)."""
    text, _, _ = decode(path.read_bytes(), path, None)
    fmt = "tsv" if delimiter == "\t" else "csv"
    records = _parse_records(path, text, delimiter, fmt)
    if not records:
        return [], []
    header = [h.strip() for h in records[0][1]]
    _refuse_duplicate_columns(path, header)
    _refuse_ragged(path, header, records[1:], delimiter, 0)
    rows = [
        (number, fields)
        for number, (_, fields) in enumerate(records[1:], start=2)
        if any(cell.strip() for cell in fields)
    ]
    return header, rows


def _read_delimited(path: Path, text: str, delimiter: str, fmt: str) -> Table:
    records = _parse_records(path, text, delimiter, fmt)
    if not records:
        return Table(path, fmt, [], [])
    header = [h.strip() for h in records[0][1]]
    _refuse_duplicate_columns(path, header)
    rows = [fields for _, fields in records[1:]]
    table = Table(path, fmt, header, rows)
    if _detect_qualtrics(table):
        table.format = "qualtrics"
    skip = len(records) - 1 - len(table.rows)  # Qualtrics header rows
    _refuse_ragged(path, header, records[1 + skip :], delimiter, skip)
    # Drop wholly blank lines (a trailing empty line in a spreadsheet export).
    table.rows = (
        [r for r in table.rows if any(cell.strip() for cell in r)] if _has_blank(table.rows) else table.rows
    )
    return table


def _refuse_nul(path: Path, text: str) -> None:
    at = text.find("\x00")
    if at >= 0:
        line = text.count("\n", 0, at) + 1
        raise ThematicError(
            f"{path.name}: line {line} holds a NUL byte, which no text answer has (is it a binary file, or "
            "UTF-16 without a byte order mark? re-save it as UTF-8 CSV)"
        )


def _refuse_duplicate_columns(path: Path, header: list[str]) -> None:
    seen: dict[str, int] = {}
    for number, name in enumerate(header, start=1):
        if not name:
            continue
        if name in seen:
            raise ThematicError(
                f"{path.name}: columns {seen[name]} and {number} are both named '{name}' (rename one in the "
                "header row; thematic would not know which one you mean)"
            )
        seen[name] = number


def _shape(value: str) -> str:
    """``R017`` -> ``A9``: what an id looks like, to tell a swallowed row from a line of an answer."""
    import re

    return re.sub(r"[^\W\d_]+", "A", re.sub(r"\d+", "9", value.strip()))


def _refuse_ragged(
    path: Path, header: list[str], records: list[tuple[int, list[str]]], delimiter: str, skip: int
) -> None:
    """A row with more fields than the header loses fields; one with fewer is a row broken in two (an
    unquoted line break); a field holding whole rows is a quote left open. Blank rows are fine."""
    width = len(header)
    shapes = {_shape(fields[0]) for _, fields in records if fields and fields[0].strip()}
    for offset, (line, fields) in enumerate(records):
        row = offset + 2 + skip
        if not any(cell.strip() for cell in fields):
            continue
        if len(fields) > width:
            raise ThematicError(
                f"{path.name}: row {row} (line {line}) has {len(fields)} fields but the header has {width} "
                "(a comma inside an answer that is not quoted? quote the answer, or fix the row)"
            )
        if len(fields) < width:
            raise ThematicError(
                f"{path.name}: row {row} (line {line}) has {len(fields)} "
                f"field{'s' if len(fields) != 1 else ''} but the header has {width} (a line break inside "
                "an answer that is not quoted? quote the "
                "answer, or fix the row)"
            )
        if width >= 2:
            for column, cell in zip(header, fields, strict=False):
                if "\n" not in cell and "\r" not in cell:
                    continue
                for inner in cell.splitlines()[1:]:
                    try:
                        parsed = next(csv.reader([inner], delimiter=delimiter, strict=True), [])
                    except csv.Error:
                        continue
                    # a line of the file's width whose first field looks like the other rows' first
                    # fields (a line of an answer may well hold commas: the shape must match too)
                    if len(parsed) == width and parsed[0].strip() and _shape(parsed[0]) in shapes:
                        raise ThematicError(
                            f"{path.name}: row {row} (line {line}), column '{column}' holds what looks like "
                            "whole rows of the file (a quote opened and not closed where it should be? "
                            'check the quotes on that row; a quote inside an answer is written "")'
                        )


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
        _refuse_duplicate_columns(path, columns)
        formulas = _formula_rows(path, ws.title) if _has_formulas(path) else None
        rows = []
        for number, values in enumerate(it, start=2):
            if formulas is not None:
                _refuse_uncached(path, columns, number, values, next(formulas, ()))
            row = [_cell_str(v) for v in values[: len(columns)]]
            if any(cell.strip() for cell in row):
                rows.append(row)
        table = Table(path, "xlsx", columns, rows)
        _detect_qualtrics(table)
        return table
    finally:
        book.close()


def _has_formulas(path: Path) -> bool:
    """True when any worksheet of the .xlsx holds a formula (an ``<f>`` element): cheap, no parsing."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    with archive.open(name) as handle:
                        tail = b""
                        for block in iter(lambda h=handle: h.read(1 << 20), b""):
                            chunk = tail + block
                            if b"<f>" in chunk or b"<f " in chunk or b":f>" in chunk or b":f " in chunk:
                                return True
                            tail = block[-4:]
    except (zipfile.BadZipFile, OSError, KeyError):
        return False
    return False


def _formula_rows(path: Path, title: str):
    """The rows of sheet ``title`` as formulas (the cells' own text), after the header row."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        rows = book[title].iter_rows(values_only=True)
        next(rows, None)
        yield from rows
    finally:
        book.close()


def _refuse_uncached(path: Path, columns: list[str], number: int, values, formulas) -> None:
    """A formula cell whose saved value is missing reads as empty: refuse it rather than lose the answer."""
    for index, (value, formula) in enumerate(zip(values[: len(columns)], formulas, strict=False)):
        if value is None and isinstance(formula, str) and formula.startswith("="):
            raise ThematicError(
                f"{path.name}: row {number}, column '{columns[index]}' holds a formula ({formula[:40]}) "
                "with no saved value (the file was written by a program that does not compute formulas: "
                "open it in Excel or LibreOffice and save it, or paste the values)"
            )


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
            if "\x00" in cell:
                where = "line" if table.format == "jsonl" else "row"
                raise ThematicError(
                    f"{table.path.name}: {where} {table.first_row_number + offset}, column '{col}' holds a "
                    "NUL character, which no text answer has (remove it, or re-save the file)"
                )
            if len(cell) > MAX_CELL_CHARS:
                size = len(cell.encode("utf-8")) / 1_000_000
                where = "line" if table.format == "jsonl" else "row"
                raise ThematicError(
                    f"{table.path.name}: {where} {table.first_row_number + offset}, column '{col}' holds "
                    f"{size:.1f} MB, more than the {MAX_CELL_CHARS // 1_000_000} MB one answer may hold "
                    "(is a quote left open on an earlier row? fix the file and import again)"
                )
