"""Zero-shot coding from a codebook with definitions: names only against names + definitions, and how a
theme's texts become its prototype (issue 16, point 1).

Run: PYTHONPATH=. .venv/bin/python benchmarks/quality/definitions.py [--test] [--json FILE] [--only NAME ...]

Sets (zero-shot fits nothing, so every figure without ``--test`` is over the whole train split; settings
are chosen there; ``--test`` scores the test splits once, for the settings kept):

- **phase 1**: ``../shared/data/nhs_fft/phase1_items.csv``, single-label, 44 subcategories (split and
  data as ``single_label.py``); codebooks ``nhs-phase1-codebook.yaml`` (one-sentence definitions written
  from the names) and ``nhs-phase1-other-codebook.yaml`` (the same with "Miscellaneous" renamed "Other",
  "Comments that do not fit any other category.": the hidden set's trap);
- **NHS v6**: ``items.csv`` (multi-label, 45 categories used; split ``splits.csv``, as ``nhs_fft.py``);
  codebook ``nhs-fft-codebook.yaml``;
- **Counsel Chat**: ``../shared/data/counsel_chat`` train+val (test: its test split); codebook
  ``counsel-chat-codebook.yaml`` (definitions and keywords), as ``zero_shot.py``;
- **demo**: ``corpora/ai-therapy-survey.csv`` against its answer key ``corpora/ai-therapy-key.csv`` with
  ``codebooks/ai-therapy.yaml`` (no split: illustrative answers; a guard, not a choice).

Figures: macro binary Cohen's kappa over the themes with at least :data:`MIN_POSITIVES` positives in
the scored rows (on NHS test splits 10, as ``nhs_fft.py``; Counsel Chat, demo: 5), for ``suggest``'s
assignment with the codebook as written (independent themes; the demo's exclusive group), and for
phase 1 also with ``exclusive: true, required: true`` and the top-1; themes per answer; for the phase-1
codebooks, how many answers the generic theme ("Miscellaneous" / "Other") gets against the coder's
count. ``--routing``: the catch-all and non-answer rules (what ``suggest`` now does is the row "suggest
now"); the default run: the prototype variants (:class:`Variant`), ``--residual`` with each also made
residual.

Every row runs thematic's own zero-shot scoring (:func:`thematic.ml.zeroshot.score_units`, with its word
cues, keyword cues, non-answers and thresholds) on cached vectors (``vector_cache.py``); the variants
replace only how the sentence score reads the theme's texts (:class:`Variant`).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))
from nhs_fft import MIN_TEST_POSITIVES, kappa  # noqa: E402

MIN_POSITIVES = 20
MIN_POSITIVES_SMALL = 5
PHASE1 = HERE / "nhs-phase1-codebook.yaml"
PHASE1_OTHER = HERE / "nhs-phase1-other-codebook.yaml"
V6 = HERE / "nhs-fft-codebook.yaml"
COUNSEL = HERE / "counsel-chat-codebook.yaml"
DEMO = REPO / "corpora" / "ai-therapy-survey.csv"
DEMO_KEY = REPO / "corpora" / "ai-therapy-key.csv"
DEMO_CODEBOOK = REPO / "codebooks" / "ai-therapy.yaml"


# -- vectors: the benchmark cache, read once ----------------------------------------------------------------
_KNOWN: dict = {}


def embed(texts) -> np.ndarray:
    from vector_cache import vectors_for

    texts = list(texts)
    missing = [t for t in dict.fromkeys(texts) if t not in _KNOWN]
    if missing:
        _KNOWN.update(zip(missing, vectors_for(missing).astype(np.float64), strict=True))
    return np.stack([_KNOWN[t] for t in texts]) if texts else np.zeros((0, 384))


# -- sets -------------------------------------------------------------------------------------------------
@dataclass
class Set:
    name: str
    texts: list
    questions: list | None
    Y: np.ndarray           # rows x columns (the data's codes)
    columns: list           # the data's code names
    train: np.ndarray
    test: np.ndarray
    minimum: int
    single_label: bool
    codebooks: dict         # label -> (themes, groups, column of each theme or -1)


def names_only(themes):
    return [replace(t, definition="", include=(), exclude=(), examples=(), counterexamples=(), keywords=())
            for t in themes]


def load(path):
    from thematic.codebook.load import load_codebook

    return load_codebook(path)


def by_name(themes, columns):
    return np.array([columns.index(t.name) if t.name in columns else -1 for t in themes])


def phase1_set() -> Set:
    from single_label import Phase1

    data = Phase1()
    book, other = load(PHASE1), load(PHASE1_OTHER)
    cols = by_name(book.themes, data.theme_names)
    assert (cols >= 0).all() and len(set(cols)) == len(data.theme_names), "codebook names != subcategories"
    return Set("phase 1", data.texts, data.questions, data.Y, data.theme_names, data.train, data.test,
               MIN_POSITIVES, True,
               {"names only": (names_only(book.themes), (), cols),
                "names + definitions": (list(book.themes), (), cols),
                "names + definitions, generic Other": (list(other.themes), (), cols)})


def v6_set() -> Set:
    from nhs_fft import Data

    data = Data()
    book = load(V6)
    themes = [t for t in book.themes if t.name in data.theme_names]  # the 45 categories coders used
    cols = by_name(themes, data.theme_names)
    return Set("NHS v6", data.texts, data.questions, data.Y, data.theme_names, data.train, data.test,
               MIN_POSITIVES, False,
               {"names only": (names_only(themes), (), cols), "names + definitions": (themes, (), cols)})


def counsel_set() -> Set:
    from zero_shot import load_questions

    rows = load_questions()
    book = load(COUNSEL)
    ids = [t.id for t in book.themes]
    truth = np.array([ids.index(r["topic"]) for r in rows])
    split = np.array([r["split"] for r in rows])
    Y = np.eye(len(ids), dtype=bool)[truth]
    cols = np.arange(len(ids))
    return Set("Counsel Chat", [r["unit_text"] for r in rows], None, Y, ids, np.flatnonzero(split != "test"),
               np.flatnonzero(split == "test"), MIN_POSITIVES_SMALL, True,
               {"as written (definitions, keywords)": (list(book.themes), (), cols),
                "names only": (names_only(book.themes), (), cols)})


def demo_set() -> Set:
    book = load(DEMO_CODEBOOK)
    ids = [t.id for t in book.themes]
    with DEMO.open(encoding="utf-8", newline="") as handle:
        answers = {r["respondent_id"]: r["answer"].strip() for r in csv.DictReader(handle)}
    with DEMO_KEY.open(encoding="utf-8", newline="") as handle:
        key = {r["respondent_id"]: [t for t in r["themes"].split(";") if t] for r in csv.DictReader(handle)}
    who = [r for r in answers if answers[r]]
    Y = np.array([[t in key.get(r, []) for t in ids] for r in who], dtype=bool)
    rows = np.arange(len(who))
    return Set("demo", [answers[r] for r in who], None, Y, ids, rows, rows, MIN_POSITIVES_SMALL, False,
               {"as written": (list(book.themes), book.groups, np.arange(len(ids)))})


# -- the variants: how the sentence score reads a theme's texts ----------------------------------------------
_SENTENCE = re.compile(r"(?<=[.!?;])\s+")


@dataclass(frozen=True)
class Variant:
    """``mode``: "centroid" (today: one averaged vector), "max" (one prototype per text, the best),
    "mix" (``alpha`` x centroid + (1 - alpha) x max), "lse" (soft maximum, temperature ``temperature``).
    ``sentences``: the definition also split into sentences, one text each ("name: sentence").
    ``name_weight``: the name's share of the centroid (None: every text the same)."""

    mode: str = "centroid"
    alpha: float = 0.5
    temperature: float = 0.05
    sentences: bool = False
    name_weight: float | None = None

    def label(self) -> str:
        out = {"centroid": "centroid (today)", "max": "max over texts", "mix": f"mix {self.alpha} centroid",
               "lse": f"soft max T={self.temperature}"}[self.mode]
        if self.sentences:
            out += ", definition sentences"
        if self.name_weight is not None:
            out += f", name weight {self.name_weight}"
        return out


