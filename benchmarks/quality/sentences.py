"""Sentence-level evidence for long answers in zero-shot scoring (issue 16): measured on Counsel Chat,
NHS FFT (multi-label, train split) and the demo's answer key.

Run: PYTHONPATH=. .venv/bin/python benchmarks/quality/sentences.py [--json FILE] [--sets ...] [--only ...]
     [--nhs-fft | --learned [--draws N] | --time]

Why: a Counsel Chat question (title + body, median 61 words) is one averaged vector; the sentence that
names the topic can be diluted by the rest. Each unit of several sentences is split (its lines, then
spaCy's sentencizer in each line: ``thematic.ingest.segment.sentences``), each sentence embedded, and the
sentence part of the score (the cosine to the theme's centred prototype) replaced by a mix of the whole
text's cosine and its sentences' (best, mean of the best two, soft maximum), or the first line (a title)
given extra weight in the unit's vector, or the sentences' mean vector used, and their combinations; the
row "suggest now" is the product's own scoring with its defaults. Word cues, keyword cues,
non-answers and the question stay as ``suggest`` has them; thresholds are recomputed from the new scores
over the units; assignment is ``suggest.assign_structured`` (the codebook as written).

Figures: macro binary kappa of ``suggest``'s assignment (as ``definitions.py``): Counsel Chat in the
5-fold CV of ``zero_shot.py`` over train+val (same folds, topics with at least 5 questions in the fold;
the mean over folds is the figure of the target, 0.45) and over all of train+val; NHS FFT v6 train split
(names only; themes with 20 train positives); the demo against its key (no split). The Counsel test split
is not read here: ``zero_shot.py`` scores it through the product, once, with the settings chosen here.

Also a nested CV over Counsel Chat's folds (each fold scored with the variant that does best on the other
four). Vectors: the benchmark cache (``vector_cache.py``); the first run embeds the sentences (4,972 for
Counsel Chat, 5,081 for NHS).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

import definitions as D  # noqa: E402

FOLDS = 5


# -- sentences ---------------------------------------------------------------------------------------------
def split_units(texts: list[str]):
    """Each unit's sentences and first line, as ``suggest`` splits them (``zeroshot.unit_sentences``)."""
    from thematic.ml.zeroshot import unit_sentences

    return unit_sentences(texts)


@dataclass(frozen=True)
class Variant:
    """How a unit of at least ``min_sentences`` sentences is read (others as today). Its vector: the
    whole text's plus ``title`` x its first line's where it has several lines (normalised), then mixed
    with weight ``mean`` with the mean of its sentence vectors; its cosine to each prototype then mixed
    with weight ``alpha`` with the sentences' ``agg`` ("max", "top2" mean, "lse" soft max at temperature
    ``t``), ``centre``-d per unit (the aggregate's mean over themes replaced by the whole text's) when set."""

    title: float = 0.0
    mean: float = 0.0
    alpha: float = 0.0
    agg: str = "max"
    t: float = 0.05
    min_sentences: int = 2
    centre: bool = False

    def label(self) -> str:
        if not (self.title or self.mean or self.alpha):
            return "whole text (today)"
        parts = []
        if self.title:
            parts.append(f"first line weight {self.title:g}")
        if self.mean:
            parts.append(f"{1 - self.mean:g} whole + {self.mean:g} sentence mean vector")
        if self.alpha:
            agg = {"max": "best sentence", "top2": "mean of best 2",
                   "lse": f"soft max T={self.t:g}"}[self.agg]
            parts.append(f"cosine {1 - self.alpha:g} whole + {self.alpha:g} {agg}"
                         + (" (centred per unit)" if self.centre else ""))
        return "; ".join(parts) + f" (units of {self.min_sentences}+ sentences)"


def aggregate(c: np.ndarray, agg: str, t: float) -> np.ndarray:
    """Sentences x themes cosines -> one row: the best, the mean of the best two, or the soft max."""
    if agg == "max" or len(c) == 1:
        return c.max(axis=0)
    if agg == "top2":
        return np.sort(c, axis=0)[-2:].mean(axis=0)
    m = c.max(axis=0)
    return m + t * np.log(np.mean(np.exp((c - m) / t), axis=0))


