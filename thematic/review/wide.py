"""Codings made elsewhere (another tool, a spreadsheet), one row per respondent: `decisions import-wide`.

Two layouts are read:

- **code columns**: columns named ``Code 1``, ``Code 2``, ... (or ``Theme 1``..., ``code_1``...) hold code
  names; a row's codes are those of its non-empty cells;
- **one 0/1 column per code**: a column per code, 1 where it applies. Without ``code_columns`` every
  column (other than the id) whose cells are all 0, 1 or empty is taken as a code column.

Columns named with ``code_columns`` (``--code-column``) may be of either kind, whatever their names: those
whose cells are all 0, 1 or blank are 0/1 columns, others hold code names; one kind per import. A cell
of code names may hold several, separated by ``;``.

A row maps to the unit of its respondent's answer to ``question`` (response units: one unit per answer).
A row with no code becomes a "no theme applies" decision. Codes match themes by id or by name, case-
insensitively; unknown codes are listed and refused, or, with ``add_codes``, added as themes of a new
codebook version (the first version, when the project has none). Everything happens in one transaction,
and decision ids derive from the file, so importing the same file twice adds nothing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from thematic.errors import ThematicError
from thematic.review import _sources
from thematic.review.decisions import Decision, derived_uuid, stamp
from thematic.review.validate import DecisionValidator, check_new_coder
from thematic.store import corpus
from thematic.store import decisions as store
from thematic.store.project import Project

CODE_COLUMN_RE = re.compile(r"(code|theme)[\s_#-]*\d+", re.IGNORECASE)
MAX_LISTED = 8


@dataclass
class WideImport:
    file: str
    layout: str  # "code columns" or "0/1 columns"
    code_columns: list[str]
    rows: int
    recorded: int
    already: int
    no_theme: int  # rows recorded as "no theme applies"
    no_answer: int  # rows left out: the respondent has no answer to the question
    added_themes: list[str] = field(default_factory=list)
    codebook_version: int | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _listing(items: list[str]) -> str:
    shown = ", ".join(f"'{x}'" for x in items[:MAX_LISTED])
    return shown + (f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


def _zero_one(value: str) -> int | None:
    value = value.strip()
    if value in ("", "0", "0.0"):
        return 0
    if value in ("1", "1.0"):
        return 1
    return None


def import_wide(
    project: Project,
    path: str | Path,
    *,
    coder: str,
    id_column: str,
    question: str,
    add_codes: bool = False,
    code_columns: list[str] | None = None,
    sheet: str | None = None,
    fmt: str | None = None,
    encoding: str | None = None,
) -> WideImport:
    """Record one decision per row of a wide file for ``coder``: every step checks before one
    transaction writes (new themes with ``add_codes``, then the decisions)."""
    from thematic.ingest.readers import read_table

    check_new_coder(project, coder)
    corpus.check_question(project, question)
    table = read_table(path, fmt=fmt, sheet=sheet, encoding=encoding)
    name = table.path.name
    id_at = id_index(table.columns, id_column, name)
    layout, chosen = find_code_columns(table, id_at, code_columns, name)
    at = [table.columns.index(c) for c in chosen]
    codes = codes_in(table, layout, at, name)
    version = _sources.current_codebook(project, question)
    lookup = theme_lookup(version)
    unknown = unknown_codes(codes, lookup, version, name, add_codes=add_codes)
    rows = rows_to_units(project, table, question, id_at, layout, at)
    raise_problems(name, rows.problems)
    digest = hashlib.sha256(table.path.read_bytes()).hexdigest()
    with project.transaction():
        added_themes: list[str] = []
        if unknown:
            version, added_themes = _add_codes(project, version, unknown, name, question)
            lookup = with_added_themes(lookup, version)
        new = wide_decisions(rows.coded, lookup, coder, version.content_hash, digest)
        DecisionValidator(project).require(
            [(rows.row_of[d.unit_id], d) for d in new],
            source=name,
            hint="fix the file and import it again; nothing was recorded",
            label="row",
        )
        added = store.record_many(project, new)
    return WideImport(
        name,
        layout,
        chosen,
        len(table.rows),
        added,
        len(new) - added,
        sum(1 for d in new if not d.themes),
        rows.no_answer,
        added_themes,
        version.number,
        list(table.notes),
    )


def id_index(columns: list[str], id_column: str, name: str) -> int:
    """Where the respondent id column is."""
    if id_column not in columns:
        raise ThematicError(
            f"column '{id_column}' (from --id) not found in {name} (columns are: {', '.join(columns)})"
        )
    return columns.index(id_column)


def find_code_columns(table, id_at: int, code_columns: list[str] | None, name: str) -> tuple[str, list[str]]:
    """The layout (``code columns`` or ``0/1 columns``) and the columns that hold the codes: those named
    (``--code-column``), else the numbered ``Code 1``... columns, else every column of 0, 1 and blanks
    with at least one 1."""
    columns = table.columns
    if code_columns:
        for col in code_columns:
            if col not in columns:
                raise ThematicError(
                    f"column '{col}' (from --code-column) not found in {name} "
                    f"(columns are: {', '.join(columns)})"
                )
        return _named_layout(table, list(code_columns)), list(code_columns)
    chosen = [c for c in columns if CODE_COLUMN_RE.fullmatch(c) and c != columns[id_at]]
    if chosen:
        return "code columns", chosen
    chosen = [
        c
        for i, c in enumerate(columns)
        if i != id_at
        and c
        and all(_zero_one(row[i]) is not None for row in table.rows)
        and any(_zero_one(row[i]) == 1 for row in table.rows)
    ]
    if not chosen:
        raise ThematicError(
            f"found no code columns in {name} (name them 'Code 1', 'Code 2', ... holding code names, or "
            "give one 0/1 column per code; or name them with --code-column)"
        )
    return "0/1 columns", chosen


def _cell_codes(cell: str) -> list[str]:
    """The codes of a cell of code names: one, or several separated by ``;`` (``mixed-support;
    therapeutic-risks``, as corpora/ai-therapy-key.csv writes them)."""
    return [code.strip() for code in cell.split(";") if code.strip()]


def _named_layout(table, named: list[str]) -> str:
    """The layout of the columns named with --code-column: ``0/1 columns`` when every cell of each is 0,
    1 or blank, ``code columns`` (code names) when none is, or when they are numbered ``Code 1``...;
    one kind per import."""
    def zero_one(column: str) -> bool:
        i = table.columns.index(column)
        numbered = CODE_COLUMN_RE.fullmatch(column)
        return not numbered and all(_zero_one(row[i]) is not None for row in table.rows)

    binary = [c for c in named if zero_one(c)]
    if not binary:
        return "code columns"
    if len(binary) == len(named):
        return "0/1 columns"
    names = [c for c in named if c not in binary]
    raise ThematicError(
        f"--code-column names columns of code names ({', '.join(names)}) and columns of 0/1 "
        f"({', '.join(binary)}); name columns of one kind (code names, or one 0/1 column per code)"
    )


def codes_in(table, layout: str, at: list[int], name: str) -> list[str]:
    """The codes the file uses, in the order first met: the cells of code columns, or the 0/1 columns'
    names (whose cells must all be 0, 1 or blank)."""
    if layout == "code columns":
        codes: list[str] = []
        for row in table.rows:
            for i in at:
                for value in _cell_codes(row[i]):
                    if value not in codes:
                        codes.append(value)
        return codes
    problems = [
        f"row {table.first_row_number + offset}, column '{table.columns[i]}': "
        f"'{row[i].strip()[:20]}' is not 0 or 1"
        for offset, row in enumerate(table.rows)
        for i in at
        if _zero_one(row[i]) is None
    ]
    if problems:
        raise ThematicError(
            f"{name}: {'; '.join(problems[:MAX_LISTED])} (code columns take 0 or 1; fix the "
            "file and import it again; nothing was recorded)"
        )
    return [table.columns[i] for i in at]


def theme_lookup(version) -> dict[str, str]:
    """A code as written, lower-cased -> the theme id it names (by id or by name; a later theme wins);
    empty without a codebook."""
    lookup: dict[str, str] = {}
    if version is not None:
        for theme in version.codebook.themes:
            lookup[theme.id.lower()] = theme.id
            lookup[theme.name.strip().lower()] = theme.id
    return lookup


def with_added_themes(lookup: dict[str, str], version) -> dict[str, str]:
    """``lookup`` and the themes of ``version`` it does not name yet (the first theme wins)."""
    lookup = dict(lookup)
    for theme in version.codebook.themes:
        lookup.setdefault(theme.id.lower(), theme.id)
        lookup.setdefault(theme.name.strip().lower(), theme.id)
    return lookup


def unknown_codes(codes: list[str], lookup: dict[str, str], version, name: str, *,
                  add_codes: bool) -> list[str]:
    """The codes that name no theme: refused, unless ``add_codes`` (then they become themes)."""
    unknown = [c for c in codes if c.strip().lower() not in lookup]
    if unknown and not add_codes:
        if version is None:
            raise ThematicError(
                f"{name} holds codes {_listing(unknown)} but this project has no codebook "
                "(pass --add-codes to make a codebook from these codes, or run "
                "`thematic codebook use FILE` first)"
            )
        raise ThematicError(
            f"codes not in the codebook: {_listing(unknown)} (pass --add-codes to add them to a new "
            f"codebook version, or rename them to theme ids or names: {', '.join(version.codebook.ids())})"
        )
    return unknown


@dataclass
class WideRows:
    """The file's rows mapped to units: (unit id, codes) per coded row, each unit's row number, how many
    rows were left out because the respondent did not answer, and the rows that could not be mapped."""

    coded: list[tuple[str, list[str]]] = field(default_factory=list)
    row_of: dict[str, int] = field(default_factory=dict)
    no_answer: int = 0
    problems: list[str] = field(default_factory=list)


def rows_to_units(project: Project, table, question: str, id_at: int, layout: str, at: list[int]) -> WideRows:
    """Each row to the unit of its respondent's answer to ``question``; a problem named per row that
    does not map (empty or repeated id, unknown respondent, codes without an answer)."""
    by_respondent: dict[str, list] = {}
    for unit in corpus.list_units(project, question_id=question):
        by_respondent.setdefault(unit.respondent_id, []).append(unit)
    known_respondents = set(corpus.respondent_attributes(project))
    id_column = table.columns[id_at]
    seen: dict[str, int] = {}
    out = WideRows()
    for offset, row in enumerate(table.rows):
        number = table.first_row_number + offset
        rid = row[id_at].strip()
        if layout == "code columns":
            row_codes = [code for i in at for code in _cell_codes(row[i])]
        else:
            row_codes = [table.columns[i] for i in at if _zero_one(row[i]) == 1]
        problem = _respondent_problem(rid, number, id_column, seen, known_respondents)
        if problem:
            out.problems.append(problem)
            continue
        seen[rid] = number
        units = by_respondent.get(rid, [])
        if not units:
            if row_codes:
                out.problems.append(
                    f"row {number}: respondent '{rid}' has no answer to '{question}', yet the row has codes"
                )
            else:
                out.no_answer += 1
            continue
        if len(units) > 1:
            raise ThematicError(
                f"import-wide maps each row to a whole answer, but respondent '{rid}''s answer to "
                f"'{question}' is split into {len(units)} units (import the survey with --unit response "
                "to use import-wide)"
            )
        out.coded.append((units[0].id, row_codes))
        out.row_of[units[0].id] = number
    return out


def _respondent_problem(rid: str, number: int, id_column: str, seen: dict[str, int],
                        known: set[str]) -> str | None:
    if not rid:
        return f"row {number}, column '{id_column}': empty"
    if rid in seen:
        return f"row {number}, column '{id_column}': respondent '{rid}' is also on row {seen[rid]}"
    if rid not in known:
        seen[rid] = number  # a later row with the same id is named as a repeat
        return f"row {number}, column '{id_column}': respondent '{rid}' is not in this project"
    return None


def raise_problems(name: str, problems: list[str]) -> None:
    """One error naming the first problems and how many there are; nothing when none."""
    if not problems:
        return
    more = f"; and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
    label = f"{len(problems)} problems: " if len(problems) > 1 else ""
    raise ThematicError(
        f"{name}: {label}{'; '.join(problems[:MAX_LISTED])}{more} (fix the file and import it "
        "again; nothing was recorded)"
    )


def wide_decisions(coded: list[tuple[str, list[str]]], lookup: dict[str, str], coder: str, codebook_hash: str,
                   digest: str) -> list[Decision]:
    """One ``code`` decision per coded row, at one time, ids derived from the file's bytes."""
    at_time = stamp()
    return [
        Decision.new(
            coder,
            unit_id,
            {lookup[c.lower()] for c in row_codes},
            "code",
            codebook_hash=codebook_hash,
            uuid=derived_uuid("wide", digest, coder, unit_id),
            at=at_time,
        )
        for unit_id, row_codes in coded
    ]


def _add_codes(project: Project, version, unknown: list[str], file_name: str, question: str):
    """A new codebook version: the current themes plus one per unknown code. Returns (version, new ids)."""
    from thematic.codebook.model import Codebook, Theme, slugify
    from thematic.store.codebooks import use_codebook

    themes = list(version.codebook.themes) if version else []
    taken = {t.id for t in themes}
    added = []
    for code in unknown:
        base = slugify(code) or "code"
        theme_id, n = base, 2
        while theme_id in taken:
            theme_id, n = f"{base}-{n}", n + 1
        taken.add(theme_id)
        themes.append(
            Theme(
                theme_id,
                code.strip(),
                f"Imported from {file_name} with no definition (write one before others code with it).",
            )
        )
        added.append(theme_id)
    from dataclasses import replace

    from thematic.store.codebooks import bindings

    questions = None
    if version is not None:
        codebook = replace(version.codebook, themes=tuple(themes))  # keeps the structure
    else:
        codebook = Codebook(
            slugify(question) or "imported", f"Codes imported from {file_name}", None, tuple(themes)
        )
        if any(b.explicit for b in bindings(project)):  # codebooks per question: this one codes this question
            questions = [question]
    return use_codebook(project, codebook, questions=questions), added
