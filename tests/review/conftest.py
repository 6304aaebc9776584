"""Fixtures for review tests: the demo corpus with its codebook, the key as scripted coders, a fake "
"suggest run."""

from __future__ import annotations

import random

import pytest

from tests.conftest import DEMO_CODEBOOK, DEMO_THEMES, ben_changes, read_demo_key

__all__ = ["KEY", "THEMES", "ben_changes"]

THEMES = DEMO_THEMES


KEY = read_demo_key()


@pytest.fixture
def coded_project(demo_project):
    """The demo corpus (response units) with the ai-therapy codebook in use."""
    from thematic.codebook.load import load_codebook
    from thematic.store.codebooks import use_codebook

    use_codebook(demo_project, load_codebook(DEMO_CODEBOOK))
    return demo_project


def add_suggest_run(project, *, seed: int = 1, threshold: float = 0.5) -> int:
    """A fake suggest run: key themes score above the threshold, others below, with seeded noise."""
    from thematic.clock import utc_now
    from thematic.store import corpus, ml
    from thematic.store.codebooks import require_current

    rng = random.Random(seed)
    version = require_current(project)
    with project.transaction():
        run_id = ml.insert_suggest_run(
            project,
            codebook_version=version.number,
            model="fake",
            parameters={"thresholds": {t: threshold for t in THEMES}, "seed": seed},
            created_at=utc_now(),
        )
        rows = []
        for unit in corpus.list_units(project):
            for theme in THEMES:
                base = 0.7 if theme in KEY[unit.respondent_id] else 0.3
                score = round(base + rng.uniform(-0.25, 0.25), 4)
                rows.append((unit.id, theme, score, score >= threshold))
        ml.insert_scores(project, run_id, rows)
    return run_id


@pytest.fixture
def suggested_project(coded_project):
    add_suggest_run(coded_project)
    return coded_project
