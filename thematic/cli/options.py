"""Options that several commands share, declared once: how to read a survey file (`import`, `run`,
`decisions import-wide`), and the import options built from them."""

from __future__ import annotations

import typer

SURVEY_FILE = typer.Argument(..., help="CSV, TSV, XLSX, JSONL, SPSS .sav or a Qualtrics CSV export.")
ID = typer.Option(None, "--id", help="Column with the respondent id (default: number rows).")
TEXT = typer.Option([], "--text", help="Open-ended question column; repeat for several.")
ATTR = typer.Option(None, "--attr",
                    help="Attribute column; repeat for several (default: every other column).")
UNIT = typer.Option("response", "--unit", help="Coding unit: response or sentence.")
DEDUPE = typer.Option(None, "--dedupe", help="Keep the first or last row of a repeated id.")
ITEM = typer.Option(None, "--item", help="Column numbering the items of a list answer: a respondent's rows "
                    "become one answer, one unit per item.")
QUESTION_COLUMN = typer.Option(None, "--question-column", help="A long file: the column naming each row's "
                               "question (--text names the answer column).")
SHEET = typer.Option(None, "--sheet", help="Worksheet of an .xlsx file (default: the first).")
FILE_FORMAT = typer.Option(None, "--format", help="csv, tsv, xlsx, jsonl or sav (default: from the name).")
ENCODING = typer.Option(None, "--encoding", help="Text encoding (default: detect).")


def import_options(*, id, text, attr, unit, dedupe, item, question_column, sheet, format, encoding):
    """The ImportOptions of `import` and `run`, from their shared options."""
    from thematic.ingest.importer import ImportOptions

    return ImportOptions(id_column=id, text_columns=list(text), attr_columns=list(attr) if attr else None,
                         unit=unit, dedupe=dedupe, item_column=item, question_column=question_column,
                         sheet=sheet, format=format, encoding=encoding)
