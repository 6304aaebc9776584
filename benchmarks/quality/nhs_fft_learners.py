"""Learners and review orders measured against thematic's on NHS FFT, and not adopted (issue 16, 2-3).

Run: PYTHONPATH=. .venv/bin/python benchmarks/quality/nhs_fft_learners.py --cv [--only NAME ...]
     PYTHONPATH=. .venv/bin/python benchmarks/quality/nhs_fft_learners.py --small [--only NAME ...]
     PYTHONPATH=. .venv/bin/python benchmarks/quality/nhs_fft_learners.py --orders [--draws 3]
     PYTHONPATH=. .venv/bin/python benchmarks/quality/nhs_fft_learners.py --orders-cv --round2 \
         --cv-draws 2 --bands

Data, vectors, features and folds as in ``nhs_fft.py`` (the train split only, except ``--orders``, which is
its learning curve on test). Every row is measured beside thematic's own learner in the same run:

- ``--cv``: the train split's 5-fold cross-validation (folds by respondent), macro kappa over the themes
  with at least 20 train positives, as ``nhs_fft.py --cv``. Variants of the learner
  (:func:`variant`): another calibration input (nearest coded neighbours' share; how far the ridge output
  stands above the unit's best other theme), per-view ridge outputs stacked, per-theme thresholds shrunk
  toward the median threshold, the ridge penalty chosen by leave-one-out kappa instead of squared error,
  and scikit-learn's logistic regression with thresholds chosen by an inner 3-fold cross-validation.
- ``--small``: the same cross-validation with 200 and 400 coded answers drawn at random from the other
  folds (2 draws): themes with 1 to 4 positives scored by the nearest coded positive and the zero-shot
  inputs, one logistic regression pooled over the learned themes, against thematic's pooled zero-shot
  calibration.
- ``--orders``: ``nhs_fft.py --curve``'s protocol (macro kappa on test after 50 ... 400 coded train
  answers, refitting after each batch) for other review orders: positives first for the themes with
  fewest positives ("hunt"), k-means cold start then thematic's order, half random and half thematic's,
  thematic's order over the learned themes only with the rest random, thematic's order weighted by
  information density; ``--orders-cv`` the same on the train split's folds (``--cv-draws``: draws per
  fold; ``--bands``: kappa by theme frequency; ``--json``: each fold and draw's figure).
- ``--round2`` adds round 2's orders (issue 16): batches that bring the most themes to the learning
  minimum (``coverage``), the most frequent distinct texts first, k-center diversity among the uncertain
  units or over all, a committee of the learner and the zero-shot run, the units' summed uncertainty,
  random to 200 then thematic's, stratified random, and bounds that read the coder's answers before they
  are given (``oracle ...``: true positives of the themes short of the minimum; the learner's errors).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

import nhs_fft as B  # noqa: E402

from thematic.ml import learner as L  # noqa: E402


class Setup:
    """The arrays every row reads: features, zero-shot scores, sharing keys, train folds."""

    def __init__(self):
        self.data = d = B.Data()
        U, _ = d.vectors()
        self.U = U.astype(np.float64)
        self.Un = self.U / np.linalg.norm(self.U, axis=1, keepdims=True)
        self.features = B.features(d, self.U)
        self.F = self.features.matrix
        self.P, self.limits, self.Z = B.zero_shot_scores(d, self.U)
        self.keys = self.features.keys
        self.Y = d.Y
        self.ids = [f"t{t:02d}" for t in range(len(d.theme_names))]
        self.fold = B.cv_folds(d.groups, d.train)

    def share(self, A, tr, te, themes=None):
        """Identical texts share the coders' decisions, as in thematic's learner."""
        groups: dict = {}
        for i in tr:
            groups.setdefault(self.keys[i], []).append(i)
        cols = slice(None) if themes is None else themes
        for r, i in enumerate(te):
            g = groups.get(self.keys[i])
            if g:
                A[r, cols] = self.Y[g][:, cols].mean(axis=0) >= 0.5
        return A

    def thematic(self, tr, te):
        model = L.fit(self.F[tr], self.P[tr], self.Y[tr], self.ids, keys=[self.keys[i] for i in tr])
        return model, model.predict(self.F[te], self.P[te], self.limits, self.Z[te],
                                    keys=[self.keys[i] for i in te])


def cv_figure(s: Setup, method, *, size: int | None = None, draw: int = 0) -> float:
    d = s.data
    A = np.zeros((len(d.train), s.Y.shape[1]), dtype=bool)
    for k in range(B.FOLDS):
        tr = d.train[s.fold != k]
        if size is not None:
            tr = np.sort(np.random.default_rng([draw, k, size]).choice(tr, size, replace=False))
        A[s.fold == k] = method(s, tr, d.train[s.fold == k])
    Yt = s.Y[d.train]
    themes = np.flatnonzero(Yt.sum(axis=0) >= 20)
    return float(np.mean([B.kappa(Yt[:, t], A[:, t]) for t in themes]))


# -- learner variants (--cv) -------------------------------------------------------------------------------
def _knn_share(S, Ytr, k, exclude_self):
    S = S.copy()
    if exclude_self:
        np.fill_diagonal(S, -np.inf)
    idx = np.argpartition(-S, k, axis=1)[:, :k]
    w = np.maximum(np.take_along_axis(S, idx, axis=1), 0) ** 3 + 1e-9
    return (w[:, :, None] * Ytr[idx]).sum(axis=1) / w.sum(axis=1)[:, None]


def variant(s: Setup, tr, te, *, knn=0, relative=False, views=False, shrink=0.0, alpha_by_kappa=False):
    """thematic's `ridge` learner (leave-one-out ridge, logistic calibration, kappa-best threshold, shared
    identical texts) with one change."""
    Y, F = s.Y, s.F
    ytr = Y[tr].astype(float)
    pos, neg = Y[tr].sum(axis=0), (~Y[tr]).sum(axis=0)
    learned = (pos >= L.MIN_POSITIVES) & (neg >= L.MIN_NEGATIVES)
    th = np.flatnonzero(learned)
    blocks = [F]
    if views:  # the embedding, the character n-grams and the word n-grams, each with the question
        ch, wd = s.features.description["character_ngrams"], s.features.description["word_ngrams"]
        e, c = s.features.description["embedding"], ch["svd_dims"]
        q = F[:, e + c + wd["svd_dims"]:]
        blocks += [np.hstack([F[:, :e], q]), np.hstack([F[:, e:e + c], q]),
                   np.hstack([F[:, e + c:e + c + wd["svd_dims"]], q])]
    ins_tr, ins_te = [], []
    for X in blocks:
        if alpha_by_kappa:
            held, W, b = _loo_by_kappa(X[tr], ytr[:, th])
        else:
            _, held, W, b = L.loo_ridge(X[tr], ytr[:, th])
        ins_tr.append(held)
        ins_te.append(X[te] @ W + b)
    if knn:
        ins_tr.append(_knn_share(s.Un[tr] @ s.Un[tr].T, ytr[:, th], knn, True))
        ins_te.append(_knn_share(s.Un[te] @ s.Un[tr].T, ytr[:, th], knn, False))
    if relative:
        ins_tr.append(np.clip(L.relative(ins_tr[0]), -5, 5))
        ins_te.append(np.clip(L.relative(ins_te[0]), -5, 5))
    A = s.Z[te].copy()
    A[:, learned] = False
    cuts, probabilities = [], np.zeros((len(te), len(th)))
    for j, t in enumerate(th):
        Xtr = np.column_stack([m[:, j] for m in ins_tr])
        Xte = np.column_stack([m[:, j] for m in ins_te])
        p, coef = L._logistic(Xtr, Y[tr, t])
        coef = np.asarray(coef)
        cuts.append(L.best_threshold(Y[tr, t], np.round(p, L.DECIMALS))[0])
        probabilities[:, j] = L._sigmoid(Xte @ coef[:-1] + coef[-1])
    cuts = np.array(cuts)
    if shrink:
        counts = pos[th]
        cuts = (counts * cuts + shrink * np.median(cuts)) / (counts + shrink)
    A[:, th] = probabilities >= cuts[None, :]
    return s.share(A, tr, te)


def _loo_by_kappa(X, Yv):
    """Leave-one-out ridge as L.loo_ridge, each theme's penalty the one with the best held-out kappa."""
    n = X.shape[0]
    mean = X.mean(axis=0)
    U, sv, Vt = np.linalg.svd(X - mean, full_matrices=False)
    ym = Yv.mean(axis=0)
    UtY = U.T @ (Yv - ym)
    best = np.full(Yv.shape[1], -np.inf)
    held_out = np.zeros_like(Yv)
    W = np.zeros((X.shape[1], Yv.shape[1]))
    for alpha in L.ALPHAS:
        shrink = sv**2 / (sv**2 + alpha)
        fitted = U @ (shrink[:, None] * UtY) + ym
        h = (U**2) @ shrink + 1.0 / n
        held = Yv - (Yv - fitted) / np.maximum(1 - h, 1e-9)[:, None]
        weights = Vt.T @ ((sv / (sv**2 + alpha))[:, None] * UtY)
        for j in range(Yv.shape[1]):
            kappa = L.best_threshold(Yv[:, j] > 0.5, np.round(held[:, j], L.DECIMALS))[1]
            if kappa > best[j]:
                best[j], held_out[:, j], W[:, j] = kappa, held[:, j], weights[:, j]
    return held_out, W, ym - mean @ W


