"""Counts for issue 14's closing note: N random mutations of a real .qdpx export (the interop project of
tests/export/refi_interop.py), each imported into a new project. Every outcome must be an import or
one clean refusal (a one-line ThematicError) that leaves the project unchanged.

    python benchmarks/bench_refi_fuzz.py [--cases 300] [--seed 7]
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    from tests.export.refi_interop import build_interop
    from tests.export.test_refi import make_qdpx, snapshot
    from tests.export.test_refi_fuzz import VALUES, mutate
    from thematic.errors import ThematicError
    from thematic.export.refi import export_refi
    from thematic.export.refi_import import import_refi
    from thematic.store.project import create_project

    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        project = build_interop(base / "p.db")
        export_refi(project, base / "p.qdpx")
        project.close()
        with zipfile.ZipFile(base / "p.qdpx") as archive:
            files = {n: archive.read(n) for n in archive.namelist()}
        qde = files.pop("project.qde")
        rng = random.Random(args.seed)
        kinds = ["attribute", "delete", "duplicate", "move", "truncate", "text"]
        outcome: collections.Counter = collections.Counter()
        for case in range(args.cases):
            steps = [
                (rng.choice(kinds), rng.randrange(10_000), rng.randrange(10_000), rng.choice(VALUES))
                for _ in range(rng.randint(1, 3))
            ]
            work = base / f"c{case}"
            work.mkdir()
            path = make_qdpx(work / "m.qdpx", mutate(qde, steps).decode("utf-8", "replace"), files)
            target, _ = create_project(work / "p.db")
            with target:
                before = snapshot(target)
                try:
                    import_refi(target, path)
                    outcome["imported"] += 1
                except ThematicError as error:
                    clean = "\n" not in error.message and snapshot(target) == before
                    outcome["refused cleanly" if clean else "refused, project changed"] += 1
                except Exception as error:  # noqa: BLE001 - counting internal errors is the point
                    outcome[f"internal error {type(error).__name__}"] += 1
    print(f"cases tried: {args.cases} (seed {args.seed})")
    for name, count in sorted(outcome.items()):
        print(f"{name}: {count}")
    bad = sum(c for n, c in outcome.items() if n.startswith("internal") or n.endswith("changed"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