def sentence_cosines(U, sents, protos, variant: Variant, embed) -> np.ndarray:
    """Units x themes: the cosine part of the score under ``variant``."""
    from thematic.ml.suggest import _normalise

    out = U @ protos.T
    for i, unit in enumerate(sents):
        if len(unit.sentences) < variant.min_sentences or variant.label() == "whole text (today)":
            continue
        V = embed(unit.sentences)
        v = U[i]
        if variant.title and unit.title is not None:
            v = _normalise(v + variant.title * embed([unit.title])[0])
        if variant.mean:
            v = _normalise((1 - variant.mean) * v + variant.mean * _normalise(V.mean(axis=0)))
        whole = v @ protos.T
        if variant.alpha:
            a = aggregate(V @ protos.T, variant.agg, variant.t)
            if variant.centre:
                a = a - a.mean() + whole.mean()
            whole = (1 - variant.alpha) * whole + variant.alpha * a
        out[i] = whole
    return out


_BASE: dict = {}


def whole_settings():
    """``suggest``'s settings without the sentences: the whole text's vector alone (before this work)."""
    from thematic.ml import suggest as S

    return S.Settings(title_weight=0.0, sentence_mean=0.0, sentence_weight=0.0)


def scored(data, U, sents, label, variant: Variant):
    """(assignments as written, scores) of every row under ``variant``."""
    from thematic.ml import suggest as S

    themes, groups, _ = data.codebooks[label]
    settings = whole_settings()
    if variant == "suggest now":  # the product's own scoring with its defaults, sentences and all
        scores, limits, blank = D.zero_shot(data, U, themes, D.TODAY, S.Settings())
        A = D.assignments(data, themes, groups, scores, limits, blank, takers_rule="suggest now")
        return A["as written"], scores
    if (data.name, label) not in _BASE:
        _BASE.clear()
        _BASE[(data.name, label)] = D.zero_shot(data, U, themes, D.TODAY, settings)
    scores, _, blank = _BASE[(data.name, label)]
    tv = S.theme_vectors(themes, D.embed)
    protos = tv.prototypes(settings.centring)
    if variant != Variant():
        delta = sentence_cosines(U, sents, protos, variant, D.embed) - U @ protos.T
        scores = np.round(scores + delta, S.DECIMALS)
    limits, _ = S.theme_thresholds(scores, settings)
    A = D.assignments(data, themes, groups, scores, limits, blank, takers_rule="suggest now")["as written"]
    return A, scores


def counsel_folds(data) -> list[np.ndarray]:
    """The folds of ``zero_shot.py``: train+val shuffled with seed 0, five parts."""
    order = np.random.default_rng(0).permutation(data.train)
    return np.array_split(order, FOLDS)


VARIANTS = [Variant()]
for _agg in ("max", "top2", "lse"):
    for _alpha in (0.25, 0.5, 0.75, 1.0):
        for _k in (2, 3):
            VARIANTS.append(Variant(alpha=_alpha, agg=_agg, min_sentences=_k))
VARIANTS += [Variant(title=a) for a in (0.25, 0.5, 1.0)] + [Variant(mean=a) for a in (0.25, 0.5, 1.0)]
#: the second round, after the first: smaller mixes, centring per unit, combinations
VARIANTS += [Variant(alpha=a, agg=g, t=t, centre=c) for a in (0.1, 0.25, 0.5) for g, t in
             (("max", 0.05), ("lse", 0.02), ("lse", 0.05), ("lse", 0.1)) for c in (False, True)]
VARIANTS += [Variant(mean=m) for m in (0.1, 0.15, 0.35)]
VARIANTS += [Variant(title=ti, mean=m, alpha=a, agg="lse") for ti in (0.0, 0.25, 0.5) for m in (0.0, 0.25)
             for a in (0.0, 0.25) if (ti > 0) + (m > 0) + (a > 0) >= 2]
VARIANTS += [Variant(title=ti, mean=m, alpha=a, agg=g) for ti in (0.25, 0.5) for m in (0.25, 0.5)
             for a in (0.25, 0.5) for g in ("max", "lse")]
VARIANTS = list(dict.fromkeys(VARIANTS)) + ["suggest now"]


