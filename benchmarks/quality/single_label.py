"""Machine coding of single-label short answers: NHS FFT phase 1 answers against their one code each.

Run: PYTHONPATH=. .venv/bin/python benchmarks/quality/single_label.py [--cv] [--codebook FILE] [--json FILE]
[--only NAME ...]

Data: ``../shared/data/nhs_fft/phase1_items.csv`` (README there): 10,302 real patient answers from three
trusts, one code each from a framework of 44 subcategories (names only, no definitions; generic ones among
them: "Miscellaneous", "Care received", "Staff: General", "Nothing to improve"). The closest proxy we have
to a hidden set of single-label short answers coded with a codebook. Split fixed by a hash of ``id``
(``int(sha256(id), 16) % 10 < 3`` -> test, as ``splits.csv`` does for ``items.csv``). Every setting is
chosen on train (``--cv``: 5 folds by a hash of ``id``); test is scored once (the default run).

Figures: macro binary Cohen's kappa over the themes with at least :data:`MIN_TEST_POSITIVES` test positives
(their count is printed), on all test answers and on the test answers whose text no train answer has
("unseen"); themes per answer (the coder: 1.00).

Codebook: the 44 subcategory names (the default), or ``--codebook FILE`` (a codebook whose themes are
the 44 subcategories, matched by name, else by id against the name's slug, e.g.
``nhs-phase1-codebook.yaml``, with definitions). The catch-all figures count the answers given the
codebook's catch-all themes (:func:`thematic.ml.residual.residual_like`: "Miscellaneous", "Other") against
the coder's.

Rows go through thematic's own functions as ``suggest`` and ``suggest --learn`` call them: the zero-shot
scores of :func:`thematic.ml.zeroshot.score_units` with ``suggest``'s thresholds, margin, then the steps of
:func:`thematic.ml.suggest.score_and_assign` (which needs a project; :func:`zero_shot` repeats its lines):
the catch-all themes made residual (:func:`thematic.ml.residual.implied_groups`),
:func:`thematic.ml.structure.apply_structure` with the codebook's groups (as written: independent themes;
or ``exclusive: true``, ``required: true``) and the non-answer routing with the themes for "nothing"
(:func:`thematic.ml.residual.route_non_answers`); the learner
(:func:`thematic.ml.learner.fit` / ``predict`` on :func:`thematic.ml.learner.unit_features`, the zero-shot
prototype scores that ``suggest --learn`` uses, identical-text keys). Vectors: ``vector_cache.py``.
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
from nhs_fft import DATA, FOLDS, MIN_TEST_POSITIVES, cv_folds  # noqa: E402  (same data folder, same folds)

MIN_TRAIN_POSITIVES = 20
CODED = 400
#: The learner's modes: fit(single_label=False), the per-theme thresholds of before; None, its own choice.
MODES = ((False, "per-theme thresholds (before)"), (None, "one per answer when coders give one"))
DRAWS = 3


def slug(name: str) -> str:
    """``"Amount/clarity of information"`` -> ``"amount-clarity-of-information"``."""
    import re

    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def codebook_themes(path: Path, names: list[str]) -> tuple:
    """(the codebook at ``path``, its themes in the order of ``names``): each theme is matched to a name by
    its name, else by its id against the name's slug (a theme renamed, e.g. "Miscellaneous" -> "Other")."""
    from thematic.codebook.load import load_codebook

    book = load_codebook(path)
    by_name = {t.name: t for t in book.themes}
    by_id = {t.id: t for t in book.themes}
    themes = [by_name.get(name) or by_id.get(slug(name)) for name in names]
    missing = [name for name, t in zip(names, themes, strict=True) if t is None]
    if missing or len({t.id for t in themes}) != len(names) or len(book.themes) != len(names):
        raise SystemExit(f"{path}: its themes are not the {len(names)} subcategories "
                         f"(no theme for {missing[:5]}; {len(book.themes)} themes)")
    return book, themes


