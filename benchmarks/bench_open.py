"""The cost of checking a project on open: `PRAGMA quick_check` against opening without it.

Run: .venv/bin/python benchmarks/bench_open.py [--sizes 1,4,15] [--runs 15] [--json]

For each size (MB), a project is made and filled with embedding rows (384 float32 each, as the default
model writes) until the file reaches that size. Then open_project() is timed with the check (what every
command does for files up to 16 MB) and without it (the baseline), alternating, --runs times each, after a
warm-up (so the file is in the page cache, as it is when a researcher runs commands one after another);
medians are reported, and the ratio. `thematic check` (integrity_check, foreign_key_check, the decision
validator over the log) is timed once per size.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path


def build(path: Path, megabytes: int) -> int:
    from thematic.store.project import create_project

    project, _ = create_project(path)
    blob = os.urandom(384 * 4)
    rows, batch = 0, 100
    with project:
        while path.stat().st_size < megabytes * 1024 * 1024:
            with project.transaction() as conn:
                conn.executemany(
                    "INSERT INTO embeddings (model, text_sha256, dim, vector) VALUES ('bench', ?, 384, ?)",
                    ((f"{rows + i:064x}", blob) for i in range(batch)),
                )
            rows += batch
            project.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return rows


def time_open(path: Path, check: bool) -> float:
    from thematic.store.project import open_project

    start = time.perf_counter()
    open_project(path, check=check).close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,4,15")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from thematic.integrity import check_project
    from thematic.store.project import open_project

    results = []
    with tempfile.TemporaryDirectory() as folder:
        for size in (int(s) for s in args.sizes.split(",")):
            path = Path(folder) / f"p{size}.db"
            rows = build(path, size)
            time_open(path, True), time_open(path, False)  # warm-up
            checked, plain = [], []
            for _ in range(args.runs):
                checked.append(time_open(path, True))
                plain.append(time_open(path, False))
            start = time.perf_counter()
            with open_project(path, check=False) as project:
                assert check_project(project).ok
            full = time.perf_counter() - start
            results.append({
                "megabytes": round(path.stat().st_size / 1024 / 1024, 1),
                "embedding_rows": rows,
                "open_checked_ms": round(1000 * statistics.median(checked), 1),
                "open_baseline_ms": round(1000 * statistics.median(plain), 1),
                "ratio": round(statistics.median(checked) / statistics.median(plain), 2),
                "thematic_check_ms": round(1000 * full, 1),
            })
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print("| MB | embedding rows | open, checked (ms) | open, baseline (ms) | x baseline "
          "| thematic check (ms) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r['megabytes']} | {r['embedding_rows']:,} | {r['open_checked_ms']} "
              f"| {r['open_baseline_ms']} | {r['ratio']} | {r['thematic_check_ms']} |")


if __name__ == "__main__":
    main()
