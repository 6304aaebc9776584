"""Import a survey file into a project: respondents, questions, responses and coding units.

One call is one transaction: a failed import changes nothing.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from thematic.clock import utc_now
from thematic.errors import ThematicError, check_choice
from thematic.ingest.readers import Table, read_table
from thematic.ingest.segment import UNIT_KINDS, Segment, sentences, whole_response
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
    item_column: str | None = None  # several rows per respondent and question, one item each
    question_column: str | None = None  # a long file: this column names each row's question


@dataclass
class QuestionSummary:
    question: str
    responses: int = 0
    skipped_empty: int = 0
    already_present: int = 0
    units: int = 0
    items: int = 0  # with --item: the items (rows) that went into the responses


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
    attributes: list[str] = field(default_factory=list)  # the attribute columns taken
    attributes_chosen: bool = False  # named with --attr (else: every other column)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class _Columns:
    id: int | None
    text: list[int]
    attrs: list[int]
    item: int | None = None
    question: int | None = None


def _missing_column(table: Table, name: str, flag: str) -> ThematicError:
    close = difflib.get_close_matches(name, table.columns, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return ThematicError(
        f"column '{name}' (from {flag}) not found in {table.path.name} "
        f"({hint}columns are: {', '.join(table.columns)})"
    )


def _resolve_columns(table: Table, options: ImportOptions) -> _Columns:
    index = {name: i for i, name in enumerate(table.columns)}
    if not options.text_columns:
        raise ThematicError(
            f"name the open-ended question column(s) with --text (columns in {table.path.name} are: "
            f"{', '.join(table.columns)})"
        )

    def find(name: str | None, flag: str) -> int | None:
        if name is None:
            return None
        if name not in index:
            raise _missing_column(table, name, flag)
        return index[name]

    id_index = find(options.id_column, "--id")
    if (options.item_column or options.question_column) and id_index is None:
        flag = "--item" if options.item_column else "--question-column"
        raise ThematicError(f"{flag} needs --id (a respondent's rows are found by their id)")
    text_indices = []
    for name in options.text_columns:
        i = find(name, "--text")
        if i == id_index:
            raise ThematicError(f"column '{name}' is given as both --id and --text (choose one)")
        text_indices.append(i)
    if options.question_column is not None and len(text_indices) != 1:
        raise ThematicError(
            f"--question-column {options.question_column} names each row's question, so --text names the one "
            f"answer column (got {len(text_indices)}: {', '.join(options.text_columns)})"
        )
    taken = [("--id", id_index), *(("--text", i) for i in text_indices)]
    found = {}
    for flag, name in (("--item", options.item_column), ("--question-column", options.question_column)):
        i = found[flag] = find(name, flag)
        clash = next((other for other, j in taken if i is not None and i == j), None)
        if clash:
            raise ThematicError(f"column '{name}' is given as both {clash} and {flag} (choose one)")
        taken.append((flag, i))
    if options.attr_columns is None:
        used = {i for _, i in taken}
        attr_indices = [i for i in range(len(table.columns)) if i not in used and table.columns[i]]
    else:
        attr_indices = [find(name, "--attr") for name in options.attr_columns]
    return _Columns(id_index, text_indices, attr_indices, found["--item"], found["--question-column"])


def _row_numbers(numbers: list[int], limit: int = 8) -> str:
    shown = ", ".join(str(n) for n in numbers[:limit])
    return shown + (f" and {len(numbers) - limit} more" if len(numbers) > limit else "")


def _cell(row: list[str], i: int | None) -> str:
    return row[i].strip() if i is not None and i < len(row) else ""


def _respondent_ids(table: Table, cols: _Columns, options: ImportOptions) -> tuple[list[str], list[int]]:
    """Respondent id per row, and the row offsets kept (after --dedupe).

    A row is one respondent's answers; with --question-column, their answer to the question it names;
    with --item, one item of that answer. Two rows for the same one are refused unless --dedupe.
    """
    first = table.first_row_number
    if cols.id is None:
        width = max(4, len(str(len(table.rows))))
        return [f"row-{first + i:0{width}d}" for i in range(len(table.rows))], list(range(len(table.rows)))
    ids = [_cell(row, cols.id) for row in table.rows]
    blanks = [first + i for i, rid in enumerate(ids) if not rid]
    if blanks:
        raise ThematicError(
            f"{table.path.name}: the respondent id (column '{options.id_column}') is blank in "
            f"row{'s' if len(blanks) > 1 else ''} {_row_numbers(blanks)} (fill them in, or leave out --id to "
            "number respondents by row)"
        )
    if options.dedupe is not None:
        check_choice(options.dedupe, DEDUPE_CHOICES, "--dedupe")
    seen: dict[tuple, list[int]] = {}
    if cols.question is None and cols.item is None:  # one row per respondent
        for i, rid in enumerate(ids):
            seen.setdefault((rid, "", ""), []).append(i)
    else:
        for i, (rid, row) in enumerate(zip(ids, table.rows, strict=True)):
            seen.setdefault((rid, _cell(row, cols.question), _cell(row, cols.item)), []).append(i)
    duplicates = {key: rows for key, rows in seen.items() if len(rows) > 1}
    if duplicates and options.dedupe is None:
        (rid, question, item), rows = next(iter(duplicates.items()))
        where = _row_numbers([first + i for i in rows])
        if cols.question is None and cols.item is None:
            more = f" ({len(duplicates) - 1} more ids repeat)" if len(duplicates) > 1 else ""
            raise ThematicError(
                f"{table.path.name}: respondent id '{rid}' appears in rows {where}{more} (make the ids "
                "unique, or pass --dedupe first|last to keep one row per id)"
            )
        what = " and ".join(
            f"{name} '{value}'" for name, value, col in
            (("question", question, cols.question), ("item", item, cols.item)) if col is not None
        )
        more = f" ({len(duplicates) - 1} more repeat)" if len(duplicates) > 1 else ""
        raise ThematicError(
            f"{table.path.name}: respondent id '{rid}' with {what} appears in rows {where}{more} (each "
            "respondent needs one row per question and item; fix the file, or pass --dedupe first|last "
            "to keep one of them)"
        )
    pick = 0 if options.dedupe == "first" else -1
    kept = sorted(rows[pick] for rows in seen.values())
    return ids, kept


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _natural(value: str) -> tuple:
    """Item order: numbers by value ("2" before "10"), then other labels as text."""
    try:
        return (0, float(value), "")
    except ValueError:
        return (1, 0.0, value)


@dataclass(slots=True)
class _Answer:
    """One respondent's answer to one question: the text, and where each item sits in it."""

    respondent: str
    row: int  # offset into table.rows of its first row
    text: str
    parts: list[tuple[int, str]]  # (start offset, item text); one part, the whole text, without --item