TODAY = Variant()


def variant_texts(theme, variant: Variant) -> list[tuple[str, str]]:
    """(kind, text) of a theme's positive texts under ``variant``."""
    from thematic.ml.suggest import positive_texts

    texts = positive_texts(theme)
    out = [("name" if t == theme.name else "text", t) for t in texts]
    if variant.sentences and theme.definition:
        parts = [s.strip() for s in _SENTENCE.split(theme.definition) if s.strip()]
        if len(parts) > 1:
            out += [("text", f"{theme.name}: {s}") for s in parts if f"{theme.name}: {s}" not in texts]
    return out


def positive_scores(units: np.ndarray, themes, variant: Variant, centring: float) -> np.ndarray:
    from thematic.ml.suggest import _normalise

    texts, owner, kind = [], [], []
    for i, theme in enumerate(themes):
        for k, text in variant_texts(theme, variant):
            texts.append(text)
            owner.append(i)
            kind.append(k)
    V, owner, kind = embed(texts), np.array(owner), np.array(kind)
    n = len(themes)
    weights = np.ones(len(texts))
    if variant.name_weight is not None:
        for t in range(n):
            mine = owner == t
            names = mine & (kind == "name")
            rest = mine & (kind != "name")
            if names.any() and rest.any():
                weights[names] = variant.name_weight / names.sum()
                weights[rest] = (1 - variant.name_weight) / rest.sum()
    centroids = np.zeros((n, V.shape[1]))
    np.add.at(centroids, owner, V * weights[:, None])
    centroids = _normalise(centroids)
    shift = centring * centroids.mean(axis=0, keepdims=True) if n > 1 else 0.0
    central = units @ _normalise(centroids - shift).T
    if variant.mode == "centroid":
        return central
    sims = units @ _normalise(V - shift).T
    best = np.full((units.shape[0], n), -np.inf)
    for t in range(n):
        mine = sims[:, owner == t]
        if variant.mode == "lse":
            T = variant.temperature
            best[:, t] = T * np.log(np.mean(np.exp((mine - mine.max(axis=1, keepdims=True)) / T), axis=1)) \
                + mine.max(axis=1)
        else:
            best[:, t] = mine.max(axis=1)
    if variant.mode == "mix":
        return variant.alpha * central + (1 - variant.alpha) * best
    return best