def logistic(s: Setup, tr, te, *, C=1.0, inner=3):
    """scikit-learn's LogisticRegression on the same features; threshold per theme by an inner
    cross-validation; themes with too few decisions and identical texts as thematic does them."""
    import warnings

    from sklearn.linear_model import LogisticRegression

    Y, F = s.Y, s.F
    pos, neg = Y[tr].sum(axis=0), (~Y[tr]).sum(axis=0)
    learned = (pos >= L.MIN_POSITIVES) & (neg >= L.MIN_NEGATIVES)
    A = s.Z[te].copy()
    A[:, learned] = False
    inner_fold = np.arange(len(tr)) % inner
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in np.flatnonzero(learned):
            y = Y[tr, t]
            held = np.zeros(len(tr))
            for k in range(inner):
                m = inner_fold != k
                if y[m].all() or not y[m].any():
                    held[~m] = y[m].mean()
                    continue
                model = LogisticRegression(C=C, max_iter=300).fit(F[tr[m]], y[m])
                held[~m] = model.predict_proba(F[tr[~m]])[:, 1]
            cut = L.best_threshold(y, np.round(held, L.DECIMALS))[0]
            A[:, t] = LogisticRegression(C=C, max_iter=300).fit(F[tr], y).predict_proba(F[te])[:, 1] >= cut
    return s.share(A, tr, te)


