"""Softmax (multinomial) learners for coders who give one theme per answer, against thematic's (issue 16).

Run (Counsel Chat reads the arrays that ``learning_curve.py --dump`` writes; NHS phase 1 its own data):

    HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python benchmarks/quality/learning_curve.py \\
        --draws 3 --project /tmp/cc.db --dump /tmp/cc-arrays
    OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python benchmarks/quality/softmax_learners.py counsel \\
        /tmp/cc-arrays [--sizes 200,400,all] [--draws 3] [--only NAME ...]
    OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python benchmarks/quality/softmax_learners.py phase1 \\
        [--codebook benchmarks/quality/nhs-phase1-codebook.yaml] [--sizes 400] [--only NAME ...]
    OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python benchmarks/quality/softmax_learners.py counsel \\
        /tmp/cc-arrays --accuracy   # top-1 accuracy of the plain classifiers, before any calibration

Both data sets are single-label (one topic per Counsel Chat question, one code per phase-1 answer), where
one softmax over the themes might beat thematic's one-vs-rest ridge (its normalisation is shared across
the themes, so a rare theme competes with the others instead of getting its own threshold). Each
candidate is wrapped around :func:`thematic.ml.learner.fit` (fitted on the same decisions): the themes it
does not score keep thematic's scores, and identical answers share the coders' decisions as in
``suggest --learn``. Each is read three ways from one fit: its per-theme thresholds (the kappa-best
probability on held-out probabilities of the coded answers), one theme per answer
(:func:`thematic.ml.learner.one_per_unit`: the most probable of those that clear their thresholds, else
the most probable), and top-1.

Candidates (:data:`CANDIDATES`):

- ``softmax``: scikit-learn's ``LogisticRegression`` (multinomial, lbfgs) on the learner's features
  (:func:`thematic.ml.learner.unit_features`); classes: the themes with at least
  :data:`thematic.ml.learner.MIN_POSITIVES` positives, and one class for the answers of all the others;
  ``C`` from (1, 10, 100) by the log loss of an inner 5-fold cross-validation over the coded answers,
  whose held-out probabilities give the thresholds. ``softmax, balanced``: ``class_weight="balanced"``.
  ``softmax + zero-shot``: the z-scored zero-shot scores of every theme as further inputs (times 0.1).
- ``zero-shot offset``: a softmax over every theme of ``w_t . x + b_t + beta z_t``, ``z_t`` the theme's
  z-scored zero-shot score with one coefficient shared by the themes (a conditional logit: a theme with
  few or no positives still competes through its zero-shot score); ``|w|^2 / (2 C)``, ``C`` = 3 (top-1
  accuracy over every topic 0.566, against 0.548 at 10 and 0.539 at 30, on Counsel Chat's folds at 400
  coded, draw 0); scipy's L-BFGS; thresholds from an inner 5-fold cross-validation.
- ``softmax of the calibration inputs``: thematic's calibration inputs (leave-one-out ridge output,
  z-scored zero-shot score, how far each stands above the unit's best other theme) and a learned-theme
  flag, one coefficient each shared by the themes, an intercept per theme: a softmax in place of the
  per-theme logistic calibration.
- ``softmax into the calibration``: the held-out multinomial probabilities (``softmax``'s, as log-odds)
  take the place of the leave-one-out ridge output in thematic's "ridge + prototype" calibration.

Figures: Counsel Chat as ``learning_curve.py`` (5 folds of train+val, macro kappa over the topics with at
least 5 questions in the held-out fold; ``--draws`` seeded draws of n coded questions from the other folds,
as :func:`thematic.ml.evaluate.cross_validate` draws them; mean over fold x draws and the difference from
thematic's learner on the same fold and draw). NHS phase 1 as ``single_label.py --cv`` (5 folds of train
by a hash of ``id``; the same 3 draws of 400; themes with at least 4 positives in the fold; the codebook's
groups applied as ``suggest --learn`` does). The test splits are not read.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

from thematic.ml import learner as L  # noqa: E402

INNER_FOLDS = 5
SOFTMAX_CS = (1.0, 10.0, 100.0)
OFFSET_C = 3.0
MODES = ("per theme", "one per answer", "top-1")


def inner_folds(n: int) -> np.ndarray:
    return np.random.default_rng(0).permutation(n) % INNER_FOLDS


def softmax_rows(Z: np.ndarray) -> np.ndarray:
    Z = Z - Z.max(axis=1, keepdims=True)
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


def targets(Y: np.ndarray) -> np.ndarray:
    """One row per answer summing to 1 over the themes and, last, "no theme"."""
    T = np.hstack([Y.astype(np.float64), (~Y.any(axis=1))[:, None].astype(np.float64)])
    return T / T.sum(axis=1, keepdims=True)


def fit_softmax(X: np.ndarray, T: np.ndarray, C: float, offsets: np.ndarray | None = None,
                shared: bool = False):
    """A softmax over the columns of ``T`` (soft targets, rows sum to 1) by scipy's L-BFGS. Logits: ``X W + b
    + offsets . beta`` (``offsets``: (n, K, m) inputs per unit and class, ``beta`` shared by the classes);
    ``shared``: no ``W`` (only the offsets and an intercept per class). Penalty ``|W|^2 / (2 C)`` (and
    ``|b|^2 / 20``, ``|beta|^2 / 200`` with ``shared``). Returns (W, b, beta)."""
    from scipy.optimize import minimize

    n, K = T.shape
    d = 0 if shared else X.shape[1]
    extra = np.zeros((n, K, 0)) if offsets is None else offsets
    m = extra.shape[2]

    def unpack(theta):
        return theta[:d * K].reshape(d, K), theta[d * K:d * K + K], theta[d * K + K:]

    def loss(theta):
        W, b, beta = unpack(theta)
        Z = b + extra @ beta
        if d:
            Z = Z + X @ W
        Z = Z - Z.max(axis=1, keepdims=True)
        S = np.exp(Z).sum(axis=1)
        G = np.exp(Z) / S[:, None] - T
        value = -((Z * T).sum(axis=1) - np.log(S)).sum()
        gW = X.T @ G + W / C if d else np.zeros((0, K))
        gb = G.sum(axis=0)
        gbeta = np.einsum("nk,nkm->m", G, extra)
        value += (W**2).sum() / (2 * C)
        if shared:
            value += (b**2).sum() / 20 + (beta**2).sum() / 200
            gb = gb + b / 10
            gbeta = gbeta + beta / 100
        return value, np.concatenate([gW.ravel(), gb, gbeta])

    theta = minimize(loss, np.zeros(d * K + K + m), jac=True, method="L-BFGS-B",
                     options={"maxiter": 3000}).x
    return unpack(theta)


def logits(X, W, b, beta, offsets=None):
    Z = b + (0 if offsets is None else offsets @ beta)
    return Z + X @ W if W.shape[0] else Z


def _sklearn_softmax(X: np.ndarray, y: np.ndarray, weight):
    """scikit-learn's multinomial logistic regression of ``y`` on ``X``, ``C`` from :data:`SOFTMAX_CS` by the
    log loss of an inner cross-validation: (the model, the classes, held-out probabilities)."""
    from sklearn.linear_model import LogisticRegression

    labels = np.unique(y)
    folds = inner_folds(len(y))
    best = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lbfgs convergence warnings at the largest C
        for C in SOFTMAX_CS:
            held = np.zeros((len(y), len(labels)))
            for k in range(INNER_FOLDS):
                train = folds != k
                model = LogisticRegression(C=C, max_iter=2000, class_weight=weight).fit(X[train], y[train])
                held[np.ix_(~train, np.searchsorted(labels, model.classes_))] = model.predict_proba(X[~train])
            loss = -np.log(np.clip(held[np.arange(len(y)), np.searchsorted(labels, y)], 1e-12, 1)).mean()
            if best is None or loss < best[0]:
                best = (loss, C, held)
        model = LogisticRegression(C=best[1], max_iter=2000, class_weight=weight).fit(X, y)
    return model, labels, best[2]


def _spread(probabilities: np.ndarray, labels: np.ndarray, n_themes: int) -> np.ndarray:
    """Class probabilities to theme columns (class -1, "the other themes", dropped)."""
    out = np.zeros((len(probabilities), n_themes))
    for j, c in enumerate(labels):
        if c >= 0:
            out[:, c] = probabilities[:, j]
    return out


def fit_sklearn(V, P, Y, base, *, weight=None, zero_shot=False):
    """``softmax`` (module docstring): (scorer, columns, held-out probabilities of the training answers)."""
    columns = np.flatnonzero(base.learned)
    y = np.full(len(Y), -1)
    has = Y[:, columns].any(axis=1)
    y[has] = columns[Y[:, columns][has].argmax(axis=1)]

    def inputs(V, P):
        return np.hstack([V, (P - base.prototype_mean) / base.prototype_scale * 0.1]) if zero_shot else V

    model, labels, held = _sklearn_softmax(inputs(V, P), y, weight)

    def scorer(V, P):
        probabilities = np.zeros((len(V), len(labels)))
        probabilities[:, np.searchsorted(labels, model.classes_)] = model.predict_proba(inputs(V, P))
        return _spread(probabilities, labels, Y.shape[1])

    return scorer, columns, _spread(held, labels, Y.shape[1])


def fit_offset(V, P, Y, base):
    """``zero-shot offset`` (module docstring): a softmax over every theme and "no theme"."""
    T = targets(Y)
    n_themes = Y.shape[1]

    def offsets(P):
        Pz = (P - base.prototype_mean) / base.prototype_scale
        return np.concatenate([Pz, np.zeros((len(P), 1))], axis=1)[:, :, None]

    extra = offsets(P)
    held = np.zeros_like(T)
    folds = inner_folds(len(T))
    for k in range(INNER_FOLDS):
        train = folds != k
        W, b, beta = fit_softmax(V[train], T[train], OFFSET_C, extra[train])
        held[~train] = softmax_rows(logits(V[~train], W, b, beta, extra[~train]))
    W, b, beta = fit_softmax(V, T, OFFSET_C, extra)

    def scorer(V, P):
        return softmax_rows(logits(V, W, b, beta, offsets(P)))[:, :n_themes]

    return scorer, np.arange(n_themes), held[:, :n_themes]


def _ridge_inputs(base, R, P):
    """thematic's calibration inputs per unit and theme, and a learned-theme flag: (n, themes + 1, 5)."""
    Pz = (P - base.prototype_mean) / base.prototype_scale
    inputs = L.combine_inputs(R, Pz, base.learned)
    flag = np.broadcast_to(base.learned[None, :, None].astype(np.float64), (len(R), len(base.learned), 1))
    inputs = np.concatenate([inputs, flag], axis=2)
    return np.concatenate([inputs, np.zeros((len(R), 1, inputs.shape[2]))], axis=1)


