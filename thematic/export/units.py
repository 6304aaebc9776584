"""Coded units out to spreadsheets and scripts: `thematic export units`.

Two layouts (docs/exports.md shows both):

* **long**: one row per unit x theme the coder gave it: unit id, respondent, question, the respondent's
  attributes, the unit text and its character offsets, theme id and name, coder, when the coding was
  decided, and the machine's score for that unit x theme (latest suggest run; empty without one). A
  unit coded "no theme applies" has one row with an empty theme; a unit the coder has not coded has
  no row.
* **wide**: one row per unit (or per response with ``level="response"``) with a 0/1 column per theme,
  ready for R, SPSS or Excel. ``coded`` is 1 where the coder coded the unit (for a response: any of
  its units); theme columns are empty (missing) where it is 0. A response has a theme when any of its
  units has it.

Attribute columns keep their names from the survey file; one that would clash with a fixed column
(``text``, say) is written as ``attr_text``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from thematic.errors import ThematicError, check_choice
from thematic.export.data import Coded, load_coded
from thematic.export.writers import (
    add_sheet,
    atomic_write,
    choose_format,
    count_guarded,
    new_workbook,
    write_csv,
    write_json,
)
from thematic.outfile import check_output
from thematic.store.project import Project

FORMATS = ("csv", "xlsx", "json")
LAYOUTS = ("long", "wide")
LEVELS = ("unit", "response")
LONG_HEAD = ("unit_id", "respondent_id", "question_id")
LONG_TAIL = ("text", "start", "end", "theme_id", "theme_name", "coder", "decided_at", "machine_score")
WIDE_UNIT_HEAD = ("unit_id", "respondent_id", "question_id")
WIDE_UNIT_TAIL = ("text", "start", "end", "coder", "coded")
WIDE_RESPONSE_HEAD = ("respondent_id", "question_id")
WIDE_RESPONSE_TAIL = ("text", "units", "coded_units", "coder", "coded")


@dataclass(frozen=True)
class ExportSummary:
    path: str
    format: str
    layout: str
    level: str
    coder: str
    rows: int
    columns: int
    units: int
    coded_units: int
    guarded: int  # texts that begin like a formula, written as text

    def to_dict(self) -> dict:
        return asdict(self)


def _attr_columns(names: list[str], fixed: tuple[str, ...]) -> list[str]:
    taken = set(fixed)
    out = []
    for name in names:
        column = name if name not in taken else f"attr_{name}"
        while column in taken:
            column = f"attr_{column}"
        taken.add(column)
        out.append(column)
    return out


def long_table(coded: Coded) -> tuple[list[str], list[list]]:
    attrs = coded.attribute_names
    header = [*LONG_HEAD, *_attr_columns(attrs, LONG_HEAD + LONG_TAIL), *LONG_TAIL]
    order = {t.id: i for i, t in enumerate(coded.themes)}
    rows = []
    for cu in coded.coded:
        base = _unit_cells(cu, attrs)
        themes = sorted(cu.themes, key=lambda t: (order.get(t, len(order)), t))
        if not themes:
            rows.append([*base, None, None, coded.coder, cu.decided_at, None])
        for theme_id in themes:
            score = cu.scores.get(theme_id)
            rows.append(
                [
                    *base,
                    theme_id,
                    coded.theme(theme_id).name,
                    coded.coder,
                    cu.decided_at,
                    None if score is None else round(float(score), 6),
                ]
            )
    return header, rows


def _unit_cells(cu, attrs: list[str]) -> list:
    """The cells every unit row starts with: ids, the respondent's attributes, the text and its offsets."""
    u = cu.unit
    return [u.id, u.respondent_id, u.question_id, *(cu.attributes.get(a) for a in attrs), u.text, u.start,
            u.end]


def _theme_columns(coded: Coded, fixed: tuple[str, ...]) -> list[str]:
    clash = [t.id for t in coded.themes if t.id in fixed or t.id in coded.attribute_names]
    if clash:
        raise ThematicError(
            f"theme id '{clash[0]}' is also a column name of the wide table (export "
            "--layout long, or rename the theme in the codebook)"
        )
    return [t.id for t in coded.themes]