def _answers(table: Table, cols: _Columns, ids: list[str], kept: list[int],
             summaries: dict[str, QuestionSummary]) -> dict[str, list[_Answer]]:
    """question -> the answers to it, in the order of their first rows; items joined in item order,
    one per line. Empty cells count as skipped."""
    static = [(table.columns[c], c) for c in cols.text]
    grouped: dict[str, dict[str, list[tuple[tuple, int, str]]]] = {}
    for i in kept:
        row = table.rows[i]
        questions = static if cols.question is None else [(_cell(row, cols.question), cols.text[0])]
        for question, col in questions:
            text = _clean(row[col]) if col < len(row) else ""
            if not text:
                if question:
                    summaries.setdefault(question, QuestionSummary(question)).skipped_empty += 1
                continue
            if not question:
                raise ThematicError(
                    f"{table.path.name}: row {table.first_row_number + i}: the question (column "
                    f"'{table.columns[cols.question]}') is blank but the answer is not (fill it in, or leave "
                    "the row out)"
                )
            order = _natural(_cell(row, cols.item)) if cols.item is not None else ()
            by_respondent = grouped.get(question)
            if by_respondent is None:
                by_respondent = grouped[question] = {}
                summaries.setdefault(question, QuestionSummary(question))
            items = by_respondent.get(ids[i])
            if items is None:
                by_respondent[ids[i]] = [(order, i, text)]
            else:
                items.append((order, i, text))
    answers: dict[str, list[_Answer]] = {}
    for question, by_respondent in grouped.items():
        found = []
        for rid, items in by_respondent.items():
            if len(items) == 1:  # rows are in file order, so the answers are too
                _, i, text = items[0]
                found.append(_Answer(rid, i, text, [(0, text)]))
                continue
            first = items[0][1]
            items.sort(key=lambda item: (item[0], item[1]))
            parts, offset = [], 0
            for _, _, text in items:
                parts.append((offset, text))
                offset += len(text) + 1
            found.append(_Answer(rid, first, "\n".join(t for _, t in parts), parts))
        summaries[question].items += sum(len(items) for items in by_respondent.values())
        answers[question] = found
    return answers


def _segments(answers: list[_Answer], unit: str, by_item: bool) -> Iterator[list[Segment]]:
    """The coding units of each answer, made as they are needed: the whole answer, each item, or each
    sentence (of each item)."""
    if unit == "response":
        for a in answers:
            yield ([Segment(start, start + len(text), text) for start, text in a.parts] if by_item
                   else whole_response(a.text))
    elif not by_item:
        yield from sentences(a.text for a in answers)
    else:
        split = sentences(text for a in answers for _, text in a.parts)
        for a in answers:
            yield [Segment(start + s.start, start + s.end, s.text)
                   for start, _ in a.parts for s in next(split)]  # one list of sentences per item


