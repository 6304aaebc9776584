"""Importing survey files: every file type, encodings, repeats, and every bad input with its message."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import DEMO_CSV


def write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def survey(tmp_path):
    return write(
        tmp_path / "survey.csv",
        "id,role,answer,other\n"
        "R1,trainee,It could help with waiting lists. But I worry.,x\n"
        'R2,qualified,"Never. It is unethical, full stop.",y\n'
        "R3,trainee,,z\n",
    )


def counts(cli):
    result = cli("status", "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_import_csv_summary_and_status(cli, survey):
    assert cli("init").exit_code == 0
    result = cli("import", survey, "--id", "id", "--text", "answer")
    assert result.exit_code == 0, result.stderr
    assert "imported survey.csv (csv, 3 rows): 3 respondents (3 new)" in result.stdout
    assert "2 units created" in result.stdout
    info = counts(cli)
    assert (info["respondents"], info["responses"], info["units"]) == (3, 2, 2)
    assert info["questions"] == [{"question": "answer", "text": None, "responses": 2, "units": 2}]


def test_attributes_default_to_every_other_column_and_can_be_chosen(cli, survey, tmp_path):
    cli("init")
    cli("import", survey, "--id", "id", "--text", "answer")
    unit = json.loads(cli("units", "--json").stdout)[0]
    shown = json.loads(cli("show", unit["id"], "--json").stdout)
    assert shown["attributes"] == {"role": "trainee", "other": "x"}
    other = tmp_path / "other.db"
    cli("init", project=other)
    cli("import", survey, "--id", "id", "--text", "answer", "--attr", "role", project=other)
    unit = json.loads(cli("units", "--json", project=other).stdout)[0]
    assert json.loads(cli("show", unit["id"], "--json", project=other).stdout)["attributes"] == {
        "role": "trainee"
    }


def test_same_file_twice_adds_nothing_and_second_file_adds_rows(cli, survey, tmp_path):
    cli("init")
    cli("import", survey, "--id", "id", "--text", "answer")
    again = cli("import", survey, "--id", "id", "--text", "answer")
    assert again.exit_code == 0
    assert "survey.csv was already imported on" in again.stderr
    assert "nothing added" in again.stderr
    more = write(tmp_path / "more.csv", "id,role,answer,other\nR4,qualified,Maybe as a training tool.,w\n")
    result = cli("import", more, "--id", "id", "--text", "answer")
    assert result.exit_code == 0
    info = counts(cli)
    assert (info["sources"], info["respondents"], info["units"]) == (2, 4, 3)


def test_overlapping_file_keeps_existing_responses(cli, survey, tmp_path):
    cli("init")
    cli("import", survey, "--id", "id", "--text", "answer")
    copy = write(tmp_path / "copy.csv", survey.read_text() + "R9,trainee,A new answer.,q\n")
    result = cli("import", copy, "--id", "id", "--text", "answer", "--json")
    summary = json.loads(result.stdout)
    assert summary["questions"][0]["already_present"] == 2
    assert summary["questions"][0]["responses"] == 1
    assert counts(cli)["units"] == 3


def test_several_text_columns_become_questions(cli, tmp_path):
    path = write(tmp_path / "two.csv", "id,q1,q2\nA,First answer.,Second answer.\nB,,Only the second.\n")
    cli("init")
    result = cli("import", path, "--id", "id", "--text", "q1", "--text", "q2", "--json")
    summary = json.loads(result.stdout)
    assert [(q["question"], q["responses"], q["skipped_empty"]) for q in summary["questions"]] == [
        ("q1", 1, 1),
        ("q2", 2, 0),
    ]


def test_tsv_jsonl_and_xlsx(cli, tmp_path):
    tsv = write(tmp_path / "s.tsv", "id\tanswer\nA\tTabs work.\nB\tYes.\n")
    jsonl = write(
        tmp_path / "s.jsonl",
        '{"id": "C", "answer": "From JSON.", "age": 41}\n\n{"id": "D", "answer": "More"}\n',
    )
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Responses"
    sheet.append(["id", "answer", "score"])
    sheet.append([101, "From Excel.", 3.0])
    sheet.append([102, "Second row.", None])
    book.create_sheet("Other").append(["nothing"])
    book.save(tmp_path / "s.xlsx")
    cli("init")
    assert cli("import", tsv, "--id", "id", "--text", "answer").exit_code == 0
    assert cli("import", jsonl, "--id", "id", "--text", "answer").exit_code == 0
    result = cli("import", tmp_path / "s.xlsx", "--id", "id", "--text", "answer", "--sheet", "Responses")
    assert result.exit_code == 0, result.stderr
    units = json.loads(cli("units", "--json", "--limit", "0").stdout)
    assert {u["respondent_id"] for u in units} == {"A", "B", "C", "D", "101", "102"}
    shown = json.loads(cli("show", [u for u in units if u["respondent_id"] == "C"][0]["id"], "--json").stdout)
    assert shown["attributes"] == {"age": "41"}
    bad = cli("import", tmp_path / "s.xlsx", "--id", "id", "--text", "answer", "--sheet", "Nope")
    assert bad.exit_code == 2
    assert bad.stderr.strip() == "error: sheet 'Nope' not found in s.xlsx (sheets are: Responses, Other)"


def test_qualtrics_export_is_detected(cli, tmp_path):
    path = write(
        tmp_path / "qualtrics.csv",
        "ResponseId,Q1,Q2_TEXT\n"
        "Response ID,What is your role?,Anything else about AI in therapy?\n"
        '"{""ImportId"":""_recordId""}","{""ImportId"":""QID1""}","{""ImportId"":""QID2_TEXT""}"\n'
        "R_abc,Trainee,It might help people on waiting lists.\n"
        "R_def,Qualified,No.\n",
    )
    cli("init")
    result = cli("import", path, "--id", "ResponseId", "--text", "Q2_TEXT")
    assert result.exit_code == 0
    assert "qualtrics.csv is a Qualtrics export: skipped its two extra header rows" in result.stderr
    info = counts(cli)
    assert info["respondents"] == 2
    assert info["questions"][0]["text"] == "Anything else about AI in therapy?"


def test_utf8_bom_and_windows_1252(cli, tmp_path):
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbfid,answer\nA,Caf\xc3\xa9 culture.\n")
    cp = write(tmp_path / "cp.csv", "id,answer\nB,It\u2019s na\u00efve \u2013 honestly.\n", encoding="cp1252")
    cli("init")
    assert cli("import", bom, "--id", "id", "--text", "answer").exit_code == 0
    result = cli("import", cp, "--id", "id", "--text", "answer")
    assert result.exit_code == 0
    assert "cp.csv is not UTF-8: decoded as Windows-1252 (pass --encoding to choose another)" in result.stderr
    texts = {u["respondent_id"]: u["text"] for u in json.loads(cli("units", "--json").stdout)}
    assert texts == {"A": "Café culture.", "B": "It\u2019s na\u00efve \u2013 honestly."}


def test_sentence_units_keep_offsets(cli, tmp_path):
    path = write(
        tmp_path / "s.csv", 'id,answer\nA,"It could help.  But I worry about risk!\nWhat about consent?"\n'
    )
    cli("init")
    result = cli("import", path, "--id", "id", "--text", "answer", "--unit", "sentence")
    assert result.exit_code == 0, result.stderr
    units = json.loads(cli("units", "--json").stdout)
    assert [u["text"] for u in units] == ["It could help.", "But I worry about risk!", "What about consent?"]
    full = "It could help.  But I worry about risk!\nWhat about consent?"
    assert all(full[u["start"] : u["end"]] == u["text"] for u in units)


def test_unit_ids_agree_across_projects(cli, tmp_path):
    ids = []
    for name in ("a.db", "b.db"):
        cli("init", project=tmp_path / name)
        cli(
            "import",
            DEMO_CSV,
            "--id",
            "respondent_id",
            "--text",
            "answer",
            "--unit",
            "sentence",
            project=tmp_path / name,
        )
        ids.append(
            [
                u["id"]
                for u in json.loads(cli("units", "--json", "--limit", "0", project=tmp_path / name).stdout)
            ]
        )
    assert ids[0] == ids[1]
    assert len(set(ids[0])) == len(ids[0]) > 120


def test_duplicate_ids_are_refused_or_deduplicated(cli, tmp_path):
    path = write(tmp_path / "dup.csv", "id,answer\nA,one\nB,two\nA,three\n")
    cli("init")
    result = cli("import", path, "--id", "id", "--text", "answer")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: dup.csv: respondent id 'A' appears in rows 2, 4 (make the ids unique, or pass --dedupe "
        "first|last to keep one row per id)"
    )
    assert counts(cli)["respondents"] == 0
    result = cli("import", path, "--id", "id", "--text", "answer", "--dedupe", "last")
    assert result.exit_code == 0
    assert sorted(u["text"] for u in json.loads(cli("units", "--json").stdout)) == ["three", "two"]


# --- bad input: one line, non-zero exit, nothing changed -------------------------------------------------


def assert_refused(cli, args, message):
    before = counts(cli)
    result = cli("import", *args)
    assert result.exit_code == 2, result
    assert result.stdout == ""
    assert result.stderr.strip() == f"error: {message}"
    assert "Traceback" not in result.stderr
    after = counts(cli)
    assert after == before


def test_missing_file(cli, tmp_path):
    cli("init")
    assert_refused(
        cli,
        [tmp_path / "nope.csv", "--text", "a"],
        f"file not found: {tmp_path / 'nope.csv'} (check the path)",
    )


def test_unknown_column_lists_columns(cli, survey):
    cli("init")
    assert_refused(
        cli,
        [survey, "--id", "id", "--text", "answr"],
        "column 'answr' (from --text) not found in survey.csv (did you mean 'answer'? "
        "columns are: id, role, answer, other)",
    )
    assert_refused(
        cli,
        [survey, "--id", "ident", "--text", "answer"],
        "column 'ident' (from --id) not found in survey.csv (columns are: id, role, answer, other)",
    )


def test_missing_text_option(cli, survey):
    cli("init")
    assert_refused(
        cli,
        [survey, "--id", "id"],
        "name the open-ended question column(s) with --text (columns in survey.csv are: "
        "id, role, answer, other)",
    )


def test_header_only(cli, tmp_path):
    cli("init")
    path = write(tmp_path / "header.csv", "id,answer\n")
    assert_refused(
        cli,
        [path, "--text", "answer"],
        "header.csv has a header but no rows (expected one row per respondent below it)",
    )
    empty = write(tmp_path / "empty.csv", "")
    assert_refused(
        cli,
        [empty, "--text", "answer"],
        "empty.csv is empty (expected a header row and one row per respondent)",
    )


def test_undecodable_bytes(cli, tmp_path):
    cli("init")
    path = tmp_path / "bad.csv"
    path.write_bytes(b"id,answer\nA,fine\nB,bad \x81 byte\n")
    assert_refused(
        cli,
        [path, "--text", "answer"],
        "bad.csv: line 3 has bytes that are neither UTF-8 nor Windows-1252 (byte 0x81 at offset 23; "
        "re-save the file as UTF-8, or pass --encoding)",
    )


def test_huge_cell(cli, tmp_path):
    cli("init")
    path = write(tmp_path / "huge.csv", "id,answer\nA,short\nB," + "x" * 3_000_000 + "\n")
    assert_refused(
        cli,
        [path, "--id", "id", "--text", "answer"],
        "huge.csv: row 3, column 'answer' holds 3.0 MB, more than the 1 MB one answer may hold "
        "(is a quote left open on an earlier row? fix the file and import again)",
    )


def test_blank_respondent_ids(cli, tmp_path):
    cli("init")
    path = write(tmp_path / "blank.csv", "id,answer\nA,one\n,two\n  ,three\n")
    assert_refused(
        cli,
        [path, "--id", "id", "--text", "answer"],
        "blank.csv: the respondent id (column 'id') is blank in rows 3, 4 (fill them in, or leave out "
        "--id to number respondents by row)",
    )


def test_changed_answer_rolls_back_the_whole_import(cli, survey, tmp_path):
    cli("init")
    cli("import", survey, "--id", "id", "--text", "answer")
    changed = write(
        tmp_path / "changed.csv",
        "id,role,answer,other\nR7,trainee,New person.,x\nR1,trainee,A different answer.,x\n",
    )
    assert_refused(
        cli,
        [changed, "--id", "id", "--text", "answer"],
        "changed.csv: row 3: the answer of respondent 'R1' to 'answer' differs from the one already in "
        "the project (import changed answers into a new project, or give the respondents new ids)",
    )


def test_not_a_project_and_newer_schema(cli, tmp_path, survey):
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    result = cli("import", survey, "--text", "answer", project=foreign)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {foreign} is not a thematic project (it is an SQLite database of another application; "
        "pass --project with the right file, or run `thematic init` to make a new one)"
    )
    text_file = write(tmp_path / "notes.db", "just some text, not a database at all" * 10)
    result = cli("status", project=text_file)
    assert result.stderr.strip() == (
        f"error: {text_file} is not a thematic project (it is not an SQLite database; pass --project with "
        "the right file, or run `thematic init` to make a new one)"
    )

    cli("init")
    from thematic.store.project import schema_version

    SCHEMA_VERSION = schema_version()

    conn = sqlite3.connect(tmp_path / "thematic.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    result = cli("status")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {tmp_path / 'thematic.db'} was written by a newer thematic "
        f"(schema version {SCHEMA_VERSION + 5}; "
        f"this thematic knows up to {SCHEMA_VERSION}) (upgrade thematic to open it)"
    )


def test_missing_project(cli, tmp_path, survey):
    result = cli("import", survey, "--text", "answer")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: no thematic project at {tmp_path / 'thematic.db'} (run `thematic init` to create one, "
        "or pass --project PATH / set THEMATIC_PROJECT)"
    )
    assert not (tmp_path / "thematic.db").exists()
