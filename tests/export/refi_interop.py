"""A small project that exercises everything a REFI-QDA round trip must carry: two questions, sentence
units, three coders, notes, "no theme applies", respondent attributes, a long respondent id and text
outside the Basic Multilingual Plane (emoji, a joined emoji, Chinese). Built the same way every time
(fixed uuids and times), so a file another tool exported from it can be merged back into a fresh build.

tests/fixtures/refi-qda/qualcoder/interop-roundtrip.qdpx is QualCoder's own export of this project after
its own import (made with benchmarks/interop/qualcoder_roundtrip.py; see the README there).
"""

from __future__ import annotations

import csv
from pathlib import Path

LONG_ID = "respondent-2024-wave3-" + "x" * 60
ROWS = [
    ("A1", "trainee", "It helps access. But it cannot read the room.", "Maybe for triage."),
    ("A2", "qualified", "No. Never.", "Clients deserve a person 🙂."),
    (
        "A3",
        "trainee",
        "能帮助等待名单上的人。但它没有同理心。",
        "👩‍⚕️ would still be needed. Data worries me.",
    ),
    (LONG_ID, "qualified", "Scary.", "It could help with waiting lists, but the bond matters."),
]
CODERS = ("ana", "ben", "consensus")


def build_interop(path: Path, copies: int = 1):
    """Create the project at ``path`` (a new file) and return it open; ``copies`` > 1 repeats the
    respondents under new ids (``A1-2``, ...) for a bigger project."""
    from tests.conftest import DEMO_CODEBOOK
    from thematic.codebook.load import load_codebook
    from thematic.ingest.importer import ImportOptions, import_file
    from thematic.review.decisions import Decision, derived_uuid
    from thematic.store.codebooks import use_codebook
    from thematic.store.corpus import list_units
    from thematic.store.decisions import record_many
    from thematic.store.project import create_project

    project, _ = create_project(path)
    table = path.parent / (path.stem + "-survey.csv")
    with table.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "role", "access", "concerns"])
        for k in range(copies):
            writer.writerows((f"{r[0]}-{k + 1}" if k else r[0], *r[1:]) for r in ROWS)
    import_file(
        project, table, ImportOptions(id_column="id", text_columns=["access", "concerns"], unit="sentence")
    )
    version = use_codebook(project, load_codebook(DEMO_CODEBOOK))
    themes = version.codebook.ids()
    decisions = []
    for i, unit in enumerate(list_units(project)):
        for j, coder in enumerate(CODERS):
            pick = (i + j) % 6
            chosen = set() if pick == 5 else {themes[pick % len(themes)]}
            if pick == 2:
                chosen.add(themes[(pick + 1) % len(themes)])
            note = f"{coder}: looked twice at «{unit.text[:12]}»" if (i + j) % 4 == 0 else None
            decisions.append(
                Decision.new(
                    coder,
                    unit.id,
                    chosen,
                    uuid=derived_uuid("interop", coder, unit.id),
                    at=f"2024-05-{1 + i % 28:02d}T10:{j:02d}:00.000000Z",
                    note=note,
                    codebook_hash=version.content_hash,
                )
            )
    record_many(project, decisions)
    return project