def characters_only(s: Setup, tr, te):
    """thematic's learner on issue 16's first features: no word n-grams."""
    if not hasattr(s, "F_characters"):
        s.F_characters = L.unit_features(s.data.texts, s.U, s.data.questions, word_ngrams=False).matrix
    F = s.F_characters
    model = L.fit(F[tr], s.P[tr], s.Y[tr], s.ids, keys=[s.keys[i] for i in tr])
    return model.predict(F[te], s.P[te], s.limits, s.Z[te], keys=[s.keys[i] for i in te])[2]


VARIANTS = {
    "thematic's learner": lambda s, tr, te: s.thematic(tr, te)[1][2],
    "thematic's learner without the word n-grams": characters_only,
    "+ nearest 10 coded neighbours' share as a calibration input":
        lambda s, tr, te: variant(s, tr, te, knn=10),
    "+ nearest 25 coded neighbours' share": lambda s, tr, te: variant(s, tr, te, knn=25),
    "+ ridge output above the best other theme": lambda s, tr, te: variant(s, tr, te, relative=True),
    "+ per-view ridge outputs stacked (embedding, characters, words)":
        lambda s, tr, te: variant(s, tr, te, views=True),
    "thresholds shrunk toward the median (weight of 20 positives)":
        lambda s, tr, te: variant(s, tr, te, shrink=20.0),
    "ridge penalty by leave-one-out kappa": lambda s, tr, te: variant(s, tr, te, alpha_by_kappa=True),
    "logistic regression (C=1), thresholds by inner 3-fold CV": logistic,
}


# -- few positives (--small) -------------------------------------------------------------------------------
def nearest_positive(s: Setup, tr, te, *, zero_shot_inputs=True):
    """Themes with 1 to 4 coded positives: the largest cosine to one of them, with the z-scored prototype
    score and its margin over the best other theme, through one logistic regression pooled over the
    learned themes (each learned theme seen through 3 of its positives), kappa-best pooled cut."""
    model, (_, _, A) = s.thematic(tr, te)
    Y = s.Y
    pos = Y[tr].sum(axis=0)
    learned = model.learned
    few = (~learned) & (pos >= 1)
    if not few.any() or not learned.any():
        return A
    Pz_tr = (s.P[tr] - model.prototype_mean) / model.prototype_scale
    Pz_te = (s.P[te] - model.prototype_mean) / model.prototype_scale
    above_tr, above_te = np.clip(L.relative(Pz_tr), -5, 5), np.clip(L.relative(Pz_te), -5, 5)
    S_tr = s.Un[tr] @ s.Un[tr].T
    np.fill_diagonal(S_tr, -1)
    S_te = s.Un[te] @ s.Un[tr].T
    rng = np.random.default_rng(0)
    Xs, ys = [], []
    for t in np.flatnonzero(learned):
        positives = np.flatnonzero(Y[tr, t])
        chosen = rng.choice(positives, min(3, len(positives)), replace=False)
        rows = np.setdiff1d(np.arange(len(tr)), chosen)
        Xs.append(np.column_stack([S_tr[:, chosen].max(axis=1)[rows], Pz_tr[rows, t], above_tr[rows, t]]))
        ys.append(Y[tr][rows, t])
    cols = [0, 1, 2] if zero_shot_inputs else [0]
    X, y = np.vstack(Xs)[:, cols], np.concatenate(ys)
    p, coef = L._logistic(X, y)
    coef = np.asarray(coef)
    cut = L.best_threshold(y, np.round(p, L.DECIMALS))[0]
    for t in np.flatnonzero(few):
        x = np.column_stack([S_te[:, np.flatnonzero(Y[tr, t])].max(axis=1), Pz_te[:, t], above_te[:, t]])
        A[:, t] = L._sigmoid(x[:, cols] @ coef[:-1] + coef[-1]) >= cut
    return s.share(A, tr, te, themes=few)


