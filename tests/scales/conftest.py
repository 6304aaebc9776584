"""Fixtures for the closed items: the mini scale file and data, codings written straight into the log."""

from __future__ import annotations

import csv
import json

import pytest

from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "scales"
MINI_YAML = FIXTURES / "mini.yaml"
MINI_CSV = FIXTURES / "mini.csv"
DEMO_SCALES = REPO / "scales" / "ai-therapy.yaml"
DEMO_KEY = REPO / "corpora" / "ai-therapy-key.csv"

# The mini data's codings for coder "ana" (A5 left no answer, so has no unit).
MINI_CODINGS = {
    "A1": ["possibilities"], "A2": ["possibilities"], "A3": [], "A4": ["risks"],
    "B1": ["risks"], "B2": ["negative"], "B3": ["negative"], "B4": ["risks"], "B5": [],
}


def insert_codings(project, coder: str, themes_by_respondent: dict[str, list[str]]) -> int:
    """Code every unit of the given respondents straight into the decisions table (kind 'code')."""
    from thematic.store.corpus import list_units

    added = 0
    with project.transaction():
        for n, unit in enumerate(list_units(project)):
            if unit.respondent_id in themes_by_respondent:
                themes = json.dumps(sorted(themes_by_respondent[unit.respondent_id]))
                project.execute(
                    "INSERT INTO decisions (uuid, coder, unit_id, themes, kind, at) "
                    "VALUES (?, ?, ?, ?, 'code', ?)",
                    (f"{coder}-{n}", coder, unit.id, themes, f"2024-01-01T00:00:{n % 60:02d}.{n:06d}Z"))
                added += 1
    return added


def key_themes() -> dict[str, list[str]]:
    with DEMO_KEY.open(encoding="utf-8", newline="") as f:
        return {row["respondent_id"]: [t for t in row["themes"].split(";") if t] for row in csv.DictReader(f)}


@pytest.fixture
def mini_project(tmp_path):
    """The mini data imported (answer as the open question; group and q1-q4 as attributes)."""
    from thematic.ingest.importer import ImportOptions, import_file
    from thematic.store.project import create_project

    project, _ = create_project(tmp_path / "thematic.db")
    import_file(project, MINI_CSV, ImportOptions(id_column="id", text_columns=["answer"]))
    yield project
    project.close()


@pytest.fixture
def mini_coded(mini_project):
    insert_codings(mini_project, "ana", MINI_CODINGS)
    return mini_project


@pytest.fixture
def mini_scales():
    from thematic.scales.model import load_scales

    return load_scales(MINI_YAML)


@pytest.fixture
def demo_scales():
    from thematic.scales.model import load_scales

    return load_scales(DEMO_SCALES)


@pytest.fixture
def coded_demo(demo_project):
    """The demo corpus coded by "writer" as the key says."""
    insert_codings(demo_project, "writer", key_themes())
    return demo_project