_ACTIVE: dict = {}


def _patched_score_matrix(unit_vectors, theme_vectors, hits=None, settings=None, *, words=None,
                          sentences=None):
    from thematic.ml import suggest as S

    settings = S.Settings() if settings is None else settings
    base = _ORIGINAL(unit_vectors, theme_vectors, hits, settings, words=words, sentences=sentences)
    variant, themes = _ACTIVE["variant"], _ACTIVE["themes"]
    if variant == TODAY:
        return base
    # the variants replace the whole text's similarity: measured before the sentences of long answers
    base = _ORIGINAL(unit_vectors, theme_vectors, hits, settings, words=words)
    units = np.asarray(unit_vectors, dtype=np.float64)
    today = units @ theme_vectors.prototypes(settings.centring).T
    return np.round(base - today + positive_scores(units, themes, variant, settings.centring), 6)


_ORIGINAL = None


def zero_shot(data: Set, U: np.ndarray, themes, variant: Variant, settings=None):
    """(scores, thresholds, non-answers still to route) of every row, as ``suggest`` computes them."""
    global _ORIGINAL
    from thematic.ml import suggest as S
    from thematic.ml import zeroshot

    if _ORIGINAL is None:
        _ORIGINAL = S.score_matrix
        S.score_matrix = _patched_score_matrix
    settings = S.Settings() if settings is None else settings
    _ACTIVE.update(variant=variant, themes=themes)
    tv = S.theme_vectors(themes, embed)
    z = zeroshot.score_units(U, tv, themes, data.texts, embed, settings, questions=data.questions)
    limits, _ = S.theme_thresholds(z.scores, settings)
    return z.scores, limits, z.blank


def residual_like(themes) -> list[str]:
    from thematic.ml.residual import residual_like as found

    return found(themes)


def nothing_themes(themes) -> list[str]:
    from thematic.ml.residual import nothing_themes as found

    kinds = found(themes)
    return kinds["improve"] + kinds["praise"]


def assignments(data: Set, themes, groups, scores, limits, blank, *, residual=(),
                takers_rule="today") -> dict:
    """The assignments to score: suggest's, as written (and, single-label, exclusive + required; top-1).

    ``residual``: themes made residual (structure); ``takers_rule``: which themes non-answers go to:
    "today" (``zeroshot.non_answer_themes`` of the themes as flagged), "structure only" (as the codebook
    was written, the flagged themes not taking non-answers), "nothing themes" (today's, plus the themes
    that speak of nothing to improve / nothing good, which go first in a group that has one)."""
    from thematic.codebook.model import Codebook
    from thematic.ml import suggest as S
    from thematic.ml import zeroshot
    from thematic.ml.structure import apply_structure

    ids = [t.id for t in themes]
    flagged = [replace(t, residual=t.id in residual) for t in themes]
    takers = zeroshot.non_answer_themes(flagged if takers_rule != "structure only" else themes)
    first = nothing_themes(themes) if takers_rule.startswith("nothing") else []

    def run(groups):
        if takers_rule == "suggest now":  # exactly as suggest.score_and_assign
            return S.assign_structured(scores, limits, themes, groups, blank, data.questions)[0]
        a = S.assign(scores, limits, S.MARGIN)
        a = apply_structure(scores, limits, groups, ids, assigned=a)
        if not first:
            return zeroshot.route_non_answers(a, scores, blank, groups, ids, takers)
        routed = []
        for g in groups:
            mine = [t for t in g.themes if t in first]
            routed.append(replace(g, residual=tuple(mine or [t for t in g.themes if t in takers])))
        return zeroshot.route_non_answers(a, scores, blank, routed, ids, None)

    if not groups:
        groups = Codebook(codebook="x", themes=tuple(flagged)).groups
    out = {"as written": run(groups)}
    if data.single_label:
        out["exclusive + required"] = run(Codebook(codebook="x", themes=tuple(flagged), exclusive=True,
                                                   required=True).groups)
        out["top-1"] = np.eye(len(ids), dtype=bool)[scores.argmax(axis=1)]
    return out


