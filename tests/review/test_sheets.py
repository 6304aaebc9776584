"""Coding sheets: export (validation, blindness, spreadsheet safety), import (all rows valid, or nothing)."""

from __future__ import annotations

import csv
import re

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from tests.review.conftest import KEY, THEMES, ben_changes
from thematic.errors import ThematicError
from thematic.review.sheets import export_sheet, import_sheet, set_text
from thematic.store import decisions as store
from thematic.store.corpus import list_units

NOTHING = "(theme cells take 0 or 1; fix the sheet and import it again; nothing was recorded)"


def ben_on_a_sheet(respondent_id: str, themes: frozenset[str]) -> frozenset[str]:
    """ben's changes (tests/conftest.ben_changes), keeping the demo codebook's structure as a sheet import
    must: where mixed-support is swapped in, it replaces the answer's other stance (one per unit)."""
    changed = ben_changes(respondent_id, themes)
    if "mixed-support" in changed and "mixed-support" not in themes:
        changed -= {"negative-responses", "possibilities-of-ai"}
    return changed


def fill(path, *, coder_themes=lambda rid, themes: themes, rows=None, edit=None):
    """Fill a sheet as a coder would: 0/1 per theme column (rows: only these respondents)."""
    book = openpyxl.load_workbook(path)
    ws = book["coding"]
    header = [c.value for c in ws[1]]
    for row in range(2, ws.max_row + 1):
        rid = ws.cell(row=row, column=header.index("respondent_id") + 1).value
        if rows is not None and rid not in rows:
            continue
        themes = coder_themes(rid, KEY[rid])
        for theme in THEMES:
            ws.cell(row=row, column=header.index(theme) + 1).value = int(theme in themes)
    if edit:
        edit(ws, header)
    book.save(path)
    return header


_EXPORTED: dict[str, bytes] = {}


@pytest.fixture
def sheet(coded_project, tmp_path):
    """ben's blind sheet of the whole demo corpus (exported once; unit ids are the same in every copy)."""
    path = tmp_path / "ben.xlsx"
    if "ben" not in _EXPORTED:
        export_sheet(coded_project, path, coder="ben")
        _EXPORTED["ben"] = path.read_bytes()
    path.write_bytes(_EXPORTED["ben"])
    return path


