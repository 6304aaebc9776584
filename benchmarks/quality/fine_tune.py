"""Does fine-tuning the sentence model SetFit's way pay on short answers, on two CPU cores? (issue 16)

Run: PYTHONPATH=. .venv/bin/python benchmarks/quality/fine_tune.py [--folds 0 1 2] [--sizes 1000 all]
     [--iterations 4] [--json FILE]

Data and folds: benchmarks/quality/nhs_fft.py's (NHS Friends and Family Test answers, the train split's
5 folds by respondent, :func:`nhs_fft.cv_folds`); test is not read. For each fold ``k`` and each size
(``1000``: that many coded answers drawn at random from the other folds; ``all``: every answer of the
other folds, about 3,400):

1. **Fine-tune** all-MiniLM-L6-v2 (the folder ``thematic.ml.embed.resolve_model_dir(None)`` names;
   nothing is downloaded) SetFit's way on those answers: for each answer and each of ``--iterations``
   rounds, one pair with a random other answer that shares a theme with it (label 1) and one with a
   random answer that shares none (label 0) (multi-label: the coders' sets of themes); pairs of
   identical texts are skipped (their cosine is 1 whatever the weights). Cosine-similarity loss
   (sentence-transformers' ``CosineSimilarityLoss``), AdamW at 2e-5 with 10% linear warm-up then linear
   decay, batches of 32 pairs, one epoch, ``max_seq_length`` 64 (3.5% of answers are longer),
   ``torch.set_num_threads(2)``, CPU.
2. **Re-embed** every distinct answer (and, for the "tuned everywhere" row, the theme names, their
   parts, the vocabulary and the restated non-answers that the zero-shot run embeds) with the tuned
   model.
3. **Learn** with thematic's learner exactly as ``nhs_fft.py --cv`` does
   (:func:`nhs_fft.thematic_learned`: features of every answer, fit on the training answers, code the
   held-out fold), from the same training answers, with
   - the frozen vectors (the baseline);
   - the tuned vectors in the learner's features, the zero-shot prior from the frozen model (what an
     opt-in fine-tune inside ``suggest --learn`` would change);
   - the tuned model everywhere (answers and theme texts; the zero-shot prior recomputed with it).

Figure: the held-out fold's macro binary Cohen's kappa over the themes with at least 20 train positives
(as ``--cv``), and themes per answer. Times: the fine-tune and the re-embedding of the 6,205 answers, in
wall seconds, with the load average (the two cores are shared).

Tuned vectors are kept in memory only (the benchmark's vector cache is keyed by the frozen model).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import nhs_fft  # noqa: E402  (benchmarks/quality is not a package)
import vector_cache  # noqa: E402

BATCH = 32
LEARNING_RATE = 2e-5
WARMUP = 0.1
MAX_SEQ_LENGTH = 64
THREADS = 2
MIN_TRAIN_POSITIVES = 20


def setfit_pairs(Y: np.ndarray, rows: np.ndarray, texts: list[str], iterations: int,
                 rng: np.random.Generator) -> list[tuple[int, int, float]]:
    """SetFit's pairs for multi-label decisions: for each of ``rows`` and each iteration, one other row
    sharing a theme (1.0) and one sharing none (0.0), at random; identical texts never pair."""
    Yr = Y[rows].astype(np.float32)
    shared = (Yr @ Yr.T) > 0
    by_text: dict[str, list[int]] = {}
    for j, i in enumerate(rows):
        by_text.setdefault(texts[i], []).append(j)
    pairs = []
    for j, i in enumerate(rows):
        twins = np.zeros(len(rows), dtype=bool)
        twins[by_text[texts[i]]] = True
        positives = np.flatnonzero(shared[j] & ~twins)
        negatives = np.flatnonzero(~shared[j] & ~twins)
        for _ in range(iterations):
            if len(positives):
                pairs.append((int(i), int(rows[rng.choice(positives)]), 1.0))
            if len(negatives):
                pairs.append((int(i), int(rows[rng.choice(negatives)]), 0.0))
    order = rng.permutation(len(pairs))
    return [pairs[k] for k in order]


def fine_tune(texts: list[str], pairs: list[tuple[int, int, float]], *, seed: int = 0):
    """(the tuned SentenceTransformer, wall seconds, CPU seconds of this process, steps): one epoch over
    ``pairs`` (module docstring)."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import losses

    from thematic.ml.embed import resolve_model_dir

    torch.set_num_threads(THREADS)
    torch.manual_seed(seed)
    _, folder = resolve_model_dir(None)
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    model.max_seq_length = MAX_SEQ_LENGTH
    loss = losses.CosineSimilarityLoss(model)
    optimiser = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE)
    steps = (len(pairs) + BATCH - 1) // BATCH
    warm = max(1, int(WARMUP * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: (s + 1) / warm if s < warm else max(0.0, (steps - s) / max(1, steps - warm)))
    started, cpu = time.perf_counter(), time.process_time()
    model.train()
    for start in range(0, len(pairs), BATCH):
        batch = pairs[start:start + BATCH]
        a = model.preprocess([texts[x] for x, _, _ in batch])
        b = model.preprocess([texts[y] for _, y, _ in batch])
        value = loss([a, b], torch.tensor([label for _, _, label in batch], dtype=torch.float32))
        value.backward()
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
    model.eval()
    return model, time.perf_counter() - started, time.process_time() - cpu, steps


class TunedVectors:
    """``vectors_for`` with the tuned model: distinct texts encoded once, L2-normalised float32."""

    def __init__(self, model):
        self.model = model
        self.known: dict[str, np.ndarray] = {}

    def __call__(self, texts, **_) -> np.ndarray:
        texts = list(texts)
        missing = sorted({t for t in texts if t not in self.known})
        if missing:
            new = self.model.encode(missing, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                                    show_progress_bar=False)
            self.known.update(zip(missing, np.asarray(new, dtype=np.float32), strict=True))
        return np.stack([self.known[t] for t in texts]) if texts else np.zeros((0, 384), dtype=np.float32)


def learned(data, U_features: np.ndarray, U_zero_shot: np.ndarray, rows: np.ndarray, held: np.ndarray):
    """:func:`nhs_fft.thematic_learned`'s fit and prediction, with the learner's features from
    ``U_features`` and the zero-shot prior from ``U_zero_shot`` (the same array in nhs_fft itself)."""
    from thematic.ml import learner as L

    if U_features is U_zero_shot:
        nhs_fft._FEATURES.clear()  # nhs_fft caches the features of the first vectors it sees
        return nhs_fft.thematic_learned(data, U_features, None, rows=rows, score_rows=held)
    F = L.unit_features(data.texts, U_features.astype(np.float64), data.questions)
    P, limits, Z = nhs_fft.zero_shot_scores(data, U_zero_shot)
    ids = [f"t{t:02d}" for t in range(len(data.theme_names))]
    model = L.fit(F.matrix[rows], P[rows], data.Y[rows], ids, keys=[F.keys[i] for i in rows])
    return model.predict(F.matrix[held], P[held], limits, Z[held], keys=[F.keys[i] for i in held])[2]


def score(data, held: np.ndarray, assigned: np.ndarray) -> dict:
    Y = data.Y[held]
    themes = np.flatnonzero(data.Y[data.train].sum(axis=0) >= MIN_TRAIN_POSITIVES)
    return {"macro_kappa": round(float(np.mean([nhs_fft.kappa(Y[:, t], assigned[:, t]) for t in themes])), 4),
            "themes_per_answer": round(float(assigned.sum(axis=1).mean()), 3)}


def run_fold(data, U: np.ndarray, k: int, size: str, iterations: int) -> dict:
    fold = nhs_fft.cv_folds(data.groups, data.train)
    held = data.train[fold == k]
    others = data.train[fold != k]
    rng = np.random.default_rng([16, k])
    rows = others if size == "all" else np.sort(rng.choice(others, size=int(size), replace=False))
    out: dict = {"fold": k, "size": size, "training_answers": len(rows), "held_out_answers": len(held),
                 "iterations": iterations}
    t0 = time.perf_counter()
    out["frozen"] = score(data, held, learned(data, U, U, rows, held))
    out["frozen"]["learner_s"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(out), flush=True)
    pairs = setfit_pairs(data.Y, rows, data.texts, iterations, np.random.default_rng([16, k, 1]))
    out["pairs"] = len(pairs)
    out["load_before"] = [round(x, 2) for x in os.getloadavg()]
    model, seconds, cpu, steps = fine_tune(data.texts, pairs)
    out["load_after_fine_tune"] = [round(x, 2) for x in os.getloadavg()]
    out["fine_tune_s"] = round(seconds, 1)
    out["fine_tune_cpu_s"] = round(cpu, 1)  # both threads' CPU time: on two idle cores, wall ~ half
    out["steps"] = steps
    out["seconds_per_step"] = round(seconds / steps, 2)
    embed = TunedVectors(model)
    t0, cpu = time.perf_counter(), time.process_time()
    T = embed(data.texts)
    out["re_embed_s"] = round(time.perf_counter() - t0, 1)
    out["re_embed_cpu_s"] = round(time.process_time() - cpu, 1)
    out["re_embedded_texts"] = len(embed.known)
    t0 = time.perf_counter()
    out["tuned_features"] = score(data, held, learned(data, T, U, rows, held))
    out["tuned_features"]["learner_s"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(out), flush=True)
    frozen_vectors_for = vector_cache.vectors_for
    vector_cache.vectors_for = embed  # nhs_fft.zero_shot_scores embeds the theme texts through it
    try:
        t0 = time.perf_counter()
        out["tuned_everywhere"] = score(data, held, learned(data, T, T, rows, held))
        out["tuned_everywhere"]["learner_s"] = round(time.perf_counter() - t0, 1)
    finally:
        vector_cache.vectors_for = frozen_vectors_for
        nhs_fft._FEATURES.clear()
    for name in ("tuned_features", "tuned_everywhere"):
        out[f"gain_{name}"] = round(out[name]["macro_kappa"] - out["frozen"]["macro_kappa"], 4)
    out["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out), flush=True)
    return out


def probe(data, k: int, size: str, iterations: int, steps: int) -> int:
    """Seconds per training step (:func:`fine_tune` on the first ``steps`` batches of the fold's pairs)."""
    fold = nhs_fft.cv_folds(data.groups, data.train)
    others = data.train[fold != k]
    rows = others if size == "all" else np.sort(np.random.default_rng([16, k]).choice(others, size=int(size),
                                                                                       replace=False))
    pairs = setfit_pairs(data.Y, rows, data.texts, iterations, np.random.default_rng([16, k, 1]))
    load = [round(x, 2) for x in os.getloadavg()]
    _, seconds, cpu, done = fine_tune(data.texts, pairs[:steps * BATCH])
    print(json.dumps({"fold": k, "size": size, "pairs": len(pairs), "steps": done,
                      "seconds_per_step": round(seconds / done, 2), "cpu_s_per_step": round(cpu / done, 2),
                      "steps_for_all_pairs": (len(pairs) + BATCH - 1) // BATCH, "load_before": load,
                      "load_after": [round(x, 2) for x in os.getloadavg()]}))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, nargs="+", default=[0])
    parser.add_argument("--sizes", nargs="+", default=["1000"], help="coded answers: a number, or 'all'")
    parser.add_argument("--iterations", type=int, default=4,
                        help="SetFit iterations: per training answer, this many positive and negative pairs")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here (one JSON list)")
    parser.add_argument("--probe-steps", type=int, default=0,
                        help="only time this many training steps on the first fold's pairs (no learning, "
                        "no re-embedding): seconds per step and the load average")
    args = parser.parse_args()
    data = nhs_fft.Data()
    if args.probe_steps:
        return probe(data, args.folds[0], args.sizes[0], args.iterations, args.probe_steps)
    U, _ = data.vectors()
    rows = []
    for size in args.sizes:
        for k in args.folds:
            rows.append(run_fold(data, U, k, size, args.iterations))
            if args.json:
                args.json.write_text(json.dumps(rows, indent=2))
    print("| fold | coded | pairs | fine-tune s | re-embed s | load | frozen | tuned features | "
          "tuned everywhere |")
    print("| ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['fold']} | {r['training_answers']} | {r['pairs']} | {r['fine_tune_s']} | "
              f"{r['re_embed_s']} | "
              f"{r['load_before'][0]}-{r['load_after_fine_tune'][0]} | {r['frozen']['macro_kappa']:.3f} | "
              f"{r['tuned_features']['macro_kappa']:.3f} | {r['tuned_everywhere']['macro_kappa']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
