"""Machine coding of real short survey answers: NHS Friends and Family Test answers against their coders.

Run: PYTHONPATH=. .venv/bin/python benchmarks/quality/nhs_fft.py [--json FILE] [--only NAME ...]

Data: ../shared/data/nhs_fft (README there: the protocol). 6,205 answers, each coded by one labeller into
one or more of 45 categories that occur (names only, no definitions); ``splits.csv`` splits by
respondent, train 4,235 -> test 1,970. Every setting is chosen on train (by cross-validation grouped by
respondent where a method needs it); test is scored once.

Figures (the README's protocol):

- macro binary Cohen's kappa over the themes with at least :data:`MIN_TEST_POSITIVES` test positives
  (31 themes), on all test answers and on the test answers whose text does not occur in train
  ("unseen");
- themes per answer (the coders give 1.39 on test);
- themes with fewer test positives are counted apart: their macro kappa over every theme with at least
  one test positive is in the JSON (``macro_kappa_all``).

Vectors: frozen all-MiniLM-L6-v2 (thematic's default model), cached under ``benchmarks/quality/.cache``
(gitignored) by ``vector_cache.py``; the first run embeds ~5,400 distinct texts (about a minute on two
cores), later runs none.

Rows: the baselines of issue 16 (plain cosine to the theme names; scikit-learn logistic regression;
nearest neighbours), then thematic's own zero-shot (:mod:`thematic.ml.suggest`, the theme names only)
and thematic's learner (:mod:`thematic.ml.learner`, learning from the train coding), each called on
arrays as ``suggest`` / ``suggest --learn`` call them (features of every answer, fit on the coded rows,
identical-text keys with the question).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))
DATA = REPO.parent / "shared" / "data" / "nhs_fft"
MIN_TEST_POSITIVES = 10
FOLDS = 5


# -- data ------------------------------------------------------------------------------------------------
class Data:
    def __init__(self):
        import pandas as pd

        items = pd.read_csv(DATA / "items.csv", keep_default_na=False)
        splits = pd.read_csv(DATA / "splits.csv", keep_default_na=False)
        categories = pd.read_csv(DATA / "categories.csv", keep_default_na=False)
        items = items.merge(splits, on="id", how="left", validate="one_to_one")
        self.items = items
        labels = [set(s.split("|")) for s in items["labels"]]
        used = set().union(*labels)
        self.theme_names = [c for c in categories["category"] if c in used]
        index = {name: t for t, name in enumerate(self.theme_names)}
        self.Y = np.zeros((len(items), len(self.theme_names)), dtype=bool)
        for i, ls in enumerate(labels):
            for name in ls:
                self.Y[i, index[name]] = True
        self.texts = items["text"].tolist()
        self.questions = items["question"].tolist()
        self.groups = items["respondent_id"].tolist()
        self.train = np.flatnonzero(items["split"].to_numpy() == "train")
        self.test = np.flatnonzero(items["split"].to_numpy() == "test")
        train_texts = {self.texts[i] for i in self.train}
        self.unseen = np.array([self.texts[i] not in train_texts for i in self.test])
        positives = self.Y[self.test].sum(axis=0)
        self.scored = np.flatnonzero(positives >= MIN_TEST_POSITIVES)
        self.present = np.flatnonzero(positives >= 1)

    def vectors(self):
        from vector_cache import vectors_for

        U = vectors_for(self.texts)
        names = vectors_for(self.theme_names)
        return U, names


def cv_folds(groups: list[str], rows: np.ndarray, folds: int = FOLDS) -> np.ndarray:
    """Fold of each of ``rows``: by respondent, from a hash of its id (no randomness to seed)."""
    return np.array([int(hashlib.sha256(f"cv:{groups[i]}".encode()).hexdigest(), 16) % folds for i in rows])


# -- metrics ---------------------------------------------------------------------------------------------
def kappa(y: np.ndarray, a: np.ndarray) -> float:
    from sklearn.metrics import cohen_kappa_score

    y, a = np.asarray(y, dtype=bool), np.asarray(a, dtype=bool)
    if y.all() == a.all() and (y == a).all():
        return 1.0
    if len(set(y.tolist())) == 1 and len(set(a.tolist())) == 1:
        return 0.0
    return float(cohen_kappa_score(y, a))


def figures(data: Data, assigned_test: np.ndarray) -> dict:
    """The protocol's figures for an assignment of the test answers (rows = data.test)."""
    Y = data.Y[data.test]
    A = np.asarray(assigned_test, dtype=bool)

    def macro(rows, themes):
        return float(np.mean([kappa(Y[rows, t], A[rows, t]) for t in themes]))

    everyone = np.arange(len(Y))
    return {
        "macro_kappa": round(macro(everyone, data.scored), 4),
        "macro_kappa_unseen": round(macro(np.flatnonzero(data.unseen), data.scored), 4),
        "themes_per_answer": round(float(A.sum(axis=1).mean()), 3),
        "macro_kappa_all": round(macro(everyone, data.present), 4),
        "none": round(float((A.sum(axis=1) == 0).mean()), 4),
    }


