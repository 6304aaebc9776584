"""apply_structure: suggestions that respect exclusive groups, required groups and residual themes."""

from __future__ import annotations

import numpy as np
import pytest

from thematic.codebook.model import ThemeGroup
from thematic.ml.structure import apply_structure

IDS = ["a", "b", "c", "other", "x", "y", "none-of-these"]
T = np.full(len(IDS), 0.5)


def groups(*, required=False):
    return [
        ThemeGroup("g", ("a", "b", "c", "other"), exclusive=True, required=required, residual=("other",)),
        ThemeGroup(None, ("x", "y", "none-of-these"), residual=("none-of-these",)),
    ]


def run(rows, **kw):
    return apply_structure(np.array(rows, dtype=float), T, groups(**kw), IDS).astype(int).tolist()


def test_exclusive_group_keeps_the_highest_rank_and_abstains():
    #         a    b    c    oth  x    y    none
    rows = [[0.9, 0.6, 0.8, 0.9, 0.1, 0.1, 0.1],  # a, b, c and the residual clear: a alone
            [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],  # nothing clears: abstain
            [0.1, 0.1, 0.4, 0.6, 0.1, 0.1, 0.1]]  # only the residual clears: the residual
    assert run(rows) == [[1, 0, 0, 0, 0, 0, 0], [0] * 7, [0, 0, 0, 1, 0, 0, 0]]


def test_rank_weighs_each_themes_own_threshold():
    thresholds = np.array([0.8, 0.2, 0.5, 0.5, 0.5, 0.5, 0.5])
    scores = np.array([[0.85, 0.6, 0.1, 0.1, 0.1, 0.1, 0.1]])
    out = apply_structure(scores, thresholds, groups(), IDS)
    assert out[0].astype(int).tolist() == [0, 1, 0, 0, 0, 0, 0]  # b: 0.6 - 0.15 = 0.45; a: 0.85 - 0.6 = 0.25


def pick(scores, thresholds, *, required=False, **kw):
    group = [ThemeGroup("g", ("a", "b"), exclusive=True, required=required)]
    out = apply_structure(np.array([scores], dtype=float), np.array(thresholds), group, ["a", "b"], **kw)
    return ["a", "b"][int(out[0].argmax())] if out[0].any() else None


def test_the_kept_theme_lies_between_the_highest_score_and_the_widest_margin():
    # a clears by 0.30, b by 0.35: the widest margin is b, but a scores 0.2 higher:
    # a: 0.9 - 0.75 * 0.6 = 0.45; b: 0.7 - 0.75 * 0.35 = 0.4375
    assert pick([0.9, 0.7], [0.6, 0.35]) == "a"
    assert pick([0.9, 0.7], [0.6, 0.35], rank=np.array([[0.3, 0.35]])) == "b"  # the widest margin
    # a scores highest (0.9 against 0.85), but b's threshold is far lower:
    # a: 0.9 - 0.75 * 0.7 = 0.375; b: 0.85 - 0.75 * 0.5 = 0.475
    assert pick([0.9, 0.85], [0.7, 0.5]) == "b"
    assert pick([0.9, 0.85], [0.7, 0.5], rank=np.array([[0.9, 0.85]])) == "a"  # the highest score
    # required, nothing clears: the same rank forces one (a: 0.3 - 0.6 = -0.3; b: 0.2 - 0.3 = -0.1)
    assert pick([0.3, 0.2], [0.8, 0.4]) is None
    assert pick([0.3, 0.2], [0.8, 0.4], required=True) == "b"


def test_group_rank_is_score_less_three_quarters_of_the_threshold():
    from thematic.ml.structure import THRESHOLD_WEIGHT, group_rank

    rng = np.random.default_rng(1)
    scores, thresholds = rng.random((20, 5)), rng.random(5)
    assert THRESHOLD_WEIGHT == 0.75
    assert np.array_equal(group_rank(scores, thresholds), scores - 0.75 * thresholds)


def test_required_forces_one():
    rows = [[0.1, 0.3, 0.2, 0.1, 0.1, 0.1, 0.1],  # nothing clears, the residual neither: still one
            [0.1, 0.3, 0.2, 0.6, 0.1, 0.1, 0.1]]  # the residual clears: it
    assert run(rows, required=True) == [[0, 0, 0, 1, 0, 0, 0], [0, 0, 0, 1, 0, 0, 0]]
    no_residual = [ThemeGroup("g", ("a", "b", "c"), exclusive=True, required=True)]
    out = apply_structure(np.array([[0.1, 0.3, 0.2]]), np.full(3, 0.5), no_residual, ["a", "b", "c"])
    assert out.astype(int).tolist() == [[0, 1, 0]]


def test_independent_themes_any_number_residual_only_alone():
    rows = [[0.1, 0.1, 0.1, 0.1, 0.9, 0.8, 0.9],  # x and y: the residual is dropped
            [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.9]]  # nothing else: the residual
    assert run(rows) == [[0, 0, 0, 0, 1, 1, 0], [0, 0, 0, 0, 0, 0, 1]]


def test_assigned_given_is_respected_and_unstructured_is_unchanged():
    rng = np.random.default_rng(0)
    scores = rng.random((50, 3))
    assigned = scores >= 0.4
    out = apply_structure(scores, np.full(3, 0.4), [ThemeGroup(None, ("a", "b", "c"))], ["a", "b", "c"])
    assert (out == assigned).all()
    narrowed = assigned & (scores > 0.7)
    exclusive = [ThemeGroup("g", ("a", "b", "c"), exclusive=True)]
    out = apply_structure(scores, np.full(3, 0.4), exclusive, ["a", "b", "c"], assigned=narrowed)
    assert (out.sum(axis=1) == narrowed.any(axis=1)).all() and not (out & ~narrowed).any()


@pytest.mark.parametrize("seed", range(3))
def test_suggest_gives_at_most_one_stance(make_project, bow, seed):
    from tests.conftest import DEMO_CODEBOOK
    from thematic.codebook.load import load_codebook
    from thematic.ml import suggest as S
    from thematic.store import ml as store

    project = make_project()
    S.suggest(project, model=bow, seed=seed)
    stance = set(load_codebook(DEMO_CODEBOOK).group_of("mixed-support").themes)
    codings = store.machine_codings(project)
    assert max(len(themes & stance) for themes in codings.values()) == 1
