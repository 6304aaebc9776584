"""Import a survey file into a project: respondents, questions, responses and coding units.

One call is one transaction: a failed import changes nothing.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from thematic.clock import utc_now
from thematic.errors import ThematicError
from thematic.ingest.readers import Table, read_table
from thematic.ingest.segment import UNIT_KINDS, sentences, whole_response
from thematic.ingest.segment import unit_rows as segment_rows
from thematic.store import corpus
from thematic.store.project import Project

DEDUPE_CHOICES = ("first", "last")
UNIT_BATCH = 20_000  # units inserted per executemany


@dataclass
class ImportOptions:
    id_column: str | None = None
    text_columns: list[str] = field(default_factory=list)
    attr_columns: list[str] | None = None  # None: every other column
    unit: str = "response"
    dedupe: str | None = None
    sheet: str | None = None
    format: str | None = None
    encoding: str | None = None


@dataclass
class QuestionSummary:
    question: str
    responses: int = 0
    skipped_empty: int = 0
    already_present: int = 0
    units: int = 0


@dataclass
class ImportSummary:
    file: str
    format: str
    encoding: str | None
    rows: int
    respondents_new: int
    respondents_total: int
    questions: list[QuestionSummary]
    units: int
    unit: str
    notes: list[str]
    already_imported: bool = False
    dropped_duplicates: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def _missing_column(table: Table, name: str, flag: str) -> ThematicError:
    close = difflib.get_close_matches(name, table.columns, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return ThematicError(
        f"column '{name}' (from {flag}) not found in {table.path.name} "
        f"({hint}columns are: {', '.join(table.columns)})"
    )


def _resolve_columns(table: Table, options: ImportOptions) -> tuple[int | None, list[int], list[int]]:
    index = {name: i for i, name in enumerate(table.columns)}
    if not options.text_columns:
        raise ThematicError(
            f"name the open-ended question column(s) with --text (columns in {table.path.name} are: "
            f"{', '.join(table.columns)})"
        )
    id_index = None
    if options.id_column is not None:
        if options.id_column not in index:
            raise _missing_column(table, options.id_column, "--id")
        id_index = index[options.id_column]
    text_indices = []
    for name in options.text_columns:
        if name not in index:
            raise _missing_column(table, name, "--text")
        if index[name] == id_index:
            raise ThematicError(f"column '{name}' is given as both --id and --text (choose one)")
        text_indices.append(index[name])
    if options.attr_columns is None:
        attr_indices = [
            i
            for i in range(len(table.columns))
            if i != id_index and i not in text_indices and table.columns[i]
        ]
    else:
        attr_indices = []
        for name in options.attr_columns:
            if name not in index:
                raise _missing_column(table, name, "--attr")
            attr_indices.append(index[name])
    return id_index, text_indices, attr_indices


def _row_numbers(numbers: list[int], limit: int = 8) -> str:
    shown = ", ".join(str(n) for n in numbers[:limit])
    return shown + (f" and {len(numbers) - limit} more" if len(numbers) > limit else "")


def _respondent_ids(
    table: Table, id_index: int | None, options: ImportOptions
) -> tuple[list[str], list[int]]:
    """Respondent id per row, and the row offsets kept (after --dedupe)."""
    first = table.first_row_number
    if id_index is None:
        width = max(4, len(str(len(table.rows))))
        return [f"row-{first + i:0{width}d}" for i in range(len(table.rows))], list(range(len(table.rows)))
    ids = [(row[id_index].strip() if id_index < len(row) else "") for row in table.rows]
    blanks = [first + i for i, rid in enumerate(ids) if not rid]
    if blanks:
        raise ThematicError(
            f"{table.path.name}: the respondent id (column '{options.id_column}') is blank in "
            f"row{'s' if len(blanks) > 1 else ''} {_row_numbers(blanks)} (fill them in, or leave out --id to "
            "number respondents by row)"
        )
    seen: dict[str, list[int]] = {}
    for i, rid in enumerate(ids):
        seen.setdefault(rid, []).append(i)
    duplicates = {rid: rows for rid, rows in seen.items() if len(rows) > 1}
    if duplicates and options.dedupe is None:
        rid, rows = next(iter(duplicates.items()))
        more = f" ({len(duplicates) - 1} more ids repeat)" if len(duplicates) > 1 else ""
        raise ThematicError(
            f"{table.path.name}: respondent id '{rid}' appears in rows "
            f"{_row_numbers([first + i for i in rows])}"
            f"{more} (make the ids unique, or pass --dedupe first|last to keep one row per id)"
        )
    if options.dedupe not in (None, *DEDUPE_CHOICES):
        raise ThematicError(f"--dedupe must be first or last, not '{options.dedupe}'")
    pick = 0 if options.dedupe == "first" else -1
    kept = sorted(rows[pick] for rows in seen.values())
    return ids, kept


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def import_file(project: Project, path: str | Path, options: ImportOptions) -> ImportSummary:
    if options.unit not in UNIT_KINDS:
        raise ThematicError(f"--unit must be one of {', '.join(UNIT_KINDS)}, not '{options.unit}'")
    path = Path(path)
    table = read_table(path, fmt=options.format, sheet=options.sheet, encoding=options.encoding)
    id_index, text_indices, attr_indices = _resolve_columns(table, options)
    ids, kept = _respondent_ids(table, id_index, options)

    existing_unit = project.meta("unit")
    if existing_unit and existing_unit != options.unit:
        raise ThematicError(
            f"this project is segmented by {existing_unit}; this import asked for --unit {options.unit} "
            f"(use --unit {existing_unit}, or import into a new project)"
        )

    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    option_record = json.dumps(
        {
            "id": options.id_column,
            "text": options.text_columns,
            "attr": options.attr_columns,
            "unit": options.unit,
            "dedupe": options.dedupe,
            "sheet": options.sheet,
        },
        sort_keys=True,
    )
    question_summaries = [QuestionSummary(table.columns[i]) for i in text_indices]
    summary = ImportSummary(
        file=path.name,
        format=table.format,
        encoding=table.encoding,
        rows=len(table.rows),
        respondents_new=0,
        respondents_total=len(kept),
        questions=question_summaries,
        units=0,
        unit=options.unit,
        notes=list(table.notes),
        dropped_duplicates=len(table.rows) - len(kept),
    )
    previous = corpus.find_source(project, sha, option_record)
    if previous is not None:
        summary.already_imported = True
        summary.respondents_total = 0
        summary.notes.append(
            f"{path.name} was already imported on {previous[2][:10]} with these options; nothing added"
        )
        return summary

    with project.transaction():
        source_id = corpus.insert_source(
            project, name=path.name, sha256=sha, options=option_record, imported_at=utc_now()
        )
        if not existing_unit:
            project.set_meta("unit", options.unit)

        known = corpus.respondent_attributes(project)
        new_rows, changed = [], []
        for i in kept:
            row = table.rows[i]
            attrs = {table.columns[j]: (row[j].strip() if j < len(row) else "") for j in attr_indices}
            rid = ids[i]
            if rid in known:
                merged = {**attrs, **known[rid]}
                if merged != known[rid]:
                    changed.append((rid, merged))
            else:
                new_rows.append((rid, attrs, source_id))
        corpus.insert_respondents(project, new_rows)
        corpus.update_respondent_attributes(project, changed)
        summary.respondents_new = len(new_rows)

        for qsum, col in zip(question_summaries, text_indices, strict=True):
            question = table.columns[col]
            corpus.ensure_question(project, question, table.question_texts.get(question))
            present = corpus.response_texts(project, question)
            pending: list[tuple[int, str, str]] = []  # (response id, respondent id, text)
            for i in kept:
                row = table.rows[i]
                text = _clean(row[col]) if col < len(row) else ""
                rid = ids[i]
                if not text:
                    qsum.skipped_empty += 1
                    continue
                if rid in present:
                    if present[rid] != text:
                        raise ThematicError(
                            f"{path.name}: row {table.first_row_number + i}: the answer of respondent "
                            f"'{rid}' to '{question}' differs from the one already in the project "
                            "(import changed answers "
                            "into a new project, or give the respondents new ids)"
                        )
                    qsum.already_present += 1
                    continue
                pending.append((0, rid, text))
                qsum.responses += 1
            new_ids = corpus.insert_responses(project, question, [(rid, text) for _, rid, text in pending],
                                              source_id)
            pending = [(response_id, rid, text) for response_id, (_, rid, text) in zip(new_ids, pending,
                                                                                        strict=True)]
            if options.unit == "response":
                segmented = (whole_response(text) for _, _, text in pending)
            else:
                segmented = sentences(text for _, _, text in pending)
            unit_rows: list[tuple] = []
            for (response_id, rid, _), segments in zip(pending, segmented, strict=False):
                unit_rows += segment_rows(response_id, rid, question, segments)
                if len(unit_rows) >= UNIT_BATCH:  # insert as we go: memory stays flat on big files
                    corpus.insert_units(project, unit_rows)
                    qsum.units += len(unit_rows)
                    unit_rows = []
            corpus.insert_units(project, unit_rows)
            qsum.units += len(unit_rows)
            summary.units += qsum.units
        corpus.set_source_summary(project, source_id, summary.to_dict())
    return summary