def figures(data: Set, cols, A: np.ndarray, rows, generic_col=None) -> dict:
    Y = data.Y[rows][:, cols]
    A = A[rows]
    scored = [t for t in range(len(cols)) if cols[t] >= 0 and Y[:, t].sum() >= data.minimum]
    out = {"macro_kappa": round(float(np.mean([kappa(Y[:, t], A[:, t]) for t in scored])), 4),
           "themes": len(scored), "themes_per_answer": round(float(A.sum(axis=1).mean()), 3)}
    if generic_col is not None:
        out["generic_assigned"] = int(A[:, generic_col].sum())
        out["generic_coded"] = int(Y[:, generic_col].sum())
    return out


def evaluate(data: Set, U, label, variant: Variant, rows, *, residual=False, settings=None,
             takers_rule="today") -> dict:
    themes, groups, cols = data.codebooks[label]
    scores, limits, blank = zero_shot(data, U, themes, variant, settings)
    flagged = residual_like(themes) if residual else ()
    A = assignments(data, themes, groups, scores, limits, blank, residual=flagged, takers_rule=takers_rule)
    ids = [t.id for t in themes]
    gcol = ids.index("miscellaneous") if "miscellaneous" in ids else None
    return {view: figures(data, cols, a, rows, gcol) for view, a in A.items()}


VARIANTS = [TODAY, Variant("max"), Variant("mix", alpha=0.5), Variant("mix", alpha=0.75),
            Variant("lse", temperature=0.02), Variant("lse", temperature=0.05),
            Variant(sentences=True), Variant("max", sentences=True),
            Variant(name_weight=0.0), Variant(name_weight=0.1), Variant(name_weight=0.25),
            Variant(name_weight=0.75)]


ROUTING = [(False, "today"), (True, "today"), (True, "structure only"), (False, "nothing themes"),
           (True, "nothing themes"), (False, "suggest now")]


ROW_LABEL = {"today": "suggest before (codebook as written)",
             "suggest now": "suggest now (catch-all residual, non-answers to the nothing themes)"}
#: What ``--test`` scores, once: before and after the kept change, with today's prototypes.
TEST_ROWS = [(False, "today"), (False, "suggest now")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", action="store_true", help="score the test splits (once, at the end)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--only", nargs="*", default=None, help="sets whose name contains one of these")
    parser.add_argument("--residual", action="store_true", help="also: residual-like themes made residual")
    parser.add_argument("--routing", action="store_true",
                        help="only today's prototypes; the residual and non-answer routing variants")
    args = parser.parse_args()
    out: dict = {}
    for make in (phase1_set, v6_set, counsel_set, demo_set):
        started = time.perf_counter()
        data = make()
        if args.only and not any(o.lower() in data.name.lower() for o in args.only):
            continue
        U = embed(data.texts)
        rows = data.test if args.test else data.train
        if args.test and data.minimum == MIN_POSITIVES:
            data.minimum = MIN_TEST_POSITIVES  # as nhs_fft.py and single_label.py score test
        part = "test" if args.test else "train"
        print(f"## {data.name} ({part}: {len(rows)} answers; {time.perf_counter() - started:.1f} s to load)",
              flush=True)
        for label in data.codebooks:
            flagged = residual_like(data.codebooks[label][0])
            print(f"{data.name} | {label}: residual-like themes {flagged}", flush=True)
            if args.routing or args.test:
                for residual, rule in (ROUTING if not args.test else TEST_ROWS):
                    row = (ROW_LABEL[rule] if not residual and rule in ROW_LABEL
                           else f"residual-like residual: {residual} | non-answers: {rule}")
                    name = f"{data.name} | {label} | {row}"
                    figs = evaluate(data, U, label, TODAY, rows, residual=residual, takers_rule=rule)
                    out[name] = figs
                    print(name, json.dumps(figs), flush=True)
                continue
            for variant in VARIANTS if not args.test else [TODAY]:
                for residual in ((False, True) if args.residual else (False,)):
                    name = f"{data.name} | {label} | {variant.label()}" + (" | residual-like residual"
                                                                          if residual else "")
                    figs = evaluate(data, U, label, variant, rows, residual=residual)
                    out[name] = figs
                    print(name, json.dumps(figs), flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
