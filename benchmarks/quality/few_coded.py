"""Learning from few coded answers against not learning at all: train cross-validation on three data sets.

Run: PYTHONPATH=. .venv/bin/python benchmarks/quality/few_coded.py [--sets nhs phase1 counsel]
     [--sizes 20 50 100 200 400] [--draws 3] [--only NAME ...] [--why] [--counsel-project PATH]
     [--json FILE]

Why: with 20 to 50 coded answers `suggest --learn` scored below the zero-shot run it starts from (issue 16;
`thematic evaluate --from labeller` on NHS FFT: 0.056 at 20 coded against 0.152 zero-shot). Each row is a
way to score the themes with too few decisions, or to learn from few positives, measured beside the
zero-shot run and thematic's learner in the same run. Train splits only (the test splits are scored by
``nhs_fft.py``, ``single_label.py`` and ``learning_curve.py``):

- ``nhs``: NHS FFT train split (4,235 answers), ``nhs_fft.py --cv``'s 5 folds by respondent; per fold and
  draw, n answers drawn at random from the other folds are coded; macro kappa over the 32 themes with at
  least 20 train positives, every train answer coded once per draw (``nhs_fft_learners.py``'s figure).
- ``phase1``: NHS phase 1 train split (7,235 single-label answers), ``single_label.py --cv``'s folds; macro
  kappa per fold over the themes with at least 4 positives in the fold, mean over folds (the assignments as
  ``Learner.predict`` gives them, the codebook as written: independent themes).
- ``counsel``: Counsel Chat train+val (776 questions), ``learning_curve.py``'s folds and draws; macro kappa
  per fold over the topics with at least 5 questions in it, mean over folds. The project (and its
  embedding cache) is built in a temporary folder unless ``--counsel-project`` names one.

The zero-shot run is ``suggest``'s own (scores, thresholds, assignments: :func:`nhs_fft.zero_shot_scores`,
:func:`single_label.prototype_inputs`, :func:`thematic.ml.learner.prototype_scores`); the learner reads the
features ``suggest --learn`` computes. Figures: mean over draws; the zero-shot row has nothing to draw.
``--why``: instead of the rows, where the learner gains or loses against zero-shot, per group of themes
(:func:`why`).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

from thematic.ml import learner as L  # noqa: E402


class Set:
    """One data set's arrays: features, zero-shot scores, thresholds and assignments, labels, sharing keys,
    the rows cross-validated and their folds; ``pooled``: one figure over every row (NHS) or a mean of
    per-fold figures (the others), over themes with at least ``minimum`` positives."""

    def __init__(self, name, F, P, limits, Z, Y, keys, rows, fold, minimum, pooled, draw_seed):
        self.name, self.F, self.P, self.limits, self.Z, self.Y = name, F, P, np.asarray(limits), Z, Y
        self.keys, self.rows, self.fold, self.minimum, self.pooled = keys, rows, fold, minimum, pooled
        self.draw_seed = draw_seed
        self.ids = [f"t{t:02d}" for t in range(Y.shape[1])]

    def keys_of(self, rows):
        return None if self.keys is None else [self.keys[i] for i in rows]

    def coded(self, k, size, draw):
        rest = self.rows[self.fold != k]
        if size >= len(rest):
            return rest
        return np.sort(np.random.default_rng(self.draw_seed(draw, k, size)).choice(rest, size, replace=False))


def nhs_set() -> Set:
    import nhs_fft as B

    d = B.Data()
    U, _ = d.vectors()
    U = U.astype(np.float64)
    F = B.features(d, U)
    P, limits, Z = B.zero_shot_scores(d, U)
    return Set("nhs", F.matrix, P, limits, Z, d.Y, F.keys, d.train, B.cv_folds(d.groups, d.train), 20, True,
               lambda draw, k, size: [draw, k, size])


def phase1_set() -> Set:
    import single_label as SL
    from vector_cache import vectors_for

    p = SL.Phase1()
    U = vectors_for(p.texts).astype(np.float64)
    F = SL.features(p, U)
    P, limits, Z = SL.prototype_inputs(p, U)
    return Set("phase1", F.matrix, P, limits, Z, p.Y, F.keys, p.train, p.fold_of[p.train], 4, False,
               lambda draw, k, size: [draw, k, size])


def counsel_set(project_path: Path | None) -> Set:
    import learning_curve as C

    from thematic.ml.embed import unit_vectors
    from thematic.store import corpus
    from thematic.store.codebooks import require_current

    rows = C.load_questions()
    tmp = tempfile.TemporaryDirectory()
    project = C.build_project(project_path or Path(tmp.name) / "counsel-chat.db", rows)
    themes = list(require_current(project).codebook.themes)
    units = corpus.list_units(project)
    by_id = {r["question_id"]: r for r in rows}
    gold = np.array([[by_id[u.respondent_id]["topic"] == t.id for t in themes] for u in units])
    split = np.array([by_id[u.respondent_id]["split"] for u in units])
    dev = np.flatnonzero(split != "test")
    vectors = unit_vectors(project, units)
    zero = L.prototype_scores(project, units, themes, vectors=vectors)
    F = L.unit_features([u.text for u in units], vectors, [u.question_id for u in units]).matrix
    fold_of = np.empty(len(units), dtype=int)
    for k, fold in enumerate(np.array_split(np.random.default_rng(0).permutation(dev), C.FOLDS)):
        fold_of[fold] = k
    project.close()
    tmp.cleanup()
    # learning_curve.py's draws (evaluate.cross_validate's), over positions within train+val
    return Set("counsel", F[dev], zero.scores[dev], zero.thresholds, zero.assigned[dev], gold[dev], None,
               np.arange(len(dev)), fold_of[dev], C.MIN_PER_TOPIC, False,
               lambda draw, k, size: [draw, int(k), int(size)])


def kappa(y, a) -> float:
    value = L.kappas_at(y, a[None, :])[0]
    return 0.0 if np.isnan(value) else float(value)


def figure(s: Set, method, size: int, draw: int) -> float:
    A = np.zeros(s.Y.shape, dtype=bool)
    per_fold = []
    for k in sorted(set(s.fold.tolist())):
        coded, held = s.coded(k, size, draw), s.rows[s.fold == k]
        A[held] = method(s, coded, held)
        if not s.pooled:
            themes = np.flatnonzero(s.Y[held].sum(axis=0) >= s.minimum)
            per_fold.append(np.mean([kappa(s.Y[held, t], A[held, t]) for t in themes]))
    if s.pooled:
        themes = np.flatnonzero(s.Y[s.rows].sum(axis=0) >= s.minimum)
        return float(np.mean([kappa(s.Y[s.rows, t], A[s.rows, t]) for t in themes]))
    return float(np.mean(per_fold))


# -- the rows ------------------------------------------------------------------------------------------------
def fitted(s: Set, coded, *, min_positives: int | None = None, **kwargs) -> L.Learner:
    saved = L.MIN_POSITIVES
    if min_positives is not None:
        L.MIN_POSITIVES = min_positives  # the benchmark's variant only; restored below
    try:
        return L.fit(s.F[coded], s.P[coded], s.Y[coded], s.ids, keys=s.keys_of(coded), **kwargs)
    finally:
        L.MIN_POSITIVES = saved


def predicted(s: Set, model: L.Learner, held) -> np.ndarray:
    return model.predict(s.F[held], s.P[held], s.limits, s.Z[held], keys=s.keys_of(held))[2]


def learner(**kwargs):
    return lambda s, coded, held: predicted(s, fitted(s, coded, **kwargs), held)


def against_zero_shot(s: Set, coded, held):
    """A learned theme keeps its learned assignment only where its leave-one-out kappa on the coded answers
    beats the zero-shot assignment's kappa on them; else the zero-shot run's."""
    model = fitted(s, coded)
    A = predicted(s, model, held)
    for t, f in enumerate(model.fits):
        if f.method == L.LEARNED and kappa(s.Y[coded, t], s.Z[coded, t]) >= f.training_kappa:
            A[:, t] = s.Z[held, t]
    return A


def sparse_or_zero_shot(s: Set, coded, held, *, below: int = 10):
    """Under :data:`L.MIN_POOLED_THEMES` learned themes, a theme learned from fewer than ``below`` positives
    is assigned where the learner or the zero-shot run assigns it."""
    model = fitted(s, coded)
    A = predicted(s, model, held)
    if model.learned.sum() < L.MIN_POOLED_THEMES:
        sparse = model.learned & (s.Y[coded].sum(axis=0) < below)
        A[:, sparse] |= s.Z[held][:, sparse]
    return A


def shrunk_thresholds(s: Set, coded, held, *, weight: float = 10.0, below: float = np.inf):
    """Each learned threshold (of a theme with fewer than ``below`` positives) shrunk toward the median
    learned threshold, with the weight of ``weight`` positives: (positives x threshold + weight x median) /
    (positives + weight)."""
    model = fitted(s, coded)
    learned = [f for f in model.fits if f.method == L.LEARNED]
    if learned:
        median = float(np.median([f.threshold for f in learned]))
        for f in learned:
            if f.positives < below:
                f.threshold = (f.positives * f.threshold + weight * median) / (f.positives + weight)
    return predicted(s, model, held)


def why(s: Set, sizes, draws) -> dict:
    """Where learning gains or loses against the zero-shot run: per group of themes (learned from 5-9, 10-19
    or 20+ positives; not learned, scored as thematic scores them or by the pooled calibration whatever the
    number of learned themes), the themes per fold, their mean kappa against zero-shot's on the same themes,
    their share of the macro figure's difference, and the answers assigned per fold (zero-shot, the coder).
    Per-fold kappas over the themes the figure counts (NHS: the themes with 20 train positives)."""
    out = {}
    for size in sizes:
        groups: dict = {}
        runs = []
        for draw in range(draws):
            for k in sorted(set(s.fold.tolist())):
                coded, held = s.coded(k, size, draw), s.rows[s.fold == k]
                now = fitted(s, coded)
                before = fitted(s, coded, min_pooled_themes=1)
                A, B, Z = predicted(s, now, held), predicted(s, before, held), s.Z[held]
                themes = (np.flatnonzero(s.Y[s.rows].sum(axis=0) >= s.minimum) if s.pooled else
                          np.flatnonzero(s.Y[held].sum(axis=0) >= s.minimum))
                runs.append(len(themes))
                positives = s.Y[coded].sum(axis=0)
                for t in themes:
                    y, z = s.Y[held, t], kappa(s.Y[held, t], Z[:, t])
                    if now.learned[t]:
                        bucket = ("learned from 5-9 positives" if positives[t] < 10 else
                                  "learned from 10-19" if positives[t] < 20 else "learned from 20+")
                        pairs = [(bucket, A)]
                    else:
                        pairs = [("not learned, thematic", A),
                                 ("not learned, pooled from 1 learned theme", B)]
                    for name, M in pairs:
                        groups.setdefault(name, []).append((kappa(y, M[:, t]) - z, kappa(y, M[:, t]), z,
                                                            M[:, t].sum(), Z[:, t].sum(), y.sum()))
        scale = len(runs) * float(np.mean(runs))
        out[size] = {name: {"themes_per_fold": round(len(r) / len(runs), 1),
                            "kappa": round(float(np.mean([x[1] for x in r])), 3),
                            "zero_shot_kappa": round(float(np.mean([x[2] for x in r])), 3),
                            "share_of_macro_difference": round(float(sum(x[0] for x in r) / scale), 4),
                            "assigned_per_fold": round(float(np.mean([x[3] for x in r])), 1),
                            "zero_shot_assigned": round(float(np.mean([x[4] for x in r])), 1),
                            "coder_assigned": round(float(np.mean([x[5] for x in r])), 1)}
                     for name, r in sorted(groups.items())}
        print(f"| {s.name}, {size} coded | themes per fold | kappa | zero-shot kappa "
              "| share of macro difference | assigned per fold (zero-shot / coder) |\n"
              "| --- | ---: | ---: | ---: | ---: | ---: |")
        for name, r in out[size].items():
            print(f"| {name} | {r['themes_per_fold']} | {r['kappa']:.3f} | {r['zero_shot_kappa']:.3f} | "
                  f"{r['share_of_macro_difference']:+.3f} | {r['assigned_per_fold']} "
                  f"({r['zero_shot_assigned']} / {r['coder_assigned']}) |", flush=True)
    return out


ZERO_SHOT = "zero-shot run (nothing learned)"
THEMATIC = ("thematic: learned where the leave-one-out kappa reaches 0.1; pooled calibration from 5 learned "
            "themes, else the zero-shot run's assignment")
ROWS = {
    ZERO_SHOT: lambda s, coded, held: s.Z[held],
    THEMATIC: learner(),
    "before: every theme with 5 positives and 5 negatives learned, however its leave-one-out kappa":
        learner(min_learned_kappa=-2.0),
    "learned where the leave-one-out kappa reaches 0.05": learner(min_learned_kappa=0.05),
    "learned where the leave-one-out kappa reaches 0.15": learner(min_learned_kappa=0.15),
    "learned where the leave-one-out kappa reaches 0.2": learner(min_learned_kappa=0.2),
    "before: pooled calibration from 1 learned theme": learner(min_pooled_themes=1),
    "pooled calibration from 3 learned themes": learner(min_pooled_themes=3),
    "pooled calibration from 8 learned themes": learner(min_pooled_themes=8),
    "never the pooled calibration: the zero-shot run's assignment for every unlearned theme":
        learner(min_pooled_themes=10**9),
    "a theme learned from 10 positives (not 5)": learner(min_positives=10),
    "a learned theme kept only where its leave-one-out kappa beats the zero-shot assignment's":
        against_zero_shot,
    "under 5 learned themes, a theme learned from under 10 positives also where zero-shot assigns it":
        sparse_or_zero_shot,
    "learned thresholds shrunk toward their median (weight of 10 positives)": shrunk_thresholds,
    "the same, only for themes learned from under 10 positives":
        lambda s, coded, held: shrunk_thresholds(s, coded, held, below=10),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", default=["nhs", "phase1", "counsel"])
    parser.add_argument("--sizes", nargs="*", type=int, default=[20, 50, 100, 200, 400])
    parser.add_argument("--draws", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None, help="rows whose name contains one of these")
    parser.add_argument("--counsel-project", type=Path, default=None,
                        help="keep the Counsel Chat project (and its embedding cache) here")
    parser.add_argument("--why", action="store_true",
                        help="instead of the rows: where learning gains or loses against zero-shot, "
                        "per group of themes")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    makers = {"nhs": nhs_set, "phase1": phase1_set, "counsel": lambda: counsel_set(args.counsel_project)}
    out: dict = {}
    for name in args.sets:
        started = time.perf_counter()
        s = makers[name]()
        print(f"\n{name}: {len(s.rows)} answers cross-validated, {s.Y.shape[1]} themes "
              f"({time.perf_counter() - started:.0f} s to load)", flush=True)
        if args.why:
            out[name] = why(s, args.sizes, args.draws)
            continue
        print("| row | " + " | ".join(str(n) for n in args.sizes) + " | seconds |\n| --- | "
              + " | ".join("---:" for _ in args.sizes) + " | ---: |", flush=True)
        out[name] = {}
        for row, method in ROWS.items():
            if args.only and row not in (ZERO_SHOT, THEMATIC) and not any(
                    o.lower() in row.lower() for o in args.only):
                continue
            started = time.perf_counter()
            draws = 1 if row == ZERO_SHOT else args.draws
            values = {n: round(float(np.mean([figure(s, method, n, d) for d in range(draws)])), 4)
                      for n in args.sizes}
            out[name][row] = values
            print(f"| {row} | " + " | ".join(f"{v:.3f}" for v in values.values())
                  + f" | {time.perf_counter() - started:.0f} |", flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
