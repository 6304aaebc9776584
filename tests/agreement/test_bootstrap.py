"""Bootstrap confidence intervals: seeded, vectorised for the registry, robust to undefined resamples."""

from __future__ import annotations

import functools
import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thematic.agreement import (
    COEFFICIENTS,
    LEVELS,
    BootstrapResult,
    bootstrap_ci,
    cohen_kappa,
    gwet_ac1,
    krippendorff_alpha,
)


@pytest.fixture
def two_coders() -> np.ndarray:
    rng = np.random.default_rng(11)
    truth = rng.integers(0, 3, 60)
    matrix = np.stack(
        [np.where(rng.random(60) < 0.8, truth, rng.integers(0, 3, 60)) for _ in range(2)], axis=1
    )
    matrix = matrix.astype(float)
    matrix[rng.random(matrix.shape) < 0.1] = np.nan
    return matrix


@pytest.fixture
def four_coders() -> np.ndarray:
    rng = np.random.default_rng(12)
    truth = rng.integers(0, 4, 40)
    matrix = np.stack(
        [np.where(rng.random(40) < 0.7, truth, rng.integers(0, 4, 40)) for _ in range(4)], axis=1
    )
    return matrix.astype(float)


def _slow(func):
    """The same coefficient, hidden from the registry so the bootstrap calls it on every resample."""
    return lambda matrix: func(matrix)


def _matrix_for(name, two_coders, four_coders):
    coefficient = COEFFICIENTS[name]
    if coefficient.max_coders == 2:
        return two_coders
    return four_coders if not coefficient.allows_missing else np.where(four_coders == 3, np.nan, four_coders)


@pytest.mark.parametrize("name", list(COEFFICIENTS))
def test_vectorised_resamples_equal_calling_the_function_on_each(name, two_coders, four_coders):
    matrix = _matrix_for(name, two_coders, four_coders)
    func = COEFFICIENTS[name].func
    fast = bootstrap_ci(func, matrix, n_boot=150, seed=5)
    slow = bootstrap_ci(_slow(func), matrix, n_boot=150, seed=5)
    assert fast.estimate == pytest.approx(func(matrix), abs=1e-12)
    assert fast.estimate == pytest.approx(slow.estimate, abs=1e-12)
    assert fast.low == pytest.approx(slow.low, abs=1e-9)
    assert fast.high == pytest.approx(slow.high, abs=1e-9)
    assert fast.n_undefined == slow.n_undefined


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_levels_through_partial_match_the_loop(level, four_coders):
    matrix = np.where(four_coders == 2, np.nan, four_coders)
    func = functools.partial(krippendorff_alpha, level=level)
    fast = bootstrap_ci(func, matrix, n_boot=100, seed=3)
    slow = bootstrap_ci(lambda m: krippendorff_alpha(m, level=level), matrix, n_boot=100, seed=3)
    assert (fast.estimate, fast.n_undefined) == (pytest.approx(slow.estimate), slow.n_undefined)
    assert (fast.low, fast.high) == (pytest.approx(slow.low), pytest.approx(slow.high))


@settings(max_examples=15, deadline=None)
@given(
    matrix=hnp.arrays(
        float,
        st.tuples(st.integers(1, 8), st.integers(2, 4)),
        elements=st.sampled_from((0.0, 1.0, 2.0, np.nan)),
    )
)
def test_fast_and_slow_agree_on_any_matrix_including_degenerate_ones(matrix):
    fast = bootstrap_ci(gwet_ac1, matrix, n_boot=30, seed=1)
    slow = bootstrap_ci(_slow(gwet_ac1), matrix, n_boot=30, seed=1)
    assert fast.n_undefined == slow.n_undefined
    for a, b in [(fast.estimate, slow.estimate), (fast.low, slow.low), (fast.high, slow.high)]:
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, abs=1e-9)


def test_same_seed_same_interval_and_the_seed_is_returned(two_coders):
    first = bootstrap_ci(cohen_kappa, two_coders, n_boot=200, seed=42)
    again = bootstrap_ci(cohen_kappa, two_coders, n_boot=200, seed=42)
    other = bootstrap_ci(cohen_kappa, two_coders, n_boot=200, seed=43)
    assert first == again
    assert first.seed == 42
    assert (first.low, first.high) != (other.low, other.high)
    assert isinstance(first, BootstrapResult)
    assert first.n_boot == 200 and first.ci == 0.95
    assert first.low <= first.estimate <= first.high


def test_default_seed_is_fixed_and_none_draws_a_fresh_one_that_is_reported(two_coders):
    assert bootstrap_ci(cohen_kappa, two_coders, n_boot=20).seed == 0
    fresh = bootstrap_ci(cohen_kappa, two_coders, n_boot=20, seed=None)
    assert isinstance(fresh.seed, int) and fresh.seed >= 0
    assert bootstrap_ci(cohen_kappa, two_coders, n_boot=20, seed=fresh.seed) == fresh