class Phase1:
    def __init__(self, codebook: Path | None = None):
        import pandas as pd

        from thematic.codebook.model import Codebook, Theme

        items = pd.read_csv(DATA / "phase1_items.csv", keep_default_na=False)
        categories = pd.read_csv(DATA / "phase1_categories.csv", keep_default_na=False)
        self.items = items
        self.theme_names = list(dict.fromkeys(categories["subcategory"]))
        index = {name: t for t, name in enumerate(self.theme_names)}
        if codebook is None:
            self.themes = [Theme(id=f"t{t:02d}", name=name, definition="")
                           for t, name in enumerate(self.theme_names)]
            self.book = Codebook(codebook="phase1", themes=tuple(self.themes))
        else:
            self.book, self.themes = codebook_themes(codebook, self.theme_names)
        self.ids = [t.id for t in self.themes]
        self.Y = np.zeros((len(items), len(self.theme_names)), dtype=bool)
        self.Y[np.arange(len(items)), [index[s] for s in items["subcategory"]]] = True
        self.texts = items["text"].tolist()
        self.questions = items["question"].tolist()  # an identifier only, as a project without question texts
        ids = items["id"].astype(str).tolist()
        self.bucket = np.array([int(hashlib.sha256(i.encode()).hexdigest(), 16) % 10 for i in ids])
        self.fold_of = cv_folds(ids, np.arange(len(ids)))
        self.train = np.flatnonzero(self.bucket >= 3)
        self.test = np.flatnonzero(self.bucket < 3)
        self.set_scored(self.train, self.test, MIN_TEST_POSITIVES)

    def set_scored(self, train, test, minimum):
        """Score ``test`` rows (after fitting on ``train``): themes with >= ``minimum`` positives there."""
        self.test = test
        train_texts = {self.texts[i] for i in train}
        self.unseen = np.array([self.texts[i] not in train_texts for i in test])
        positives = self.Y[test].sum(axis=0)
        self.scored = np.flatnonzero(positives >= minimum)
        self.present = np.flatnonzero(positives >= 1)


def themes_of(data, residual=()):
    from dataclasses import replace

    return [replace(t, residual=t.residual or t.id in residual) for t in data.themes]


def codebook_groups(data, exclusive=False, required=False, residual=()):
    """The codebook's groups: as written (no argument), or made ``exclusive`` / ``required`` / with these
    ``residual`` themes."""
    from dataclasses import replace

    if not (exclusive or required or residual):
        return data.book.groups
    return replace(data.book, themes=tuple(themes_of(data, residual)), exclusive=exclusive,
                   required=required).groups


GENERIC = ("miscellaneous", "general", "other", "none of the above")


def generic_themes(data) -> list[str]:
    """Ids of the themes whose name says they are generic ("Miscellaneous", "Staff: General")."""
    import re

    pattern = re.compile(r"\b(" + "|".join(GENERIC) + r")\b", re.IGNORECASE)
    return [t.id for t in data.themes if pattern.search(t.name)]


def catch_all(data) -> list[int]:
    """Columns of the codebook's catch-all themes (:func:`thematic.ml.residual.residual_like`)."""
    from thematic.ml.residual import residual_like

    return [data.ids.index(t) for t in residual_like(data.themes)]


# -- zero-shot ---------------------------------------------------------------------------------------------
_ZS: dict = {}


def zero_shot_scores(data, U):
    """(scores, thresholds, pre-structure assignment, non-answers) as ``thematic suggest`` computes them."""
    if "z" not in _ZS:
        from vector_cache import vectors_for

        from thematic.ml import suggest as S
        from thematic.ml import zeroshot

        settings = S.Settings()
        themes = themes_of(data)
        tv = S.theme_vectors(themes, vectors_for)
        z = zeroshot.score_units(U, tv, themes, data.texts, vectors_for, settings, questions=data.questions)
        limits, _ = S.theme_thresholds(z.scores, settings)
        _ZS["z"] = (z.scores, limits, S.assign(z.scores, limits, settings.margin), z.blank)
    return _ZS["z"]


def zero_shot(data, U, groups, residual=()):
    """``suggest``'s assignment of every answer under a codebook with these groups
    (:func:`thematic.ml.suggest.assign_structured`, as :func:`thematic.ml.suggest.score_and_assign` calls it
    after its thresholds)."""
    from thematic.ml import suggest as S

    scores, limits, _, blank = zero_shot_scores(data, U)
    return S.assign_structured(scores, limits, themes_of(data, residual), groups, blank, data.questions)[0]


# -- learned -----------------------------------------------------------------------------------------------
_PROTO: dict = {}


def prototype_inputs(data, U):
    """The zero-shot scores and assignments ``suggest --learn`` gives the learner (learner.prototype_scores,
    which is suggest's own scoring: suggest.score_and_assign), for the codebook as written."""
    if "p" not in _PROTO:
        scores, limits, _, _ = zero_shot_scores(data, U)
        assigned = zero_shot(data, U, codebook_groups(data))
        _PROTO["p"] = (scores, np.asarray(limits, dtype=np.float64), assigned)
    return _PROTO["p"]


