"""Files of other shapes: long files (a question column), list answers (an item column), SPSS .sav; and
the import saying which attribute columns it took."""

from __future__ import annotations

import json

import pytest

from tests.ingest.test_import import counts, write

LONG = (
    "respondent,trust,question,answer\n"
    "P1,NEAS,What was good?,The crew were kind.\n"
    "P1,NEAS,What could we do better?,Shorter waits.\n"
    "P2,NHFT,What was good?,Everything.\n"
    "P3,NEAS,What could we do better?,\n"
    "P3,NEAS,What was good?,Friendly staff. Quick too.\n"
)

TOP3 = (
    "id,group,item,answer\n"
    "A,x,3,Cost\n"
    "A,x,1,Waiting lists\n"
    "A,x,2,No human contact\n"
    "B,y,1,Privacy\n"
    "B,y,10,Last one\n"
    "B,y,2,\n"
    "B,y,3,Second\n"
)


def units_of(cli) -> list[dict]:
    return json.loads(cli("units", "--json", "--limit", "0").stdout)


# -- the attributes the import took ----------------------------------------------------------------------
def test_import_names_the_attribute_columns(cli, tmp_path):
    path = write(tmp_path / "s.csv", "id,role,answer,coder_1\nR1,trainee,Yes.,risks\nR2,qualified,No.,\n")
    cli("init")
    result = cli("import", path, "--id", "id", "--text", "answer")
    assert "attributes: role, coder_1 (every other column; choose them with --attr NAME)\n" in result.stdout
    assert json.loads(cli("status", "--json").stdout)["respondents"] == 2
    other = tmp_path / "other.db"
    cli("init", project=other)
    result = cli("import", path, "--id", "id", "--text", "answer", "--attr", "role", "--json", project=other)
    summary = json.loads(result.stdout)
    assert (summary["attributes"], summary["attributes_chosen"]) == (["role"], True)


