"""Shared fixtures: an empty migrated project, the demo corpus, and a CLI runner.

Projects are made through ``project_location``: an SQLite file in tmp_path, or, where the test runs on
both engines, a fresh database on a throwaway PostgreSQL server (tests/pgserver.py). Tests under the
folders in ``BOTH_ENGINES`` that use these fixtures run once per engine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

# In CI the property tests draw the same examples every run (a red build is then reproducible, never a
# chance draw); on a developer's machine they keep exploring, and a failure found is replayed from
# .hypothesis/.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
REFI = FIXTURES / "refi-qda"
DEMO_CSV = REPO / "corpora" / "ai-therapy-survey.csv"
DEMO_CODEBOOK = REPO / "codebooks" / "ai-therapy.yaml"
DEMO_KEY = REPO / "corpora" / "ai-therapy-key.csv"
DEMO_THEMES = ["negative-responses", "possibilities-of-ai", "mixed-support", "therapeutic-risks"]

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.pop("THEMATIC_PROJECT", None)


def read_demo_key() -> dict[str, frozenset[str]]:
    """respondent id -> the corpus writer's intended themes (corpora/ai-therapy-key.csv): scripted coders."""
    import csv

    with DEMO_KEY.open(encoding="utf-8", newline="") as handle:
        return {
            row["respondent_id"]: frozenset(t for t in row["themes"].split(";") if t)
            for row in csv.DictReader(handle)
        }


def ben_changes(respondent_id: str, themes: frozenset[str]) -> frozenset[str]:
    """Scripted coder "ben" follows the key with deliberate changes: every 7th respondent gets
    mixed-support swapped in or out, and therapeutic-risks is dropped on every 11th."""
    number = int(respondent_id[1:])
    themes = set(themes)
    if number % 7 == 0:
        themes ^= {"mixed-support"}
    if number % 11 == 0:
        themes.discard("therapeutic-risks")
    return frozenset(themes)


def add_fake_suggest_run(project, *, seed: int = 1, threshold: float = 0.5) -> int:
    """A fake suggest run (no model): the demo key's themes score above ``threshold``, others below,
    with seeded noise; respondents not in the key score low on every theme."""
    import random

    from thematic.clock import utc_now
    from thematic.store import corpus, ml
    from thematic.store.codebooks import require_current

    key = read_demo_key()
    rng = random.Random(seed)
    version = require_current(project)
    with project.transaction():
        run_id = ml.insert_suggest_run(
            project,
            codebook_version=version.number,
            model="fake",
            parameters={"thresholds": {t: threshold for t in DEMO_THEMES}, "seed": seed},
            created_at=utc_now(),
        )
        rows = []
        for unit in corpus.list_units(project):
            for theme in DEMO_THEMES:
                base = 0.7 if theme in key.get(unit.respondent_id, ()) else 0.3
                score = round(base + rng.uniform(-0.25, 0.25), 4)
                rows.append((unit.id, theme, score, score >= threshold))
        ml.insert_scores(project, run_id, rows)
    return run_id


# Tests (folders or files under tests/) whose projects are made on both engines.
BOTH_ENGINES = ("store", "review", "export", "agreement/test_cli.py", "codebook/test_store.py")


def pytest_generate_tests(metafunc):
    if "engine" in metafunc.fixturenames and not metafunc.definition.get_closest_marker("one_engine"):
        rel = Path(metafunc.definition.path).resolve().relative_to(REPO / "tests").as_posix()
        if any(rel == p or rel.startswith(p + "/") for p in BOTH_ENGINES):
            metafunc.parametrize("engine", ["sqlite", "postgresql"])


@pytest.fixture
def engine():
    """The engine of the test's projects: "sqlite", or both for tests under BOTH_ENGINES."""
    return "sqlite"


@pytest.fixture(scope="session")
def pg_server():
    """One throwaway PostgreSQL server for the session (skips, saying how to install, where it cannot)."""
    from tests.pgserver import INSTALL_HINT, Server, find_bin

    pytest.importorskip("psycopg", reason="PostgreSQL tests need psycopg 3 (pip install 'psycopg[binary]')")
    bin_dir = find_bin()
    if bin_dir is None:
        pytest.skip(INSTALL_HINT)
    server = Server(bin_dir).start()
    yield server
    server.stop()


@pytest.fixture
def locate(engine, tmp_path, request):
    """``locate(name)``: where a new project goes on this test's engine (a fresh, empty database on
    PostgreSQL; dropped after the test)."""
    made: list[str] = []

    def make(name: str = "thematic"):
        if engine == "sqlite":
            return tmp_path / f"{name}.db"
        server = request.getfixturevalue("pg_server")
        made.append(server.create_database())
        return server.url(made[-1])

    yield make
    if made:
        server = request.getfixturevalue("pg_server")
        for name in made:
            server.drop_database(name)


@pytest.fixture
def project_location(locate):
    """The test's default project (what `cli` opens): tmp_path/thematic.db, or a fresh PG database."""
    return locate("thematic")


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture(scope="session", autouse=True)
def thematic_cache_dir(tmp_path_factory):
    """thematic's per-user cache (the ONNX export of the model) in a folder of this test session, not in
    the user's home: made once per session, by the first test that embeds through ONNX Runtime."""
    folder = tmp_path_factory.mktemp("thematic-cache")
    before = os.environ.get("THEMATIC_CACHE_DIR")
    os.environ["THEMATIC_CACHE_DIR"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("THEMATIC_CACHE_DIR", None)
    else:
        os.environ["THEMATIC_CACHE_DIR"] = before


@pytest.fixture
def cli(capsys, project_location):
    """Run `thematic ARGS...` in-process against the test's project (tmp_path/thematic.db on SQLite);
    returns exit code and output."""
    from thematic.cli.app import main

    def run(*args: str, project: Path | str | None = None) -> Result:
        path = project if project is not None else project_location
        capsys.readouterr()
        code = main(["--project", str(path), *map(str, args)])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture
def project(project_location):
    """An empty, migrated project."""
    from thematic.store.project import create_project

    proj, _ = create_project(project_location)
    yield proj
    proj.close()


@pytest.fixture
def demo_project(project_location):
    """A project with the demo corpus imported (response units)."""
    from thematic.ingest.importer import ImportOptions, import_file
    from thematic.store.project import create_project

    proj, _ = create_project(project_location)
    import_file(proj, DEMO_CSV, ImportOptions(id_column="respondent_id", text_columns=["answer"]))
    yield proj
    proj.close()