# -- baselines (issue 16's table) ------------------------------------------------------------------------
def best_cut(y: np.ndarray, s: np.ndarray) -> float:
    from thematic.ml.learner import best_threshold

    return best_threshold(y, s)[0]


def baseline_top1(data, U, names):
    S = U @ names.T
    return np.eye(len(data.theme_names), dtype=bool)[S[data.test].argmax(axis=1)]


def baseline_cosine_threshold(data, U, names):
    S = U @ names.T
    tr = data.train
    grid = np.round(np.arange(0.10, 0.60, 0.01), 2)
    scores = [np.mean([kappa(data.Y[tr, t], S[tr, t] >= g) for t in range(S.shape[1])
                       if data.Y[tr, t].sum() >= MIN_TEST_POSITIVES]) for g in grid]
    cut = grid[int(np.argmax(scores))]
    return S[data.test] >= cut


def _logreg(X, y):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, max_iter=1000).fit(X, y)


def _lr_probs(X_train, Y_train, X_test) -> np.ndarray:
    out = np.zeros((X_test.shape[0], Y_train.shape[1]))
    for t in range(Y_train.shape[1]):
        y = Y_train[:, t]
        if y.all() or not y.any():
            out[:, t] = float(y.mean())
            continue
        out[:, t] = _logreg(X_train, y).predict_proba(X_test)[:, 1]
    return out


def baseline_logreg(data, U, names):
    return _lr_probs(U[data.train], data.Y[data.train], U[data.test]) >= 0.5


def baseline_logreg_cv(data, U, names):
    tr = data.train
    fold = cv_folds(data.groups, tr)
    held = np.zeros((len(tr), data.Y.shape[1]))
    for k in range(FOLDS):
        held[fold == k] = _lr_probs(U[tr[fold != k]], data.Y[tr[fold != k]], U[tr[fold == k]])
    cuts = np.array([best_cut(data.Y[tr, t], held[:, t]) if data.Y[tr, t].any() else 1.0
                     for t in range(data.Y.shape[1])])
    return _lr_probs(U[tr], data.Y[tr], U[data.test]) >= cuts[None, :]


def baseline_knn(data, U, names, k=10):
    sims = U[data.test] @ U[data.train].T
    nearest = np.argsort(-sims, axis=1)[:, :k]
    share = data.Y[data.train][nearest].mean(axis=1)
    return share >= 0.5


BASELINES = {
    "zero-shot, top-1 cosine to the theme names": baseline_top1,
    "zero-shot, one cosine threshold chosen on train": baseline_cosine_threshold,
    "one-vs-rest logistic regression on train, p >= 0.5": baseline_logreg,
    "the same, per-theme thresholds chosen by cross-validation on train": baseline_logreg_cv,
    "10 nearest coded neighbours": baseline_knn,
}


# -- thematic's methods ----------------------------------------------------------------------------------
def themes_of(data):
    from thematic.codebook.model import Theme

    return [Theme(id=f"t{t:02d}", name=name, definition="") for t, name in enumerate(data.theme_names)]


def thematic_zero_shot_before(data, U, names):
    """`thematic suggest` as it was before issue 16 (suggest.score_matrix, per-theme mean + z sd)."""
    from thematic.ml import suggest as S

    themes = themes_of(data)
    from vector_cache import vectors_for

    pos = [S.positive_texts(t) for t in themes]
    flat = [x for p in pos for x in p]
    owner = np.array([i for i, p in enumerate(pos) for _ in p])
    tv = S.ThemeVectors(vectors_for(flat).astype(np.float64), owner, np.zeros((0, U.shape[1])),
                        np.zeros(0, dtype=int), len(themes))
    scores = S.score_matrix(U, tv, None)
    limits, _ = S.theme_thresholds(scores)
    return S.assign(scores, limits)[data.test]


