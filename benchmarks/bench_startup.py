"""Start-up time of light commands against `python -c pass`, and the heavy modules they import.

Run: .venv/bin/python benchmarks/bench_startup.py [--runs 15] [--before DIR]

The thematic measured is this tree (its folder goes first on PYTHONPATH). ``--before DIR`` also times
the same commands from another checkout (e.g. ``git worktree add /tmp/before COMMIT``), interleaved with
this tree's, so both sets of ratios come from one run on one machine state.

`thematic status` runs on a project holding only a codebook, and again on one with the demo corpus
imported (its question table needs rich.table).

Each command runs --runs times in a fresh process (in turn with the others, so a busy machine slows all of
them alike); the median wall time is compared with the median of `python -c pass`. Target: at most 3x.
Each command also reports whether torch, sentence_transformers, transformers, sklearn or spacy ended up in
sys.modules (they must not).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CODEBOOK = REPO / "codebooks" / "ai-therapy.yaml"
DEMO = REPO / "corpora" / "ai-therapy-survey.csv"
HEAVY = ("torch", "sentence_transformers", "transformers", "sklearn", "spacy")
PROBE = ("import sys\nfrom thematic.cli.app import main\ncode = main(sys.argv[1:])\n"
         f"print('HEAVY', [m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--before", type=Path, help="another checkout to time beside this one")
    args = parser.parse_args()
    thematic = Path(sys.executable).with_name("thematic")
    base_env = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_COLOR": "1"}

    def tree_env(tree: Path) -> dict:
        paths = [str(tree), *filter(None, [os.environ.get("PYTHONPATH")])]
        return {**base_env, "PYTHONPATH": os.pathsep.join(paths)}

    env = tree_env(REPO)
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "p.db"
        subprocess.run([str(thematic), "--project", str(project), "init"], check=True, capture_output=True,
                       env=env)
        subprocess.run([str(thematic), "--project", str(project), "codebook", "use", str(CODEBOOK)],
                       check=True, capture_output=True, env=env)
        demo = Path(tmp) / "demo.db"
        subprocess.run([str(thematic), "--project", str(demo), "init"], check=True, capture_output=True,
                       env=env)
        subprocess.run([str(thematic), "--project", str(demo), "import", str(DEMO), "--id", "respondent_id",
                        "--text", "answer"], check=True, capture_output=True, env=env)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "thematic --help": [str(thematic), "--help"],
            "thematic status": [str(thematic), "--project", str(project), "status"],
            "thematic status (demo corpus)": [str(thematic), "--project", str(demo), "status"],
            "thematic codebook show": [str(thematic), "--project", str(project), "codebook", "show"],
            "thematic codebook validate": [str(thematic), "codebook", "validate", str(CODEBOOK)],
        }
        envs = {name: env for name in commands}
        if args.before:
            for name, argv in list(commands.items()):
                if name.startswith("thematic"):
                    commands[f"{name} (before)"] = argv
                    envs[f"{name} (before)"] = tree_env(args.before.resolve())
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                start = time.perf_counter()
                subprocess.run(argv, check=True, capture_output=True, env=envs[name])
                times[name].append(time.perf_counter() - start)
        heavy = {}
        for name, argv in commands.items():
            if name.startswith("thematic"):
                done = subprocess.run([sys.executable, "-c", PROBE, *argv[1:]], capture_output=True,
                                      text=True, env=envs[name])
                line = [x for x in done.stderr.splitlines() if x.startswith("HEAVY")][-1]
                heavy[name] = line[len("HEAVY "):]
    base = statistics.median(times["python -c pass"])
    rows = [{"command": name, "median_ms": round(1000 * statistics.median(t), 1),
             "x_python": round(statistics.median(t) / base, 2), "heavy_modules": heavy.get(name, "-")}
            for name, t in times.items()]
    if args.json:
        print(json.dumps(rows))
        return
    print(f"| command | median ms ({args.runs} runs) | x `python -c pass` | heavy modules imported |")
    print("| --- | ---: | ---: | --- |")
    for row in rows:
        print(f"| `{row['command']}` | {row['median_ms']} | {row['x_python']} | {row['heavy_modules']} |")


if __name__ == "__main__":
    main()
