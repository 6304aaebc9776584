"""Import speed and memory: 100,000 generated responses, as response units and as sentence units.

Run: .venv/bin/python benchmarks/bench_import.py [--rows 100000]

Each import runs in its own subprocess so its peak RSS is its own. The baseline, timed in the same
command, is the floor any importer pays: reading the same file with the csv module and inserting the
rows into SQLite with one executemany. Results go to stdout as a table (and --json).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = (
    "therapy client machine empathy waiting list risk training tool human connection trust data "
    "ethics access support resource session nuance tone safe harm useful never maybe help"
).split()


def generate(path: Path, rows: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["respondent_id", "role", "approach", "answer"])
        for i in range(rows):
            sentences = []
            for _ in range(rng.randint(1, 4)):
                words = rng.choices(WORDS, k=rng.randint(4, 16))
                sentences.append(" ".join(words).capitalize() + rng.choice(".!?"))
            writer.writerow(
                [
                    f"R{i:06d}",
                    rng.choice(["trainee", "qualified"]),
                    rng.choice(["CBT", "integrative"]),
                    " ".join(sentences),
                ]
            )


CHILD = """
import json, resource, sys, time
from thematic.ingest.importer import ImportOptions, import_file
from thematic.store.project import create_project
project, _ = create_project(sys.argv[1])
start = time.perf_counter()
summary = import_file(project, sys.argv[2], ImportOptions(id_column="respondent_id", text_columns=["answer"],
                                                          unit=sys.argv[3]))
seconds = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "units": summary.units}))
"""


def baseline(csv_path: Path, db_path: Path) -> float:
    start = time.perf_counter()
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE r (id TEXT PRIMARY KEY, role TEXT, approach TEXT, answer TEXT)")
    with csv_path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        conn.executemany("INSERT INTO r VALUES (?, ?, ?, ?)", reader)
    conn.commit()
    conn.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {"rows": args.rows}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "survey.csv"
        generate(data, args.rows)
        results["file_mb"] = round(data.stat().st_size / 1e6, 1)
        results["baseline_seconds"] = baseline(data, tmp / "baseline.db")
        for unit in ("response", "sentence"):
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(tmp / f"{unit}.db"), str(data), unit],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            results[unit] = json.loads(out.strip().splitlines()[-1])
    if args.json:
        print(json.dumps(results, indent=2))
        return
    base = results["baseline_seconds"]
    print(f"{args.rows:,} responses ({results['file_mb']} MB CSV); baseline csv+sqlite insert {base:.2f} s")
    print(
        f"{'unit':<10} {'seconds':>8} {'responses/s':>12} {'units':>9} {'peak RSS MB':>12} {'x baseline':>11}"
    )
    for unit in ("response", "sentence"):
        r = results[unit]
        print(
            f"{unit:<10} {r['seconds']:>8.2f} {args.rows / r['seconds']:>12,.0f} {r['units']:>9,} "
            f"{r['peak_mb']:>12.0f} {r['seconds'] / base:>11.1f}"
        )


if __name__ == "__main__":
    main()