def zero_shot_scores(data, U, settings=None, questions=True):
    """`thematic suggest`'s zero-shot scores of every answer from the theme names alone, through its own
    functions (thematic.ml.zeroshot.score_units: keyword and word cues, non-answers restated under their
    question), and its assignment (suggest.assign_structured: thresholds, margin, structure with the
    catch-all "Not assigned" residual, non-answers), as (scores, thresholds, assigned).
    ``questions=False``: as if the questions' texts were unknown."""
    from vector_cache import vectors_for

    from thematic.codebook.model import Codebook
    from thematic.ml import suggest as S
    from thematic.ml import zeroshot

    settings = S.Settings() if settings is None else settings
    themes = themes_of(data)
    tv = S.theme_vectors(themes, vectors_for)
    asked = data.questions if questions else None
    zero_shot = zeroshot.score_units(U, tv, themes, data.texts, vectors_for, settings, questions=asked)
    scores = zero_shot.scores
    limits, _ = S.theme_thresholds(scores, settings)
    groups = Codebook(codebook="nhs-fft", themes=tuple(themes)).groups  # the codebook as the CLI makes it
    assigned = S.assign_structured(scores, limits, themes, groups, zero_shot.blank, asked, settings.margin)[0]
    return scores, limits, assigned


def thematic_zero_shot(data, U, names):
    """`thematic suggest` now, names only (word cues, non-answers, the question; its defaults)."""
    return zero_shot_scores(data, U.astype(np.float64))[2][data.test]


def thematic_zero_shot_no_question(data, U, names):
    """The same without the questions' texts (non-answers get no theme)."""
    return zero_shot_scores(data, U.astype(np.float64), questions=False)[2][data.test]


def zero_shot_grid(data, U) -> dict:
    """The train split's macro kappa (themes with >= 20 train positives) of the zero-shot rule over a grid
    of word weights, z and margins: the evidence the defaults were chosen on. Test is not read."""
    from thematic.ml import suggest as S

    Y = data.Y[data.train]
    themes = np.flatnonzero(Y.sum(axis=0) >= 20)
    out = {}
    for w in (0.0, 0.5, 1.0):
        for length in (4, 8):
            if w == 0 and length != 4:
                continue
            for z in (0.5, 1.0, 1.5):
                for m in (0.02, 0.05, 0.1):
                    settings = S.Settings(word_weight=w, word_length=length, z=z, margin=m)
                    for questions in (True, False):
                        A = zero_shot_scores(data, U.astype(np.float64), settings, questions)[2][data.train]
                        key = f"word_weight={w} word_length={length} z={z} margin={m} question={questions}"
                        out[key] = (round(float(np.mean([kappa(Y[:, t], A[:, t]) for t in themes])), 4),
                                    round(float(A.sum(axis=1).mean()), 2))
                        print(key, out[key], flush=True)
    return out


_FEATURES = {}


def features(data, U):
    from thematic.ml.learner import unit_features

    if "f" not in _FEATURES:
        _FEATURES["f"] = unit_features(data.texts, U, data.questions)
    return _FEATURES["f"]


def thematic_learned(data, U, names, *, candidates=None, words=True, rows=None, score_rows=None):
    """`suggest --learn` on arrays: features of every answer, fit on ``rows`` (default train), code
    ``score_rows`` (default test)."""
    from thematic.ml import learner as L

    rows = data.train if rows is None else rows
    score_rows = data.test if score_rows is None else score_rows
    F = features(data, U) if words else L.Features(U.astype(np.float64), L.sharing_keys(data.texts,
                                                                                       data.questions), {})
    P, limits, Z = zero_shot_scores(data, U)
    ids = [f"t{t:02d}" for t in range(len(data.theme_names))]
    model = L.fit(F.matrix[rows], P[rows], data.Y[rows], ids, keys=[F.keys[i] for i in rows],
                  **({} if candidates is None else {"candidates": candidates}))
    _, _, assigned = model.predict(F.matrix[score_rows], P[score_rows], limits, Z[score_rows],
                                   keys=[F.keys[i] for i in score_rows])
    thematic_learned.last = model
    return assigned