SMALL = {
    "thematic's learner": VARIANTS["thematic's learner"],
    "few positives: nearest positive + zero-shot inputs, pooled": nearest_positive,
    "few positives: nearest positive alone, pooled":
        lambda s, tr, te: nearest_positive(s, tr, te, zero_shot_inputs=False),
}


# -- review orders (--orders) --------------------------------------------------------------------------------
def hunt_order(scores, thresholds, unit_vectors, coded_labels, coded_vectors, learned, limit, *, hunt=20,
               batch=50):
    """Themes with at least one positive take turns, fewest positives first. Below ``hunt`` positives a
    turn takes the theme's most likely positive (learned: the highest probability; not learned: the
    largest cosine to one of its positives); from ``hunt`` on, the unit nearest its threshold."""
    n, n_themes = scores.shape
    positives = coded_labels.sum(axis=0)
    p = np.clip(scores, 1e-6, 1 - 1e-6)
    cut = np.clip(thresholds, 1e-6, 1 - 1e-6)
    key = np.zeros((n, n_themes))
    for t in range(n_themes):
        if positives[t] >= hunt and learned[t]:
            key[:, t] = np.abs(np.log(p[:, t] / (1 - p[:, t])) - np.log(cut[t] / (1 - cut[t])))
        elif learned[t]:
            key[:, t] = -p[:, t]
        elif positives[t] > 0:
            key[:, t] = -(unit_vectors @ coded_vectors[coded_labels[:, t]].T).max(axis=1)
    turns = [t for t in np.argsort(positives, kind="stable") if positives[t] > 0]
    return turn_order(key, unit_vectors, turns, limit, batch=batch)


# -- review orders, round 2 (issue 16) -----------------------------------------------------------------------
def turn_order(key, vectors, turns, limit, *, batch=50, quota=None, start=()):
    """review_order's loop on any key (units x themes, smaller first): the themes in ``turns`` take turns,
    each taking its smallest-key unit not yet taken that is no near-duplicate of one taken in the current
    batch; ``quota[t]``: at most that many units for theme t (None: no cap). ``start``: rows already taken
    (they count toward the first batch)."""
    n = key.shape[0]
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    queues = {t: np.argsort(key[:, t], kind="stable") for t in turns}
    position = dict.fromkeys(turns, 0)
    used = dict.fromkeys(turns, 0)
    taken = np.zeros(n, dtype=bool)
    taken[list(start)] = True
    order: list[int] = []
    batch_rows: list[int] = list(start)
    while len(order) < limit:
        progressed = False
        for t in turns:
            if len(order) >= limit:
                break
            if quota is not None and used[t] >= quota[t]:
                continue
            queue = queues[t]
            while position[t] < len(queue) and taken[queue[position[t]]]:
                position[t] += 1
            for i in queue[position[t]:position[t] + L.SCAN]:
                if taken[i] or (batch_rows and (unit[batch_rows] @ unit[i]).max() >= L.NEAR_DUPLICATE):
                    continue
                taken[i] = True
                order.append(int(i))
                batch_rows.append(int(i))
                used[t] += 1
                progressed = True
                break
            if len(batch_rows) >= batch:
                batch_rows = []
        if not progressed:
            if not batch_rows:
                break
            batch_rows = []
    return np.array(order, dtype=int)


def _log_odds_distance(scores, thresholds):
    p = np.clip(scores, 1e-6, 1 - 1e-6)
    cut = np.clip(thresholds, 1e-6, 1 - 1e-6)
    return np.abs(np.log(p / (1 - p)) - np.log(cut / (1 - cut))[None, :])


def _fill(order, rest, step):
    """``order`` then the rows of ``rest`` (an ordering of all rows) not in it, up to ``step``."""
    seen = set(int(i) for i in order)
    out = [int(i) for i in order]
    for i in rest:
        if len(out) >= step:
            break
        if int(i) not in seen:
            seen.add(int(i))
            out.append(int(i))
    return np.array(out[:step], dtype=int)


