"""Embedding cost: thematic's cached embedding against a bare ``SentenceTransformer.encode``.

Run: .venv/bin/python benchmarks/bench_embed.py [--texts 20000] [--batch-size 64] [--device cpu]
     [--model FOLDER] [--texts-file FILE.jsonl] [--write-texts FILE.jsonl]
     .venv/bin/python benchmarks/bench_embed.py --backends [--rounds 3] [--batch-sizes 32,128]

Both ratios are measured in one run, on the same texts, the same loaded model and the same batch size:

- overhead: ``embed_texts`` into an empty project (hash, cache lookup, encode, normalise, store) against
  ``model.encode(texts, batch_size=...)``. The texts are cut into --blocks blocks; each block is encoded
  both ways, in alternating order (bare first, then thematic first), and the times are summed, so a shared
  machine that speeds up or slows down during the run favours neither side. Target: at most 5% slower.
- cache: every block again through ``embed_texts`` (all cached). Target: at least 50x faster than the
  first pass.

Texts: 1-3 sentences drawn with a fixed seed from the Counsel Chat questions and the demo corpus
(real English of survey-answer length), made distinct.

Backends (``--backends``): ONNX Runtime (fp32, thematic's default on the CPU) against a bare PyTorch
``SentenceTransformer.encode``, every ratio measured in this one run, rounds interleaved (the order flips each
round) and the median of --rounds rounds reported, so a shared machine favours neither side:

- speed: the NHS FFT answers (short, median 50 characters) at each --batch-sizes, and the Counsel Chat
  questions (long, median 264 characters), texts per second each way. Target: ONNX >= 2x.
- agreement: cosine of ONNX to PyTorch on all 6,205 NHS FFT answers, and the top-1 theme of each answer
  (the nearest of the 50 category names, both embedded by the same backend) unchanged. Targets: cosine
  >= 0.9999, top-1 unchanged on >= 99.9%.
- the whole ``thematic embed`` command on those 6,205 answers (a fresh process: start, load, tokenize,
  embed, cache) against a fresh process that loads sentence-transformers and encodes the same texts.
  Target: >= 1.8x.
- cold start: ``thematic embed`` of 10 answers in a fresh process, through ONNX Runtime and through
  PyTorch (``--backend torch``). Target: >= 5x.

The ONNX export is made (or found) before timing starts, in thematic's cache folder.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
COUNSEL = REPO.parent / "shared" / "data" / "counsel_chat" / "questions.csv"
NHS = REPO.parent / "shared" / "data" / "nhs_fft"
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
    parser.add_argument("--backends", action="store_true",
                        help="compare ONNX Runtime with bare PyTorch encode (see above) instead")
    parser.add_argument("--rounds", type=int, default=3, help="with --backends: interleaved rounds")
    parser.add_argument("--batch-sizes", default="32,128", help="with --backends: for the short answers")
    parser.add_argument("--long-texts", type=int, default=400,
                        help="with --backends: Counsel Chat questions per speed round (0: all 815)")
    parser.add_argument("--speed-texts", type=int, default=1000,
                        help="with --backends: answers per speed round (0: all)")
    parser.add_argument("--sections", default="speed,agreement,command,cold",
                        help="with --backends: which measurements to make (comma-separated)")
    parser.add_argument("--limit", type=int, default=0, help="with --backends: only this many NHS answers "
                        "(a quick check of the script; the targets are stated on all of them)")
    args = parser.parse_args()
    if args.backends:
        compare_backends(args)
        return

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


# -- ONNX Runtime against PyTorch ------------------------------------------------------------------------
def read_column(path: Path, column: str) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row[column] for row in csv.DictReader(handle)]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(rounds: int, first, second) -> tuple[float, float]:
    """Median seconds of ``first`` and of ``second`` over ``rounds`` rounds, the order flipping each round."""
    a: list[float] = []
    b: list[float] = []
    for i in range(rounds):
        if i % 2 == 0:
            a.append(timed(first))
            b.append(timed(second))
        else:
            b.append(timed(second))
            a.append(timed(first))
    return statistics.median(a), statistics.median(b)


def run_cli(args: list[str], env: dict) -> None:
    done = subprocess.run([sys.executable, "-m", "thematic.cli.main", *args], env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise SystemExit(f"thematic {' '.join(args)} failed: {done.stderr.strip()}")


BARE_CHILD = """
import json, sys
from sentence_transformers import SentenceTransformer
texts = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8")]
model = SentenceTransformer(sys.argv[1], device="cpu", local_files_only=True)
model.encode(texts, batch_size=int(sys.argv[3]), normalize_embeddings=True)
"""


def compare_backends(args) -> None:
    from thematic.ml import embed

    if not (NHS / "items.csv").exists() or not COUNSEL.exists():
        raise SystemExit(f"--backends needs {NHS}/items.csv and {COUNSEL} (../shared/data)")
    answers = read_column(NHS / "items.csv", "text")[: args.limit or None]
    categories = read_column(NHS / "categories.csv", "category")
    questions = read_column(COUNSEL, "text")[: args.long_texts or None]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    started = time.perf_counter()
    onnx = embed.ModelChoice(backend="onnx").load()  # exports the model first if it has no export yet
    export_s = time.perf_counter() - started
    torch_model = embed.load_model(None, device="cpu")
    folder = embed.ModelChoice().folder
    threads = __import__("thematic.ml.onnx_backend", fromlist=["x"]).available_threads()
    print(f"ONNX export ready ({export_s:.1f} s); {threads} threads; load average "
          f"{os.getloadavg()[0]:.1f} at start", flush=True)
    result: dict = {"rounds": args.rounds, "threads": threads, "load_average_start": os.getloadavg()[0]}

    def bare(texts, size):
        return lambda: torch_model.encode(texts, batch_size=size, normalize_embeddings=True)

    def ours(texts, size):
        return lambda: onnx.encode(texts, batch_size=size, normalize_embeddings=True)

    sections = set(args.sections.split(","))
    # 1. speed, in this process
    short = answers[: args.speed_texts] if args.speed_texts else answers
    ours(short[:256], 32)()
    bare(short[:256], 32)()
    speed = [("short", short, [int(x) for x in args.batch_sizes.split(",")]), ("long", questions, [32])]
    for name, texts, sizes in speed if "speed" in sections else []:
        for size in sizes:
            t_bare, t_onnx = interleaved(args.rounds, bare(texts, size), ours(texts, size))
            key = f"{name}_batch{size}"
            result[key] = {"texts": len(texts), "bare_texts_per_s": round(len(texts) / t_bare, 1),
                           "onnx_texts_per_s": round(len(texts) / t_onnx, 1),
                           "speedup": round(t_bare / t_onnx, 2)}
            print(f"{key}: {len(texts)} texts, bare {len(texts) / t_bare:.0f}/s, ONNX "
                  f"{len(texts) / t_onnx:.0f}/s -> {t_bare / t_onnx:.2f}x (target >= 2x)", flush=True)

    # 2. agreement on every NHS FFT answer
    size = embed.DEFAULT_BATCH_SIZE
    if "agreement" in sections:
        agreement(result, answers, categories, bare(answers, size), bare(categories, size),
                  ours(answers, size), ours(categories, size))
    if sections & {"command", "cold"}:
        whole_command(result, args, sections, answers, folder, size, env)
    result["load_average_end"] = os.getloadavg()[0]
    print(json.dumps(result))


def agreement(result, answers, categories, bare_answers, bare_categories, onnx_answers, onnx_categories):
    a_torch, a_onnx = bare_answers(), onnx_answers()
    c_torch, c_onnx = bare_categories(), onnx_categories()
    cos = (a_torch * a_onnx).sum(axis=1)
    top_torch, top_onnx = (a_torch @ c_torch.T).argmax(axis=1), (a_onnx @ c_onnx.T).argmax(axis=1)
    same = float((top_torch == top_onnx).mean())
    result["agreement"] = {"answers": len(answers), "cosine_min": float(cos.min()),
                           "cosine_mean": float(cos.mean()), "top1_unchanged": same,
                           "top1_changed_answers": int((top_torch != top_onnx).sum())}
    print(f"agreement on {len(answers)} answers: cosine min {cos.min():.6f}, mean {cos.mean():.7f} "
          f"(target >= 0.9999); top-1 of {len(categories)} categories unchanged on {100 * same:.2f}% "
          f"(target >= 99.9%)", flush=True)


def whole_command(result, args, sections, answers, folder, size, env):
    """3. the whole command and 4. cold start, each in fresh processes."""
    from thematic.store.project import create_project

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        texts_file = tmp_path / "answers.jsonl"
        texts_file.write_text("".join(json.dumps(t) + "\n" for t in answers), encoding="utf-8")
        template = {}
        for name, rows in (("all", answers), ("ten", answers[:10])):
            csv_path = tmp_path / f"{name}.csv"
            with csv_path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["id", "text"])
                writer.writerows([i, t] for i, t in enumerate(rows))
            template[name] = tmp_path / f"{name}.db"
            create_project(template[name])[0].close()
            run_cli(["--project", str(template[name]), "import", str(csv_path), "--id", "id",
                     "--text", "text"], env)
        counter = iter(range(10**6))

        def fresh(name: str) -> str:
            copy = tmp_path / f"{name}-{next(counter)}.db"
            shutil.copyfile(template[name], copy)
            return str(copy)

        def command(name, *extra):
            return lambda: run_cli(["--project", fresh(name), "embed", *extra], env)

        def bare_process():
            subprocess.run([sys.executable, "-c", BARE_CHILD, str(folder), str(texts_file), str(size)],
                           env=env, check=True, capture_output=True)

        if "command" in sections:
            t_bare, t_cmd = interleaved(args.rounds, bare_process, command("all"))
            result["whole_command"] = {"texts": len(answers), "bare_process_s": round(t_bare, 2),
                                       "thematic_embed_s": round(t_cmd, 2),
                                       "speedup": round(t_bare / t_cmd, 2)}
            print(f"whole command on {len(answers)} answers: bare encode process {t_bare:.1f} s, thematic "
                  f"embed {t_cmd:.1f} s -> {t_bare / t_cmd:.2f}x (target >= 1.8x)", flush=True)
        if "cold" in sections:
            t_torch, t_onnx = interleaved(args.rounds, command("ten", "--backend", "torch"), command("ten"))
            result["cold_10"] = {"torch_s": round(t_torch, 2), "onnx_s": round(t_onnx, 2),
                                 "speedup": round(t_torch / t_onnx, 2)}
            print(f"cold thematic embed of 10 answers: PyTorch {t_torch:.2f} s, ONNX Runtime {t_onnx:.2f} s "
                  f"-> {t_torch / t_onnx:.1f}x (target >= 5x)", flush=True)


if __name__ == "__main__":
    main()
