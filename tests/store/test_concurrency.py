"""Many processes on one PostgreSQL project: coders, an importer and an exporter at once.

The issue's scenario at test size: 8 coders each record PER_CODER decisions (half one by one, half in
sheets) while another process imports answers and a third exports; the benchmark
(benchmarks/bench_store.py) runs the full 1,000 each. Nothing is lost or duplicated, every export reads
one consistent state, and a coder killed with SIGKILL keeps everything it was told was saved.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests.conftest import REPO
from thematic.store import decisions as store
from thematic.store.project import open_project

pytestmark = pytest.mark.one_engine
CODERS = 8
PER_CODER = 150

WORKER = textwrap.dedent("""
    import csv, sys, tempfile, time
    from pathlib import Path
    from thematic.review.decisions import Decision
    from thematic.store import decisions as store
    from thematic.store.corpus import list_units
    from thematic.store.project import open_project

    role, url, arg, go = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    project = open_project(url)
    units = [u.id for u in list_units(project)]
    while time.time() < go:
        time.sleep(0.005)
    if role == "coder":
        n = int(sys.argv[5])
        made = [Decision.new(arg, units[i % len(units)], ["mixed-support"] if i % 3 else [])
                for i in range(n)]
        for d in made[: n // 2]:
            store.record(project, d)
        for start in range(n // 2, n, 25):
            store.record_many(project, made[start:start + 25])
        print(len(made))
    elif role == "killed":
        for i in range(0, 100_000, 10):  # sheets of 10: killed while one is in flight
            sheet = [Decision.new(arg, units[(i + j) % len(units)], []) for j in range(10)]
            store.record_many(project, sheet)
            print("\\n".join(d.uuid for d in sheet), flush=True)
    elif role == "importer":
        from thematic.ingest.importer import ImportOptions, import_file
        folder = Path(tempfile.mkdtemp())
        for k in range(int(arg)):
            path = folder / f"wave{k}.csv"
            with path.open("w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(["respondent_id", "answer"])
                w.writerows([(f"W{k}-{i}", f"answer {i} of wave {k}: it helped me sleep") for i in range(40)])
            import_file(project, path, ImportOptions(id_column="respondent_id", text_columns=["answer"]))
        print(int(arg))
    elif role == "exporter":
        from thematic.cli.app import main
        done = 0
        out = Path(tempfile.mkdtemp()) / "units.csv"
        deadline = time.time() + float(arg)
        while time.time() < deadline:
            with project.snapshot():
                n = store.count(project)
                log = store.decisions(project)
                known = store.unit_ids(project)
                assert len(log) == n == store.count(project), (len(log), n)
                assert {d.unit_id for d in log} <= known
            export = ["export", "units", "--coder", "c0", "--out", str(out), "--force"]
            assert main(["--project", url, *export]) == 0
            done += 1
        print(done)
""")


def _start(role: str, url: str, arg: str, go: float, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", WORKER, role, url, arg, str(go), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


@pytest.fixture
def pg_demo(pg_server):
    from tests.conftest import DEMO_CSV
    from thematic.ingest.importer import ImportOptions, import_file
    from thematic.store.project import create_project

    name = pg_server.create_database()
    url = pg_server.url(name)
    project, _ = create_project(url)
    with project:
        import_file(project, DEMO_CSV, ImportOptions(id_column="respondent_id", text_columns=["answer"]))
    yield url
    pg_server.drop_database(name)


def test_eight_coders_an_importer_and_an_exporter_at_once(pg_demo):
    go = time.time() + 4.0
    coders = [_start("coder", pg_demo, f"c{i}", go, str(PER_CODER)) for i in range(CODERS)]
    importer = _start("importer", pg_demo, "5", go)
    exporter = _start("exporter", pg_demo, "6", go)
    outputs = {p: p.communicate(timeout=300) for p in [*coders, importer, exporter]}
    for proc, (_out, err) in outputs.items():
        assert proc.returncode == 0, err
    assert int(outputs[exporter][0].split()[-1]) >= 1
    with open_project(pg_demo) as project:
        log = store.decisions(project)
        assert len(log) == store.count(project) == CODERS * PER_CODER  # 0 lost
        assert len({d.uuid for d in log}) == len(log)  # 0 duplicated
        assert {c: len(store.decisions(project, coder=c)) for c in store.coders(project)} == {
            f"c{i}": PER_CODER for i in range(CODERS)}
        assert project.scalar("SELECT COUNT(*) FROM respondents WHERE id LIKE 'W%'") == 5 * 40
        assert project.scalar("SELECT COUNT(*) FROM sources") == 6


def test_a_coder_killed_mid_batch_keeps_what_was_saved(pg_demo):
    proc = _start("killed", pg_demo, "kim", time.time())
    saved = []
    while len(saved) < 40:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        saved.append(line.strip())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with open_project(pg_demo) as project:
        stored = {d.uuid for d in store.decisions(project, coder="kim")}
        assert set(saved) <= stored
        assert len(stored) == store.count(project)
        # The server dropped the killed session's open transaction: a new one can write at once.
        idle = "SELECT COUNT(*) FROM pg_stat_activity WHERE state = 'idle in transaction'"
        assert project.scalar(idle) == 0