def features(data, U):
    from thematic.ml.learner import unit_features

    if "f" not in _PROTO:
        _PROTO["f"] = unit_features(data.texts, U, data.questions)
    return _PROTO["f"]


def learned(data, U, rows, score_rows, single_label=None):
    """(suggested as ``suggest --learn`` does with independent themes, its top-1, the learner)."""
    from thematic.ml import learner as L
    from thematic.ml.structure import apply_structure

    F = features(data, U)
    P, limits, Z = prototype_inputs(data, U)
    ids = data.ids
    model = L.fit(F.matrix[rows], P[rows], data.Y[rows], ids, keys=[F.keys[i] for i in rows],
                  single_label=single_label)
    scores, thresholds, assigned = model.predict(F.matrix[score_rows], P[score_rows], limits, Z[score_rows],
                                                 keys=[F.keys[i] for i in score_rows])
    suggested = apply_structure(scores, thresholds, codebook_groups(data), ids, assigned=assigned)
    if single_label is False:  # what suggest --learn does once the codebook says exclusive + required
        exclusive = apply_structure(scores, thresholds, codebook_groups(data, exclusive=True, required=True),
                                    ids, assigned=assigned)
        learned.exclusive = exclusive
    return suggested, np.eye(len(ids), dtype=bool)[scores.argmax(axis=1)], model


# -- figures -------------------------------------------------------------------------------------------------
def kappa_columns(Y: np.ndarray, A: np.ndarray, themes) -> float:
    from thematic.ml.learner import kappas_at

    return float(np.mean([np.nan_to_num(kappas_at(Y[:, t], A[None, :, t])[0], nan=0.0) for t in themes]))


def figures(data, A: np.ndarray, rows=None) -> dict:
    rows = data.test if rows is None else rows
    Y = data.Y[rows]
    A = np.asarray(A, dtype=bool)
    unseen = np.flatnonzero(data.unseen)
    generic = [data.ids.index(t) for t in generic_themes(data)]
    other = catch_all(data)
    return {"macro_kappa": round(kappa_columns(Y, A, data.scored), 4),
            "macro_kappa_unseen": round(kappa_columns(Y[unseen], A[unseen], data.scored), 4),
            "themes_per_answer": round(float(A.sum(axis=1).mean()), 3),
            "none": round(float((A.sum(axis=1) == 0).mean()), 4),
            "generic_assigned": int(A[:, generic].sum()), "generic_coded": int(Y[:, generic].sum()),
            "catch_all_assigned": int(A[:, other].sum()), "catch_all_coded": int(Y[:, other].sum())}


