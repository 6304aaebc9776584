"""Which zero-shot scores the learner should start from on Counsel Chat: with or without sentence scores.

Run: HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python benchmarks/quality/learner_input.py
     [--project PATH] [--sizes 50 100 200 400 1000] [--draws 3]

Why: `suggest` now reads answers of several sentences by their sentences (docs/performance.md,
"Sentence-level scores for long answers"), which lifted Counsel Chat's zero-shot figure from 0.415 to
0.445 (CV); `suggest --learn` starts from those scores, and its learned figure at 400 and all coded
questions fell a little. Rows, on few_coded.py's Counsel Chat folds and draws (train+val only): both
zero-shot runs; the learner from each; and the learner fitted on the whole-text scores with the themes
it does not learn keeping the sentence run's assignment. At 1,000 every question of the other folds
(about 620) is coded.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

import few_coded as FC  # noqa: E402

from thematic.ml import learner as L  # noqa: E402
from thematic.ml import suggest as S  # noqa: E402


def sets(project: Path | None):
    with_sentences = FC.counsel_set(project)
    original = L.prototype_scores

    def whole_text(project, units, themes, *, model=None, vectors=None, groups=()):
        return S.score_and_assign(project, units, themes, groups, vectors=vectors, model=model,
                                  settings=S.Settings(title_weight=0, sentence_mean=0, sentence_weight=0))

    L.prototype_scores = whole_text
    try:
        whole = FC.counsel_set(project)
    finally:
        L.prototype_scores = original
    return with_sentences, whole


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=None, help="keep the Counsel Chat project here")
    parser.add_argument("--sizes", nargs="*", type=int, default=[50, 100, 200, 400, 1000])
    parser.add_argument("--draws", type=int, default=3)
    args = parser.parse_args()
    new, old = sets(args.project)

    def hybrid(s, coded, held):
        model = L.fit(old.F[coded], old.P[coded], old.Y[coded], old.ids)
        return model.predict(old.F[held], old.P[held], new.limits, new.Z[held])[2]

    rows = {
        "zero-shot run with sentence scores (`suggest` now)": lambda s, coded, held: new.Z[held],
        "zero-shot run, whole text (before)": lambda s, coded, held: old.Z[held],
        "learner from the sentence run (`suggest --learn` now)":
            lambda s, coded, held: FC.predicted(new, FC.fitted(new, coded), held),
        "learner from the whole-text run (before)":
            lambda s, coded, held: FC.predicted(old, FC.fitted(old, coded), held),
        "learner from the whole-text run, unlearned themes kept from the sentence run": hybrid,
    }
    print("| row | " + " | ".join(str(n) for n in args.sizes) + " |\n| --- | "
          + " | ".join("---:" for _ in args.sizes) + " |")
    for name, method in rows.items():
        draws = 1 if name.startswith("zero-shot") else args.draws
        values = [np.mean([FC.figure(new, method, n, d) for d in range(draws)]) for n in args.sizes]
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in values) + " |", flush=True)


if __name__ == "__main__":
    main()