def fit_calibration_softmax(V, P, Y, base):
    """``softmax of the calibration inputs`` (module docstring), fitted on the leave-one-out ridge outputs."""
    n_themes = Y.shape[1]
    learned = np.flatnonzero(base.learned)
    R = np.zeros(Y.shape)
    R[:, learned] = L.loo_ridge(V, Y[:, learned].astype(np.float64))[1]
    extra = _ridge_inputs(base, R, P)
    _, b, beta = fit_softmax(np.zeros((len(V), 0)), targets(Y), 1.0, extra, shared=True)
    held = softmax_rows(b + extra @ beta)[:, :n_themes]  # on leave-one-out ridge outputs, as thematic's

    def scorer(V, P):
        R = V @ base.weights + base.intercepts
        return softmax_rows(b + _ridge_inputs(base, R, P) @ beta)[:, :n_themes]

    return scorer, np.arange(n_themes), held


def fit_into_calibration(V, P, Y, base):
    """``softmax into the calibration`` (module docstring)."""
    columns = np.flatnonzero(base.learned)
    y = np.full(len(Y), -1)
    has = Y[:, columns].any(axis=1)
    y[has] = columns[Y[:, columns][has].argmax(axis=1)]
    model, labels, held = _sklearn_softmax(V, y, None)

    def log_odds(probabilities):
        p = np.clip(_spread(probabilities, labels, Y.shape[1]), 1e-4, 1 - 1e-4)
        return np.log(p / (1 - p))

    def inputs(R, P):
        return L.combine_inputs(R, (P - base.prototype_mean) / base.prototype_scale, base.learned)

    X = inputs(log_odds(held), P)
    coefficients = {t: np.asarray(L._logistic(X[:, t], Y[:, t])[1]) for t in columns}

    def calibrated(X):
        out = np.zeros((len(X), Y.shape[1]))
        for t, c in coefficients.items():
            out[:, t] = L._sigmoid(X[:, t] @ c[:-1] + c[-1])
        return out

    def scorer(V, P):
        probabilities = np.zeros((len(V), len(labels)))
        probabilities[:, np.searchsorted(labels, model.classes_)] = model.predict_proba(V)
        return calibrated(inputs(log_odds(probabilities), P))

    return scorer, columns, calibrated(X)  # in-sample calibration of held-out inputs, as thematic's