def coverage_order(s, model, pool, coded, scores, thresholds, step, *, share=1.0, per_missing=2,
                   oracle=False, rest=True):
    """Idea (a): batches that bring the most themes to the learning minimum. The themes short of
    L.MIN_POSITIVES coded positives take turns, those nearest the minimum first (4 positives, then 3, ...),
    each taking its most likely positive: the rank average of its score (learned, pooled-calibrated or
    zero-shot) and, where it has coded positives, the largest cosine to one of them; at most
    ``per_missing`` units per missing positive per batch. Up to ``share`` of the batch; the rest is
    thematic's order (``rest`` False: only the hunted units). ``oracle``: the theme's true positives
    instead (a bound, not an order)."""
    c = np.array(coded)
    positives = s.Y[c].sum(axis=0)
    short = [t for t in np.argsort(-positives, kind="stable") if positives[t] < L.MIN_POSITIVES]
    V = s.Un[pool]
    key = np.zeros_like(scores)
    for t in short:
        r = np.argsort(np.argsort(-scores[:, t], kind="stable"), kind="stable").astype(float)
        if positives[t] > 0:
            near = (V @ s.Un[c[s.Y[c, t]]].T).max(axis=1)
            r = (r + np.argsort(np.argsort(-near, kind="stable"), kind="stable")) / 2
        if oracle:
            r = np.where(s.Y[pool, t], r, r + len(pool))
        key[:, t] = r
    hunt = int(round(step * share))
    quota = {t: per_missing * (L.MIN_POSITIVES - int(positives[t])) for t in short}
    first = turn_order(key, s.U[pool], short, hunt, quota=quota) if short and hunt else np.array([], int)
    if not rest:
        return first
    after = L.review_order(scores, thresholds, s.U[pool], learned=model.learned, limit=step + len(first))
    return _fill(first, after, step)


def frequent_order(s, model, pool, scores, thresholds, step, *, share=0.5):
    """Idea (b): the most frequent distinct texts first (one unit per sharing key; the coder's decision
    is shared by every copy), ``share`` of the batch; the rest thematic's order."""
    from collections import Counter

    keys = [s.keys[i] for i in pool]
    counts = Counter(keys)
    first, seen = [], set()
    for i in sorted(range(len(pool)), key=lambda i: -counts[keys[i]]):
        if len(first) >= int(round(step * share)) or counts[keys[i]] < 2:
            break
        if keys[i] not in seen:
            seen.add(keys[i])
            first.append(i)
    rest = L.review_order(scores, thresholds, s.U[pool], learned=model.learned, limit=step + len(first))
    return _fill(first, rest, step)


def k_center(s, pool, coded, candidates, step):
    """Greedy k-center: among ``candidates`` (rows of pool), repeatedly the one farthest (cosine) from
    every coded unit and every one already picked."""
    V = s.Un[pool[candidates]]
    nearest = (V @ s.Un[np.array(coded)].T).max(axis=1)
    picked = []
    for _ in range(min(step, len(candidates))):
        j = int(np.argmin(nearest))
        picked.append(int(candidates[j]))
        nearest = np.maximum(nearest, V @ V[j])
        nearest[j] = np.inf
    return np.array(picked, dtype=int)


def committee_order(s, model, pool, scores, thresholds, step):
    """Idea (d): a committee of two, the learner and the zero-shot run. Learned themes take turns at
    the units where the two disagree (learned assignment against the zero-shot run's), nearest the learned
    threshold first; then the rest of thematic's order."""
    assigned = scores >= thresholds[None, :]
    distance = _log_odds_distance(scores, thresholds)
    key = distance + 1e3 * (assigned == s.Z[pool])
    learned = np.flatnonzero(model.learned)
    if not len(learned):
        return L.review_order(scores, thresholds, s.U[pool], learned=model.learned, limit=step)
    return turn_order(key, s.U[pool], list(learned), step)


def total_uncertainty_order(s, model, pool, scores, thresholds, step):
    """Multi-label uncertainty per unit: the sum over learned themes of p(1-p) of the calibrated
    probability (sharpest where several themes are unsure at once); near-duplicates wait."""
    learned = model.learned
    p = scores[:, learned] if learned.any() else scores
    u = (p * (1 - p)).sum(axis=1)
    return turn_order(-u[:, None], s.U[pool], [0], step)


