"""A small project for the safety tests: a five-row survey imported from tmp_path/survey.csv, the demo
codebook in use, and a few decisions by coder ana (recorded through the CLI, as a user would)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import DEMO_CODEBOOK

SURVEY = (
    "respondent_id,role,answer\n"
    "R1,trainee,It could help with waiting lists.\n"
    "R2,qualified,A machine cannot hold a frame.\n"
    "R3,trainee,\"=HYPERLINK(\"\"http://evil.example\"\")\"\n"
    "R4,qualified,Mixed feelings: useful for notes only.\n"
    "R5,trainee,Risky for people in crisis.\n"
)


@dataclass
class Small:
    path: Path  # the project file
    survey: Path  # the imported survey
    units: list[str]  # unit ids, in order
    folder: Path


def snapshot(path: Path) -> bytes:
    """The project's content as a byte string (after a checkpoint): equal snapshots, no change."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return "\n".join(conn.iterdump()).encode()
    finally:
        conn.close()


@pytest.fixture
def small(tmp_path, cli) -> Small:
    survey = tmp_path / "survey.csv"
    survey.write_text(SURVEY, encoding="utf-8")
    assert cli("init").exit_code == 0
    assert cli("import", survey, "--id", "respondent_id", "--text", "answer").exit_code == 0
    assert cli("codebook", "use", DEMO_CODEBOOK).exit_code == 0
    from thematic.store import corpus
    from thematic.store.project import open_project

    with open_project(tmp_path / "thematic.db") as project:
        units = [u.id for u in corpus.list_units(project)]
    assert cli("code", units[0], "--coder", "ana", "-t", "possibilities-of-ai").exit_code == 0
    assert cli("code", units[1], "--coder", "ana", "-t", "negative-responses").exit_code == 0
    assert cli("code", units[2], "--coder", "ana", "--none").exit_code == 0
    return Small(tmp_path / "thematic.db", survey, units, tmp_path)
