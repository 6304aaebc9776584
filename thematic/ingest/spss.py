"""SPSS ``.sav`` files (what survey platforms and MAXQDA exchange), read with pyreadstat.

Each variable is a column and each case a row. Where a variable has value labels, a cell holds the label
("Agree"), not the code (4): respondent attributes then read as the survey showed them, and a scale file
can name either (see docs/scales.md). Variable labels become question texts, as a Qualtrics export's
second header row does. Whole numbers print without ".0"; SPSS dates as ISO dates; missing values
(system- or user-missing) as empty cells.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from thematic.errors import ThematicError


def _cell(value, labels: dict | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if labels:
        label = labels.get(value)
        if label is None and isinstance(value, float) and value.is_integer():
            label = labels.get(int(value))
        if label is not None:
            return str(label)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if (value.hour, value.minute, value.second) != (0, 0, 0) \
            else value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def read_sav(path: Path):
    """The .sav file as a :class:`thematic.ingest.readers.Table` of strings."""
    import pyreadstat

    from thematic.ingest.readers import Table

    try:
        frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    except Exception as exc:  # pyreadstat raises its own ReadstatError, or OSError, for a damaged file
        raise ThematicError(
            f"{path.name} is not a readable SPSS .sav file ({exc}; re-save it from SPSS or PSPP)"
        ) from None
    columns = [str(name).strip() for name in meta.column_names]
    value_labels = meta.variable_value_labels or {}
    per_column = [value_labels.get(name) for name in meta.column_names]
    rows = [
        [_cell(value, labels) for value, labels in zip(record, per_column, strict=True)]
        for record in frame.itertuples(index=False, name=None)
    ]
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    table = Table(path, "sav", columns, rows, first_row_number=1)
    table.question_texts = {
        name: label.strip()
        for name, label in zip(columns, meta.column_labels or [], strict=False)
        if label and label.strip()
    }
    labelled = [name for name, labels in zip(columns, per_column, strict=True) if labels]
    if labelled:
        table.notes.append(
            f"{path.name}: value labels used for {len(labelled)} column{'s' if len(labelled) > 1 else ''} "
            f"({', '.join(labelled[:6])}{', ...' if len(labelled) > 6 else ''}): cells hold the labels"
        )
    return table
