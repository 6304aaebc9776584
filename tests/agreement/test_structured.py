"""The evaluate headline (thematic.agreement.structured) against sklearn, the krippendorff package and
NLTK, on random codings with a structured codebook."""

from __future__ import annotations

import json

import krippendorff
import numpy as np
import pytest
from nltk.metrics.agreement import AnnotationTask
from nltk.metrics.distance import masi_distance
from sklearn.metrics import cohen_kappa_score

from tests.conftest import DEMO_CODEBOOK
from thematic.agreement.structured import structured_figures
from thematic.codebook.load import load_codebook, parse_codebook

CODEBOOK = load_codebook(DEMO_CODEBOOK)
IDS = CODEBOOK.ids()  # negative-responses, possibilities-of-ai, mixed-support, therapeutic-risks
STANCE = ("negative-responses", "possibilities-of-ai", "mixed-support")


def codings(seed: int, n: int = 150):
    rng = np.random.default_rng(seed)
    human = np.zeros((n, 4), dtype=bool)
    for u in range(n):
        if rng.random() < 0.85:
            human[u, rng.integers(0, 3)] = True
        human[u, 3] = rng.random() < 0.4
    machine = human ^ (rng.random((n, 4)) < 0.12)
    return human, machine


def label(row, machine: bool) -> str:
    chosen = [t for t, on in zip(STANCE, row[:3], strict=True) if on]
    return chosen[0] if len(chosen) == 1 else "none" if not chosen else "several"


@pytest.mark.parametrize("seed", range(3))
def test_group_headline_equals_sklearn_and_krippendorff(seed):
    human, machine = codings(seed)
    figures = structured_figures(CODEBOOK, IDS, human, machine, n_boot=100, seed=seed)
    (stance,) = figures.groups
    h = [label(r, False) for r in human]
    m = [label(r, True) for r in machine]
    assert stance.units == len(h) and stance.machine_several == m.count("several") > 0
    assert stance.kappa.estimate == pytest.approx(cohen_kappa_score(h, m), abs=1e-12)
    codes = {c: i for i, c in enumerate((*STANCE, "none", "several"))}
    data = np.array([[codes[x] for x in h], [codes[y] for y in m]], dtype=float)
    assert stance.alpha.estimate == pytest.approx(
        krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"), abs=1e-12
    )
    assert stance.percent_agreement.estimate == pytest.approx(
        np.mean([x == y for x, y in zip(h, m, strict=True)])
    )
    # independent: macro kappa over the one theme with enough positives; MASI alpha equals NLTK's
    assert figures.covered == ("therapeutic-risks",)
    assert figures.macro_kappa == pytest.approx(cohen_kappa_score(human[:, 3], machine[:, 3]), abs=1e-12)
    sets = [
        (frozenset(["r"]) if a else frozenset(), frozenset(["r"]) if b else frozenset())
        for a, b in zip(human[:, 3], machine[:, 3], strict=True)
    ]
    data = [(f"c{j}", f"u{i}", s) for i, row in enumerate(sets) for j, s in enumerate(row)]
    task = AnnotationTask(data=data, distance=lambda a, b: 0.0 if a == b else masi_distance(a, b))
    assert figures.masi_alpha.estimate == pytest.approx(task.alpha(), abs=1e-12)
    assert figures.exact_match.estimate == pytest.approx((human == machine).all(axis=1).mean())
    json.dumps(figures.to_dict(), allow_nan=False)


def test_macro_kappa_leaves_out_rare_themes_and_says_so():
    text = DEMO_CODEBOOK.read_text(encoding="utf-8")
    start, end = text.index("groups:\n"), text.index("# therapeutic-risks belongs")
    independent = parse_codebook(text[:start] + text[end:])
    human, machine = codings(5)
    human[:, 1] = False
    human[:4, 1] = True  # possibilities-of-ai: 4 positives
    figures = structured_figures(independent, IDS, human, machine, n_boot=50)
    assert figures.groups == () and figures.rare == (("possibilities-of-ai", 4),)
    assert figures.covered == ("negative-responses", "mixed-support", "therapeutic-risks")
    expected = np.mean([cohen_kappa_score(human[:, c], machine[:, c]) for c in (0, 2, 3)])
    assert figures.macro_kappa == pytest.approx(expected, abs=1e-12)


def test_required_group_has_no_none_category():
    text = DEMO_CODEBOOK.read_text(encoding="utf-8").replace(
        "    exclusive: true   # at most", "    required: true\n    exclusive: true   # at most"
    )
    cb = parse_codebook(text)
    human, machine = codings(1)
    figures = structured_figures(cb, IDS, human, machine, n_boot=50)
    (stance,) = figures.groups
    no_stance = int((~human[:, :3].any(axis=1)).sum())
    assert stance.coder_invalid == no_stance and stance.units == len(human) - no_stance
    assert "none" not in stance.categories and stance.categories[-1] == "several"