def import_file(project: Project, path: str | Path, options: ImportOptions) -> ImportSummary:
    check_choice(options.unit, UNIT_KINDS, "--unit")
    path = Path(path)
    table = read_table(path, fmt=options.format, sheet=options.sheet, encoding=options.encoding)
    cols = _resolve_columns(table, options)
    ids, kept = _respondent_ids(table, cols, options)

    existing_unit = project.meta("unit")
    if existing_unit and existing_unit != options.unit:
        raise ThematicError(
            f"this project is segmented by {existing_unit}; this import asked for --unit {options.unit} "
            f"(use --unit {existing_unit}, or import into a new project)"
        )

    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    record = {
        "id": options.id_column,
        "text": options.text_columns,
        "attr": options.attr_columns,
        "unit": options.unit,
        "dedupe": options.dedupe,
        "sheet": options.sheet,
    }
    if options.item_column is not None:
        record["item"] = options.item_column
    if options.question_column is not None:
        record["question_column"] = options.question_column
    option_record = json.dumps(record, sort_keys=True)
    respondents = list(dict.fromkeys(ids[i] for i in kept))
    summaries: dict[str, QuestionSummary] = {}
    if cols.question is None:  # one question per --text column, in that order, answered or not
        summaries = {table.columns[c]: QuestionSummary(table.columns[c]) for c in cols.text}
    answers = _answers(table, cols, ids, kept, summaries)
    summary = ImportSummary(
        file=path.name,
        format=table.format,
        encoding=table.encoding,
        rows=len(table.rows),
        respondents_new=0,
        respondents_total=len(respondents),
        questions=list(summaries.values()),
        units=0,
        unit=options.unit,
        notes=list(table.notes),
        dropped_duplicates=len(table.rows) - len(kept),
        attributes=[table.columns[j] for j in cols.attrs],
        attributes_chosen=options.attr_columns is not None,
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
        _store_respondents(project, table, cols, ids, kept, source_id, summary)
        for qsum in summary.questions:
            _store_answers(project, table, answers.get(qsum.question, []), qsum, source_id, options,
                           by_item=cols.item is not None)
            summary.units += qsum.units
        corpus.set_source_summary(project, source_id, summary.to_dict())
    return summary


def _store_respondents(project: Project, table: Table, cols: _Columns, ids: list[str], kept: list[int],
                       source_id: int, summary: ImportSummary) -> None:
    """New respondents with their attributes (from each one's first row), and attributes added to the
    ones the project has already."""
    known = corpus.respondent_attributes(project)
    first: dict[str, dict[str, str]] = {}
    differing: dict[str, None] = {}
    for i in kept:
        row = table.rows[i]
        attrs = {table.columns[j]: _cell(row, j) for j in cols.attrs}
        rid = ids[i]
        if rid not in first:
            first[rid] = attrs
        else:
            differing.update(dict.fromkeys(k for k, v in attrs.items() if v != first[rid][k]))
    if differing:
        names = list(differing)
        listed = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
        summary.notes.append(
            f"{listed}: differ between rows of one respondent; each respondent keeps the value of their "
            "first row (leave such columns out with --attr)"
        )
    new_rows, changed = [], []
    for rid, attrs in first.items():
        if rid in known:
            merged = {**attrs, **known[rid]}
            if merged != known[rid]:
                changed.append((rid, merged))
        else:
            new_rows.append((rid, attrs, source_id))
    corpus.insert_respondents(project, new_rows)
    corpus.update_respondent_attributes(project, changed)
    summary.respondents_new = len(new_rows)


def _store_answers(project: Project, table: Table, answers: list[_Answer], qsum: QuestionSummary,
                   source_id: int, options: ImportOptions, *, by_item: bool) -> None:
    question = qsum.question
    corpus.ensure_question(project, question, table.question_texts.get(question))
    present = corpus.response_texts(project, question)
    pending: list[tuple[int, _Answer]] = []
    for answer in answers:
        text = answer.text
        if answer.respondent in present:
            if present[answer.respondent] != text:
                raise ThematicError(
                    f"{table.path.name}: row {table.first_row_number + answer.row}: the answer of respondent "
                    f"'{answer.respondent}' to '{question}' differs from the one already in the project "
                    "(import changed answers into a new project, or give the respondents new ids)"
                )
            qsum.already_present += 1
            continue
        pending.append((0, answer))
        qsum.responses += 1
    rows = [(a.respondent, a.text) for _, a in pending]
    new_ids = corpus.insert_responses(project, question, rows, source_id)
    pending = [(response_id, answer) for response_id, (_, answer) in zip(new_ids, pending, strict=True)]
    segmented = _segments([a for _, a in pending], options.unit, by_item)
    unit_rows: list[tuple] = []
    for (response_id, answer), segments in zip(pending, segmented, strict=True):
        unit_rows += segment_rows(response_id, answer.respondent, question, segments)
        if len(unit_rows) >= UNIT_BATCH:  # insert as we go: memory stays flat on big files
            corpus.insert_units(project, unit_rows)
            qsum.units += len(unit_rows)
            unit_rows = []
    corpus.insert_units(project, unit_rows)
    qsum.units += len(unit_rows)
