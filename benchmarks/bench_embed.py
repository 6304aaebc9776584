"""Embedding cost: thematic's cached embedding against a bare ``SentenceTransformer.encode``.

Run: .venv/bin/python benchmarks/bench_embed.py [--texts 20000] [--batch-size 64] [--device cpu]
     [--model FOLDER] [--texts-file FILE.jsonl] [--write-texts FILE.jsonl]

Both ratios are measured in one run, on the same texts, the same loaded model and the same batch size:

- overhead: ``embed_texts`` into an empty project (hash, cache lookup, encode, normalise, store) against
  ``model.encode(texts, batch_size=...)``. The texts are cut into --blocks blocks; each block is encoded
  both ways, in alternating order (bare first, then thematic first), and the times are summed, so a shared
  machine that speeds up or slows down during the run favours neither side. Target: at most 5% slower.
- cache: every block again through ``embed_texts`` (all cached). Target: at least 50x faster than the
  first pass.

Texts: 1-3 sentences drawn with a fixed seed from the Counsel Chat questions and the demo corpus
(real English of survey-answer length), made distinct.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
COUNSEL = REPO.parent / "shared" / "data" / "counsel_chat" / "questions.csv"
DEMO = REPO / "corpora" / "ai-therapy-survey.csv"


def sentences() -> list[str]:
    found: list[str] = []
    sources = [(COUNSEL, "text"), (DEMO, "answer")]
    for path, column in sources:
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                for sentence in re.split(r"(?<=[.!?])\s+", " ".join(row[column].split())):
                    if 3 <= len(sentence.split()) <= 60:
                        found.append(sentence)
    return sorted(set(found))


def make_texts(n: int, seed: int = 0) -> list[str]:
    pool = sentences()
    rng = random.Random(seed)
    texts: set[str] = set()
    ordered: list[str] = []
    while len(ordered) < n:
        text = " ".join(rng.sample(pool, rng.randint(1, 3)))
        if text not in texts:
            texts.add(text)
            ordered.append(text)
    return ordered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument("--device", default=None)
    parser.add_argument("--model", default=None, help="a model folder (default: all-MiniLM-L6-v2)")
    parser.add_argument("--texts-file", default=None, help="read the texts from this JSON-lines file")
    parser.add_argument("--write-texts", default=None, help="write the generated texts here and stop")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    if args.texts_file:
        with open(args.texts_file, encoding="utf-8") as handle:
            texts = [json.loads(line) for line in handle][: args.texts]
    else:
        texts = make_texts(args.texts)
    if args.write_texts:
        with open(args.write_texts, "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(t) + "\n" for t in texts)
        return

    from thematic.ml.embed import embed_texts, load_model
    from thematic.store.project import create_project

    model = load_model(args.model, device=args.device)
    if next(model.parameters()).dtype != __import__("torch").float32:
        model.float()  # a half-precision copy of the model (made to travel light) runs as float32
    model.encode(texts[:256], batch_size=args.batch_size)  # warm up: allocator, thread pool, kernels
    size = -(-len(texts) // args.blocks)
    blocks = [texts[i: i + size] for i in range(0, len(texts), size)]
    bare = first = cached = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        project, _ = create_project(Path(tmp) / "bench.db")

        def timed(fn) -> float:
            start = time.perf_counter()
            fn()
            return time.perf_counter() - start

        for i, block in enumerate(blocks):
            def run_bare(block=block):
                model.encode(block, batch_size=args.batch_size)

            def run_thematic(block=block):
                embed_texts(project, block, model=model, batch_size=args.batch_size)

            if i % 2 == 0:
                bare += timed(run_bare)
                first += timed(run_thematic)
            else:
                first += timed(run_thematic)
                bare += timed(run_bare)
        for block in blocks:
            cached += timed(lambda block=block: embed_texts(project, block, model=model,
                                                            batch_size=args.batch_size))
        again = embed_texts(project, texts, model=model)
        assert again.shape[0] == len(texts)
        db_mb = sum(p.stat().st_size for p in Path(tmp).glob("bench.db*")) / 1e6
        project.close()

    result = {
        "texts": len(texts), "batch_size": args.batch_size, "blocks": len(blocks),
        "device": str(model.device),
        "bare_encode_s": round(bare, 2), "thematic_first_s": round(first, 2),
        "thematic_cached_s": round(cached, 3), "overhead_pct": round(100 * (first / bare - 1), 1),
        "cache_speedup": round(first / cached, 1), "texts_per_s": round(len(texts) / first, 1),
        "project_mb": round(db_mb, 1),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"{result['texts']} texts, batch {result['batch_size']}, {len(blocks)} blocks, "
          f"device {result['device']}")
    print(f"bare encode:      {bare:.2f} s")
    print(f"thematic, empty:  {first:.2f} s  -> overhead {result['overhead_pct']:+.1f}% (target <= +5%)")
    print(f"thematic, cached: {cached:.3f} s -> {result['cache_speedup']:.0f}x faster (target >= 50x)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