def learned_cv(data, U, **kwargs) -> dict:
    """The train split's 5-fold cross-validation (folds by respondent) figure of :func:`thematic_learned`:
    macro kappa over the themes with at least 20 train positives. Settings are chosen with this."""
    fold = cv_folds(data.groups, data.train)
    A = np.zeros((len(data.train), data.Y.shape[1]), dtype=bool)
    for k in range(FOLDS):
        A[fold == k] = thematic_learned(data, U, None, rows=data.train[fold != k],
                                        score_rows=data.train[fold == k], **kwargs)
    Y = data.Y[data.train]
    themes = np.flatnonzero(Y.sum(axis=0) >= 20)
    return {"cv_macro_kappa": round(float(np.mean([kappa(Y[:, t], A[:, t]) for t in themes])), 4),
            "cv_themes_per_answer": round(float(A.sum(axis=1).mean()), 3), "cv_themes": len(themes)}


CURVE_SIZES = (50, 100, 200, 400, 800, 1600)


def learning_curve(data, U, draws: int = 3, sizes=CURVE_SIZES) -> dict:
    """Macro kappa on all test answers after coding n train answers, in random order or in the order
    `suggest --learn` recommends (:func:`thematic.ml.learner.review_order`), refitting after every batch
    (50 answers up to 200, 100 up to 800, then 200). Both start from the same random first 50; per draw
    the random order is one seeded permutation of train, so its sizes are nested as a coder's would be."""
    from thematic.ml import learner as L

    F = features(data, U)
    P, limits, Z = zero_shot_scores(data, U)
    ids = [f"t{t:02d}" for t in range(len(data.theme_names))]
    test_keys = [F.keys[i] for i in data.test]

    def fitted(rows):
        model = L.fit(F.matrix[rows], P[rows], data.Y[rows], ids, keys=[F.keys[i] for i in rows])
        return model

    def score(model):
        _, _, assigned = model.predict(F.matrix[data.test], P[data.test], limits, Z[data.test],
                                       keys=test_keys)
        return figures(data, assigned)["macro_kappa"]

    out: dict = {"random": {n: [] for n in sizes}, "active": {n: [] for n in sizes}}
    for draw in range(draws):
        order = np.random.default_rng([16, draw]).permutation(data.train)
        for n in sizes:
            out["random"][n].append(score(fitted(order[:n])))
        coded = list(order[: sizes[0]])
        for n in sizes:
            while len(coded) < n:  # refit after every batch, as a coder would run suggest --learn
                step = min(n - len(coded), 50 if len(coded) < 200 else 100 if len(coded) < 800 else 200)
                model = fitted(np.array(coded))
                pool = np.array(sorted(set(data.train.tolist()) - set(coded)))
                s, t, _ = model.predict(F.matrix[pool], P[pool], limits, Z[pool],
                                        keys=[F.keys[i] for i in pool])
                picked = L.review_order(s, t, U[pool], learned=model.learned, limit=step)
                coded += pool[picked].tolist()
            out["active"][n].append(score(fitted(np.array(coded))))
        print(f"draw {draw}: random {[out['random'][n][-1] for n in sizes]}, "
              f"active {[out['active'][n][-1] for n in sizes]}", flush=True)
    return {kind: {str(n): round(float(np.mean(v)), 4) for n, v in rows.items()}
            for kind, rows in out.items()}


def cost(data, U) -> dict:
    """Seconds to learn from 4,000 decisions and score 10,000 units whose vectors are cached: the 6,205
    answers plus the first 3,795 of ``phase1_items.csv`` (real answers of the same survey; vectors from
    the cache, so no model runs). Timed: features of the 10,000 (character and word n-grams, SVDs), the fit
    on the first 4,000 train answers, the scores of all 10,000. Storing the run is not included."""
    import pandas as pd
    from vector_cache import vectors_for

    from thematic.ml import learner as L

    extra = pd.read_csv(DATA / "phase1_items.csv", keep_default_na=False)["text"].tolist()[:3795]
    texts = data.texts + extra
    questions = data.questions + ["phase 1"] * len(extra)
    vectors = np.vstack([U, vectors_for(extra)]).astype(np.float64)
    P = np.zeros((len(texts), len(data.theme_names)))
    rows = data.train[:4000]
    ids = [f"t{t:02d}" for t in range(len(data.theme_names))]
    started = time.perf_counter()
    F = L.unit_features(texts, vectors, questions)
    featured = time.perf_counter()
    model = L.fit(F.matrix[rows], P[rows], data.Y[rows], ids, keys=[F.keys[i] for i in rows])
    fitted = time.perf_counter()
    model.predict(F.matrix, P, np.zeros(len(ids)), np.zeros(P.shape, dtype=bool), keys=F.keys)
    done = time.perf_counter()
    return {"units": len(texts), "decisions": len(rows), "themes": len(ids),
            "features_s": round(featured - started, 1), "fit_s": round(fitted - featured, 1),
            "score_s": round(done - fitted, 1), "total_s": round(done - started, 1)}