CANDIDATES = {
    "softmax": fit_sklearn,
    "softmax, balanced": lambda *a: fit_sklearn(*a, weight="balanced"),
    "softmax + zero-shot": lambda *a: fit_sklearn(*a, zero_shot=True),
    "zero-shot offset": fit_offset,
    "softmax of the calibration inputs": fit_calibration_softmax,
    "softmax into the calibration": fit_into_calibration,
}


class Wrapped:
    """thematic's learner (``base``) with the ``columns`` scored by a softmax candidate; thresholds: the
    kappa-best on the candidate's held-out probabilities (learned themes), :data:`L.ZERO_SHOT_CUT` else."""

    def __init__(self, V, P, Y, theme_ids, keys, name):
        Y = np.asarray(Y, dtype=bool)
        self.base = L.fit(V, P, Y, theme_ids, keys=keys, single_label=False)
        self.scorer, self.columns, held = CANDIDATES[name](V, P, Y, self.base)
        self.cuts = np.full(Y.shape[1], L.ZERO_SHOT_CUT)
        for t in self.columns:
            if self.base.learned[t]:
                self.cuts[t] = round(L.best_threshold(Y[:, t], np.round(held[:, t], L.DECIMALS))[0],
                                     L.DECIMALS)
        self.learned = self.base.learned

    def predict(self, V, P, zero_thresholds, zero_assigned, keys=None):
        scores, thresholds, assigned = self.base.predict(V, P, zero_thresholds, zero_assigned)
        c = self.columns
        scores[:, c] = np.round(self.scorer(V, P)[:, c], L.DECIMALS)
        thresholds[c] = self.cuts[c]
        assigned[:, c] = scores[:, c] >= thresholds[c][None, :]
        if keys is not None:  # identical answers share the coders' decisions, as in thematic's learner
            for i, key in enumerate(keys):
                found = self.base.shared.get(key)
                if found is not None:
                    share, counts = found
                    seen = counts > 0
                    scores[i, seen] = np.round(share[seen], L.DECIMALS)
                    assigned[i, seen] = share[seen] >= 0.5
        return scores, thresholds, assigned


