"""Writing export files: the output path, the format, and tables as CSV, xlsx or JSON.

Every file is written to a temporary name beside the target and renamed over it at the end, so a
failed export leaves no half-written file (and an older file of that name as it was).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from thematic.errors import ThematicError
from thematic.export.safety import guard_csv, looks_like_formula, set_cell


def choose_format(out: Path, fmt: str | None, choices: Sequence[str], option: str = "--format") -> str:
    """The format named by ``fmt``, else the one the file name ends with."""
    if fmt is not None:
        fmt = fmt.lower()
        if fmt not in choices:
            raise ThematicError(f"{option} must be one of {', '.join(choices)}, not '{fmt}'")
        return fmt
    suffix = out.suffix.lower().lstrip(".")
    if suffix in choices:
        return suffix
    names = ", ".join("." + c for c in choices)
    raise ThematicError(
        f"cannot tell the format of {out.name} from its name (name the file {names}, "
        f"or pass {option} {'|'.join(choices)})"
    )


def check_out(out: Path) -> Path:
    if out.is_dir():
        raise ThematicError(f"{out} is a folder (pass a file name with --out, e.g. {out / 'export.csv'})")
    if not out.parent.exists():
        raise ThematicError(f"folder {out.parent} does not exist (create it first, or choose another --out)")
    return out


def atomic_write(out: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` then move ``tmp`` over ``out``; nothing is left behind on failure
    (:func:`thematic.outfile.atomic_write`, which also refuses to write over a thematic project)."""
    from thematic.outfile import atomic_write as write_atomically

    return write_atomically(Path(out), write)


def count_guarded(rows: Sequence[Sequence]) -> int:
    return sum(1 for row in rows for v in row if isinstance(v, str) and looks_like_formula(v))


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence]) -> None:
    """UTF-8 with a byte-order mark (so Excel reads non-ASCII text right), formula-guarded text."""
    import csv

    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([guard_csv(h) for h in header])
        for row in rows:
            writer.writerow(["" if v is None else guard_csv(v) for v in row])


def add_sheet(
    wb,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence],
    *,
    preamble: Sequence[Sequence] = (),
    widths: dict[str, float] | None = None,
):
    """A worksheet with optional preamble rows, a bold frozen header row, then the rows."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    r = 1
    for line in preamble:
        for c, value in enumerate(line, start=1):
            cell = set_cell(ws, r, c, value)
            if c == 1 and r == 1:
                cell.font = Font(bold=True, size=13)
        r += 1
    if preamble:
        r += 1
    bold = Font(bold=True)
    for c, name in enumerate(header, start=1):
        set_cell(ws, r, c, name).font = bold
    ws.freeze_panes = ws.cell(row=r + 1, column=1)
    wrap = Alignment(wrap_text=True, vertical="top")
    wide = {i for i, h in enumerate(header) if widths and widths.get(h, 0) >= 40}
    for row in rows:
        r += 1
        for c, value in enumerate(row, start=1):
            cell = set_cell(ws, r, c, value)
            if c - 1 in wide:
                cell.alignment = wrap
    for c, name in enumerate(header, start=1):
        width = (widths or {}).get(name)
        if width is None:
            longest = max(
                [len(str(name))] + [len(str(row[c - 1])) for row in rows[:200] if row[c - 1] is not None]
            )
            width = min(max(8, longest + 2), 40)
        ws.column_dimensions[get_column_letter(c)].width = width
    return ws


def new_workbook():
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    return wb


def write_json(path: Path, value) -> None:
    import json

    with path.open("w", encoding="utf-8") as fh:
        json.dump(value, fh, ensure_ascii=False, indent=2)
        fh.write("\n")


_SHEET_BAD = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_title(name: str, used: set[str]) -> str:
    """A valid, unique worksheet title (at most 31 characters, none of []:*?/\\)."""
    base = " ".join(name.translate(_SHEET_BAD).split()).strip("'") or "theme"
    title, n = base[:31], 2
    while title.lower() in used:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title.lower())
    return title