def learned(draws: int, size: int) -> dict:
    """Counsel Chat, ``learning_curve.py``'s protocol at ``size`` coded questions (its folds, ``draws`` seeded
    draws): the learner's features as ``suggest --learn`` builds them, and with a sentence block added
    (the mean of the unit's sentence vectors, or their element-wise max, normalised, times a weight; a unit
    of one sentence gives its own vector); the zero-shot inputs (prototype scores, thresholds, assignments)
    from the whole text alone and from ``suggest`` now (with the sentences)."""
    from learning_curve import macro_kappa

    from thematic.ml import evaluate as E
    from thematic.ml import learner as L
    from thematic.ml import suggest as S
    from thematic.ml.suggest import _normalise

    data = D.counsel_set()
    label = "as written (definitions, keywords)"
    ids = data.codebooks[label][2]
    U = D.embed(data.texts)
    sents = split_units(data.texts)
    base = L.unit_features(data.texts, U, None).matrix
    mean = np.array([U[i] if len(s.sentences) < 2 else _normalise(D.embed(s.sentences).mean(axis=0))
                     for i, s in enumerate(sents)])
    peak = np.array([U[i] if len(s.sentences) < 2 else _normalise(D.embed(s.sentences).max(axis=0))
                     for i, s in enumerate(sents)])
    views = {"features today": base}
    for w in (0.5,):
        views[f"+ sentence mean vector x {w:g}"] = np.hstack([base, w * mean])
        views[f"+ sentence max-pooled vector x {w:g}"] = np.hstack([base, w * peak])
    dev = data.train
    fold_of = np.empty(len(data.texts), dtype=int)
    for k, fold in enumerate(counsel_folds(data)):
        fold_of[fold] = k
    theme_ids = [str(i) for i in ids]
    out = {}
    for zero_name, zero in (("zero-shot: whole text", Variant()), ("zero-shot: suggest now", "suggest now")):
        A, scores = scored(data, U, sents, label, zero)
        limits, _ = S.theme_thresholds(scores, S.Settings())
        for name, V in views.items():
            values = []
            for draw in range(draws):
                result = E.cross_validate(V[dev], scores[dev], data.Y[dev], theme_ids, fold_of[dev], limits,
                                          A[dev], train_size=size, seed=draw)
                values += [macro_kappa(data.Y[dev][held], result.assigned[held])[0]
                           for _, held in result.splits]
            key = f"{zero_name} | {name}"
            out[key] = [round(float(np.mean(values)), 4), round(float(np.std(values)), 4)]
            print(f"learned, {size} coded | {key} | {out[key]}", flush=True)
    return out


