"""Spreadsheet safety: survey text is written so that Excel and LibreOffice show it, never evaluate it.

A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
spreadsheet programs as a formula (a "CSV injection" or "formula injection": ``=HYPERLINK(...)`` or
``=cmd|...`` typed into a survey box). thematic guards every text it writes:

* **xlsx**: the cell is set explicitly as a string (never a formula) and given the ``quotePrefix``
  style, the flag Excel sets itself when you type ``'=1+1``. The text is kept exactly as typed.
* **csv**: the text gets a single quote in front (``'=1+1``), as OWASP recommends; a program that
  reads the CSV as data (R, pandas, SPSS) sees that quote, so strip it there if it matters
  (:func:`unguard_csv`).

Numbers are written as numbers and are not touched. Characters that the xlsx format cannot hold
(control characters other than tab, newline and carriage return) are left out of xlsx cells.

>>> guard_csv("=1+1")
"'=1+1"
>>> guard_csv("-5 stars, would not use")
"'-5 stars, would not use"
>>> guard_csv("fine as it is")
'fine as it is'
>>> unguard_csv(guard_csv("@SUM(A1)"))
'@SUM(A1)'
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_MAX_CHARS = 32_767


def looks_like_formula(text: str) -> bool:
    """True when a spreadsheet would read ``text`` as a formula."""
    return isinstance(text, str) and text.startswith(FORMULA_START)


def guard_csv(value):
    """``value`` for a CSV cell: a text that could start a formula gets a ``'`` in front."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


def guard_csv_value(value):
    """:func:`guard_csv` for tables of statistics: a string that is a plain number (``-0.25``, ``+3``)
    stays as it is, for R and pandas to read as a number; any other text is guarded.

    >>> guard_csv_value("-0.25"), guard_csv_value("=cmd|' /C calc'!A0"), guard_csv_value(-3)
    ('-0.25', "'=cmd|' /C calc'!A0", -3)
    """
    if isinstance(value, str) and looks_like_formula(value):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def unguard_csv(value):
    """Undo :func:`guard_csv` (for reading thematic's own CSV back)."""
    if isinstance(value, str) and value.startswith("'") and looks_like_formula(value[1:]):
        return value[1:]
    return value


def xlsx_text(text: str) -> str:
    """``text`` as an xlsx cell can hold it: control characters out, at most 32,767 characters."""
    text = _ILLEGAL_XLSX.sub("", text)
    return text if len(text) <= XLSX_MAX_CHARS else text[: XLSX_MAX_CHARS - 1] + "…"


def set_cell(ws, row: int, column: int, value):
    """Write ``value`` to a worksheet cell safely; returns the cell.

    Text is always a string cell (``data_type = "s"``), so openpyxl never turns ``=...`` into a
    formula; text that looks like one also gets the ``quotePrefix`` style. None leaves the cell empty;
    numbers and booleans are written as they are.
    """
    cell = ws.cell(row=row, column=column)
    if value is None:
        return cell
    if isinstance(value, str):
        text = xlsx_text(value)
        cell.value = text
        cell.data_type = "s"
        if looks_like_formula(text):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell
