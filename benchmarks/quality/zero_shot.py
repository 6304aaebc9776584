"""Zero-shot agreement of `thematic suggest` with human topic labels (Counsel Chat).

Run: .venv/bin/python benchmarks/quality/zero_shot.py [--project PATH] [--json]

Data: ../shared/data/counsel_chat/questions.csv (815 questions, each filed by its author under one topic;
the source's own train/val/test split). Codebook: counsel-chat-codebook.yaml beside this file, one-line
definitions written from the topic names alone before any result was seen. A unit is a question's title
and text. Nothing is trained: the only labels used are for choosing settings, on train+val only.

Protocol (the data's README):
1. Settings are chosen on train+val. Top-1 scoring (centring, keyword boost) by accuracy; the
   multi-label rule (z, margin) by macro kappa. The grids are printed.
2. The held-out test split (39 questions) is scored with thematic's defaults, through the real pipeline
   (import, codebook use, `suggest`), and with the settings the grids pick.
3. For steadier numbers, 5-fold cross-validation over train+val: in each fold the settings are picked on
   the other four folds and the fold is scored with them.

Views:
- single-label: the unit's top-scoring theme against its topic: accuracy, Cohen's kappa over all topics,
  and macro kappa (the mean over topics of one-vs-rest kappa): ``macro_kappa`` over topics with at least
  5 questions in the scored set, ``macro_kappa_all`` over every topic present in it;
- multi-label: the themes `suggest` assigns (zero or more) against {topic}: macro kappa over the same
  topics, the share of units whose assigned set is exactly {topic}, themes per unit, share with none.

The default per-theme thresholds (theme mean + z sd) use every unit's scores but no label; they are
computed over the whole project, as `thematic suggest` does.
"""

from __future__ import annotations

import argparse
import csv
import itertools
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

CENTRING = (0.0, 0.5, 1.0)
BOOST = (0.0, 0.03, 0.05, 0.08)
Z = (0.0, 0.5, 1.0, 1.5)
MARGIN = (0.0, 0.02, 0.05)


def load_questions() -> list[dict]:
    with DATA.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["unit_text"] = (row["title"].strip() + "\n" + row["text"].strip()).strip()
    return rows


def build_project(path: Path, rows: list[dict]):
    from thematic.codebook.load import load_codebook
    from thematic.ingest.importer import ImportOptions, import_file
    from thematic.store.codebooks import use_codebook
    from thematic.store.project import create_project

    source = path.with_suffix(".csv")
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question_id", "question"])
        writer.writerows([r["question_id"], r["unit_text"]] for r in rows)
    project, _ = create_project(path)
    import_file(project, source, ImportOptions(id_column="question_id", text_columns=["question"]))
    use_codebook(project, load_codebook(CODEBOOK))
    return project


# -- metrics ---------------------------------------------------------------------------------------------
def kappa(a, b) -> float:
    from sklearn.metrics import cohen_kappa_score

    if len(set(a)) == 1 and len(set(b)) == 1:
        return 1.0 if list(a) == list(b) else 0.0
    return float(cohen_kappa_score(a, b))


def single_label(top: np.ndarray, truth: np.ndarray, n_themes: int) -> dict:
    def macro(topics):
        return float(np.mean([kappa((truth == t).tolist(), (top == t).tolist()) for t in topics]))

    enough = [t for t in range(n_themes) if (truth == t).sum() >= MIN_PER_TOPIC]
    present = [t for t in range(n_themes) if (truth == t).any()]
    return {
        "accuracy": float((top == truth).mean()),
        "kappa": kappa(truth.tolist(), top.tolist()),
        "macro_kappa": macro(enough), "topics": len(enough),
        "macro_kappa_all": macro(present), "topics_all": len(present),
    }


def multi_label(assigned: np.ndarray, truth: np.ndarray) -> dict:
    n_themes = assigned.shape[1]
    gold = np.eye(n_themes, dtype=bool)[truth]
    def macro(topics):
        return float(np.mean([kappa(gold[:, t].tolist(), assigned[:, t].tolist()) for t in topics]))

    return {
        "macro_kappa": macro([t for t in range(n_themes) if gold[:, t].sum() >= MIN_PER_TOPIC]),
        "macro_kappa_all": macro([t for t in range(n_themes) if gold[:, t].any()]),
        "exact": float((assigned == gold).all(axis=1).mean()),
        "themes_per_unit": float(assigned.sum(axis=1).mean()),
        "none": float((assigned.sum(axis=1) == 0).mean()),
    }


def route(assigned, scores):
    """Non-answers get no theme, as in `suggest` (this codebook has no residual theme)."""
    from thematic.ml import zeroshot

    return zeroshot.route_non_answers(assigned, scores, WORDS["blank"], [], [])


# -- settings ----------------------------------------------------------------------------------------------
WORDS: dict = {}  # the units' word cues (thematic.ml.zeroshot.UnitWords), set in main()


def scores_for(S, U, vectors, hits, centring, boost, word_weight=None, sentences=True):
    settings = S.Settings(centring=centring, keyword_boost=boost)
    if word_weight is not None:
        settings = S.Settings(centring=centring, keyword_boost=boost, word_weight=word_weight)
    return S.score_matrix(U, vectors, hits, settings, words=WORDS.get("words"),
                          sentences=WORDS.get("sentences") if sentences else None)


def pick_top1(S, U, vectors, hits, truth, rows) -> tuple[tuple, dict]:
    grid = {}
    for c, b in itertools.product(CENTRING, BOOST):
        top = scores_for(S, U, vectors, hits, c, b)[rows].argmax(axis=1)
        grid[(c, b)] = float((top == truth[rows]).mean())
    best = max(grid, key=lambda k: (round(grid[k], 6), -abs(k[0] - 0.5), -k[1]))
    return best, grid


def pick_multi(S, scores, truth, rows) -> tuple[tuple, dict]:
    grid = {}
    for z, m in itertools.product(Z, MARGIN):
        limits, _ = S.theme_thresholds(scores, S.Settings(z=z))
        assigned = route(S.assign(scores, limits, m), scores)
        grid[(z, m)] = multi_label(assigned[rows], truth[rows])["macro_kappa"]
    best = max(grid, key=lambda k: (round(grid[k], 6), k[1], -k[0]))
    return best, grid


def evaluate(S, U, vectors, hits, truth, rows, n_themes, centring, boost, z, margin,
             word_weight=None, sentences=True) -> dict:
    scores = scores_for(S, U, vectors, hits, centring, boost, word_weight, sentences)
    limits, _ = S.theme_thresholds(scores, S.Settings(z=z))
    assigned = route(S.assign(scores, limits, margin), scores)
    return {"settings": {"centring": centring, "keyword_boost": boost, "z": z, "margin": margin},
            "single": single_label(scores[rows].argmax(axis=1), truth[rows], n_themes),
            "multi": multi_label(assigned[rows], truth[rows])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=None,
                        help="keep the project (and its embedding cache) here between runs")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from thematic.ml import suggest as S
    from thematic.ml.embed import unit_vectors
    from thematic.store import corpus
    from thematic.store import ml as store
    from thematic.store.codebooks import require_current

    rows = load_questions()
    tmp = tempfile.TemporaryDirectory()
    path = args.project or Path(tmp.name) / "counsel-chat.db"
    if path.exists():
        from thematic.store.project import open_project

        project = open_project(path)
    else:
        project = build_project(path, rows)
    themes = list(require_current(project).codebook.themes)
    theme_ids = [t.id for t in themes]
    units = corpus.list_units(project)
    by_id = {r["question_id"]: r for r in rows}
    truth = np.array([theme_ids.index(by_id[u.respondent_id]["topic"]) for u in units])
    split = np.array([by_id[u.respondent_id]["split"] for u in units])
    dev, test = np.flatnonzero(split != "test"), np.flatnonzero(split == "test")

    # 1. the product path: `suggest` with its defaults, stored as a run
    started = time.perf_counter()
    run = S.suggest(project)
    suggest_s = time.perf_counter() - started
    stored = store.run_scores(project, run.id)
    stored_scores = np.array([[stored[u.id][t][0] for t in theme_ids] for u in units])
    stored_assigned = np.array([[stored[u.id][t][1] for t in theme_ids] for u in units])

    U = unit_vectors(project, units)
    vectors = S.embed_theme_texts(project, themes)
    hits, _ = S.keyword_hits([u.text for u in units], themes)
    from thematic.ml import zeroshot
    from thematic.ml.embed import embed_texts

    WORDS["words"] = zeroshot.unit_words([u.text for u in units], lambda v: embed_texts(project, v))
    WORDS["blank"] = zeroshot.non_answers([u.text for u in units])
    WORDS["sentences"] = zeroshot.sentence_vectors([u.text for u in units], lambda v: embed_texts(project, v))
    defaults = S.Settings()
    assert np.array_equal(scores_for(S, U, vectors, hits, defaults.centring, defaults.keyword_boost),
                          stored_scores), "the benchmark's scores differ from the stored run's"

    # 2. choosing on train+val
    (c, b), top1_grid = pick_top1(S, U, vectors, hits, truth, dev)
    (z, m), multi_grid = pick_multi(S, scores_for(S, U, vectors, hits, c, b), truth, dev)
    picked = {"centring": c, "keyword_boost": b, "z": z, "margin": m}
    majority = np.bincount(truth[dev]).argmax()

    result = {
        "questions": len(units), "themes": len(themes), "dev_questions": len(dev),
        "test_questions": len(test),
        "suggest_run_s": round(suggest_s, 2), "lemmatizer": run.parameters["lemmatizer"],
        "defaults": {"centring": defaults.centring, "keyword_boost": defaults.keyword_boost, "z": defaults.z,
                     "margin": defaults.margin},
        "picked_on_dev": picked,
        "grid_top1_accuracy_dev": {f"centring={k[0]} boost={k[1]}": round(v, 4)
                                   for k, v in top1_grid.items()},
        "grid_multi_macro_kappa_dev": {f"z={k[0]} margin={k[1]}": round(v, 4) for k, v in multi_grid.items()},
        "test": {
            "defaults (stored run)": {
                "single": single_label(stored_scores[test].argmax(axis=1), truth[test], len(themes)),
                "multi": multi_label(stored_assigned[test], truth[test])},
            "picked on dev": evaluate(S, U, vectors, hits, truth, test, len(themes), c, b, z, m),
            "majority class": {
                "single": single_label(np.full(len(test), majority), truth[test], len(themes))},
        },
        "dev (settings were chosen here)": {
            "defaults": evaluate(S, U, vectors, hits, truth, dev, len(themes), defaults.centring,
                                 defaults.keyword_boost, defaults.z, defaults.margin)},
    }

    # 3. cross-validation over train+val, choosing inside each fold
    rng = np.random.default_rng(0)
    order = rng.permutation(dev)
    folds = np.array_split(order, args.folds)
    cv: dict[str, list] = {"picked": [], "defaults": [], "defaults without word cues": [],
                           "defaults without sentences (whole text only)": []}
    for k, fold in enumerate(folds):
        train = np.concatenate([f for j, f in enumerate(folds) if j != k])
        (fc, fb), _ = pick_top1(S, U, vectors, hits, truth, train)
        (fz, fm), _ = pick_multi(S, scores_for(S, U, vectors, hits, fc, fb), truth, train)
        cv["picked"].append(evaluate(S, U, vectors, hits, truth, fold, len(themes), fc, fb, fz, fm))
        cv["defaults"].append(evaluate(S, U, vectors, hits, truth, fold, len(themes), defaults.centring,
                                       defaults.keyword_boost, defaults.z, defaults.margin))
        cv["defaults without word cues"].append(evaluate(
            S, U, vectors, hits, truth, fold, len(themes), defaults.centring, defaults.keyword_boost,
            defaults.z, defaults.margin, word_weight=0.0))
        cv["defaults without sentences (whole text only)"].append(evaluate(
            S, U, vectors, hits, truth, fold, len(themes), defaults.centring, defaults.keyword_boost,
            defaults.z, defaults.margin, sentences=False))

    def summary(evals: list[dict]) -> dict:
        out = {}
        views = (("single", ("accuracy", "kappa", "macro_kappa", "macro_kappa_all")),
                 ("multi", ("macro_kappa", "macro_kappa_all", "exact")))
        for view, keys in views:
            for key in keys:
                values = [e[view][key] for e in evals]
                out[f"{view}_{key}"] = f"{np.mean(values):.3f} ± {np.std(values):.3f}"
        out["settings"] = [e["settings"] for e in evals]
        return out

    result["cv (5 folds over train+val)"] = {name: summary(evals) for name, evals in cv.items()}
    project.close()
    tmp.cleanup()
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