def test_export_layout_validation_and_hidden_metadata(coded_project, sheet):
    book = openpyxl.load_workbook(sheet)
    assert book.sheetnames == ["coding", "codebook", "thematic"]
    assert book["thematic"].sheet_state == "hidden"
    meta = {k: v for k, v in book["thematic"].iter_rows(values_only=True)}
    assert meta["coder"] == "ben" and meta["codebook_version"] == "1" and meta["with_suggestions"] == "0"
    ws = book["coding"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["unit_id", "respondent_id", "question", "text"]   # no attributes unless asked
    assert header[header.index("text") :] == ["text", *THEMES, "note"]
    assert ws.max_row == 113
    (validation,) = ws.data_validations.dataValidation
    assert validation.type == "list" and validation.formula1 == '"0,1"' and validation.showErrorMessage
    first = header.index("text") + 2
    letters = [get_column_letter(first + i) for i in range(4)]
    assert str(validation.sqref) == " ".join(f"{x}2:{x}113" for x in letters)
    assert all(ws.cell(row=r, column=c).value is None for r in range(2, 114) for c in range(first, first + 5))
    rows = list(book["codebook"].iter_rows(values_only=True))
    at = next(rows.index(r) for r in rows if r[0] == "id")
    definitions = [r[rows[at].index("definition")] for r in rows[at + 1 :] if r[0] in THEMES]
    assert len(definitions) == 4 and definitions[0].startswith("The respondent rejects")


def test_the_codebook_sheet_shows_the_structure(sheet):
    """Issue 15: a second coder on a spreadsheet sees which themes exclude each other, in the
    instructions and beside each theme (the demo codebook: one stance at most, risks independent)."""
    rows = list(openpyxl.load_workbook(sheet)["codebook"].iter_rows(values_only=True))
    lines = [r[0] for r in rows[: next(i for i, r in enumerate(rows) if r[0] == "id")] if r[0]]
    assert lines[2] == (
        "Group Overall stance (negative-responses, possibilities-of-ai, mixed-support): one theme of group "
        "Overall stance at most per answer."
    )
    header = next(r for r in rows if r[0] == "id")
    assert header[:6] == ("id", "name", "group", "per answer", "residual", "definition")
    table = {r[0]: r[2:5] for r in rows if r[0] in THEMES}
    assert table == {
        "negative-responses": ("Overall stance", "one of the group at most", None),
        "possibilities-of-ai": ("Overall stance", "one of the group at most", None),
        "mixed-support": ("Overall stance", "one of the group at most", None),
        "therapeutic-risks": (None, "any number", None),
    }


def test_a_required_group_and_a_residual_theme_on_the_codebook_sheet(coded_project, tmp_path):
    from thematic.codebook.load import parse_codebook
    from thematic.store.codebooks import use_codebook

    use_codebook(coded_project, parse_codebook(
        "codebook: tone\nrequired: true\nexclusive: true\nthemes:\n"
        "  - {id: warm, name: Warm, definition: Friendly words.}\n"
        "  - {id: cold, name: Cold, definition: Distant words.}\n"
        "  - {id: none, name: No tone, definition: Neither., residual: true}\n"
    ))
    export_sheet(coded_project, tmp_path / "t.xlsx", coder="ben")
    rows = list(openpyxl.load_workbook(tmp_path / "t.xlsx")["codebook"].iter_rows(values_only=True))
    assert [r[0] for r in rows[2:4]] == [
        "Group tone (warm, cold, none): exactly one theme of group tone per answer.",
        "Residual theme none: 1 only when no other theme of group tone applies.",
    ]
    assert {r[0]: r[2:5] for r in rows if r[0] in ("warm", "cold", "none")} == {
        "warm": ("tone", "exactly one of the group", None),
        "cold": ("tone", "exactly one of the group", None),
        "none": ("tone", "exactly one of the group", "yes"),
    }


def test_attributes_only_when_asked_for(coded_project, tmp_path):
    path = tmp_path / "with.xlsx"
    export_sheet(coded_project, path, coder="ben", attributes=["would_consider", "role"])
    ws = openpyxl.load_workbook(path)["coding"]
    header = [c.value for c in ws[1]]
    assert header[:6] == ["unit_id", "respondent_id", "question", "would_consider", "role", "text"]
    first = list_units(coded_project)[0]
    row = [c.value for c in ws[2]]
    assert row[1] == first.respondent_id and row[3] in {"yes", "no", "maybe"} and row[4] in {
        "trainee", "qualified"}
    with pytest.raises(ThematicError, match=re.escape(
            "no respondent attribute 'rol' (--show-attr names one of: role, approach, would_consider,")):
        export_sheet(coded_project, tmp_path / "x.xlsx", coder="ben", attributes=["rol"])
    assert not (tmp_path / "x.xlsx").exists()


def test_formula_like_answers_are_written_as_text(coded_project, sheet):
    ws = openpyxl.load_workbook(sheet)["coding"]
    text = [c.value for c in ws[1]].index("text") + 1
    cells = {ws.cell(row=r, column=2).value: ws.cell(row=r, column=text) for r in range(2, ws.max_row + 1)}
    for rid, start in (("R014", "- not for me"), ("R067", "+ waiting lists")):
        cell = cells[rid]
        assert cell.value.startswith(start) and cell.data_type == "s" and cell.quotePrefix
    assert not cells["R001"].quotePrefix


def test_set_text_helper():
    ws = openpyxl.Workbook().active
    for i, value in enumerate(['=HYPERLINK("x")', "@SUM(A1)", "\tx", "\rx", "+1", "-2", "plain", 3]):
        set_text(ws.cell(row=i + 1, column=1), value)
    kinds = [(c.data_type, bool(c.quotePrefix)) for (c,) in ws.iter_rows(max_row=8)]
    assert kinds == [("s", True)] * 6 + [("s", False), ("n", False)]


def test_filled_sheet_imports_as_decisions_once(coded_project, sheet):
    fill(sheet, coder_themes=ben_on_a_sheet)
    report = import_sheet(coded_project, sheet, coder="ben")
    assert (report.recorded, report.coded, report.uncoded, report.already) == (112, 112, 0, 0)
    units = {u.id: u.respondent_id for u in list_units(coded_project)}
    codings = store.current_codings(coded_project, "ben")
    assert codings == {u: ben_on_a_sheet(r, KEY[r]) for u, r in units.items()}
    assert all(d.suggestions is None for d in store.decisions(coded_project))
    again = import_sheet(coded_project, sheet, coder="ben")
    assert (again.recorded, again.already) == (0, 112)
    assert store.count(coded_project) == 112


def test_partly_filled_sheet_and_a_note_alone(coded_project, sheet):
    def note_only(ws, header):
        ws.cell(row=5, column=header.index("note") + 1).value = "not sure: ask ana"

    fill(sheet, rows={"R001", "R002"}, edit=note_only)
    report = import_sheet(coded_project, sheet, coder="ben")
    assert (report.coded, report.flagged, report.uncoded) == (2, 1, 109)
    flag = [d for d in store.decisions(coded_project) if d.kind == "flag"]
    assert flag[0].note == "not sure: ask ana" and flag[0].themes == frozenset()


def test_with_suggestions_records_what_the_sheet_showed(suggested_project, tmp_path):
    path = tmp_path / "ana.xlsx"
    export_sheet(suggested_project, path, coder="ana", with_suggestions=True, sample=10, seed=2)
    header = fill(path)
    assert header[-1] == "suggested"
    import_sheet(suggested_project, path, coder="ana")
    decisions = store.decisions(suggested_project)
    assert len(decisions) == 10 and all(d.suggestions["run"] == 1 for d in decisions)


def _set(row, column, value):
    def edit(ws, header):
        col = header.index(column) + 1 if isinstance(column, str) else column
        old = ws.cell(row=row, column=col).value
        ws.cell(row=row, column=col).value = value(ws) if callable(value) else value
        return old

    return edit


def test_bad_cells_are_each_named_and_refuse_the_whole_sheet(coded_project, sheet):
    ws = openpyxl.load_workbook(sheet, read_only=True)["coding"]
    unit2, unit6 = ws.cell(row=2, column=1).value, ws.cell(row=6, column=1).value
    edits = [
        _set(3, "mixed-support", 2),
        _set(4, "mixed-support", "yes"),
        _set(5, "therapeutic-risks", None),
        _set(6, "text", "I changed this."),
        _set(7, 1, "R999.0000000000"),
        _set(8, 1, lambda ws: ws.cell(row=2, column=1).value),
        _set(9, "negative-responses", None),
        _set(9, "mixed-support", ""),
    ]
    fill(sheet, edit=lambda ws, header: [edit(ws, header) for edit in edits])
    with pytest.raises(ThematicError) as caught:
        import_sheet(coded_project, sheet, coder="ben")
    assert str(caught.value) == (
        "ben.xlsx: 7 problems: row 3, column 'mixed-support': '2' is not 0 or 1; "
        "row 4, column 'mixed-support': 'yes' is not 0 or 1; "
        "row 5, column 'therapeutic-risks': empty while other theme cells of the row are filled; "
        f"row 6, column 'text': differs from the text of unit '{unit6}' in the project; "
        "row 7, column 'unit_id': unit 'R999.0000000000' is not in this project; "
        f"row 8, column 'unit_id': unit '{unit2}' is also on row 2; "
        "row 9, columns 'negative-responses', 'mixed-support': empty while other theme cells of the row are "
        f"filled {NOTHING}"
    )
    assert store.count(coded_project) == 0


def test_a_theme_column_not_in_the_codebook(coded_project, sheet):
    fill(sheet, edit=_set(1, "mixed-support", "hope"))
    with pytest.raises(ThematicError) as caught:
        import_sheet(coded_project, sheet, coder="ben")
    assert str(caught.value) == (
        "ben.xlsx: 2 problems: row 1, column 'hope': not a theme of the codebook (themes are: "
        "negative-responses, "
        "possibilities-of-ai, mixed-support, therapeutic-risks); row 1: no column for theme 'mixed-support' "
        f"{NOTHING}"
    )
    assert store.count(coded_project) == 0


def test_many_problems_are_counted(coded_project, sheet):
    def break_all(ws, header):
        for row in range(2, 14):
            ws.cell(row=row, column=header.index("negative-responses") + 1).value = 7

    fill(sheet, edit=break_all)
    with pytest.raises(
        ThematicError,
        match=re.escape(
            "ben.xlsx: 12 problems: row 2, column 'negative-responses': '7' is not 0 or 1; row 3,"
        ),
    ) as caught:
        import_sheet(coded_project, sheet, coder="ben")
    assert str(caught.value).endswith(f"; and 4 more {NOTHING}")


def test_a_sheet_for_another_codebook_version(coded_project, sheet):
    from dataclasses import replace

    from thematic.store.codebooks import require_current, use_codebook

    fill(sheet)
    version = require_current(coded_project)
    use_codebook(coded_project, replace(version.codebook, title="Revised"))
    with pytest.raises(
        ThematicError,
        match="^"
        + re.escape(
            "ben.xlsx was made for codebook version 1, but the project now uses version 2 (pass "
            "--allow-version-mismatch to import it anyway, or export a new sheet)"
        )
        + "$",
    ):
        import_sheet(coded_project, sheet, coder="ben")
    report = import_sheet(coded_project, sheet, coder="ben", allow_version_mismatch=True)
    assert report.recorded == 112 and report.codebook_version == 1
    assert report.notes == [
        "ben.xlsx was made for codebook version 1; the project uses version 2 (imported as "
        "you asked; the decisions name the sheet's version)"
    ]
    assert {d.codebook_hash for d in store.decisions(coded_project)} == {version.content_hash}


def test_a_csv_saved_from_the_sheet(coded_project, sheet, tmp_path):
    fill(sheet, coder_themes=ben_on_a_sheet)
    rows = list(openpyxl.load_workbook(sheet)["coding"].iter_rows(values_only=True))
    out = tmp_path / "ben.csv"
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(
            [["" if v is None else v for v in row] for row in rows]
        )
    report = import_sheet(coded_project, out, coder="ana")
    assert report.recorded == 112 and "carries no codebook version" in report.notes[0]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            dict(coder="ana"),
            "ben.xlsx was exported for coder 'ben', not 'ana' (pass --coder ben, or export a sheet for ana)",
        ),
        (
            dict(coder="machine"),
            "coder name 'machine' is reserved for the machine's suggestions (choose your own "
            "name, e.g. --coder ana)",
        ),
    ],
)
def test_import_refusals(coded_project, sheet, kwargs, message):
    with pytest.raises(ThematicError, match=f"^{re.escape(message)}$"):
        import_sheet(coded_project, sheet, **kwargs)


