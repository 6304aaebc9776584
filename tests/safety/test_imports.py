"""Issue 14.4: survey files with structural damage or mixed encodings are refused with their row or
line, and the project is left as it was; UTF-16 files with a byte order mark are read."""

from __future__ import annotations

import pytest

from tests.safety.conftest import snapshot

HEADER = "respondent_id,role,answer\n"

DAMAGED = {
    "unclosed quote": (
        HEADER + 'R1,trainee,"It could help\nR2,qualified,Never.\nR3,trainee,Maybe.\n',
        "survey.csv: line 2 (row 2) opens a quote that is never closed: everything after it would become "
        'one answer (close the quote, or write a quote inside an answer as "")',
    ),
    "two stray quotes swallow rows": (
        HEADER + 'R1,trainee,"It could help\nR2,qualified,Never.\nR3,trainee,Maybe" later\n',
        "survey.csv: line 4 (row 2) is not valid CSV (',' expected after '\"'; a field that starts with a "
        'quote must end with one, and a quote inside it is written "")',
    ),
    "quoted rows inside one answer": (
        HEADER + 'R1,trainee,"It could help\nR2,qualified,Never.\nR3,trainee,Maybe"\nR4,x,y\n',
        "survey.csv: row 2 (line 2), column 'answer' holds what looks like whole rows of the file",
    ),
    "duplicate header": (
        "respondent_id,answer,answer\nR1,first,second\n",
        "survey.csv: columns 2 and 3 are both named 'answer' (rename one in the header row",
    ),
    "row longer than the header": (
        HEADER + "R1,trainee,It helps, sometimes\nR2,qualified,Never.\n",
        "survey.csv: row 2 (line 2) has 4 fields but the header has 3 (a comma inside an answer that is "
        "not quoted?",
    ),
    "row shorter than the header": (
        HEADER + "R1,trainee,It helps\nsometimes\nR2,qualified,Never.\n",
        "survey.csv: row 3 (line 3) has 1 field but the header has 3 (a line break inside an answer",
    ),
    "NUL byte": (
        HEADER + "R1,trainee,It\x00 helps\n",
        "survey.csv: line 2 holds a NUL byte",
    ),
}


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_structural_damage_is_refused_with_its_row(small, cli, case):
    text, message = DAMAGED[case]
    bad = small.folder / "more" / "survey.csv"
    bad.parent.mkdir()
    bad.write_text(text, encoding="utf-8")
    before = snapshot(small.path)
    result = cli("import", bad, "--id", "respondent_id", "--text", "answer")
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith(f"error: {message}"), result.stderr
    assert snapshot(small.path) == before


def test_a_file_mixing_utf8_and_cp1252_is_refused_naming_the_first_bad_line(small, cli):
    raw = (HEADER + "R1,trainee,Ça dépend.\n").encode("utf-8") + "R2,qualified,It’s naïve.\n".encode("cp1252")
    bad = small.folder / "mixed.csv"
    bad.write_bytes(raw)
    before = snapshot(small.path)
    result = cli("import", bad, "--id", "respondent_id", "--text", "answer")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: mixed.csv: line 3 is not UTF-8, but line 2 is: the file mixes UTF-8 and another encoding"
    )
    assert snapshot(small.path) == before


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_a_byte_order_mark_are_read(cli, tmp_path, encoding):
    path = tmp_path / "wide.csv"
    text = HEADER + "R1,trainee,Ça dépend 🙂\n"
    raw = text.encode(encoding)
    if encoding == "utf-16-be":
        raw = b"\xfe\xff" + raw
    path.write_bytes(raw)
    assert cli("init").exit_code == 0
    result = cli("import", path, "--id", "respondent_id", "--text", "answer")
    assert result.exit_code == 0, result.stderr
    assert "Ça dépend 🙂" in cli("units").stdout


def test_utf16_without_a_byte_order_mark_is_named(cli, tmp_path):
    path = tmp_path / "nobom.csv"
    path.write_bytes((HEADER + "R1,trainee,yes\n").encode("utf-16-le"))
    assert cli("init").exit_code == 0
    result = cli("import", path, "--id", "respondent_id", "--text", "answer")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: nobom.csv looks like UTF-16-LE text without a byte order mark (pass --encoding utf-16-le, "
        "or re-save the file as UTF-8)\n"
    )


def test_xlsx_formula_without_a_saved_value_is_refused(cli, tmp_path):
    import openpyxl

    path = tmp_path / "formulas.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["respondent_id", "answer"])
    sheet.append(["R1", "A plain answer."])
    sheet.append(["R2", '=CONCAT("It could ", "help")'])  # openpyxl saves no cached value
    book.save(path)
    assert cli("init").exit_code == 0
    result = cli("import", path, "--id", "respondent_id", "--text", "answer")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: formulas.xlsx: row 3, column 'answer' holds a formula (=CONCAT(\"It could \", \"help\")) "
        "with no saved value"
    )
    assert cli("status", "--json").stdout.count('"respondents": 0') == 1


def test_xlsx_duplicate_header_and_jsonl_nul_are_refused(cli, tmp_path):
    import openpyxl

    path = tmp_path / "dup.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["respondent_id", "answer", "answer"])
    book.active.append(["R1", "a", "b"])
    book.save(path)
    assert cli("init").exit_code == 0
    result = cli("import", path, "--id", "respondent_id", "--text", "answer")
    assert result.exit_code == 2
    assert "dup.xlsx: columns 2 and 3 are both named 'answer'" in result.stderr
    jsonl = tmp_path / "nul.jsonl"
    jsonl.write_text('{"respondent_id": "R1", "answer": "bad\\u0000text"}\n', encoding="utf-8")
    result = cli("import", jsonl, "--id", "respondent_id", "--text", "answer")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: nul.jsonl: line 1, column 'answer' holds a NUL character")