def readings(scores: np.ndarray, assigned: np.ndarray) -> dict[str, np.ndarray]:
    """The three ways of reading one fit (:data:`MODES`)."""
    return {"per theme": assigned, "one per answer": L.one_per_unit(scores, assigned, False),
            "top-1": np.eye(scores.shape[1], dtype=bool)[scores.argmax(axis=1)]}


def rows_wanted(only) -> list[str]:
    names = ["thematic", *CANDIDATES]
    return [n for n in names if n == "thematic" or not only or any(o.lower() in n.lower() for o in only)]


def fit_and_read(name, V, P, Y, ids, keys, V_held, P_held, limits, Z_held, keys_held):
    """(scores, thresholds, {reading: assigned}) of the held-out answers for learner ``name``; thematic's
    own readings: as suggested (its single-label choice) and top-1."""
    if name == "thematic":
        model = L.fit(V, P, Y, ids, keys=keys)
        scores, thresholds, assigned = model.predict(V_held, P_held, limits, Z_held, keys=keys_held)
        return scores, thresholds, {"as suggested": assigned,
                                    "top-1": np.eye(len(ids), dtype=bool)[scores.argmax(axis=1)]}
    model = Wrapped(V, P, Y, ids, keys, name)
    scores, thresholds, assigned = model.predict(V_held, P_held, limits, Z_held, keys=keys_held)
    return scores, thresholds, readings(scores, assigned)