def test_export_refusals(coded_project, sheet, tmp_path):
    cases = [
        (dict(out=sheet), f"{sheet} exists already (choose another --out, or pass --force to replace it)"),
        (
            dict(out=tmp_path / "x.csv"),
            "coding sheets are .xlsx workbooks (name the file with .xlsx, e.g. --out ben.xlsx)",
        ),
        (
            dict(out=tmp_path / "y.xlsx", with_suggestions=True),
            "--with-suggestions needs machine suggestions (run `thematic suggest` first)",
        ),
        (dict(out=tmp_path / "z.xlsx", question="q2"),
         "question 'q2' is not in this project (questions: answer)"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ThematicError, match=f"^{re.escape(message)}$"):
            export_sheet(coded_project, coder="ben", **kwargs)


def test_sheet_cli_round_trip(cli, coded_project, tmp_path):
    out = tmp_path / "ben.xlsx"
    result = cli("sheet", "export", "--coder", "ben", "--out", out, "--sample", "20")
    assert result.stdout == f"wrote {out}: 20 units x 4 themes for ben (codebook version 1; blind)\n"
    fill(out, coder_themes=ben_changes)
    result = cli("sheet", "import", out, "--coder", "ben")
    assert result.stdout == (
        "recorded 20 decisions for ben from ben.xlsx: 20 coded, 0 flagged (a note, no codes), "
        "0 rows left uncoded\n"
    )
    fill(out, edit=lambda ws, h: setattr(ws.cell(row=2, column=h.index("mixed-support") + 1), "value", 5))
    result = cli("sheet", "import", out, "--coder", "ben")
    assert result.exit_code == 2
    assert result.stderr == f"error: ben.xlsx: row 2, column 'mixed-support': '5' is not 0 or 1 {NOTHING}\n"


def test_sheet_cli_shows_attributes_asked_for_and_round_trips(cli, coded_project, tmp_path):
    out = tmp_path / "ben.xlsx"
    result = cli("sheet", "export", "--coder", "ben", "--out", out, "--sample", "5", "--show-attr", "role")
    assert result.exit_code == 0, result.stderr
    assert [c.value for c in openpyxl.load_workbook(out)["coding"][1]][:5] == [
        "unit_id", "respondent_id", "question", "role", "text"]
    fill(out, coder_themes=ben_changes)
    assert cli("sheet", "import", out, "--coder", "ben").stdout.startswith("recorded 5 decisions for ben")
    extra = tmp_path / "extra.csv"
    extra.write_text("id,note,said\nZ1,call back,Fine.\n", encoding="utf-8")
    assert cli("import", extra, "--id", "id", "--text", "said").exit_code == 0
    result = cli("sheet", "export", "--coder", "ben", "--out", tmp_path / "n.xlsx", "--show-attr", "note")
    assert (result.exit_code, result.stderr) == (2, (
        "error: attribute 'note' has the name of a column the sheet needs (rename the column in the survey "
        "file, or leave it out)\n"))
    assert not (tmp_path / "n.xlsx").exists()


def test_a_sheet_that_breaks_the_codebook_structure_imports_nothing(coded_project, sheet):
    """Two stances on one row, where the demo codebook's stance group takes one: refused with its row,
    as the review screen and `thematic code` refuse it."""
    fill(sheet, coder_themes=ben_changes)  # ben_changes swaps mixed-support in beside another stance
    before = store.count(coded_project)
    with pytest.raises(ThematicError) as caught:
        import_sheet(coded_project, sheet, coder="ben")
    assert caught.value.message.startswith(
        "ben.xlsx: 11 problems: row 8: negative-responses and mixed-support are in group stance, which takes "
        "one theme at most (the codebook's structure; see docs/codebook.md); row 15:"
    )
    assert caught.value.message.endswith("(fix the sheet and import it again; nothing was recorded)")
    assert store.count(coded_project) == before


# -- the steps of an import, one by one ----------------------------------------------------------------


def test_step_read_sheet_and_check_meta(coded_project, sheet, tmp_path):
    from thematic.review.sheets import check_meta, read_sheet

    read = read_sheet(sheet)
    assert read.columns[:4] == ["unit_id", "respondent_id", "question", "text"] and len(read.rows) == 112
    assert read.meta["coder"] == "ben" and read.layout_of_thematic
    check_meta(read, "ben.xlsx", "ben")
    with pytest.raises(ThematicError, match=r"^ben.xlsx was exported for coder 'ben', not 'ana' "):
        check_meta(read, "ben.xlsx", "ana")
    read.meta["format"] = "something else"
    with pytest.raises(ThematicError, match=r"^ben.xlsx is not a thematic coding sheet"):
        check_meta(read, "ben.xlsx", "ben")
    (tmp_path / "s.ods").write_text("x")
    with pytest.raises(ThematicError, match=r"^s.ods: a coding sheet is an .xlsx workbook"):
        read_sheet(tmp_path / "s.ods")


def test_step_sheet_version(coded_project, sheet):
    from thematic.review.sheets import read_sheet, sheet_version
    from thematic.store.codebooks import require_current

    current = require_current(coded_project)
    read = read_sheet(sheet)
    made_for = sheet_version(coded_project, read, "ben.xlsx", current, allow_version_mismatch=False)
    assert (made_for.version.number, made_for.codebook_hash, made_for.notes) == (1, current.content_hash, [])
    read.meta.clear()
    made_for = sheet_version(coded_project, read, "ben.csv", current, allow_version_mismatch=False)
    assert made_for.codebook_hash == current.content_hash and made_for.notes[0].startswith(
        "ben.csv carries no codebook version")


def test_step_layout_and_theme_columns(coded_project):
    from thematic.review.sheets import MadeFor, sheet_layout, theme_column_problems
    from thematic.store.codebooks import require_current

    made_for = MadeFor(require_current(coded_project), "h")
    layout = sheet_layout(["unit_id", "text", THEMES[0], THEMES[0], "nope", "note", "suggested"], "s.csv")
    assert (layout.id_at, layout.text_at, layout.note_at, layout.suggested_at) == (0, 1, 5, 6)
    assert theme_column_problems(layout, made_for) == [
        f"row 1, column '{THEMES[0]}': the theme has two columns",
        f"row 1, column 'nope': not a theme of the codebook (themes are: {', '.join(THEMES)})",
        *(f"row 1: no column for theme '{t}'" for t in THEMES[1:]),
    ]
    with pytest.raises(ThematicError, match=r"^s.csv has no theme columns after 'text'"):
        sheet_layout(["unit_id", "text", "note"], "s.csv")


def test_step_read_rows_and_decisions(coded_project, sheet):
    from thematic.review.sheets import read_rows, read_sheet, sheet_decisions, sheet_layout

    fill(sheet, rows={"R001", "R002"})
    read = read_sheet(sheet)
    layout = sheet_layout(read.columns, "ben.xlsx")
    rows = read_rows(coded_project, read, layout)
    assert (len(rows.decided), rows.units, rows.uncoded, rows.problems) == (2, 112, 110, [])
    assert [r.themes for r in rows.decided] == [KEY["R001"], KEY["R002"]]
    first = sheet_decisions(rows.decided, "ben", "h", sheet, None)
    again = sheet_decisions(rows.decided, "ben", "h", sheet, None)
    assert [d.uuid for d in first] == [d.uuid for d in again]   # the file's bytes name the decisions
    assert {(d.kind, d.codebook_hash, d.coder) for d in first} == {("code", "h", "ben")}


def test_step_raise_problems():
    from thematic.review.sheets import raise_problems

    raise_problems("s.xlsx", [])
    with pytest.raises(ThematicError) as caught:
        raise_problems("s.xlsx", [f"row {n}: x" for n in range(2, 12)])
    assert caught.value.message == (
        "s.xlsx: 10 problems: row 2: x; row 3: x; row 4: x; row 5: x; row 6: x; row 7: x; row 8: x; "
        f"row 9: x; and 2 more {NOTHING}"
    )
