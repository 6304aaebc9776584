"""`export units`: long and wide tables, per unit and per response, for humans, consensus and the machine."""

from __future__ import annotations

import csv
import json
import re

import pytest

from tests.export.conftest import KEY, THEMES, ben
from thematic.errors import ThematicError
from thematic.export.units import export_units


def read_csv(path):
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_long_csv_has_one_row_per_unit_and_theme(study, tmp_path):
    from thematic.store.decisions import current_codings

    summary = export_units(study, tmp_path / "long.csv", coder="ana")
    rows = read_csv(tmp_path / "long.csv")
    codings = current_codings(study, "ana")
    expected = sum(max(1, len(t)) for t in codings.values())
    assert summary.rows == len(rows) == expected
    assert list(rows[0])[:5] == ["unit_id", "respondent_id", "question_id", "role", "approach"]
    assert list(rows[0])[-8:] == [
        "text",
        "start",
        "end",
        "theme_id",
        "theme_name",
        "coder",
        "decided_at",
        "machine_score",
    ]
    got: dict[str, set] = {}
    for row in rows:
        got.setdefault(row["unit_id"], set())
        if row["theme_id"]:
            got[row["unit_id"]].add(row["theme_id"])
    assert got == {u: set(t) for u, t in codings.items()}
    r002 = next(r for r in rows if r["respondent_id"] == "R002")
    assert r002["theme_name"] == "Negative responses" and r002["coder"] == "ana" and r002["role"] == "trainee"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", r002["decided_at"])
    assert 0 <= float(r002["machine_score"]) <= 1
    assert int(r002["start"]) == 0 and int(r002["end"]) == len(r002["text"])


def test_no_theme_units_get_one_row_with_an_empty_theme(study, tmp_path):
    export_units(study, tmp_path / "long.csv", coder="consensus")
    empty = [r for r in read_csv(tmp_path / "long.csv") if not r["theme_id"]]
    from thematic.store.corpus import list_units

    answered = {u.respondent_id for u in list_units(study)}
    none_key = {r for r, t in KEY.items() if not t and r in answered}
    assert {r["respondent_id"] for r in empty} == none_key
    assert all(r["theme_name"] == "" for r in empty)


def test_wide_per_unit_matches_codings_and_leaves_uncoded_units_empty(study, tmp_path):
    export_units(study, tmp_path / "wide.csv", coder="ben", layout="wide")
    rows = read_csv(tmp_path / "wide.csv")
    from thematic.store.corpus import list_units

    assert list(rows[0])[-4:] == THEMES
    by_respondent = {r["respondent_id"]: r for r in rows}
    assert len(rows) == len(list_units(study))
    r007 = by_respondent["R007"]
    assert r007["coded"] == "1"
    assert {t for t in THEMES if r007[t] == "1"} == set(ben("R007", KEY["R007"]))
    r100 = by_respondent["R100"]  # ben coded R001-R080 only
    assert r100["coded"] == "0" and all(r100[t] == "" for t in THEMES)