def test_numpy_integers_are_accepted(two_coders):
    result = bootstrap_ci(cohen_kappa, two_coders, n_boot=np.int64(10), ci=np.float64(0.9), seed=np.uint32(4))
    assert (result.n_boot, result.seed, result.ci) == (10, 4, 0.9)


def test_a_wider_level_gives_a_wider_interval(two_coders):
    narrow = bootstrap_ci(cohen_kappa, two_coders, n_boot=300, ci=0.5)
    wide = bootstrap_ci(cohen_kappa, two_coders, n_boot=300, ci=0.99)
    assert wide.low <= narrow.low <= narrow.high <= wide.high


def test_degenerate_resamples_are_counted_not_fatal():
    # one unit in five disagrees; resamples that miss it see one category only: kappa undefined
    matrix = np.array([[0, 0], [0, 0], [0, 0], [0, 0], [1, 0]], dtype=float)
    result = bootstrap_ci(cohen_kappa, matrix, n_boot=500, seed=9)
    assert math.isnan(cohen_kappa(matrix[:4]))
    # P(a resample misses the one unit) = (4/5)^5 = 0.328
    assert 100 < result.n_undefined < 230
    assert result.n_defined == 500 - result.n_undefined
    assert not math.isnan(result.low)


def test_all_resamples_undefined_gives_nan_interval():
    result = bootstrap_ci(krippendorff_alpha, np.zeros((5, 3)), n_boot=50)
    assert math.isnan(result.estimate) and math.isnan(result.low) and math.isnan(result.high)
    assert result.n_undefined == 50


def test_by_name_and_by_function_are_the_same(four_coders):
    assert bootstrap_ci("fleiss_kappa", four_coders, n_boot=50) == bootstrap_ci(
        COEFFICIENTS["fleiss_kappa"].func, four_coders, n_boot=50
    )


def test_a_foreign_function_that_divides_by_zero_counts_as_undefined():
    def fragile(matrix):
        agree = float((matrix[:, 0] == matrix[:, 1]).sum())
        return 1.0 / (agree - 3.0)  # ZeroDivisionError when exactly three units agree

    matrix = np.array([[0, 0], [1, 1], [0, 0], [1, 0], [0, 1]], dtype=float)
    with pytest.raises(ZeroDivisionError):
        fragile(matrix)
    result = bootstrap_ci(fragile, np.vstack([matrix, [[1, 1]]]), n_boot=100, seed=2)
    assert 0 < result.n_undefined < 100


def test_one_unit_is_enough_to_run():
    assert bootstrap_ci(gwet_ac1, [[0, 1]], n_boot=10) == BootstrapResult(-1.0, -1.0, -1.0, 0.95, 10, 0, 0)
    assert bootstrap_ci(gwet_ac1, [[0, 0]], n_boot=10).n_undefined == 10


def test_large_matrices_are_resampled_in_batches(monkeypatch):
    from thematic.agreement import bootstrap as module

    rng = np.random.default_rng(0)
    matrix = rng.integers(0, 2, size=(300, 3)).astype(float)
    whole = bootstrap_ci(gwet_ac1, matrix, n_boot=40, seed=8)
    monkeypatch.setattr(module, "_CHUNK_CELLS", 1000)  # 3 resamples per batch
    batched = bootstrap_ci(gwet_ac1, matrix, n_boot=40, seed=8)
    slow = bootstrap_ci(_slow(gwet_ac1), matrix, n_boot=40, seed=8)
    assert (batched.low, batched.high) == (pytest.approx(slow.low), pytest.approx(slow.high))
    assert batched.estimate == whole.estimate
    assert batched.n_undefined == slow.n_undefined == 0


@pytest.mark.parametrize("name", list(COEFFICIENTS))
def test_many_categories_take_the_sparse_paths_with_the_same_results(
    name, two_coders, four_coders, monkeypatch
):
    from thematic.agreement import _matrix

    matrix = _matrix_for(name, two_coders, four_coders)
    func = COEFFICIENTS[name].func
    small = bootstrap_ci(func, matrix, n_boot=60, seed=4)
    monkeypatch.setattr(_matrix, "_DENSE_COUNTS", 0)  # sort instead of count; sparse per-unit cells
    large = bootstrap_ci(func, matrix, n_boot=60, seed=4)
    assert large.estimate == pytest.approx(small.estimate, abs=1e-12)
    assert (large.low, large.high) == (pytest.approx(small.low), pytest.approx(small.high))
    assert large.n_undefined == small.n_undefined