def pick2(strategy, s, model, pool, coded, step, draw):
    scores, thresholds, _ = model.predict(s.F[pool], s.P[pool], s.limits, s.Z[pool],
                                          keys=[s.keys[i] for i in pool])

    def thematic(limit):
        return L.review_order(scores, thresholds, s.U[pool], learned=model.learned, limit=limit)

    if strategy == "coverage":
        return coverage_order(s, model, pool, coded, scores, thresholds, step)
    if strategy == "coverage, half":
        return coverage_order(s, model, pool, coded, scores, thresholds, step, share=0.5)
    if strategy == "coverage, half, rest random":
        first = coverage_order(s, model, pool, coded, scores, thresholds, step // 2, share=1.0)
        rng = np.random.default_rng([draw, len(coded)])
        return _fill(first, rng.permutation(len(pool)), step)
    if strategy == "oracle coverage, one per missing positive, rest random":
        first = coverage_order(s, model, pool, coded, scores, thresholds, step, oracle=True, per_missing=1,
                               rest=False)
        return _fill(first, np.random.default_rng([draw, len(coded)]).permutation(len(pool)), step)
    if strategy == "oracle coverage":
        return coverage_order(s, model, pool, coded, scores, thresholds, step, oracle=True)
    if strategy == "frequent texts half":
        return frequent_order(s, model, pool, scores, thresholds, step)
    if strategy == "k-center among thematic's top 4 x batch":
        candidates = thematic(4 * step)
        return k_center(s, pool, coded, candidates, step)
    if strategy == "k-center over all uncoded (core-set)":
        rng = np.random.default_rng([draw, len(coded)])
        return k_center(s, pool, coded, rng.permutation(len(pool))[:1500], step)
    if strategy == "committee: learner against zero-shot":
        return committee_order(s, model, pool, scores, thresholds, step)
    if strategy == "total uncertainty over learned themes":
        return total_uncertainty_order(s, model, pool, scores, thresholds, step)
    if strategy == "oracle errors":  # a bound, not an order: themes take turns at what the learner gets wrong
        assigned = scores >= thresholds[None, :]
        key = _log_odds_distance(scores, thresholds) + 1e3 * (assigned == s.Y[pool])
        return turn_order(key, s.U[pool], list(range(scores.shape[1])), step)
    if strategy == "thematic over learned themes, a quarter of each batch, rest random":
        rng = np.random.default_rng([draw, len(coded)])
        cols = np.flatnonzero(model.learned)
        first = (L.review_order(scores[:, cols], thresholds[cols], s.U[pool], limit=step // 4) if len(cols)
                 else np.array([], dtype=int))
        return _fill(first, rng.permutation(len(pool)), step)
    if strategy == "stratified random (k-means strata)":
        # a representative sample with less spread than a random one: the uncoded units sorted by their
        # k-means cluster (step clusters), then every (n / step)-th from a random start
        from sklearn.cluster import KMeans

        rng = np.random.default_rng([draw, len(coded)])
        labels = KMeans(step, n_init=1, random_state=draw).fit_predict(s.Un[pool])
        ranked = np.lexsort((rng.random(len(pool)), labels))
        every = len(pool) / step
        return ranked[(rng.random() * every + every * np.arange(step)).astype(int)]
    if strategy == "random to 200, then thematic":
        if len(coded) < 200:
            return np.random.default_rng([draw, len(coded)]).permutation(len(pool))[:step]
        return thematic(step)
    raise ValueError(strategy)


ROUND2 = ("coverage", "coverage, half", "coverage, half, rest random", "oracle coverage",
          "frequent texts half", "k-center among thematic's top 4 x batch",
          "k-center over all uncoded (core-set)", "committee: learner against zero-shot",
          "total uncertainty over learned themes", "random to 200, then thematic", "oracle errors",
          "oracle coverage, one per missing positive, rest random", "stratified random (k-means strata)",
          "thematic over learned themes, a quarter of each batch, rest random")


def pick(strategy, s: Setup, model, pool, coded, step, draw):
    if strategy in ROUND2:
        return pick2(strategy, s, model, pool, coded, step, draw)
    scores, thresholds, _ = model.predict(s.F[pool], s.P[pool], s.limits, s.Z[pool],
                                          keys=[s.keys[i] for i in pool])
    rng = np.random.default_rng([draw, len(coded)])

    def plus_random(picked):
        rest = np.setdiff1d(np.arange(len(pool)), picked)
        return np.array(list(picked) + list(rng.choice(rest, step - len(picked), replace=False)), dtype=int)

    if strategy == "thematic" or (strategy == "k-means, then thematic" and len(coded) >= 200):
        return L.review_order(scores, thresholds, s.U[pool], learned=model.learned, limit=step)
    if strategy == "k-means, then thematic":
        from sklearn.cluster import KMeans

        distance = KMeans(step, n_init=1, random_state=draw).fit(s.Un[pool]).transform(s.Un[pool])
        picked: list[int] = []
        for c in range(step):
            picked.append(next(int(i) for i in np.argsort(distance[:, c]) if i not in picked))
        return np.array(picked)
    if strategy.startswith("thematic, density-weighted"):
        # information density: the distance to a threshold (log-odds) divided by the unit's mean cosine to
        # its 20 nearest uncoded units to the power beta, through review_order's own key
        beta = float(strategy.rsplit(" ", 1)[1])
        S = s.Un[pool] @ s.Un[pool].T
        np.fill_diagonal(S, -1.0)
        density = np.clip(np.sort(S, axis=1)[:, -20:].mean(axis=1), 1e-3, None)
        p = np.clip(scores, 1e-6, 1 - 1e-6)
        cut = np.log(np.clip(thresholds, 1e-6, 1 - 1e-6) / (1 - np.clip(thresholds, 1e-6, 1 - 1e-6)))
        logit = cut[None, :] + (np.log(p / (1 - p)) - cut[None, :]) / density[:, None] ** beta
        return L.review_order(1 / (1 + np.exp(-logit)), thresholds, s.U[pool], learned=model.learned,
                              limit=step)
    if strategy == "hunt":
        c = np.array(coded)
        return hunt_order(scores, thresholds, s.Un[pool], s.Y[c], s.Un[c], model.learned, step)
    if strategy == "half thematic, half random":
        return plus_random(L.review_order(scores, thresholds, s.U[pool], learned=model.learned,
                                          limit=step // 2))
    if strategy == "thematic over learned themes, rest random":
        has = np.array([f.positives > 0 for f in model.fits])
        cols = np.flatnonzero(model.learned)
        k = int(round(step * len(cols) / max(has.sum(), 1)))
        if not (k and len(cols)):
            return plus_random([])
        return plus_random(L.review_order(scores[:, cols], thresholds[cols], s.U[pool], limit=k))
    raise ValueError(strategy)


def _coded_in_order(s: Setup, strategy, pool_rows, held, sizes, *, draw):
    """Assignments of ``held`` after coding each size of ``pool_rows`` in this order (first 50 random)."""
    def fitted(rows):
        return L.fit(s.F[rows], s.P[rows], s.Y[rows], s.ids, keys=[s.keys[i] for i in rows])

    order = np.random.default_rng([16, draw]).permutation(pool_rows)
    coded = list(order[:sizes[0]])
    out = {}
    for n in sizes:
        while len(coded) < n:
            step = min(n - len(coded), 50 if len(coded) < 200 else 100)
            if strategy == "random" or (strategy == "random to 200, then thematic" and len(coded) < 200):
                coded = list(order[:len(coded) + step])
                continue
            pool = np.array(sorted(set(pool_rows.tolist()) - set(coded)))
            coded += pool[pick(strategy, s, fitted(np.array(coded)), pool, coded, step, draw)].tolist()
        model = fitted(np.array(coded))
        out[n] = model.predict(s.F[held], s.P[held], s.limits, s.Z[held], keys=[s.keys[i] for i in held])[2]
    return out


ORDERS = ("random", "thematic", "hunt", "k-means, then thematic", "half thematic, half random",
          "thematic over learned themes, rest random", "thematic, density-weighted, beta 1",
          "thematic, density-weighted, beta 3")


#: Per order, size -> the figure of each fold and draw (``--orders-cv``), for paired differences.
RAW: dict = {}
#: Per order, size -> (kappa per scored theme, themes per answer, the coder's) of each fold and draw.
BANDS: dict = {}


def bands(s: Setup, strategy, n) -> str:
    """One table row: mean kappa of the scored themes by how many train positives they have, and themes
    per answer against the coders', after n coded in this order (``--orders-cv --bands``)."""
    Yt = s.Y[s.data.train]
    counts = Yt.sum(axis=0)[np.flatnonzero(Yt.sum(axis=0) >= 20)]
    rows = BANDS[strategy][n]
    kappas = np.mean([r[0] for r in rows], axis=0)
    cells = [kappas[m].mean() for m in (counts >= 300, (counts >= 77) & (counts < 300), counts < 77)]
    return (f"| {strategy}, {n} coded | " + " | ".join(f"{c:.3f}" for c in cells)
            + f" | {np.mean([r[1] for r in rows]):.2f} ({np.mean([r[2] for r in rows]):.2f}) |")


def order_curve(s: Setup, strategy, *, draws=3, sizes=(50, 100, 200, 400), cv=False, cv_draws=1) -> dict:
    """Macro kappa after coding n answers in this order. ``cv``: on the train split alone, ``cv_draws``
    draws per fold (the first random 50 of each): the coder codes answers of the other folds, the figure
    is ``cv_figure``'s on the fold."""
    if cv:
        d = s.data
        out = {n: [] for n in sizes}
        Yt = s.Y[d.train]
        themes = np.flatnonzero(Yt.sum(axis=0) >= 20)
        for r in range(cv_draws):
            for k in range(B.FOLDS):
                pool_rows, held = d.train[s.fold != k], d.train[s.fold == k]
                draw = k if r == 0 else 100 * r + k
                assigned = _coded_in_order(s, strategy, pool_rows, held, sizes, draw=draw)
                for n in sizes:
                    A = assigned[n]
                    per_theme = np.array([B.kappa(s.Y[held, t], A[:, t]) for t in themes])
                    out[n].append(per_theme.mean())
                    BANDS.setdefault(strategy, {}).setdefault(n, []).append(
                        (per_theme, A.sum(axis=1).mean(), s.Y[held].sum(axis=1).mean()))
        RAW[strategy] = {n: [round(float(x), 5) for x in v] for n, v in out.items()}
        return {n: round(float(np.mean(v)), 4) for n, v in out.items()}
    d = s.data
    test_keys = [s.keys[i] for i in d.test]

    def fitted(rows):
        return L.fit(s.F[rows], s.P[rows], s.Y[rows], s.ids, keys=[s.keys[i] for i in rows])

    out = {n: [] for n in sizes}
    for draw in range(draws):
        order = np.random.default_rng([16, draw]).permutation(d.train)  # nhs_fft.py --curve's draws
        coded = list(order[:sizes[0]])
        for n in sizes:
            while len(coded) < n:
                step = min(n - len(coded), 50 if len(coded) < 200 else 100)
                if strategy == "random" or (strategy == "random to 200, then thematic" and len(coded) < 200):
                    coded = list(order[:len(coded) + step])
                    continue
                pool = np.array(sorted(set(d.train.tolist()) - set(coded)))
                coded += pool[pick(strategy, s, fitted(np.array(coded)), pool, coded, step, draw)].tolist()
            model = fitted(np.array(coded))
            assigned = model.predict(s.F[d.test], s.P[d.test], s.limits, s.Z[d.test], keys=test_keys)[2]
            out[n].append(B.figures(d, assigned)["macro_kappa"])
    return {n: round(float(np.mean(v)), 4) for n, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true", help="learner variants, train cross-validation")
    parser.add_argument("--small", action="store_true", help="few-positive themes at 200 and 400 coded")
    parser.add_argument("--orders", action="store_true", help="review orders, learning curve on test")
    parser.add_argument("--orders-cv", action="store_true",
                        help="review orders, on the train split's folds (one draw per fold)")
    parser.add_argument("--draws", type=int, default=3)
    parser.add_argument("--cv-draws", type=int, default=1, help="--orders-cv: draws per fold")
    parser.add_argument("--round2", action="store_true", help="--orders, --orders-cv: round 2's orders too")
    parser.add_argument("--json", type=Path, help="--orders-cv: each fold and draw's figure, per order")
    parser.add_argument("--bands", action="store_true",
                        help="--orders-cv: then kappa by theme frequency and themes per answer, per order")
    parser.add_argument("--only", nargs="*", default=None,
                        help="rows named one of these (else: whose name contains one of these)")
    args = parser.parse_args()
    s = Setup()
    orders = ORDERS + (ROUND2 if args.round2 else ())

    def wanted(name):
        if not args.only:
            return True
        if any(o.lower() == name.lower() for o in args.only):
            return True
        names = [n.lower() for n in (*VARIANTS, *SMALL, *orders)]
        return any(o.lower() in name.lower() for o in args.only if o.lower() not in names)

    if args.cv:
        print("| learner | CV macro kappa | seconds |\n| --- | ---: | ---: |")
        for name, method in VARIANTS.items():
            if wanted(name):
                t0 = time.perf_counter()
                print(f"| {name} | {cv_figure(s, method):.4f} | {time.perf_counter() - t0:.0f} |", flush=True)
    if args.small:
        print("| learner | 200 coded | 400 coded |\n| --- | ---: | ---: |")
        for name, method in SMALL.items():
            if wanted(name):
                row = [np.mean([cv_figure(s, method, size=n, draw=k) for k in range(2)]) for n in (200, 400)]
                print(f"| {name} | {row[0]:.4f} | {row[1]:.4f} |", flush=True)
    if args.orders:
        print("| order | 50 | 100 | 200 | 400 |\n| --- | ---: | ---: | ---: | ---: |")
        for name in orders:
            if wanted(name):
                row = order_curve(s, name, draws=args.draws)
                print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in row.values()) + " |", flush=True)
    if args.orders_cv:
        print("| order (train CV) | 50 | 100 | 200 | 400 | time |\n"
              "| --- | ---: | ---: | ---: | ---: | ---: |")
        for name in orders:
            if wanted(name):
                t0 = time.perf_counter()
                row = order_curve(s, name, cv=True, cv_draws=args.cv_draws)
                print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in row.values())
                      + f" | {time.perf_counter() - t0:.0f} s |", flush=True)
                if args.json:
                    import json

                    args.json.write_text(json.dumps(RAW, indent=1))
        if args.bands:
            print("\n| order, coded | themes with 300+ train positives (4) | 77 to 237 (16) | 20 to 60 (12) "
                  "| themes per answer (coders) |\n| --- | ---: | ---: | ---: | ---: |")
            for n in (200, 400):
                for name in BANDS:
                    print(bands(s, name, n))


if __name__ == "__main__":
    main()
