"""Codings made elsewhere (another tool, a spreadsheet), one row per respondent: `decisions import-wide`.

Two layouts are read:

- **code columns**: columns named ``Code 1``, ``Code 2``, ... (or ``Theme 1``..., ``code_1``...) hold code
  names; a row's codes are the non-empty cells;
- **one 0/1 column per code**: a column per code, 1 where it applies. Without ``code_columns`` every
  column (other than the id) whose cells are all 0, 1 or empty is taken as a code column.

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
    from thematic.ingest.readers import read_table

    check_new_coder(project, coder)
    corpus.check_question(project, question)
    table = read_table(path, fmt=fmt, sheet=sheet, encoding=encoding)
    name = table.path.name
    columns = table.columns
    if id_column not in columns:
        raise ThematicError(
            f"column '{id_column}' (from --id) not found in {name} (columns are: {', '.join(columns)})"
        )
    id_at = columns.index(id_column)

    # -- which columns hold the codes --------------------------------------------------------------------
    if code_columns:
        for col in code_columns:
            if col not in columns:
                raise ThematicError(
                    f"column '{col}' (from --code-column) not found in {name} "
                    f"(columns are: {', '.join(columns)})"
                )
        numbered = [c for c in code_columns if CODE_COLUMN_RE.fullmatch(c)]
        layout = "code columns" if len(numbered) == len(code_columns) else "0/1 columns"
        chosen = list(code_columns)
    else:
        chosen = [c for c in columns if CODE_COLUMN_RE.fullmatch(c) and c != id_column]
        layout = "code columns"
        if not chosen:
            layout = "0/1 columns"
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
    at = [columns.index(c) for c in chosen]

    # -- codes to themes ---------------------------------------------------------------------------------
    problems: list[str] = []
    if layout == "code columns":
        codes: list[str] = []
        for row in table.rows:
            for i in at:
                value = row[i].strip()
                if value and value not in codes:
                    codes.append(value)
    else:
        codes = list(chosen)
        for offset, row in enumerate(table.rows):
            for i in at:
                if _zero_one(row[i]) is None:
                    problems.append(
                        f"row {table.first_row_number + offset}, column '{columns[i]}': "
                        f"'{row[i].strip()[:20]}' is not 0 or 1"
                    )
        if problems:
            raise ThematicError(
                f"{name}: {'; '.join(problems[:MAX_LISTED])} (code columns take 0 or 1; fix the "
                "file and import it again; nothing was recorded)"
            )
    version = _sources.current_codebook(project, question)
    lookup: dict[str, str] = {}
    if version is not None:
        for theme in version.codebook.themes:
            lookup[theme.id.lower()] = theme.id
            lookup[theme.name.strip().lower()] = theme.id
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

    # -- rows to units -----------------------------------------------------------------------------------
    by_respondent: dict[str, list] = {}
    for unit in corpus.list_units(project, question_id=question):
        by_respondent.setdefault(unit.respondent_id, []).append(unit)
    known_respondents = set(corpus.respondent_attributes(project))
    rows: list[tuple[str, list[str]]] = []
    rid_of: dict[str, str] = {}  # unit id -> respondent id (for the row number of a refused decision)
    seen: dict[str, int] = {}
    no_answer = 0
    for offset, row in enumerate(table.rows):
        number = table.first_row_number + offset
        rid = row[id_at].strip()
        if layout == "code columns":
            row_codes = [row[i].strip() for i in at if row[i].strip()]
        else:
            row_codes = [columns[i] for i in at if _zero_one(row[i]) == 1]
        if not rid:
            problems.append(f"row {number}, column '{id_column}': empty")
            continue
        if rid in seen:
            problems.append(
                f"row {number}, column '{id_column}': respondent '{rid}' is also on row {seen[rid]}"
            )
            continue
        seen[rid] = number
        if rid not in known_respondents:
            problems.append(f"row {number}, column '{id_column}': respondent '{rid}' is not in this project")
            continue
        units = by_respondent.get(rid, [])
        if not units:
            if row_codes:
                problems.append(
                    f"row {number}: respondent '{rid}' has no answer to '{question}', yet the row has codes"
                )
            else:
                no_answer += 1
            continue
        if len(units) > 1:
            raise ThematicError(
                f"import-wide maps each row to a whole answer, but respondent '{rid}''s answer to "
                f"'{question}' is split into {len(units)} units (import the survey with --unit response "
                "to use import-wide)"
            )
        rows.append((units[0].id, row_codes))
        rid_of[units[0].id] = rid
    if problems:
        more = f"; and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        label = f"{len(problems)} problems: " if len(problems) > 1 else ""
        raise ThematicError(
            f"{name}: {label}{'; '.join(problems[:MAX_LISTED])}{more} (fix the file and import it "
            "again; nothing was recorded)"
        )

    digest = hashlib.sha256(table.path.read_bytes()).hexdigest()
    with project.transaction():
        added_themes: list[str] = []
        if unknown:
            version, added_themes = _add_codes(project, version, unknown, name, question)
            for theme in version.codebook.themes:
                lookup.setdefault(theme.id.lower(), theme.id)
                lookup.setdefault(theme.name.strip().lower(), theme.id)
        at_time = stamp()
        new = [
            Decision.new(
                coder,
                unit_id,
                {lookup[c.lower()] for c in row_codes},
                "code",
                codebook_hash=version.content_hash,
                uuid=derived_uuid("wide", digest, coder, unit_id),
                at=at_time,
            )
            for unit_id, row_codes in rows
        ]
        DecisionValidator(project).require(
            [(seen.get(rid_of[d.unit_id]), d) for d in new],
            source=name,
            hint="fix the file and import it again; nothing was recorded",
            label="row",
        )
        added = store.record_many(project, new)
    notes = list(table.notes)
    return WideImport(
        name,
        layout,
        chosen,
        len(table.rows),
        added,
        len(new) - added,
        sum(1 for d in new if not d.themes),
        no_answer,
        added_themes,
        version.number,
        notes,
    )


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
