"""Suggest speed with embeddings cached: 5,000 / 10,000 / 20,000 / 40,000 units.

Run: .venv/bin/python benchmarks/bench_suggest.py [--sizes 5000 10000 20000 40000]
     [--codebook benchmarks/quality/counsel-chat-codebook.yaml]

For each size: generated answers are imported into a fresh project, the codebook is put in use, and
synthetic unit-length vectors (384 dimensions, 30 clusters, fixed seed) are written into the embedding
cache under the default model's fingerprint for every unit text, every theme text and name part, the word
cues' vocabulary and the restated non-answers, so no model is loaded. Then ``thematic.ml.suggest.suggest``
runs in a fresh interpreter, timed from the call to its return: reading the vectors, keyword lemmas, the
word cues, the score matrix, thresholds, and storing every unit x theme score. The interpreter's start
and imports are timed apart.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CHILD = """
import json, sys, time
t0 = time.perf_counter()
from thematic.ml.suggest import suggest
from thematic.store.project import open_project
project = open_project(sys.argv[1])
t1 = time.perf_counter()
run = suggest(project)
t2 = time.perf_counter()
print(json.dumps({"imports_s": t1 - t0, "suggest_s": t2 - t1, "units": run.units,
                  "themes": len(run.themes), "assigned": sum(t.units for t in run.themes)}))
"""


def prepare(path: Path, n: int, codebook: Path, seed: int = 0) -> None:
    import csv

    import numpy as np

    from benchmarks.bench_embed import make_texts
    from thematic.codebook.load import load_codebook
    from thematic.ingest.importer import ImportOptions, import_file
    from thematic.ingest.segment import text_sha256
    from thematic.ml import zeroshot
    from thematic.ml.embed import ModelChoice
    from thematic.ml.suggest import negative_texts, positive_texts
    from thematic.store import ml as store
    from thematic.store.codebooks import use_codebook
    from thematic.store.corpus import list_units
    from thematic.store.project import create_project

    source = path.with_suffix(".csv")
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["respondent_id", "answer"])
        for i, text in enumerate(make_texts(n, seed)):
            writer.writerow([f"R{i:06d}", text])
    project, _ = create_project(path)
    import_file(project, source, ImportOptions(id_column="respondent_id", text_columns=["answer"]))
    version = use_codebook(project, load_codebook(codebook))
    shas = sorted({u.text_sha256 for u in list_units(project)})
    theme_texts = [t for theme in version.codebook.themes
                   for t in positive_texts(theme) + negative_texts(theme) + zeroshot.name_parts(theme.name)]
    stop = zeroshot.stop_words()  # the word cues' vocabulary and the restated non-answers: embedded too
    theme_texts += zeroshot.vocabulary([zeroshot.content_words(u.text, stop) for u in list_units(project)])
    theme_texts += list(zeroshot.RESTATED.values())
    shas += sorted({text_sha256(t) for t in theme_texts} - set(shas))
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((30, 384))
    vectors = centres[rng.integers(0, 30, len(shas))] + 0.8 * rng.standard_normal((len(shas), 384))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    with project.transaction():
        store.insert_vectors(project, ModelChoice().fingerprint, zip(shas, vectors, strict=True))
    project.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 10000, 20000, 40000])
    parser.add_argument("--codebook", type=Path, default=REPO / "benchmarks" / "quality" /
                        "counsel-chat-codebook.yaml")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path = Path(tmp) / f"suggest-{n}.db"
            start = time.perf_counter()
            prepare(path, n, args.codebook)
            prepared = time.perf_counter() - start
            done = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True,
                                  check=True, cwd=REPO)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            result.update(n=n, prepare_s=round(prepared, 1), db_mb=round(sum(
                p.stat().st_size for p in Path(tmp).glob(f"suggest-{n}.db*")) / 1e6, 1))
            results.append(result)
            if not args.json:
                print(f"{n:>6} units x {result['themes']} themes: suggest {result['suggest_s']:.2f} s "
                      f"(imports {result['imports_s']:.2f} s), {result['assigned']} assignments, "
                      f"project {result['db_mb']} MB", flush=True)
    base = results[0]
    for r in results:
        r["per_1000_units_s"] = round(1000 * r["suggest_s"] / r["n"], 3)
        r["x_smallest"] = round(r["suggest_s"] / base["suggest_s"], 2)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