def suggest_time(data) -> dict:
    """Seconds of `thematic suggest` (the real function, stored run included) on a project of the 6,205
    answers (long format: one row per answer, its question from the ``question`` column) with the 45
    category names as codebook (definition = the name). Every text suggest embeds (answers, theme texts,
    name parts, the vocabulary, the restated non-answers) is written into the project's cache first, from
    the benchmark's vector cache, so no model runs: the steady state of a project whose answers are
    embedded. Also timed on the same inputs: the zero-shot scoring alone (zeroshot.score_units), the same
    without the sentences of long answers, and the score matrix without the word cues and the question
    (the scoring before issue 16)."""
    import csv
    import tempfile

    from vector_cache import vectors_for

    from thematic.codebook.model import Codebook, Theme
    from thematic.ingest.importer import ImportOptions, import_file
    from thematic.ingest.segment import text_sha256
    from thematic.ml import suggest as S
    from thematic.ml import zeroshot
    from thematic.ml.embed import ModelChoice, unit_vectors
    from thematic.store import ml as store
    from thematic.store.codebooks import use_codebook
    from thematic.store.corpus import list_units
    from thematic.store.project import create_project

    themes = [Theme(id=f"t{t:02d}", name=name, definition=name + ".")
              for t, name in enumerate(data.theme_names)]
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "fft.csv"
        with source.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "question", "text"])
            writer.writerows(zip(data.items["id"], data.questions, data.texts, strict=True))
        project, _ = create_project(Path(tmp) / "fft.db")
        import_file(project, source, ImportOptions(id_column="id", text_columns=["text"],
                                                   question_column="question"))
        use_codebook(project, Codebook(codebook="nhs-fft", themes=tuple(themes)))
        units = list_units(project)
        texts = [u.text for u in units]
        stop = zeroshot.stop_words()
        needed = sorted(set(texts) | {x for t in themes for x in S.positive_texts(t) + S.negative_texts(t)}
                        | {x for t in themes for x in zeroshot.name_parts(t.name)}
                        | set(zeroshot.vocabulary([zeroshot.content_words(t, stop) for t in texts]))
                        | set(zeroshot.RESTATED.values())
                        | {x for split in zeroshot.unit_sentences(texts)
                           if len(split.sentences) >= zeroshot.MIN_SENTENCES
                           for x in [*split.sentences, *([split.title] if split.title else [])]})
        with project.transaction():
            store.insert_vectors(project, ModelChoice().fingerprint,
                                 zip([text_sha256(t) for t in needed], vectors_for(needed), strict=True))
        whole = S.Settings(title_weight=0, sentence_mean=0, sentence_weight=0)
        started = time.perf_counter()
        S.suggest(project, settings=whole)   # first: pays what is loaded once per process (spaCy, lemmas)
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        run = S.suggest(project)
        suggest_s = time.perf_counter() - started
        started = time.perf_counter()
        S.suggest(project, settings=whole)
        suggest_whole_s = time.perf_counter() - started
        U = unit_vectors(project, units).astype(np.float64)
        vectors = S.embed_theme_texts(project, themes)
        questions = S.question_texts(project, units)
        started = time.perf_counter()
        zeroshot.score_units(U, vectors, themes, texts, lambda some: vectors_for(some), S.Settings(),
                             questions=questions)
        scoring_s = time.perf_counter() - started
        started = time.perf_counter()
        zeroshot.score_units(U, vectors, themes, texts, lambda some: vectors_for(some),
                             S.Settings(title_weight=0, sentence_mean=0, sentence_weight=0),
                             questions=questions)
        whole_s = time.perf_counter() - started
        started = time.perf_counter()
        S.score_matrix(U, vectors, S.keyword_hits(texts, themes)[0])
        before_s = time.perf_counter() - started
        project.close()
    return {"units": run.units, "themes": len(themes), "vocabulary": run.parameters["vocabulary"],
            "non_answers": run.parameters["non_answers"],
            "non_answers_restated": run.parameters["non_answers_restated"],
            "first_suggest_without_sentences_s": round(first_s, 2),
            "suggest_s": round(suggest_s, 2), "suggest_without_sentences_s": round(suggest_whole_s, 2),
            "zero_shot_scoring_s": round(scoring_s, 2),
            "zero_shot_scoring_without_sentences_s": round(whole_s, 2),
            "scoring_before_issue_16_s": round(before_s, 2)}


