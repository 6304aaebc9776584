"""Fixtures for review tests: the demo corpus with its codebook, the key as scripted coders, a fake "
"suggest run."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_CODEBOOK, DEMO_THEMES, add_fake_suggest_run, ben_changes, read_demo_key

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


add_suggest_run = add_fake_suggest_run


@pytest.fixture
def suggested_project(coded_project):
    add_suggest_run(coded_project)
    return coded_project
