"""The project store on PostgreSQL against SQLite, in one run on one machine.

Run: .venv/bin/python benchmarks/bench_store.py [--answers 100000] [--decisions 10000] [--coders 8]

For each engine: import ANSWERS generated answers (`thematic import`, response units), record DECISIONS
decisions one by one (two coders on the same units; the latency of each call is kept) and DECISIONS more
in sheets of 1,000 (two more coders), run `agree` on the first two and `export units` of one coder.
PostgreSQL is a throwaway server started here (initdb + pg_ctl on a Unix socket, fsync on, as a real one
would be) — the same one the tests use (tests/pgserver.py). Then, on PostgreSQL only, CODERS processes
each record 1,000 decisions at once (the issue's concurrency scenario at full size): lost and duplicated
decisions are counted. Prints a table of seconds, the PG/SQLite ratio, and single-decision latency.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_import import generate  # noqa: E402

CODEBOOK = REPO / "codebooks" / "ai-therapy.yaml"
THEMES = ["negative-responses", "possibilities-of-ai", "mixed-support", "therapeutic-risks"]


def cli(target: str, *args: str) -> None:
    from thematic.cli.app import main

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        code = main(["--project", target, *map(str, args)])
    if code != 0:
        raise RuntimeError(f"thematic {' '.join(map(str, args))}: {err.getvalue()}")


def run_engine(target: str, csv_path: Path, decisions: int, out_dir: Path) -> dict:
    from thematic.review.decisions import Decision
    from thematic.store import decisions as store
    from thematic.store.corpus import list_units
    from thematic.store.project import open_project

    times: dict[str, float] = {}
    cli(target, "init")
    start = time.perf_counter()
    cli(target, "import", csv_path, "--id", "respondent_id", "--text", "answer")
    times["import"] = time.perf_counter() - start
    cli(target, "codebook", "use", CODEBOOK)

    project = open_project(target)
    units = [u.id for u in list_units(project)]
    half = decisions // 2

    def theme_set(i: int, coder: int) -> list[str]:
        return [t for k, t in enumerate(THEMES) if (i * 7 + k * 3 + (coder if i % 5 == 0 else 0)) % 4 == 0]

    latencies = []
    start = time.perf_counter()
    for coder in (0, 1):
        for i in range(half):
            d = Decision.new(f"coder{coder}", units[i], theme_set(i, coder))
            t0 = time.perf_counter()
            store.record(project, d)
            latencies.append(time.perf_counter() - t0)
    times["decisions one by one"] = time.perf_counter() - start

    start = time.perf_counter()
    for coder in (2, 3):
        made = [Decision.new(f"coder{coder}", units[i], theme_set(i, coder)) for i in range(half)]
        for s in range(0, half, 1000):
            store.record_many(project, made[s:s + 1000])
    times["decisions in sheets of 1,000"] = time.perf_counter() - start
    assert store.count(project) == 2 * decisions
    project.close()

    agree = ("agree", "--coders", "coder0,coder1", "--n-boot", "200")
    export = ("export", "units", "--coder", "coder0", "--out", out_dir / "u.csv", "--force")
    for step, args in (("agree (2 coders, 200 resamples)", agree), ("export units", export)):
        runs = []
        for _ in range(2):  # best of two: the first call of a process also imports the command's modules
            start = time.perf_counter()
            cli(target, *args)
            runs.append(time.perf_counter() - start)
        times[step] = min(runs)
    ms = sorted(x * 1000 for x in latencies)
    return {"times": times, "median_ms": statistics.median(ms), "p99_ms": ms[int(0.99 * (len(ms) - 1))]}


WORKER = """
import sys
from thematic.review.decisions import Decision
from thematic.store import decisions as store
from thematic.store.corpus import list_units
from thematic.store.project import open_project
url, coder, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
project = open_project(url)
units = [u.id for u in list_units(project)][:n]
for i, unit in enumerate(units):
    store.record(project, Decision.new(coder, unit, ["mixed-support"] if i % 2 else []))
"""


def concurrency(url: str, coders: int, each: int) -> dict:
    from thematic.store import decisions as store
    from thematic.store.project import open_project

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, f"team{i}", str(each)], env=env)
             for i in range(coders)]
    codes = [p.wait() for p in procs]
    seconds = time.perf_counter() - start
    with open_project(url) as project:
        log = [d for d in store.decisions(project) if d.coder.startswith("team")]
    return {"processes": coders, "each": each, "exit_codes": codes, "seconds": seconds,
            "stored": len(log), "lost": coders * each - len({d.uuid for d in log}),
            "duplicated": len(log) - len({d.uuid for d in log})}


def main() -> None:
    from tests.pgserver import Server, find_bin

    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument("--decisions", type=int, default=10_000)
    parser.add_argument("--coders", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    bin_dir = find_bin()
    if bin_dir is None:
        sys.exit("PostgreSQL server binaries not found (apt-get install postgresql)")
    server = Server(bin_dir)
    server.start(fsync=True)
    results = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            csv_path = tmp / "answers.csv"
            generate(csv_path, args.answers)
            results["sqlite"] = run_engine(str(tmp / "bench.db"), csv_path, args.decisions, tmp)
            url = server.url(server.create_database("bench"))
            results["postgresql"] = run_engine(url, csv_path, args.decisions, tmp)
            if args.coders:
                results["concurrency"] = concurrency(url, args.coders, min(1000, args.answers))
    finally:
        server.stop()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{args.answers:,} answers, {args.decisions:,} decisions one by one + {args.decisions:,} in sheets")
    print(f"{'step':34} {'SQLite s':>9} {'PostgreSQL s':>13} {'PG/SQLite':>10}")
    for step, seconds in results["sqlite"]["times"].items():
        pg = results["postgresql"]["times"][step]
        print(f"{step:34} {seconds:9.2f} {pg:13.2f} {pg / seconds:9.2f}x")
    for name in ("sqlite", "postgresql"):
        r = results[name]
        print(f"single decision ({name}): median {r['median_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms")
    if "concurrency" in results:
        c = results["concurrency"]
        print(f"{c['processes']} processes x {c['each']:,} decisions at once on PostgreSQL: "
              f"{c['seconds']:.1f} s, "
              f"{c['stored']:,} stored, {c['lost']} lost, {c['duplicated']} duplicated")


if __name__ == "__main__":
    main()