def test_wide_per_response(study, tmp_path):
    summary = export_units(study, tmp_path / "resp.xlsx", coder="consensus", layout="wide", level="response")
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "resp.xlsx")
    assert wb.sheetnames == ["responses", "codebook"]
    ws = wb["responses"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["respondent_id", "question_id", "role"]
    assert header[-9:] == ["text", "units", "coded_units", "coder", "coded", *THEMES]
    rows = [dict(zip(header, [c.value for c in row], strict=True)) for row in ws.iter_rows(min_row=2)]
    assert len(rows) == summary.rows == study.scalar("SELECT COUNT(*) FROM responses")
    r004 = next(r for r in rows if r["respondent_id"] == "R004")
    assert {t for t in THEMES if r004[t] == 1} == set(KEY["R004"])
    assert [c.value for c in wb["codebook"][1]] == [
        "theme_id",
        "theme_name",
        "parent_id",
        "definition",
        "in_current_codebook",
    ]


def test_machine_codings_and_json(study, tmp_path):
    from thematic.store.ml import machine_codings

    export_units(study, tmp_path / "m.json", coder="machine", layout="wide")
    doc = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert doc["coder"] == "machine" and doc["layout"] == "wide" and doc["codebook"]["name"] == "ai-therapy"
    assert [t["id"] for t in doc["themes"]] == THEMES
    codings = machine_codings(study)
    for row in doc["rows"]:
        assert {t for t in THEMES if row[t] == 1} == set(codings[row["unit_id"]])


def test_formats_agree(study, tmp_path):
    from openpyxl import load_workbook

    export_units(study, tmp_path / "a.csv", coder="ana")
    export_units(study, tmp_path / "a.json", coder="ana")
    export_units(study, tmp_path / "a.xlsx", coder="ana")
    from_csv = [(r["unit_id"], r["theme_id"]) for r in read_csv(tmp_path / "a.csv")]
    doc = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    from_json = [(r["unit_id"], r["theme_id"] or "") for r in doc["rows"]]
    ws = load_workbook(tmp_path / "a.xlsx")["units"]
    header = [c.value for c in ws[1]]
    from_xlsx = [
        (row[header.index("unit_id")].value, row[header.index("theme_id")].value or "")
        for row in ws.iter_rows(min_row=2)
    ]
    assert from_csv == from_json == from_xlsx


def test_question_filter(study, tmp_path):
    summary = export_units(study, tmp_path / "q.csv", coder="ana", question="answer")
    assert summary.units == study.scalar("SELECT COUNT(*) FROM units")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"coder": "zoe"},
            "coder 'zoe' has no decisions in this project (coders: ana, ben, consensus; "
            "or --coder machine for the machine's suggestions)",
        ),
        ({"coder": "ana", "layout": "tall"}, "--layout must be long or wide, not 'tall'"),
        ({"coder": "ana", "layout": "wide", "level": "word"}, "--level must be unit or response, not 'word'"),
        (
            {"coder": "ana", "level": "response"},
            "--level response needs --layout wide (long rows are always one per unit x theme)",
        ),
        ({"coder": "ana", "fmt": "sav"}, "--format must be one of csv, xlsx, json, not 'sav'"),
        ({"coder": "ana", "question": "nope"}, "question 'nope' is not in this project (questions: answer)"),
    ],
)
def test_bad_input_is_refused_and_no_file_is_left(study, tmp_path, kwargs, message):
    with pytest.raises(ThematicError, match=re.escape(message)) as info:
        export_units(study, tmp_path / "x.csv", **kwargs)
    assert info.value.message == message
    assert list(tmp_path.glob("x.csv*")) == [] and list(tmp_path.glob(".x.csv*")) == []


def test_unknown_suffix_and_missing_folder(study, tmp_path):
    with pytest.raises(ThematicError) as info:
        export_units(study, tmp_path / "x.txt", coder="ana")
    assert info.value.message == (
        "cannot tell the format of x.txt from its name (name the file .csv, .xlsx, "
        ".json, or pass --format csv|xlsx|json)"
    )
    with pytest.raises(ThematicError) as info:
        export_units(study, tmp_path / "nope" / "x.csv", coder="ana")
    assert (
        info.value.message
        == f"folder {tmp_path / 'nope'} does not exist (create it first, or choose another --out)"
    )


def test_machine_without_a_suggest_run(demo_project, tmp_path):
    with pytest.raises(ThematicError) as info:
        export_units(demo_project, tmp_path / "x.csv", coder="machine")
    assert info.value.message == (
        "the machine has no suggestions yet (run `thematic suggest` first, or choose a "
        "coder with --coder NAME)"
    )
    with pytest.raises(ThematicError) as info:
        export_units(demo_project, tmp_path / "x.csv", coder="ana")
    assert info.value.message == (
        "coder 'ana' has no decisions in this project (coders: nobody has coded yet; "
        "or --coder machine for the machine's suggestions)"
    )