METHODS = {
    "thematic suggest before issue 16 (names only)": thematic_zero_shot_before,
    "thematic suggest now, names only (zero-shot)": thematic_zero_shot,
    "thematic suggest now, names only, questions' texts unknown (zero-shot)": thematic_zero_shot_no_question,
    "thematic suggest --learn (train coding)": thematic_learned,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--only", nargs="*", default=None,
                        help="run only rows whose name contains one of these")
    parser.add_argument("--cv", action="store_true", help="only the train split's cross-validation figures")
    parser.add_argument("--curve", action="store_true",
                        help="only the learning curve, random vs active order")
    parser.add_argument("--draws", type=int, default=3)
    parser.add_argument("--cost", action="store_true", help="only the time to learn and score 10,000 units")
    parser.add_argument("--suggest-time", action="store_true",
                        help="only the time of `thematic suggest` (zero-shot) on the 6,205 answers, vectors "
                        "cached")
    parser.add_argument("--zero-shot-grid", action="store_true",
                        help="only the zero-shot settings grid on the train split (how the defaults were "
                        "chosen)")
    args = parser.parse_args()
    data = Data()
    started = time.perf_counter()
    U, names = data.vectors()
    out = {"answers": len(data.texts), "train": len(data.train), "test": len(data.test),
           "unseen_test": int(data.unseen.sum()), "themes": len(data.theme_names),
           "scored_themes": len(data.scored), "themes_with_a_test_positive": len(data.present),
           "coders_themes_per_answer": round(float(data.Y[data.test].sum(axis=1).mean()), 3),
           "vectors_s": round(time.perf_counter() - started, 1), "rows": {}}
    print(f"{out['test']} test answers ({out['unseen_test']} unseen), {out['scored_themes']} themes with "
          f">= {MIN_TEST_POSITIVES} test positives; coders give {out['coders_themes_per_answer']} themes "
          "per answer", flush=True)
    print("| method | all test | unseen | themes per answer | seconds |\n| --- | ---: | ---: | ---: | ---: |")
    if args.suggest_time:
        result = suggest_time(data)
        print(json.dumps(result))
        if args.json:
            args.json.write_text(json.dumps({**out, "suggest_time": result}, indent=2))
        return
    if args.zero_shot_grid:
        grid = zero_shot_grid(data, U)
        if args.json:
            args.json.write_text(json.dumps({**out, "zero_shot_grid_train": grid}, indent=2))
        return
    if args.cost:
        result = cost(data, U)
        print(json.dumps(result))
        if args.json:
            args.json.write_text(json.dumps({**out, "cost": result}, indent=2))
        return
    if args.curve:
        curve = learning_curve(data, U.astype(np.float64), draws=args.draws)
        print("| coded train answers | " + " | ".join(curve["random"]) + " |")
        for kind in ("random", "active"):
            print(f"| {kind} order | " + " | ".join(f"{v:.3f}" for v in curve[kind].values()) + " |")
        print("| active minus random | " + " | ".join(
            f"{curve['active'][n] - curve['random'][n]:+.3f}" for n in curve["random"]) + " |")
        if args.json:
            args.json.write_text(json.dumps({**out, "curve": curve}, indent=2))
        return
    if args.cv:
        variants = {"learned": {}, "learned, embedding only": {"words": False},
                    "learned, ridge only": {"candidates": ("ridge",)},
                    "learned, ridge + prototype only": {"candidates": ("ridge + prototype",)}}
        for name, kwargs in variants.items():
            if args.only and not any(o.lower() in name.lower() for o in args.only):
                continue
            t0 = time.perf_counter()
            print(name, learned_cv(data, U.astype(np.float64), **kwargs), round(time.perf_counter() - t0, 1),
                  flush=True)
        return
    for name, method in {**BASELINES, **METHODS}.items():
        if args.only and not any(o.lower() in name.lower() for o in args.only):
            continue
        t0 = time.perf_counter()
        assigned = method(data, U, names)
        row = figures(data, assigned)
        row["seconds"] = round(time.perf_counter() - t0, 1)
        out["rows"][name] = row
        print(f"| {name} | {row['macro_kappa']:.3f} | {row['macro_kappa_unseen']:.3f} | "
              f"{row['themes_per_answer']:.2f} | {row['seconds']} |", flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