# -- long files: --question-column ------------------------------------------------------------------------
def test_question_column_makes_each_value_a_question(cli, tmp_path):
    path = write(tmp_path / "long.csv", LONG)
    cli("init")
    result = cli("import", path, "--id", "respondent", "--text", "answer", "--question-column", "question",
                 "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["rows"], summary["respondents_total"], summary["units"]) == (5, 3, 4)
    assert [(q["question"], q["responses"], q["skipped_empty"]) for q in summary["questions"]] == [
        ("What was good?", 3, 0), ("What could we do better?", 1, 1)]
    assert summary["attributes"] == ["trust"]                   # neither the question nor the answer
    info = counts(cli)
    assert [(q["question"], q["responses"]) for q in info["questions"]] == [
        ("What was good?", 3), ("What could we do better?", 1)]
    p1 = sorted((u["question_id"], u["text"]) for u in units_of(cli) if u["respondent_id"] == "P1")
    assert p1 == [("What could we do better?", "Shorter waits."), ("What was good?", "The crew were kind.")]
    shown = json.loads(cli("show", units_of(cli)[0]["id"], "--json").stdout)
    assert shown["attributes"] == {"trust": "NEAS"}


def test_question_column_refusals_change_nothing(cli, tmp_path):
    cli("init")
    before = counts(cli)
    twice = write(tmp_path / "twice.csv", LONG + "P2,NHFT,What was good?,Again.\n")
    result = cli("import", twice, "--id", "respondent", "--text", "answer", "--question-column", "question")
    assert (result.exit_code, result.stderr) == (2, (
        "error: twice.csv: respondent id 'P2' with question 'What was good?' appears in rows 4, 7 (each "
        "respondent needs one row per question and item; fix the file, or pass --dedupe first|last to keep "
        "one of them)\n"))
    blank = write(tmp_path / "blank.csv", LONG + "P4,NEAS,,An answer to nothing.\n")
    result = cli("import", blank, "--id", "respondent", "--text", "answer", "--question-column", "question")
    assert result.stderr == (
        "error: blank.csv: row 7: the question (column 'question') is blank but the answer is not (fill it "
        "in, or leave the row out)\n")
    result = cli("import", blank, "--id", "respondent", "--text", "answer", "--text", "trust",
                 "--question-column", "question")
    assert result.stderr == (
        "error: --question-column question names each row's question, so --text names the one answer "
        "column (got 2: answer, trust)\n")
    result = cli("import", blank, "--text", "answer", "--question-column", "question")
    assert result.stderr == (
        "error: --question-column needs --id (a respondent's rows are found by their id)\n")
    result = cli("import", blank, "--id", "respondent", "--text", "answer", "--question-column", "answer")
    assert result.stderr == (
        "error: column 'answer' is given as both --text and --question-column (choose one)\n")
    assert counts(cli) == before
    last = cli("import", twice, "--id", "respondent", "--text", "answer", "--question-column", "question",
               "--dedupe", "last", "--json")
    assert json.loads(last.stdout)["dropped_duplicates"] == 1
    p2 = [u["text"] for u in units_of(cli) if u["respondent_id"] == "P2"]
    assert p2 == ["Again."]


# -- list answers: --item ---------------------------------------------------------------------------------
def test_items_of_a_list_answer_are_units_of_one_response(cli, tmp_path):
    path = write(tmp_path / "top3.csv", TOP3)
    cli("init")
    result = cli("import", path, "--id", "id", "--text", "answer", "--item", "item", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["respondents_total"], summary["units"], summary["attributes"]) == (2, 6, ["group"])
    q = summary["questions"][0]
    assert (q["responses"], q["items"], q["skipped_empty"], q["units"]) == (2, 6, 1, 6)
    info = counts(cli)
    assert (info["respondents"], info["responses"], info["units"]) == (2, 2, 6)
    units = units_of(cli)
    a = [u for u in units if u["respondent_id"] == "A"]
    assert [u["text"] for u in a] == ["Waiting lists", "No human contact", "Cost"]   # in item order
    response = json.loads(cli("show", a[0]["id"], "--json").stdout)["response"]
    assert response == "Waiting lists\nNo human contact\nCost"
    assert [response[u["start"]:u["end"]] for u in a] == [u["text"] for u in a]
    assert [u["text"] for u in units if u["respondent_id"] == "B"] == ["Privacy", "Second", "Last one"]


def test_items_split_into_sentences_keep_offsets(cli, tmp_path):
    path = write(tmp_path / "top.csv", "id,item,answer\nA,2,Cost. Also price.\nA,1,Waiting lists.\n")
    cli("init")
    result = cli("import", path, "--id", "id", "--text", "answer", "--item", "item", "--unit", "sentence")
    assert result.exit_code == 0, result.stderr
    units = units_of(cli)
    response = json.loads(cli("show", units[0]["id"], "--json").stdout)["response"]
    assert response == "Waiting lists.\nCost. Also price."
    assert [(u["start"], u["end"], u["text"]) for u in units] == [
        (0, 14, "Waiting lists."), (15, 20, "Cost."), (21, 32, "Also price.")]


def test_a_repeated_item_is_refused(cli, tmp_path):
    path = write(tmp_path / "top.csv", TOP3 + "A,x,2,Again\n")
    cli("init")
    result = cli("import", path, "--id", "id", "--text", "answer", "--item", "item")
    assert (result.exit_code, result.stderr) == (2, (
        "error: top.csv: respondent id 'A' with item '2' appears in rows 4, 9 (each respondent needs one row "
        "per question and item; fix the file, or pass --dedupe first|last to keep one of them)\n"))
    assert counts(cli)["respondents"] == 0
    result = cli("import", path, "--text", "answer", "--item", "item")
    assert result.stderr == "error: --item needs --id (a respondent's rows are found by their id)\n"


# -- SPSS .sav --------------------------------------------------------------------------------------------
@pytest.fixture
def sav(tmp_path):
    import pandas as pd
    import pyreadstat

    frame = pd.DataFrame({
        "id": ["R1", "R2", "R3"],
        "role": [1.0, 2.0, float("nan")],
        "q1": [5.0, 1.0, 3.0],
        "answer": ["It could help with waiting lists.", "Never.", ""],
        "age": [34.0, 51.5, 40.0],
    })
    path = tmp_path / "survey.sav"
    pyreadstat.write_sav(
        frame, str(path),
        column_labels=["Respondent", "Role", "I trust AI", "Anything else about AI in therapy?", "Age"],
        variable_value_labels={"role": {1.0: "trainee", 2.0: "qualified"},
                               "q1": {1.0: "Strongly disagree", 5.0: "Strongly agree"}},
    )
    return path


def test_spss_sav_keeps_value_labels(cli, sav):
    cli("init")
    result = cli("import", sav, "--id", "id", "--text", "answer")
    assert result.exit_code == 0, result.stderr
    assert "survey.sav: value labels used for 2 columns (role, q1): cells hold the labels\n" in result.stderr
    assert "imported survey.sav (sav, 3 rows): 3 respondents (3 new)" in result.stdout
    info = counts(cli)
    assert info["questions"] == [{"question": "answer", "text": "Anything else about AI in therapy?",
                                  "responses": 2, "units": 2}]
    shown = {u["respondent_id"]: json.loads(cli("show", u["id"], "--json").stdout)["attributes"]
             for u in units_of(cli)}
    assert shown["R1"] == {"role": "trainee", "q1": "Strongly agree", "age": "34"}
    assert shown["R2"] == {"role": "qualified", "q1": "Strongly disagree", "age": "51.5"}


def test_a_damaged_sav_is_one_line(cli, tmp_path):
    bad = write(tmp_path / "bad.sav", "not an SPSS file")
    cli("init")
    result = cli("import", bad, "--id", "id", "--text", "answer")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: bad.sav is not a readable SPSS .sav file (")
    assert result.stderr.endswith("; re-save it from SPSS or PSPP)\n") and result.stderr.count("\n") == 1


def test_choice_options_name_their_choices(cli, tmp_path):
    path = write(tmp_path / "s.csv", "id,answer\nA,Yes.\nA,No.\n")
    cli("init")
    result = cli("import", path, "--id", "id", "--text", "answer", "--unit", "word")
    assert (result.exit_code, result.stderr) == (
        2, "error: --unit must be response or sentence, not 'word'\n")
    result = cli("import", path, "--id", "id", "--text", "answer", "--dedupe", "middle")
    assert result.stderr == "error: --dedupe must be first or last, not 'middle'\n"
    assert counts(cli)["respondents"] == 0
