"""Learning from coders on Counsel Chat: the learning curve against zero-shot, and `suggest --learn` times.

Run: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/quality/learning_curve.py [--project PATH] [--draws 5]
     [--json FILE]

Data: ../shared/data/counsel_chat/questions.csv (815 questions, each filed by its author under one of 29
topics; the source's train/val/test split). A unit is a question's title and text, as in zero_shot.py;
codebook: counsel-chat-codebook.yaml beside this file (written from the topic names alone). Topics are
themes, one-vs-rest; a simulated coder codes a question with {its topic}.

Protocol (the data set's README; settings chosen on train+val only):

- Zero-shot: `thematic suggest` with its defaults over the whole project (run for real, and checked equal
  to the scores here), exactly as zero_shot.py's "defaults" row.
- Cross-validation over train+val (776 questions), with zero_shot.py's folds (numpy seed 0 permutation,
  5 folds): for each fold and each size n in 50, 100, 200, 400 and "all" (the other four folds), a
  simulated coder codes n questions drawn at random from the other four folds (``--draws`` draws,
  seeded); :func:`thematic.ml.learner.fit` learns from those decisions only and codes the held-out fold.
  Figure: multi-label macro kappa (mean one-vs-rest Cohen's kappa over the topics with at least 5
  questions in the scored fold: the assigned themes against {topic}), zero_shot.py's metric; mean and
  standard deviation over folds x draws, and the paired difference from zero-shot on the same fold.
  Single-label view: top-1 accuracy, the best learned theme (zero-shot: the best prototype score) against
  the topic; a topic not learned in that fold can never be the learned top-1.
- Test (39 questions): learned from n questions drawn from train+val (``--draws`` draws), scored on the
  test split; macro kappa over topics with at least 5 test questions (2 topics) and over every topic
  present (13). Small: quote the CV figures.
- Calibration of the learned probabilities (held out, pooled over folds, learned themes only): Brier
  score, and expected calibration error over 10 equal-width bins.
- Time of `suggest --learn` (:func:`thematic.ml.learner.suggest_learned`, the whole command's work: read
  decisions and the cached vectors, fit, score all 815 questions x 29 themes, store the run) for a
  simulated coder who coded 50, 100, 200 and 400 train+val questions; and of `thematic evaluate` for the
  400. The embedding cache is warm (the first `suggest` filled it); model files are hashed, not loaded.

The learner's constants (docs/learning.md) were chosen by cross-validation over train+val; the test split
was never looked at while choosing them.

SetFit-style probe (not part of thematic): ``--dump DIR`` writes the arrays above (vectors, prototype
scores, zero-shot thresholds and assignments, topics, folds) to DIR; ``--fine-tune DIR --model FOLDER``
then fine-tunes the sentence model contrastively, SetFit's way (pairs of training questions with the same
topic labelled 1, different topics 0, cosine-similarity loss), on each fold's 400 training questions,
re-embeds every question with it and fits thematic's learner on those vectors instead of the frozen ones;
held-out macro kappa against the frozen-vector learner on the same 400 questions. It needs only numpy,
scikit-learn, torch and sentence-transformers, so it runs on a GPU machine without thematic installed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data" / "counsel_chat" / "questions.csv"
CODEBOOK = HERE / "counsel-chat-codebook.yaml"
MIN_PER_TOPIC = 5
SIZES = (50, 100, 200, 400)
FOLDS = 5

sys.path.insert(0, str(HERE))
from zero_shot import load_questions  # noqa: E402  the same units as the zero-shot benchmark


def build_project(path: Path, rows: list[dict]):
    from thematic.codebook.load import load_codebook
    from thematic.ingest.importer import ImportOptions, import_file
    from thematic.store.codebooks import use_codebook
    from thematic.store.project import create_project, open_project

    if path.exists():
        return open_project(path)
    source = path.with_suffix(".csv")
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question_id", "question"])
        writer.writerows([r["question_id"], r["unit_text"]] for r in rows)
    project, _ = create_project(path)
    import_file(project, source, ImportOptions(id_column="question_id", text_columns=["question"]))
    use_codebook(project, load_codebook(CODEBOOK))
    return project


def macro_kappa(gold: np.ndarray, assigned: np.ndarray,
                min_positives: int = MIN_PER_TOPIC) -> tuple[float, int]:
    """Mean one-vs-rest kappa over the topics with at least ``min_positives`` questions (and how many)."""
    from thematic.ml.learner import kappas_at

    topics = [t for t in range(gold.shape[1]) if gold[:, t].sum() >= min_positives]
    values = [kappas_at(gold[:, t], assigned[None, :, t])[0] for t in topics]
    return float(np.mean(values)), len(topics)


def calibration(probabilities: np.ndarray, outcomes: np.ndarray, bins: int = 10) -> dict:
    p = np.asarray(probabilities, dtype=float)
    y = np.asarray(outcomes, dtype=float)
    which = np.minimum((p * bins).astype(int), bins - 1)
    ece = sum(abs(p[which == b].mean() - y[which == b].mean()) * (which == b).mean()
              for b in range(bins) if (which == b).any())
    return {"pairs": int(p.size), "brier": float(((p - y) ** 2).mean()), "ece": float(ece),
            "mean_probability": float(p.mean()), "share_positive": float(y.mean())}


def top1(gold: np.ndarray, scores: np.ndarray, learned: np.ndarray) -> float:
    """Share of units whose best theme is their topic: the best learned theme (probabilities), or the best
    prototype score when no theme was learned (zero-shot)."""
    ranked = np.where(learned[None, :], scores, -np.inf) if learned.any() else scores
    return float(gold[np.arange(len(gold)), ranked.argmax(axis=1)].mean())


def code_as(project, coder: str, units, gold_rows: dict[str, str]) -> None:
    from thematic.review.decisions import Decision
    from thematic.store.codebooks import require_current
    from thematic.store.decisions import record_many

    content_hash = require_current(project).content_hash
    record_many(project, [Decision.new(coder, u.id, {gold_rows[u.id]}, codebook_hash=content_hash)
                          for u in units])


def fmt(values) -> str:
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="keep the project (and its embedding cache) here")
    parser.add_argument("--draws", type=int, default=5, help="random training subsets per fold and size")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--dump", type=Path, help="write the arrays for --fine-tune to this folder")
    parser.add_argument("--fine-tune", type=Path, help="run the SetFit-style probe on a --dump folder")
    parser.add_argument("--model", type=Path, help="with --fine-tune: the sentence-transformers folder")
    parser.add_argument("--pairs", type=int, default=20, help="with --fine-tune: pairs per question")
    parser.add_argument("--budget", type=float, default=400.0, help="with --fine-tune: stop after so many s")
    parser.add_argument("--probe-size", type=int, default=400, help="with --fine-tune: coded questions")
    args = parser.parse_args(argv)
    if args.fine_tune:
        return fine_tune_probe(args.fine_tune, args.model, pairs=args.pairs, budget=args.budget,
                               size=args.probe_size)

    from thematic.ml import evaluate as E
    from thematic.ml import learner as L
    from thematic.ml import suggest as S
    from thematic.ml.embed import unit_vectors
    from thematic.store import corpus
    from thematic.store import ml as store
    from thematic.store.codebooks import require_current

    rows = load_questions()
    tmp = tempfile.TemporaryDirectory()
    project = build_project(args.project or Path(tmp.name) / "counsel-chat.db", rows)
    themes = list(require_current(project).codebook.themes)
    theme_ids = [t.id for t in themes]
    units = corpus.list_units(project)
    by_id = {r["question_id"]: r for r in rows}
    topic = {u.id: by_id[u.respondent_id]["topic"] for u in units}
    gold = np.array([[topic[u.id] == t for t in theme_ids] for u in units])
    split = np.array([by_id[u.respondent_id]["split"] for u in units])
    dev, test = np.flatnonzero(split != "test"), np.flatnonzero(split == "test")

    # Zero-shot, for real (this also fills the embedding cache), and the same numbers here.
    started = time.perf_counter()
    zero_run = S.suggest(project)
    zero_seconds = time.perf_counter() - started
    vectors = unit_vectors(project, units)
    zero = L.prototype_scores(project, units, themes, vectors=vectors)
    # what `suggest --learn` learns from: the embedding, character and word n-grams, the question (one here)
    V = L.unit_features([u.text for u in units], vectors, [u.question_id for u in units]).matrix
    stored = store.run_scores(project, zero_run.id)
    assert np.array_equal(zero.scores, np.array([[stored[u.id][t][0] for t in theme_ids] for u in units]))
    assert np.array_equal(zero.assigned, np.array([[stored[u.id][t][1] for t in theme_ids] for u in units]))

    # Cross-validation over train+val, zero_shot.py's folds.
    folds = np.array_split(np.random.default_rng(0).permutation(dev), FOLDS)
    fold_of = np.empty(len(units), dtype=int)
    for k, fold in enumerate(folds):
        fold_of[fold] = k
    Vd, Pd, Gd, Zd, Fd = V[dev], zero.scores[dev], gold[dev], zero.assigned[dev], fold_of[dev]
    if args.dump:
        args.dump.mkdir(parents=True, exist_ok=True)
        np.savez(args.dump / "arrays.npz", vectors=Vd, prototype=Pd, gold=Gd, zero=Zd, folds=Fd,
                 thresholds=zero.thresholds)
        (args.dump / "texts.json").write_text(json.dumps([units[i].text for i in dev]), encoding="utf-8")
    zero_per_fold = [macro_kappa(Gd[Fd == k], Zd[Fd == k])[0] for k in range(FOLDS)]
    zero_top1 = [top1(Gd[Fd == k], Pd[Fd == k], np.zeros(len(theme_ids), bool)) for k in range(FOLDS)]
    cv: dict[str, dict] = {}
    calibrations = {}
    for size in (*SIZES, None):
        name = "all" if size is None else str(size)
        learned, differences, accuracy, seconds, themes_learned = [], [], [], [], []
        probabilities, outcomes = [], []
        for draw in range(args.draws if size is not None else 1):
            fits: list = []

            def recording_fit(*a, fits=fits, **k):
                fits.append(L.fit(*a, **k))
                return fits[-1]

            result = E.cross_validate(Vd, Pd, Gd, theme_ids, Fd, zero.thresholds, Zd, train_size=size,
                                      seed=draw, fit=recording_fit)
            seconds.append(result.seconds / FOLDS)
            themes_learned.append(result.learned_folds.sum() / FOLDS)
            for fit_k, (_, held) in zip(fits, result.splits, strict=True):
                k = int(Fd[held[0]])
                value = macro_kappa(Gd[held], result.assigned[held])[0]
                learned.append(value)
                differences.append(value - zero_per_fold[k])
                accuracy.append(top1(Gd[held], result.scores[held], fit_k.learned))
                if size in (400, None):
                    probabilities.append(result.scores[held][:, fit_k.learned].ravel())
                    outcomes.append(Gd[held][:, fit_k.learned].ravel())
        train_units = size if size is not None else int(np.mean([len(t) for t, _ in result.splits]))
        cv[name] = {"coded_units": train_units, "macro_kappa": fmt(learned),
                    "minus_zero_shot": fmt(differences),
                    "beats_zero_shot": f"{sum(d > 0 for d in differences)}/{len(differences)}",
                    "top1_accuracy": fmt(accuracy),
                    "themes_learned": round(float(np.mean(themes_learned)), 1),
                    "fit_and_score_s_per_fold": round(float(np.mean(seconds)), 3),
                    "values": [round(v, 4) for v in learned]}
        if probabilities:
            calibrations[name] = calibration(np.concatenate(probabilities), np.concatenate(outcomes))

    # The test split.
    zero_test = (macro_kappa(gold[test], zero.assigned[test])[0],
                 macro_kappa(gold[test], zero.assigned[test], 1)[0],
                 top1(gold[test], zero.scores[test], np.zeros(len(theme_ids), bool)))
    test_rows = {}
    for size in (*SIZES, None):
        name = "all" if size is None else str(size)
        enough, present, accuracy = [], [], []
        for draw in range(args.draws if size is not None else 1):
            rng = np.random.default_rng([draw, 7, size or 0])
            train = dev if size is None else np.sort(rng.choice(dev, size=size, replace=False))
            fit = L.fit(V[train], zero.scores[train], gold[train], theme_ids)
            scores, _, assigned = fit.predict(V[test], zero.scores[test], zero.thresholds,
                                              zero.assigned[test])
            enough.append(macro_kappa(gold[test], assigned)[0])
            present.append(macro_kappa(gold[test], assigned, 1)[0])
            accuracy.append(top1(gold[test], scores, fit.learned))
        test_rows[name] = {"macro_kappa_5q": fmt(enough), "macro_kappa_all_topics": fmt(present),
                           "top1_accuracy": fmt(accuracy)}

    # Time `suggest --learn` for simulated coders, and `evaluate` for the 400.
    timings = {}
    rng = np.random.default_rng(11)
    for size in SIZES:
        coder = f"sim-{size}"
        chosen = [units[i] for i in np.sort(rng.choice(dev, size=size, replace=False))]
        if coder not in _coders(project):  # a kept --project has them already (the same draw)
            code_as(project, coder, chosen, topic)
        started = time.perf_counter()
        run = L.suggest_learned(project, from_coder=coder)
        timings[f"suggest --learn, {size} coded"] = round(time.perf_counter() - started, 2)
        timings[f"themes learned, {size} coded"] = sum(
            1 for info in run.parameters["themes"].values() if info["method"] == L.LEARNED)
    started = time.perf_counter()
    E.evaluate(project, from_coder="sim-400")
    timings["evaluate, 400 coded (5 folds, curve, 1000 bootstrap resamples)"] = round(
        time.perf_counter() - started, 2)
    timings["suggest (zero-shot; embeds the questions unless --project kept them)"] = round(zero_seconds, 2)

    result = {
        "questions": len(units), "themes": len(themes), "dev_questions": len(dev),
        "test_questions": len(test),
        "draws": args.draws, "method": L.METHOD,
        "zero_shot_cv_macro_kappa": fmt(zero_per_fold),
        "learned_cv": cv, "calibration_cv": calibrations,
        "zero_shot_cv_top1_accuracy": fmt(zero_top1),
        "zero_shot_test": {"macro_kappa_5q": round(zero_test[0], 4),
                           "macro_kappa_all_topics": round(zero_test[1], 4),
                           "top1_accuracy": round(zero_test[2], 4)},
        "learned_test": test_rows, "seconds": timings,
    }
    print(f"zero-shot, 5-fold CV over train+val: macro kappa {result['zero_shot_cv_macro_kappa']}, "
          f"top-1 accuracy {result['zero_shot_cv_top1_accuracy']}")
    print("| coded units | learned macro kappa (CV) | minus zero-shot | beats zero-shot "
          "| top-1 accuracy (CV) | themes learned | test macro kappa (2 topics / 13) | test top-1 |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, row in cv.items():
        t = test_rows[name]
        label = name if name != "all" else f"all ({row['coded_units']})"
        print(f"| {label} | {row['macro_kappa']} "
              f"| {row['minus_zero_shot']} | {row['beats_zero_shot']} | {row['top1_accuracy']} "
              f"| {row['themes_learned']} | {t['macro_kappa_5q']} / {t['macro_kappa_all_topics']} "
              f"| {t['top1_accuracy']} |")
    print(f"zero-shot on test: macro kappa {zero_test[0]:.3f} / {zero_test[1]:.3f}, top-1 {zero_test[2]:.3f}")
    for name, row in calibrations.items():
        print(f"calibration, {name} coded: Brier {row['brier']:.4f}, ECE {row['ece']:.4f} "
              f"(mean p {row['mean_probability']:.3f}, positives {row['share_positive']:.3f}, "
              f"{row['pairs']} unit x theme pairs)")
    for name, value in timings.items():
        print(f"{name}: {value}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    project.close()
    tmp.cleanup()
    return 0


def fine_tune_probe(folder: Path, model_folder: Path, *, pairs: int, budget: float, size: int = 400,
                    seed: int = 0) -> int:
    """The SetFit-style probe (module docstring): per fold, frozen vs fine-tuned vectors under the same
    learner, trained on the same ``size`` questions."""
    import torch
    from sentence_transformers import SentenceTransformer, losses

    from thematic.ml import learner as L

    started = time.perf_counter()
    data = np.load(folder / "arrays.npz")
    texts = json.loads((folder / "texts.json").read_text(encoding="utf-8"))
    names = ("vectors", "prototype", "gold", "zero", "folds", "thresholds")
    V, P, G, Z, F, thresholds = (data[name] for name in names)
    theme_ids = [str(t) for t in range(G.shape[1])]
    topic = G.argmax(axis=1)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    rows = []
    for k in range(FOLDS):
        if time.perf_counter() - started > budget:
            break
        rng = np.random.default_rng([seed, k, size])
        train = np.sort(rng.choice(np.flatnonzero(F != k), size=size, replace=False))
        held = np.flatnonzero(F == k)
        frozen = L.fit(V[train], P[train], G[train], theme_ids).predict(V[held], P[held], thresholds,
                                                                        Z[held])[2]
        model = SentenceTransformer(str(model_folder), device=device)
        model.float()
        model.max_seq_length = 256
        loss = losses.CosineSimilarityLoss(model)
        optimiser = torch.optim.AdamW(model.parameters(), lr=2e-5)
        examples = []
        for i in train:  # SetFit: for each question and iteration, one same-topic and one other-topic pair
            same = train[(topic[train] == topic[i]) & (train != i)]
            other = train[topic[train] != topic[i]]
            for _ in range(pairs):
                if len(same):
                    examples.append((i, int(rng.choice(same)), 1.0))
                examples.append((i, int(rng.choice(other)), 0.0))
        order = rng.permutation(len(examples))
        tune_started = time.perf_counter()
        model.train()
        for start in range(0, len(order), 32):
            batch = [examples[j] for j in order[start:start + 32]]
            a = _features(model, [texts[x] for x, _, _ in batch], device)
            b = _features(model, [texts[y] for _, y, _ in batch], device)
            value = loss([a, b], torch.tensor([lab for _, _, lab in batch], device=device))
            value.backward()
            optimiser.step()
            optimiser.zero_grad()
        model.eval()
        tuned = model.encode(texts, batch_size=128, convert_to_numpy=True, normalize_embeddings=True)
        tune_seconds = time.perf_counter() - tune_started
        learned = L.fit(tuned[train], P[train], G[train], theme_ids).predict(tuned[held], P[held], thresholds,
                                                                            Z[held])[2]
        row = {"fold": k, "pairs": len(examples), "seconds": round(tune_seconds, 1),
               "zero_shot": round(macro_kappa(G[held], Z[held])[0], 4),
               "frozen": round(macro_kappa(G[held], frozen)[0], 4),
               "fine_tuned": round(macro_kappa(G[held], learned)[0], 4)}
        rows.append(row)
        print(json.dumps(row), flush=True)
        del model, optimiser
    if rows:
        for name in ("zero_shot", "frozen", "fine_tuned"):
            print(f"{name}: {fmt([r[name] for r in rows])} over {len(rows)} folds", flush=True)
    return 0


def _features(model, texts: list[str], device: str) -> dict:
    features = model.tokenize(texts)
    return {key: value.to(device) if hasattr(value, "to") else value for key, value in features.items()}


def _coders(project) -> list[str]:
    from thematic.store.decisions import coders

    return coders(project)


if __name__ == "__main__":
    sys.exit(main())