def wide_table(project: Project, coded: Coded, level: str = "unit") -> tuple[list[str], list[list]]:
    attrs = coded.attribute_names
    if level == "unit":
        fixed = WIDE_UNIT_HEAD + WIDE_UNIT_TAIL
        header = [*WIDE_UNIT_HEAD, *_attr_columns(attrs, fixed), *WIDE_UNIT_TAIL]
        header += _theme_columns(coded, tuple(header))
        rows = []
        for cu in coded.units:
            flags = (
                [None] * len(coded.themes)
                if cu.themes is None
                else [int(t.id in cu.themes) for t in coded.themes]
            )
            rows.append(
                [
                    *_unit_cells(cu, attrs),
                    coded.coder,
                    int(cu.themes is not None),
                    *flags,
                ]
            )
        return header, rows
    from thematic.store.exports import all_responses

    fixed = WIDE_RESPONSE_HEAD + WIDE_RESPONSE_TAIL
    header = [*WIDE_RESPONSE_HEAD, *_attr_columns(attrs, fixed), *WIDE_RESPONSE_TAIL]
    header += _theme_columns(coded, tuple(header))
    by_response: dict[int, list] = {}
    for cu in coded.units:
        by_response.setdefault(cu.unit.response_id, []).append(cu)
    rows = []
    for response_id, respondent_id, question_id, text in all_responses(project, question_id=coded.question):
        units = by_response.get(response_id, [])
        if not units:
            continue
        done = [cu for cu in units if cu.themes is not None]
        themes = set().union(*(cu.themes for cu in done)) if done else set()
        flags = [None] * len(coded.themes) if not done else [int(t.id in themes) for t in coded.themes]
        rows.append(
            [
                respondent_id,
                question_id,
                *(units[0].attributes.get(a) for a in attrs),
                text,
                len(units),
                len(done),
                coded.coder,
                int(bool(done)),
                *flags,
            ]
        )
    return header, rows


def json_document(coded: Coded, layout: str, level: str, header: list[str], rows: list[list]) -> dict:
    return {
        "coder": coded.coder,
        "layout": layout,
        "level": level,
        "question": coded.question,
        "codebook": None
        if coded.codebook_name is None
        else {
            "name": coded.codebook_name,
            "version": coded.codebook_version,
            "content_hash": coded.codebook_hash,
        },
        "codebooks": [{"name": b.name, "version": b.version.number, "content_hash": b.version.content_hash,
                       "questions": list(b.questions)} for b in coded.books],
        "themes": [{"id": t.id, "name": t.name, "in_codebook": t.in_codebook} for t in coded.themes],
        "columns": header,
        "rows": [dict(zip(header, row, strict=True)) for row in rows],
    }


def codebook_rows(coded: Coded) -> tuple[list[str], list[list]]:
    header = ["theme_id", "theme_name", "parent_id", "definition", "in_current_codebook"]
    return header, [[t.id, t.name, t.parent_id, t.definition, int(t.in_codebook)] for t in coded.themes]


def export_units(
    project: Project,
    out: str | Path,
    *,
    coder: str,
    fmt: str | None = None,
    layout: str = "long",
    level: str = "unit",
    question: str | None = None,
    force: bool = False,
) -> ExportSummary:
    """Write ``coder``'s codings to ``out`` (csv, xlsx or json; long or wide; per unit or response)."""
    out = Path(out)
    check_choice(layout, LAYOUTS, "--layout")
    check_choice(level, LEVELS, "--level")
    if layout == "long" and level == "response":
        raise ThematicError(
            "--level response needs --layout wide (long rows are always one per unit x theme)"
        )
    fmt = choose_format(out, fmt, FORMATS)
    check_output(out, project=project, force=force)
    coded = load_coded(project, coder, question=question)
    if not coded.units:
        raise ThematicError(
            "the project has no units to export (import responses with `thematic import` first)"
        )
    header, rows = long_table(coded) if layout == "long" else wide_table(project, coded, level)

    def write(path: Path) -> None:
        if fmt == "csv":
            write_csv(path, header, rows)
        elif fmt == "json":
            write_json(path, json_document(coded, layout, level, header, rows))
        else:
            wb = new_workbook()
            add_sheet(
                wb,
                "units" if level == "unit" else "responses",
                header,
                rows,
                widths={"text": 60, "theme_name": 24},
            )
            cb_header, cb_rows = codebook_rows(coded)
            add_sheet(wb, "codebook", cb_header, cb_rows, widths={"definition": 70})
            wb.save(path)

    atomic_write(out, write)
    return ExportSummary(
        str(out),
        fmt,
        layout,
        level,
        coder,
        len(rows),
        len(header),
        len(coded.units),
        len(coded.coded),
        0 if fmt == "json" else count_guarded(rows),
    )