def embedding_time() -> dict:
    """Counsel Chat through the product path on a new project (ONNX Runtime on the CPU, nothing cached):
    seconds to embed the 815 questions, then their sentences and first lines (what the first ``suggest``
    adds), and the scoring with every vector cached, with and without the sentences."""
    import tempfile

    from zero_shot import build_project, load_questions

    from thematic.ml import suggest as S
    from thematic.ml import zeroshot
    from thematic.ml.embed import embed_texts, unit_vectors
    from thematic.store import corpus
    from thematic.store.codebooks import require_current

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        project = build_project(Path(tmp) / "cc.db", load_questions())
        units = corpus.list_units(project)
        texts = [u.text for u in units]
        themes = list(require_current(project).codebook.themes)
        S.embed_theme_texts(project, themes)
        started = time.perf_counter()
        U = unit_vectors(project, units).astype(np.float64)
        out["embed 815 questions (s)"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        found = zeroshot.sentence_vectors(texts, lambda some: embed_texts(project, some))
        seconds = round(time.perf_counter() - started, 1)
        out[f"embed their {found.texts} sentences and first lines (s)"] = seconds
        vectors = S.embed_theme_texts(project, themes)
        embed = lambda some: embed_texts(project, some)  # noqa: E731
        zeroshot.score_units(U, vectors, themes, texts, embed, whole_settings())   # vocabulary, once
        for name, settings in (("whole text", whole_settings()), ("with sentences", S.Settings())):
            started = time.perf_counter()
            zeroshot.score_units(U, vectors, themes, texts, embed, settings)
            out[f"score_units, every vector cached, {name} (s)"] = round(time.perf_counter() - started, 2)
        project.close()
    for name, value in out.items():
        print(f"{name}: {value}", flush=True)
    return out


def nhs_fft_check() -> dict:
    """``nhs_fft.py``'s zero-shot row on the NHS train split (names only, no codebook groups; the figure its
    ``--zero-shot-grid`` gives at the defaults): with the sentences and without."""
    from nhs_fft import Data, kappa, zero_shot_scores

    from thematic.ml import suggest as S

    data = Data()
    U = D.embed(data.texts)
    Y = data.Y[data.train]
    themes = np.flatnonzero(Y.sum(axis=0) >= 20)
    out = {}
    for name, settings in (("whole text", whole_settings()), ("suggest now", S.Settings())):
        A = zero_shot_scores(data, U.astype(np.float64), settings, True)[2][data.train]
        out[name] = (round(float(np.mean([kappa(Y[:, t], A[:, t]) for t in themes])), 4),
                     round(float(A.sum(axis=1).mean()), 2))
        print(f"NHS FFT train (nhs_fft.py's zero-shot) | {name} | macro kappa, themes per answer {out[name]}",
              flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--only", nargs="*", default=None, help="variant labels containing one of these")
    parser.add_argument("--sets", nargs="*", default=["counsel", "v6", "demo"])
    parser.add_argument("--learned", action="store_true", help="the learner's features instead (Counsel CV)")
    parser.add_argument("--draws", type=int, default=5)
    parser.add_argument("--size", type=int, default=400)
    parser.add_argument("--time", action="store_true", help="embedding and scoring times (Counsel Chat)")
    parser.add_argument("--nhs-fft", action="store_true", help="nhs_fft.py's zero-shot row, train split")
    args = parser.parse_args()
    if args.nhs_fft:
        out = nhs_fft_check()
        if args.json:
            args.json.write_text(json.dumps(out, indent=2))
        return
    if args.time:
        out = embedding_time()
        if args.json:
            args.json.write_text(json.dumps(out, indent=2))
        return
    if args.learned:
        out = learned(args.draws, args.size)
        if args.json:
            args.json.write_text(json.dumps(out, indent=2))
        return
    variants = [v for v in VARIANTS if not args.only or v in (Variant(), "suggest now")
                or any(o in label_of(v) for o in args.only)]
    out: dict = {}
    makers = {"counsel": (D.counsel_set, "as written (definitions, keywords)"),
              "v6": (D.v6_set, "names only"), "demo": (D.demo_set, "as written")}
    for key in args.sets:
        make, label = makers[key]
        started = time.perf_counter()
        data = make()
        U = D.embed(data.texts)
        sents = split_units(data.texts)
        n = np.array([len(s.sentences) for s in sents])
        many = [s for s in sents if len(s.sentences) >= 2]
        D.embed([p for s in many for p in s.sentences] + [s.title for s in many if s.title])
        print(f"## {data.name}: {len(sents)} units, sentences per unit median {np.median(n):.0f}, "
              f"90th pct {np.percentile(n, 90):.0f}; {len(many)} of 2+ sentences "
              f"({sum(len(s.sentences) for s in many)} sentences), "
              f"{sum(s.title is not None for s in sents)} of several lines; "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        cols = data.codebooks[label][2]
        assigned = {}
        for variant in variants:
            A, _ = scored(data, U, sents, label, variant)
            assigned[variant] = A
            row = {"train": D.figures(data, cols, A, data.train)}
            if key == "counsel":
                per = [D.figures(data, cols, A, f)["macro_kappa"] for f in counsel_folds(data)]
                row["cv"] = [round(float(np.mean(per)), 4), round(float(np.std(per)), 4)]
            out[f"{data.name} | {label_of(variant)}"] = row
            print(f"{data.name} | {label_of(variant)} | {json.dumps(row)}", flush=True)
        if key == "counsel":
            out["Counsel Chat | nested CV"] = nested = nested_cv(
                data, cols, {v: a for v, a in assigned.items() if v != "suggest now"})
            print(f"Counsel Chat | nested CV (variant picked on the other four folds) | {json.dumps(nested)}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


def label_of(variant) -> str:
    return variant if isinstance(variant, str) else variant.label()


def nested_cv(data, cols, assigned: dict) -> dict:
    """Each fold scored with the variant that does best on the other four (macro kappa over them)."""
    folds = counsel_folds(data)
    values, picked = [], []
    for k, fold in enumerate(folds):
        rest = np.concatenate([f for j, f in enumerate(folds) if j != k])
        best = max(assigned, key=lambda v: D.figures(data, cols, assigned[v], rest)["macro_kappa"])
        values.append(D.figures(data, cols, assigned[best], fold)["macro_kappa"])
        picked.append(label_of(best))
    return {"cv": [round(float(np.mean(values)), 4), round(float(np.std(values)), 4)], "picked": picked}


if __name__ == "__main__":
    main()
