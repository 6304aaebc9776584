"""QualCoder, the real client, as referee (opt-in): its own REFI-QDA import of thematic's export must
keep every source, code and coding, and its own re-export must merge back with nothing changed.

Runs only where QualCoder is set up (QUALCODER_SRC and QUALCODER_PYTHON, see docs/exports.md) and is
skipped with the reason elsewhere; `make interop` runs the full table (benchmarks/bench_interop.py).
Select with `pytest -m qualcoder`.
"""

from __future__ import annotations

import pytest

from benchmarks.bench_interop import compare, qualcoder_round_trip, qualcoder_setup, referee
from tests.export.refi_interop import build_interop
from thematic.export.refi import export_refi

SETUP = qualcoder_setup()
pytestmark = [
    pytest.mark.qualcoder,
    pytest.mark.skipif(isinstance(SETUP, str), reason=f"QualCoder not set up: {SETUP}"),
]


def test_qualcoder_imports_thematic_export_and_its_reexport_merges_back(tmp_path):
    project = build_interop(tmp_path / "interop.db")
    export_refi(project, tmp_path / "interop.qdpx")
    project.close()
    report = referee(SETUP, tmp_path / "interop.qdpx")
    assert report["exit"] == 0 and report["checks"]["passed"], report.get("checks") or report.get("error")
    assert report["messages"]["uncaught"] == []
    trip = qualcoder_round_trip(SETUP, tmp_path / "interop.qdpx", tmp_path / "back.qdpx")
    assert trip["ok"], trip.get("error")
    work = tmp_path / "work"
    work.mkdir()
    result = compare(tmp_path / "interop.db", tmp_path / "back.qdpx", work)
    new, merge = result["new_project"], result["merge"]
    counts = (new["decisions_lost"], new["decisions_extra"], new["decisions_changed"], new["notes_changed"])
    assert counts == (0, 0, 0, 0)
    assert new["unit_ids_same"] and new["attributes_same"] and new["codebook_same_but_colours"]
    assert (merge["decisions_added"], merge["units_added"], merge["second_merge_added"]) == (0, 0, 0)
    assert merge["codebook_version"] == [1, 1]
