"""Richer features from the same frozen sentence model: do they pay for the learner? (issue 16)

Run: PYTHONPATH=. .venv/bin/python benchmarks/quality/richer_features.py [--nhs] [--counsel]
     [--only NAME ...] [--test NAME] [--json FILE]

The learner (:mod:`thematic.ml.learner`) reads one vector per text from all-MiniLM-L6-v2: the mean of the
last layer's token states, L2-normalised. This script takes more from the same frozen model, in one
forward pass per text (``output_hidden_states``), and feeds it to the learner beside, or instead of,
that vector:

- ``mean L``: the mean-pooled token states of hidden layer L (0: the token embeddings, 6: the last,
  what thematic uses), each L2-normalised;
- ``max 6``: the max-pooled token states of the last layer, L2-normalised;
- ``stop 6``: the last layer's mean vector of the text with spaCy's English stop words removed (the
  text as it is when nothing would be left).

Variants (:data:`VARIANTS`): an extra block appended to ``learner.unit_features``'s matrix, its rows
scaled to a mean length ``w`` (the embedding's length is 1; the character and word n-gram blocks are 0.5
each), a concatenation of several layers sharing that length equally; or the embedding block replaced.
The zero-shot input (prototype scores, thresholds, assignments) stays the frozen last-layer one, as
``suggest --learn`` has it.

- ``--nhs`` (default): NHS FFT, the train split's 5-fold cross-validation by respondent, exactly
  ``nhs_fft.py --cv``'s (its folds, figure and zero-shot input; macro kappa over the 32 themes with at
  least 20 train positives). Every variant against the current features in the same run.
- ``--counsel``: Counsel Chat, ``learning_curve.py``'s protocol at 400 coded questions (its folds over
  train+val, 3 seeded draws per fold, ``evaluate.cross_validate``; macro kappa over topics with at least
  5 questions in the fold), for the variants named by ``--only`` and the current features.
- ``--test NAME``: NHS FFT learned from the whole train split and scored once on test, the current
  features and variant NAME (all test, unseen texts, themes per answer).

Vectors are cached under ``benchmarks/quality/.cache/layers-<model>.npz`` (gitignored), keyed by the
sha256 of each text; the first run embeds the 5,478 distinct NHS texts (and their stop-word-free
forms) with PyTorch on the CPU, batches of 64 sorted by length, ``torch.no_grad``, 2 threads.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))
CACHE = HERE / ".cache"
LAYERS = 7  # hidden_states: the token embeddings, then the 6 transformer layers
VIEWS = tuple(f"mean {layer}" for layer in range(LAYERS)) + ("max 6", "stop 6")


# -- the views ---------------------------------------------------------------------------------------------
def _normalise(X: np.ndarray) -> np.ndarray:
    return X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)


def _stripped(text: str, stop: frozenset[str]) -> str:
    """``text`` without stop words (word tokens as the model's lower-casing tokenizer sees them)."""
    import re

    kept = [w for w in re.findall(r"\S+", text) if re.sub(r"[^\w']", "", w.lower()) not in stop]
    return " ".join(kept) if kept else text


def _forward(model, texts: list[str], batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean-pooled states of every hidden layer (n, 7, 384), max-pooled last layer (n, 384)),
    unnormalised."""
    import torch

    transformer = model[0]
    order = np.argsort([len(t) for t in texts], kind="stable")
    means = np.zeros((len(texts), LAYERS, 384), dtype=np.float32)
    maxes = np.zeros((len(texts), 384), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(texts), batch_size):
            rows = order[start:start + batch_size]
            features = transformer.tokenize([texts[i] for i in rows])
            out = transformer.auto_model(**features, output_hidden_states=True)
            mask = features["attention_mask"].unsqueeze(-1).float()
            for layer, states in enumerate(out.hidden_states):
                means[rows, layer] = ((states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)).numpy()
            last = out.hidden_states[-1].masked_fill(mask == 0, -1e9)
            maxes[rows] = last.max(dim=1).values.numpy()
    return means, maxes


def layer_views(texts: list[str], *, batch_size: int = 64, threads: int = 2) -> dict[str, np.ndarray]:
    """{view: (len(texts), 384) float32, L2-normalised} for the views in :data:`VIEWS`, cached on disk."""
    from thematic.ml.embed import folder_fingerprint, load_model, resolve_model_dir, text_sha256

    _, folder = resolve_model_dir(None)
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"layers-{folder_fingerprint(folder).split(':')[-1][:16]}.npz"
    known: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path, allow_pickle=False) as stored:
            known = dict(zip(stored["keys"].tolist(), stored["views"], strict=True))
    keys = [text_sha256(t) for t in texts]
    missing = sorted({t for t, k in zip(texts, keys, strict=True) if k not in known})
    if missing:
        import torch

        from thematic.ml.zeroshot import stop_words

        torch.set_num_threads(threads)
        model = load_model(None, device="cpu")
        started = time.perf_counter()
        means, maxes = _forward(model, missing, batch_size)
        stop = stop_words()
        stopped, _ = _forward(model, [_stripped(t, stop) for t in missing], batch_size)
        print(f"embedded {len(missing)} texts twice (all layers; stop words removed) in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        views = np.concatenate([means, maxes[:, None], stopped[:, -1:]], axis=1)  # (n, 9, 384)
        views = views / np.maximum(np.linalg.norm(views, axis=2, keepdims=True), 1e-12)
        known.update(zip((text_sha256(t) for t in missing), views.astype(np.float32), strict=True))
        partial = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
        np.savez(partial, keys=np.array(list(known)), views=np.stack(list(known.values())))
        os.replace(partial, path)
    stacked = np.stack([known[k] for k in keys])
    return {name: stacked[:, v] for v, name in enumerate(VIEWS)}


# -- the variants ------------------------------------------------------------------------------------------
#: name -> (views, weight, how): "add" appends the views as one block of mean row length ``weight``
#: (several views share it equally); "replace" puts them (length 1) in place of the embedding block;
#: "replace avg" puts their normalised average there.
VARIANTS: dict[str, tuple[tuple[str, ...], float, str]] = {
    "current features": ((), 0.0, "add"),
    "+ max 6 at 0.5": (("max 6",), 0.5, "add"),
    "+ max 6 at 1.0": (("max 6",), 1.0, "add"),
    "+ stop 6 at 0.5": (("stop 6",), 0.5, "add"),
    "+ stop 6 at 1.0": (("stop 6",), 1.0, "add"),
    "+ mean 3 at 0.5": (("mean 3",), 0.5, "add"),
    "+ mean 3 at 1.0": (("mean 3",), 1.0, "add"),
    "+ mean 2..5 concatenated at 1.0": (("mean 2", "mean 3", "mean 4", "mean 5"), 1.0, "add"),
    "+ mean 2..5 concatenated at 2.0": (("mean 2", "mean 3", "mean 4", "mean 5"), 2.0, "add"),
    "+ mean 0..5 concatenated at 1.0": (tuple(f"mean {x}" for x in range(6)), 1.0, "add"),
    "embedding -> mean of layers 2..6": (tuple(f"mean {x}" for x in range(2, 7)), 1.0, "replace avg"),
    "embedding -> mean 2..6 concatenated": (tuple(f"mean {x}" for x in range(2, 7)), 1.0, "replace"),
    "+ max 6 and stop 6 at 0.5 each": (("max 6", "stop 6"), 0.71, "add"),
}


def variant_matrix(base: np.ndarray, embedding_dims: int, views: dict[str, np.ndarray],
                   name: str) -> np.ndarray:
    chosen, weight, how = VARIANTS[name]
    if not chosen:
        return base
    if how == "add":
        share = weight / np.sqrt(len(chosen))
        return np.hstack([base] + [share * views[v].astype(np.float64) for v in chosen])
    if how == "replace avg":
        block = _normalise(np.mean([views[v].astype(np.float64) for v in chosen], axis=0))
    else:
        block = np.hstack([views[v].astype(np.float64) / np.sqrt(len(chosen)) for v in chosen])
    return np.hstack([block, base[:, embedding_dims:]])


# -- NHS FFT -----------------------------------------------------------------------------------------------
def nhs(names: list[str], test: str | None) -> dict:
    import nhs_fft as N

    from thematic.ml import learner as L

    data = N.Data()
    U = data.vectors()[0].astype(np.float64)
    views = layer_views(data.texts)
    cosine = float(np.mean(np.sum(views["mean 6"] * U, axis=1)))
    print(f"NHS FFT: {len(data.texts)} answers; mean cosine of this script's last-layer mean to the "
          f"benchmark's vectors {cosine:.6f}", flush=True)
    F = L.unit_features(data.texts, U, data.questions)
    P, limits, Z = N.zero_shot_scores(data, U)
    ids = [f"t{t:02d}" for t in range(len(data.theme_names))]
    fold = N.cv_folds(data.groups, data.train)
    Y = data.Y[data.train]
    themes = np.flatnonzero(Y.sum(axis=0) >= 20)

    def run(M, rows, score_rows):
        model = L.fit(M[rows], P[rows], data.Y[rows], ids, keys=[F.keys[i] for i in rows])
        return model.predict(M[score_rows], P[score_rows], limits, Z[score_rows],
                             keys=[F.keys[i] for i in score_rows])[2]

    out = {"cosine_to_benchmark_vectors": round(cosine, 6), "cv": {}}
    if test is None:
        print("| variant | features | CV macro kappa | minus current | themes per answer | seconds |\n"
              "| --- | ---: | ---: | ---: | ---: | ---: |", flush=True)
        for name in names:
            started = time.perf_counter()
            M = variant_matrix(F.matrix, U.shape[1], views, name)
            A = np.zeros(Y.shape, dtype=bool)
            for k in range(N.FOLDS):
                A[fold == k] = run(M, data.train[fold != k], data.train[fold == k])
            value = float(np.mean([N.kappa(Y[:, t], A[:, t]) for t in themes]))
            row = {"features": M.shape[1], "cv_macro_kappa": round(value, 4),
                   "themes_per_answer": round(float(A.sum(axis=1).mean()), 3),
                   "seconds": round(time.perf_counter() - started, 1)}
            out["cv"][name] = row
            base = out["cv"].get("current features", {}).get("cv_macro_kappa")
            diff = f"{round(value - base, 4) + 0.0:+.4f}" if base is not None else "-"
            print(f"| {name} | {row['features']} | {value:.4f} | {diff} | {row['themes_per_answer']:.2f} "
                  f"| {row['seconds']} |", flush=True)
        return out
    out["test"] = {}
    for name in ("current features", test):
        M = variant_matrix(F.matrix, U.shape[1], views, name)
        out["test"][name] = N.figures(data, run(M, data.train, data.test))
        print(name, out["test"][name], flush=True)
    return out


# -- Counsel Chat ------------------------------------------------------------------------------------------
def counsel(names: list[str], draws: int = 3, size: int = 400) -> dict:
    import tempfile

    import learning_curve as C

    from thematic.ml import evaluate as E
    from thematic.ml import learner as L
    from thematic.ml import suggest as S
    from thematic.ml.embed import unit_vectors
    from thematic.store import corpus
    from thematic.store.codebooks import require_current

    rows = C.load_questions()
    with tempfile.TemporaryDirectory() as tmp:
        project = C.build_project(Path(tmp) / "counsel-chat.db", rows)
        themes = list(require_current(project).codebook.themes)
        theme_ids = [t.id for t in themes]
        units = corpus.list_units(project)
        by_id = {r["question_id"]: r for r in rows}
        topic = {u.id: by_id[u.respondent_id]["topic"] for u in units}
        gold = np.array([[topic[u.id] == t for t in theme_ids] for u in units])
        split = np.array([by_id[u.respondent_id]["split"] for u in units])
        dev = np.flatnonzero(split != "test")
        S.suggest(project)
        vectors = unit_vectors(project, units)
        zero = L.prototype_scores(project, units, themes, vectors=vectors)
        texts = [u.text for u in units]
        F = L.unit_features(texts, vectors, [u.question_id for u in units])
        project.close()
    views = layer_views(texts)
    cosine = float(np.mean(np.sum(views["mean 6"] * vectors, axis=1)))
    print(f"Counsel Chat: {len(units)} questions; mean cosine of this script's last-layer mean to the "
          f"project's vectors {cosine:.6f}", flush=True)
    folds = np.array_split(np.random.default_rng(0).permutation(dev), C.FOLDS)
    fold_of = np.empty(len(units), dtype=int)
    for k, members in enumerate(folds):
        fold_of[members] = k
    Pd, Gd, Zd, Fd = zero.scores[dev], gold[dev], zero.assigned[dev], fold_of[dev]
    out = {"cosine_to_project_vectors": round(cosine, 6), "cv_400": {}}
    print(f"| variant | CV macro kappa at {size} coded ({C.FOLDS} folds x {draws} draws) | minus current |\n"
          "| --- | ---: | ---: |", flush=True)
    for name in names:
        V = variant_matrix(F.matrix, vectors.shape[1], views, name)[dev]
        values = []
        for draw in range(draws):
            result = E.cross_validate(V, Pd, Gd, theme_ids, Fd, zero.thresholds, Zd, train_size=size,
                                      seed=draw)
            values += [C.macro_kappa(Gd[held], result.assigned[held])[0] for _, held in result.splits]
        row = {"macro_kappa": round(float(np.mean(values)), 4), "sd": round(float(np.std(values)), 4)}
        out["cv_400"][name] = row
        base = out["cv_400"].get("current features", {}).get("macro_kappa")
        diff = f"{round(row['macro_kappa'] - base, 4) + 0.0:+.4f}" if base is not None else "-"
        print(f"| {name} | {row['macro_kappa']:.4f} ± {row['sd']:.3f} | {diff} |", flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nhs", action="store_true", help="NHS FFT train cross-validation (the default)")
    parser.add_argument("--counsel", action="store_true", help="Counsel Chat at 400 coded")
    parser.add_argument("--only", nargs="*", default=None, help="variants whose name contains one of these")
    parser.add_argument("--test", default=None,
                        help="NHS FFT test split: the current features and this variant")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--without-current", action="store_true",
                        help="leave out the current features' row (when an earlier run has it)")
    args = parser.parse_args()
    names = [n for n in VARIANTS if (n == "current features" and not args.without_current)
             or (n != "current features" and (args.only is None
                                              or any(o.lower() in n.lower() for o in args.only)))]
    if args.test is not None and args.test not in VARIANTS:
        parser.error(f"--test: no variant '{args.test}' (one of: {', '.join(VARIANTS)})")
    out = {}
    if args.nhs or args.test or not args.counsel:
        out["nhs_fft"] = nhs(names, args.test)
    if args.counsel:
        out["counsel_chat"] = counsel(names)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
