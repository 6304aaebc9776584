"""The demo corpus's closed items: reproducible, documented, and shaped like the study's findings."""

from __future__ import annotations

import csv
import importlib.util

from tests.conftest import DEMO_CSV, REPO
from tests.scales.conftest import DEMO_KEY

WAI = [f"wai_{s}_{i}" for s in ("goal", "task", "bond") for i in range(1, 5)]
ATT = [f"att_{s}_{i}" for s in ("access", "general", "risks", "training") for i in range(1, 4)]


def test_generator_reproduces_both_files_byte_for_byte(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("make_ai_therapy", REPO / "corpora" / "make_ai_therapy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HERE", tmp_path)
    module.main()
    assert (tmp_path / "ai-therapy-survey.csv").read_bytes() == DEMO_CSV.read_bytes()
    assert (tmp_path / "ai-therapy-key.csv").read_bytes() == DEMO_KEY.read_bytes()


def test_closed_item_columns_follow_the_original_ones():
    with DEMO_CSV.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    header = list(rows[0])
    assert header == ["respondent_id", "role", "approach", "would_consider", "answer", *WAI, *ATT]
    counts = {v: sum(r["would_consider"] == v for r in rows) for v in ("yes", "maybe", "no")}
    assert counts == {"yes": 11, "maybe": 42, "no": 67}
    values = [r[c] for r in rows for c in WAI + ATT]
    assert set(values) <= {"", "1", "2", "3", "4", "5", "6", "7"}
    assert {r[c] for r in rows for c in ATT} <= {"", "1", "2", "3", "4", "5"}
    assert 0 < values.count("") < len(values) * 0.06
    readme = (REPO / "corpora" / "README.md").read_text(encoding="utf-8")
    for column in ("wai_goal_1", "wai_bond_4", "att_access_1", "att_training_3"):
        assert f"`{column}`" in readme
