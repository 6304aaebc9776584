"""`export quotes`: the quote bank, a sheet or section per theme, with survey text escaped."""

from __future__ import annotations

import pytest

from tests.export.conftest import THEMES
from thematic.errors import ThematicError
from thematic.export.quotes import export_quotes, md_escape


def test_xlsx_has_an_index_and_a_sheet_per_theme(study, tmp_path):
    from openpyxl import load_workbook

    from thematic.store.decisions import current_codings

    summary = export_quotes(study, tmp_path / "q.xlsx", coder="consensus")
    wb = load_workbook(tmp_path / "q.xlsx")
    assert wb.sheetnames == [
        "index",
        "Negative responses",
        "Possibilities of AI",
        "Mixed support",
        "Therapeutic risks",
    ]
    index = [[c.value for c in row] for row in wb["index"].iter_rows(min_row=2)]
    assert [r[0] for r in index] == THEMES
    codings = current_codings(study, "consensus")
    for theme_id, name, excerpts, _, sheet in index:
        ws = wb[sheet]
        assert ws["A1"].value == name
        assert ws["A2"].value.startswith("The respondent")
        header = [c.value for c in ws[5]]
        assert (
            header[0] == "respondent_id" and "excerpt" in header and header[-2:] == ["unit_id", "question_id"]
        )
        units = [row[header.index("unit_id")].value for row in ws.iter_rows(min_row=6)]
        assert sorted(units) == sorted(u for u, t in codings.items() if theme_id in t)
        assert excerpts == len(units)
    assert summary.excerpts == sum(r[2] for r in index)


def test_markdown_has_a_section_per_theme_and_escapes_survey_text(hostile, tmp_path):
    export_quotes(hostile, tmp_path / "q.md", coder="ana", attributes=["role"])
    text = (tmp_path / "q.md").read_text(encoding="utf-8")
    assert text.startswith("# Quote bank: Therapists' attitudes towards AI in therapy\n")
    for name in ("Negative responses", "Possibilities of AI", "Mixed support", "Therapeutic risks"):
        assert f"\n## {name}\n" in text
    assert "<script>" not in text and "[b]" not in text
    assert r"> \<script\>alert('pwned')\</script\> I think \[b\]bold\[/b\]" in text
    assert "> — H01 (role: trainee)" in text
    assert r"> \-1 for the idea. \<b\>No\</b\> chance" in text
    assert "approach:" not in text


def test_md_escape_keeps_plain_text_readable():
    assert md_escape("It's fine, really (mostly).") == "It's fine, really (mostly)."
    assert md_escape("# not a heading\n1. not a list") == "\\# not a heading\n\\1. not a list"


def test_errors(study, tmp_path):
    with pytest.raises(ThematicError) as info:
        export_quotes(study, tmp_path / "q.xlsx", coder="ana", attributes=["age"])
    assert info.value.message.startswith(
        "attribute 'age' not found (attributes are: role, approach, would_consider"
    )
    with pytest.raises(ThematicError) as info:
        export_quotes(study, tmp_path / "q.csv", coder="ana")
    assert info.value.message == (
        "cannot tell the format of q.csv from its name (name the file .xlsx, .md, or pass --format xlsx|md)"
    )