def rows_table(data, U, rows_fit, rows_score, only=None) -> dict:
    """Every row of the table, fitted / chosen on ``rows_fit`` and scored on ``rows_score``."""
    from vector_cache import vectors_for

    out = {}

    def put(name, A):
        if only and not any(o.lower() in name.lower() for o in only):
            return
        out[name] = figures(data, A)
        row = out[name]
        print(f"| {name} | {row['macro_kappa']:.3f} | {row['macro_kappa_unseen']:.3f} | "
              f"{row['themes_per_answer']:.2f} | {row['generic_assigned']} | {row['catch_all_assigned']} "
              f"({row['catch_all_coded']}) |", flush=True)

    names = vectors_for(data.theme_names).astype(np.float64)
    S = U[rows_score] @ names.T
    put("top-1 cosine to the theme names", np.eye(len(names), dtype=bool)[S.argmax(axis=1)])
    generic = generic_themes(data)
    for label, groups, residual in (
            ("zero-shot suggest, independent themes (codebook as written)", codebook_groups(data), ()),
            ("zero-shot suggest, generic themes residual", codebook_groups(data, residual=generic), generic),
            ("zero-shot suggest, exclusive: true", codebook_groups(data, exclusive=True), ()),
            ("zero-shot suggest, exclusive: true, required: true",
             codebook_groups(data, exclusive=True, required=True), ()),
            ("zero-shot suggest, exclusive + required, generic themes residual",
             codebook_groups(data, exclusive=True, required=True, residual=generic), generic)):
        if only and not any(o.lower() in label.lower() for o in only):
            continue
        put(label, zero_shot(data, U, groups, residual)[rows_score])
    rng_rows = np.asarray(rows_fit)
    for single, tag in MODES:
        if only and not any(o.lower() in f"learned {tag}".lower() for o in only):
            continue
        draws = {"suggested": [], "top-1": [], "codebook exclusive + required": []}
        for draw in range(DRAWS):
            coded = np.random.default_rng([16, draw]).choice(rng_rows, size=CODED, replace=False)
            fit_rows = np.sort(coded)
            data.set_scored(fit_rows, rows_score, data._minimum)
            suggested, top1, model = learned(data, U, fit_rows, rows_score, single)
            draws["suggested"].append(figures(data, suggested))
            draws["top-1"].append(figures(data, top1))
            if single is False:
                draws["codebook exclusive + required"].append(figures(data, learned.exclusive))
            if model.single_label:
                print(f"   draw {draw}:", model.settings()["single_label"], flush=True)
        for kind, figs in draws.items():
            if single is None and kind != "suggested":
                continue
            name = f"learned from {CODED} coded, {tag}, {kind} (mean of {DRAWS} draws)"
            row = {k: round(float(np.mean([f[k] for f in figs])), 4) for k in figs[0]}
            row["per_draw"] = [f["macro_kappa"] for f in figs]
            out[name] = row
            print(f"| {name} | {row['macro_kappa']:.3f} | {row['macro_kappa_unseen']:.3f} | "
                  f"{row['themes_per_answer']:.2f} | {row['generic_assigned']:.0f} | "
                  f"{row['catch_all_assigned']:.0f} ({row['catch_all_coded']:.0f}) |", flush=True)
    data.set_scored(rng_rows, rows_score, data._minimum)
    for single, tag in MODES:
        name = f"learned from all train, {tag}"
        if only and not any(o.lower() in name.lower() for o in only):
            continue
        suggested, top1, model = learned(data, U, rng_rows, rows_score, single)
        put(name, suggested)
        if single is False:
            put("learned from all train, top-1", top1)
            put("learned from all train, codebook exclusive + required", learned.exclusive)
        elif model.single_label:
            print("  ", model.settings()["single_label"], flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true", help="train split only: 5-fold cross-validation")
    parser.add_argument("--codebook", type=Path, default=None,
                        help="a codebook of the 44 subcategories (default: their names only)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--only", nargs="*", default=None, help="rows whose name contains one of these")
    args = parser.parse_args()
    from vector_cache import vectors_for

    data = Phase1(args.codebook)
    started = time.perf_counter()
    U = vectors_for(data.texts).astype(np.float64)
    print(f"{len(data.texts)} answers, train {len(data.train)}, test {len(data.test)} "
          f"({int(data.unseen.sum())} unseen); vectors {time.perf_counter() - started:.1f} s; generic: "
          f"{[data.theme_names[data.ids.index(t)] for t in generic_themes(data)]}; codebook "
          f"{args.codebook or 'names only'}, catch-all: {[data.themes[t].name for t in catch_all(data)]}",
          flush=True)
    header = ("| method | macro kappa | unseen | themes per answer | generic themes assigned | catch-all "
              "assigned (coded) |\n| --- | ---: | ---: | ---: | ---: | ---: |")
    out: dict = {}
    if args.cv:
        train = data.train
        data._minimum = MIN_TRAIN_POSITIVES // FOLDS * 1  # per fold: >= 4 positives of a theme in the fold
        per_fold = []
        for k in range(FOLDS):
            held = train[data.fold_of[train] == k]
            rest = train[data.fold_of[train] != k]
            data.set_scored(rest, held, data._minimum)
            print(f"fold {k}: {len(held)} held out, {len(data.scored)} themes scored\n{header}", flush=True)
            per_fold.append(rows_table(data, U, rest, held, args.only))
        out["cv"] = {name: {key: round(float(np.mean([f[name][key] for f in per_fold])), 4)
                            for key in ("macro_kappa", "macro_kappa_unseen", "themes_per_answer",
                                        "catch_all_assigned", "catch_all_coded")}
                     for name in per_fold[0]}
        print(f"mean over {FOLDS} folds\n{header}")
        for name, row in out["cv"].items():
            print(f"| {name} | {row['macro_kappa']:.3f} | {row['macro_kappa_unseen']:.3f} | "
                  f"{row['themes_per_answer']:.2f} | | {row['catch_all_assigned']:.0f} "
                  f"({row['catch_all_coded']:.0f}) |")
    else:
        data._minimum = MIN_TEST_POSITIVES
        data.set_scored(data.train, data.test, MIN_TEST_POSITIVES)
        print(f"test: {len(data.scored)} themes with >= {MIN_TEST_POSITIVES} test positives; "
              f"{len(data.present)} with one\n{header}", flush=True)
        out["test"] = rows_table(data, U, data.train, data.test, args.only)
        out["scored_themes"] = len(data.scored)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