def report(table: dict, baseline: str, sizes: list[str]) -> None:
    print("| learner | reading | " + " | ".join(f"{s} coded" for s in sizes) + " |")
    print("| --- | --- |" + " ---: |" * len(sizes))
    for (name, reading), by_size in table.items():
        cells = []
        for size in sizes:
            values = by_size.get(size)
            if not values:
                cells.append("-")
                continue
            base = table[baseline][size]
            difference = np.mean(values) - np.mean(base)
            cells.append(f"{np.mean(values):.3f} ({difference:+.3f})" if (name, reading) != baseline
                         else f"**{np.mean(values):.3f}**")
        print(f"| {name} | {reading} | " + " | ".join(cells) + " |", flush=True)


def accuracy(V, P, G, F, size: int = 400) -> None:
    """``counsel --accuracy``: top-1 accuracy over every topic (draw 0 of ``size`` coded questions per fold,
    mean over the 5 folds) of the plain classifiers, without thematic's calibration: the ridge outputs'
    top theme, with the zero-shot scores added, and softmaxes on the features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    topic = G.argmax(axis=1)
    rows: dict[str, list[float]] = {}
    for k in sorted(set(F.tolist())):
        rng = np.random.default_rng([0, int(k), size])
        train = np.sort(rng.choice(np.flatnonzero(F != k), size=size, replace=False))
        held = np.flatnonzero(F == k)
        Pz = (P - P[train].mean(axis=0)) / P[train].std(axis=0)
        _, _, W, b = L.loo_ridge(V[train], G[train].astype(np.float64))
        R = V[held] @ W + b

        def put(name, scores, held=held):
            rows.setdefault(name, []).append(float((scores.argmax(axis=1) == topic[held]).mean()))

        put("zero-shot scores", P[held])
        put("ridge outputs (thematic's, before calibration)", R)
        put("ridge outputs + 0.03 x z-scored zero-shot score", R + 0.03 * Pz[held])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for C in (0.3, 1.0, 10.0, 100.0):
                model = LogisticRegression(C=C, max_iter=3000).fit(V[train], topic[train])
                put(f"softmax (scikit-learn), C={C:g}", _spread(model.predict_proba(V[held]), model.classes_,
                                                               G.shape[1]))
            scaler = StandardScaler().fit(V[train])
            for C in (0.003, 0.01, 0.03, 0.1):
                model = LogisticRegression(C=C, max_iter=3000).fit(scaler.transform(V[train]), topic[train])
                put(f"softmax, standardised features, C={C:g}",
                    _spread(model.predict_proba(scaler.transform(V[held])), model.classes_, G.shape[1]))
        offsets = np.concatenate([Pz, np.zeros((len(P), 1))], axis=1)[:, :, None]
        for C in (3.0, 10.0, 30.0):
            W, b, beta = fit_softmax(V[train], targets(G[train]), C, offsets[train])
            put(f"zero-shot offset, C={C:g}", logits(V[held], W, b, beta, offsets[held])[:, :G.shape[1]])
    print(f"| classifier | top-1 accuracy, {size} coded (mean of 5 folds, draw 0) |\n| --- | ---: |")
    for name, values in rows.items():
        print(f"| {name} | {np.mean(values):.3f} |", flush=True)


def counsel(args) -> None:
    from learning_curve import macro_kappa

    data = np.load(args.arrays / "arrays.npz")
    V, P, G, Z, F, limits = (data[k] for k in ("vectors", "prototype", "gold", "zero", "folds", "thresholds"))
    if args.accuracy:
        return accuracy(V, P, G, F)
    ids = [str(t) for t in range(G.shape[1])]
    table: dict = {}
    for name in rows_wanted(args.only):
        started = time.perf_counter()
        for size in args.sizes:
            for k in sorted(set(F.tolist())):
                held = np.flatnonzero(F == k)
                train = np.flatnonzero(F != k)
                for draw in range(args.draws if size != "all" else 1):
                    rows = train
                    if size != "all":  # as thematic.ml.evaluate.cross_validate draws them
                        rng = np.random.default_rng([draw, int(k), int(size)])
                        rows = np.sort(rng.choice(train, size=int(size), replace=False))
                    _, _, read = fit_and_read(name, V[rows], P[rows], G[rows], ids, None, V[held], P[held],
                                              limits, Z[held], None)
                    for reading, assigned in read.items():
                        table.setdefault((name, reading), {}).setdefault(size, []).append(
                            macro_kappa(G[held], assigned)[0])
        print(f"{name}: {time.perf_counter() - started:.0f} s", flush=True)
    report(table, ("thematic", "as suggested"), args.sizes)


def phase1(args) -> None:
    import single_label as SL
    from nhs_fft import FOLDS
    from vector_cache import vectors_for

    from thematic.ml.structure import apply_structure

    data = SL.Phase1(args.codebook)
    U = vectors_for(data.texts).astype(np.float64)
    features = SL.features(data, U)
    V, keys = features.matrix, features.keys
    P, limits, Z = SL.prototype_inputs(data, U)
    groups = SL.codebook_groups(data)
    train = data.train
    minimum = SL.MIN_TRAIN_POSITIVES // FOLDS
    table: dict = {}
    for name in rows_wanted(args.only):
        started = time.perf_counter()
        for size in args.sizes:
            for k in range(FOLDS):
                held = train[data.fold_of[train] == k]
                rest = train[data.fold_of[train] != k]
                for draw in range(SL.DRAWS if size != "all" else 1):
                    rows = rest if size == "all" else np.sort(
                        np.random.default_rng([16, draw]).choice(rest, size=int(size), replace=False))
                    data.set_scored(rows, held, minimum)
                    scores, thresholds, read = fit_and_read(
                        name, V[rows], P[rows], data.Y[rows], data.ids, [keys[i] for i in rows], V[held],
                        P[held], limits, Z[held], [keys[i] for i in held])
                    for reading, assigned in read.items():
                        # the codebook's groups, as suggest --learn applies them (single_label.learned)
                        assigned = apply_structure(scores, thresholds, groups, data.ids, assigned=assigned)
                        table.setdefault((name, reading), {}).setdefault(size, []).append(
                            SL.figures(data, assigned)["macro_kappa"])
        print(f"{name}: {time.perf_counter() - started:.0f} s", flush=True)
    report(table, ("thematic", "as suggested"), args.sizes)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="data", required=True)
    one = sub.add_parser("counsel", help="Counsel Chat, from learning_curve.py --dump's folder")
    one.add_argument("arrays", type=Path, help="the folder learning_curve.py --dump wrote")
    one.add_argument("--sizes", default="200,400,all")
    one.add_argument("--draws", type=int, default=3)
    one.add_argument("--accuracy", action="store_true",
                     help="instead: top-1 accuracy of the plain classifiers at 400 coded (draw 0)")
    two = sub.add_parser("phase1", help="NHS FFT phase 1, single_label.py --cv's folds")
    two.add_argument("--codebook", type=Path, default=None)
    two.add_argument("--sizes", default="400")
    for p in (one, two):
        p.add_argument("--only", nargs="*", default=None, help="candidates whose name contains one of these")
    args = parser.parse_args(argv)
    args.sizes = args.sizes.split(",")
    counsel(args) if args.data == "counsel" else phase1(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
