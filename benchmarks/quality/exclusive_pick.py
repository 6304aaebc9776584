"""Which theme an exclusive group keeps: rules compared on zero-shot scores and learned probabilities.

Run: PYTHONPATH=. .venv/bin/python benchmarks/quality/exclusive_pick.py [--data phase1 counsel demo]
[--test] [--json FILE]

In an exclusive (or required) group :func:`thematic.ml.structure.apply_structure` keeps one theme per
unit. Candidates for which one (each a rank over the group's themes, passed as ``rank``):

- ``margin``: score - threshold (the widest margin over its threshold; the rule before issue 16);
- ``score``: the highest score (a zero-shot score, or a learned calibrated probability);
- ``margin / sd``: the margin in units of the theme's score sd over the units scored;
- ``score - f threshold`` for f = 0.25, 0.5, 0.75 (between ``score``, f = 0, and ``margin``, f = 1;
  0.75 is :func:`thematic.ml.structure.group_rank`, the default since);
- with a required group, two hybrids: one rule among the themes that clear their thresholds, the other
  for the forced pick where none does.

Data (read-only, ../shared/data; train splits only unless ``--test``):

- ``phase1``: NHS FFT phase 1 (benchmarks/quality/single_label.py's data, functions, split and folds):
  7,235 train answers, one code each among 44 names. Codebook ``exclusive: true`` (and ``required:
  true``). Zero-shot: every train answer. Learned: the 5 folds of train, each fitted on the other four
  (all of them, and 400 of them in 3 seeded draws). Macro kappa over the themes with >= 20 train
  positives. ``--test``: fitted on train, scored on test (themes with >= 10 test positives).
- ``counsel``: Counsel Chat train+val (776 questions, one topic each), codebook
  counsel-chat-codebook.yaml with ``exclusive: true, required: true`` (as structure_figures.py uses it).
  Learned: 5 folds by question (``evaluate``'s :func:`thematic.ml.evaluate.assign_folds`), all / 400
  coded (3 draws). Macro kappa over the topics with >= 5 questions. ``--test``: the 39 test questions,
  fitted on train+val.
- ``demo``: corpora/ai-therapy-survey.csv against corpora/ai-therapy-key.csv, codebooks/ai-therapy.yaml
  as written (``stance`` exclusive, not required; therapeutic-risks independent): 112 answers, zero-shot
  and 5-fold learned. Macro kappa over its 4 themes. No test split (skipped with ``--test``).

Every row goes through thematic's own functions as ``suggest`` / ``suggest --learn`` call them: zero-shot
scores, thresholds and margin (the steps of :func:`thematic.ml.suggest.score_and_assign`, non-answers
routed after the structure), the learner's fit (``single_label=False``, as for a codebook with exclusive
groups) and predict, then ``apply_structure`` with the candidate's rank. Held-out units of every fold are
pooled before the macro binary Cohen's kappa (``learner.kappas_at``); draws are averaged. "Units better /
worse than margin": units where the rule and the widest margin differ and the rule's themes agree with
the coder more (right themes minus wrong ones) / less: an accuracy count, beside the macro kappa.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

FRACTIONS = (0.25, 0.5, 0.75)
BASELINE = "margin"  # the rule the others are paired against
DRAWS = 3
CODED = 400
FOLDS = 5


def ranks(scores: np.ndarray, thresholds: np.ndarray) -> dict[str, np.ndarray]:
    """Candidate rank matrices (higher is kept) for ``apply_structure(..., rank=...)``."""
    s = np.asarray(scores, dtype=float)
    t = np.asarray(thresholds, dtype=float)[None, :]
    sd = s.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)[None, :]
    out = {"margin": s - t, "score": s, "margin / sd": (s - t) / sd}
    for f in FRACTIONS:
        out[f"score - {f:g} threshold"] = s - f * t
    return out


def macro_kappa(Y: np.ndarray, A: np.ndarray, themes) -> float:
    from thematic.ml.learner import kappas_at

    return float(np.mean([np.nan_to_num(kappas_at(Y[:, t], A[None, :, t])[0], nan=0.0) for t in themes]))


def structured(scores, thresholds, assigned, groups, ids, post=None) -> dict[str, np.ndarray]:
    """Each candidate's assignment; with a required group, also the hybrids: one rule among the themes
    that clear their thresholds, the other for the forced pick where none does."""
    import dataclasses

    from thematic.ml.structure import apply_structure

    def run(rank, groups):
        return apply_structure(scores, thresholds, groups, ids, assigned=assigned, rank=rank)

    out = {}
    candidates = ranks(scores, thresholds)
    for name, rank in candidates.items():
        out[name] = run(rank, groups)
    required = [g for g in groups if g.required]
    if required:
        loose = [dataclasses.replace(g, required=False) for g in groups]
        cols = [[ids.index(t) for t in g.themes if t in ids] for g in required]
        for first, forced in (("margin", "score"), ("score", "margin")):
            cleared = run(candidates[first], loose)
            filled = run(candidates[forced], groups)
            for c in cols:
                empty = ~cleared[:, c].any(axis=1)
                cleared[np.ix_(empty, c)] = filled[np.ix_(empty, c)]
            out[f"{first} among those clearing, else {forced}"] = cleared
    return out if post is None else {name: post(a) for name, a in out.items()}


class Tally:
    """Per setting and rule, per run (a draw of coded units): the held-out rows of every fold, pooled, then
    the macro kappa over the themes with at least ``minimum`` positives among them; the mean over runs."""

    def __init__(self, minimum: int):
        self.minimum = minimum
        self.rows: dict = {}

    def add(self, setting: str, found: dict[str, np.ndarray], Y: np.ndarray, run: int = 0):
        for rule, A in found.items():
            self.rows.setdefault(setting, {}).setdefault(rule, {}).setdefault(run, []).append((Y, A))

    def table(self) -> dict:
        out = {}
        for setting, rules in self.rows.items():
            out[setting] = {}
            for rule, runs in rules.items():
                figures, wins, losses = [], 0, 0
                for run, parts in runs.items():
                    Y = np.concatenate([y for y, _ in parts])
                    A = np.concatenate([a for _, a in parts])
                    themes = np.flatnonzero(Y.sum(axis=0) >= self.minimum)
                    figures.append((macro_kappa(Y, A, themes), float(A.sum(axis=1).mean())))
                    # units where this rule and the widest margin differ: which one the coder agrees with
                    # more (right themes assigned minus wrong ones)
                    M = np.concatenate([a for _, a in rules[BASELINE][run]])
                    hits = (A & Y).sum(axis=1) - (A & ~Y).sum(axis=1)
                    base = (M & Y).sum(axis=1) - (M & ~Y).sum(axis=1)
                    wins += int((hits > base).sum())
                    losses += int((hits < base).sum())
                out[setting][rule] = {"macro_kappa": round(float(np.mean([k for k, _ in figures])), 4),
                                      "themes_per_unit": round(float(np.mean([p for _, p in figures])), 3),
                                      "runs": len(figures),
                                      "per_run": [round(k, 4) for k, _ in figures],
                                      "better_than_margin": wins, "worse_than_margin": losses}
        return out


def learned_rows(tally, tag, F, P, Z, Y, keys, ids, groups_by, fit_test_pairs, post=None):
    """Fit on each (fit rows, score rows) pair as suggest --learn does for an exclusive codebook."""
    from thematic.ml import learner as L

    for name, run, fit_rows, score_rows in fit_test_pairs:
        model = L.fit(F[fit_rows], P[fit_rows], Y[fit_rows], ids, keys=[keys[i] for i in fit_rows],
                      single_label=False)
        s, t, a = model.predict(F[score_rows], P[score_rows], tally.zero_thresholds, Z[score_rows],
                                keys=[keys[i] for i in score_rows])
        for label, groups in groups_by.items():
            tally.add(f"{tag}, learned {name}, {label}", structured(s, t, a, groups, ids, post),
                      Y[score_rows], run)
        print(f"  {tag} learned {name}: {len(score_rows)} scored", flush=True)


def pairs(rows_fit_by_fold, rows_score_by_fold, seed_tag):
    """(name, run, fit rows, score rows): all of the fit rows, and CODED of them in DRAWS seeded draws."""
    out = []
    for k, (fit_rows, score_rows) in enumerate(zip(rows_fit_by_fold, rows_score_by_fold, strict=True)):
        out.append(("from all", 0, fit_rows, score_rows))
        if len(fit_rows) > CODED:
            for draw in range(DRAWS):
                coded = np.random.default_rng([seed_tag, k, draw]).choice(fit_rows, size=CODED, replace=False)
                out.append((f"from {CODED}", draw, np.sort(coded), score_rows))
    return out


# -- NHS phase 1 -------------------------------------------------------------------------------------------
def phase1(test: bool) -> dict:
    import single_label as SL
    from vector_cache import vectors_for

    from thematic.ml import zeroshot

    data = SL.Phase1()
    U = vectors_for(data.texts).astype(np.float64)
    ids = [f"t{t:02d}" for t in range(len(data.theme_names))]
    groups_by = {"exclusive + required": SL.codebook_groups(data, exclusive=True, required=True),
                 "exclusive": SL.codebook_groups(data, exclusive=True)}
    scores, limits, assigned, blank = SL.zero_shot_scores(data, U)
    nonans = zeroshot.non_answer_themes(SL.themes_of(data))
    tally = Tally(SL.MIN_TEST_POSITIVES if test else SL.MIN_TRAIN_POSITIVES)
    tally.zero_thresholds = np.asarray(limits, dtype=np.float64)
    rows = data.test if test else data.train
    for label, groups in groups_by.items():
        def post(a, groups=groups):
            return zeroshot.route_non_answers(a, scores[rows], blank[rows], groups, ids, nonans)
        tally.add(f"phase1, zero-shot, {label}",
                  structured(scores[rows], limits, assigned[rows], groups, ids, post), data.Y[rows])
    print("  phase1 zero-shot done", flush=True)
    F = SL.features(data, U)
    P, _, Z = SL.prototype_inputs(data, U)
    if test:
        fit_by, score_by = [data.train], [data.test]
    else:
        fit_by = [data.train[data.fold_of[data.train] != k] for k in range(SL.FOLDS)]
        score_by = [data.train[data.fold_of[data.train] == k] for k in range(SL.FOLDS)]
    learned_rows(tally, "phase1", F.matrix, P, Z, data.Y, F.keys, ids, groups_by, pairs(fit_by, score_by, 16))
    return tally.table()


# -- projects built through thematic's importer (Counsel Chat, the demo corpus) --------------------------
def project_inputs(path: Path, source: Path, options, codebook):
    """(project, units, themes, zero-shot scores, thresholds, pre-structure assignment, blank, features)."""
    from vector_cache import vectors_for

    from thematic.ingest.importer import import_file
    from thematic.ml import learner as L
    from thematic.ml import suggest as S
    from thematic.ml import zeroshot
    from thematic.ml.embed import embed_texts
    from thematic.store import corpus
    from thematic.store.codebooks import use_codebook
    from thematic.store.project import create_project

    project, _ = create_project(path)
    import_file(project, source, options)
    use_codebook(project, codebook)
    units = corpus.list_units(project)
    themes = list(codebook.themes)
    U = vectors_for([u.text for u in units]).astype(np.float64)
    settings = S.Settings()
    tv = S.embed_theme_texts(project, themes)
    found = zeroshot.score_units(U, tv, themes, [u.text for u in units],
                                 lambda some: embed_texts(project, some), settings,
                                 questions=S.question_texts(project, units))
    limits, _ = S.theme_thresholds(found.scores, settings)
    assigned = S.assign(found.scores, limits, settings.margin)
    F = L.unit_features([u.text for u in units], U, [u.question_id for u in units])
    return units, themes, found, np.asarray(limits, dtype=np.float64), assigned, F


def zero_and_learned(tag, units, themes, found, limits, assigned, F, Y, rows_dev, rows_test, groups,
                     label, minimum, test):
    from thematic.ml import zeroshot
    from thematic.ml.evaluate import assign_folds

    ids = [t.id for t in themes]
    nonans = zeroshot.non_answer_themes(themes)
    scores, blank = found.scores, found.blank
    rows = rows_test if test else rows_dev
    tally = Tally(minimum)
    tally.zero_thresholds = limits

    def post_for(r):
        return lambda a: zeroshot.route_non_answers(a, scores[r], blank[r], groups, ids, nonans)

    tally.add(f"{tag}, zero-shot, {label}",
              structured(scores[rows], limits, assigned[rows], groups, ids, post_for(rows)), Y[rows])
    # the learner's zero-shot input: suggest's assignment under the codebook's structure (as suggest --learn)
    from thematic.ml.structure import apply_structure

    Z = apply_structure(scores, limits, groups, ids, assigned=assigned)
    if test:
        fit_by, score_by = [rows_dev], [rows_test]
    else:
        fold_of = assign_folds([units[i].respondent_id for i in rows_dev], FOLDS, seed=0)
        fit_by = [rows_dev[fold_of != k] for k in range(FOLDS)]
        score_by = [rows_dev[fold_of == k] for k in range(FOLDS)]
    learned_rows(tally, tag, F.matrix, scores, Z, Y, F.keys, ids, {label: groups},
                 pairs(fit_by, score_by, 17))
    return tally.table()


def counsel(test: bool) -> dict:
    from thematic.codebook.load import load_codebook
    from thematic.ingest.importer import ImportOptions

    path = HERE / "counsel-chat-codebook.yaml"
    rows = list(csv.DictReader((REPO.parent / "shared" / "data" / "counsel_chat" / "questions.csv")
                               .open(encoding="utf-8", newline="")))
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "counsel.yaml"
        book.write_text(path.read_text("utf-8").replace(
            "\nthemes:\n", "\nexclusive: true\nrequired: true\nthemes:\n", 1), "utf-8")
        codebook = load_codebook(book)
        source = Path(tmp) / "questions.csv"
        with source.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["question_id", "question"])
            writer.writerows([r["question_id"], (r["title"].strip() + "\n" + r["text"].strip()).strip()]
                             for r in rows)
        units, themes, found, limits, assigned, F = project_inputs(
            Path(tmp) / "counsel.db", source,
            ImportOptions(id_column="question_id", text_columns=["question"]), codebook)
    ids = [t.id for t in themes]
    by_id = {r["question_id"]: r for r in rows}
    Y = np.zeros((len(units), len(ids)), dtype=bool)
    Y[np.arange(len(units)), [ids.index(by_id[u.respondent_id]["topic"]) for u in units]] = True
    split = np.array([by_id[u.respondent_id]["split"] for u in units])
    return zero_and_learned("counsel", units, themes, found, limits, assigned, F, Y,
                            np.flatnonzero(split != "test"), np.flatnonzero(split == "test"),
                            codebook.groups, "exclusive + required", 5, test)


def demo(test: bool) -> dict:
    from thematic.codebook.load import load_codebook
    from thematic.ingest.importer import ImportOptions

    if test:
        return {}
    codebook = load_codebook(REPO / "codebooks" / "ai-therapy.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        units, themes, found, limits, assigned, F = project_inputs(
            Path(tmp) / "demo.db", REPO / "corpora" / "ai-therapy-survey.csv",
            ImportOptions(id_column="respondent_id", text_columns=["answer"]), codebook)
    ids = [t.id for t in themes]
    key = {r["respondent_id"]: [t for t in r["themes"].split(";") if t]
           for r in csv.DictReader((REPO / "corpora" / "ai-therapy-key.csv").open(encoding="utf-8"))}
    Y = np.zeros((len(units), len(ids)), dtype=bool)
    for i, u in enumerate(units):
        Y[i, [ids.index(t) for t in key[u.respondent_id]]] = True
    everyone = np.arange(len(units))
    return zero_and_learned("demo", units, themes, found, limits, assigned, F, Y, everyone, everyone,
                            codebook.groups, "codebook as written", 1, False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="*", default=["phase1", "counsel", "demo"])
    parser.add_argument("--test", action="store_true", help="score the test splits (once, at the end)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    out = {}
    for name in args.data:
        print(f"{name}:", flush=True)
        out.update({"phase1": phase1, "counsel": counsel, "demo": demo}[name](args.test))
    for setting, rules in out.items():
        print(f"\n{setting}\n| rule | macro kappa | themes per unit | runs | units better / worse than "
              "margin |\n| --- | ---: | ---: | ---: | ---: |")
        for rule, row in rules.items():
            print(f"| {rule} | {row['macro_kappa']:.3f} | {row['themes_per_unit']:.2f} | {row['runs']} | "
                  f"{row['better_than_margin']} / {row['worse_than_margin']} |")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
