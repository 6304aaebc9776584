"""What must hold for every coefficient in the registry, on matrices hypothesis generates.

Invariance to the order of coders and of units, perfect agreement gives 1 (when defined), the
value stays in the coefficient's range, units nobody coded change nothing, equivalent inputs give
equal answers, and undefined cases give nan rather than an exception.
"""

from __future__ import annotations

import functools
import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thematic.agreement import COEFFICIENTS, LEVELS, Coefficient, gwet_ac1, krippendorff_alpha

NAMES = list(COEFFICIENTS)
CODES = (0.0, 1.0, 2.0, 5.0)
SETTINGS = settings(max_examples=20, deadline=None)


def matrices_for(coefficient: Coefficient, *, max_units: int = 20):
    """Matrices the coefficient accepts: its number of coders, missing codes only where allowed."""
    max_coders = coefficient.max_coders or 5
    elements = st.sampled_from(CODES + ((np.nan,) if coefficient.allows_missing else ()))
    shapes = st.tuples(st.integers(1, max_units), st.integers(coefficient.min_coders, max_coders))
    return shapes.flatmap(lambda shape: hnp.arrays(float, shape, elements=elements))


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, abs=1e-9)


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_coder_order_does_not_matter(name, data):
    coefficient = COEFFICIENTS[name]
    matrix = data.draw(matrices_for(coefficient))
    order = data.draw(st.permutations(range(matrix.shape[1])))
    assert same(coefficient.func(matrix), coefficient.func(matrix[:, order]))


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_unit_order_does_not_matter(name, data):
    coefficient = COEFFICIENTS[name]
    matrix = data.draw(matrices_for(coefficient))
    order = data.draw(st.permutations(range(matrix.shape[0])))
    assert same(coefficient.func(matrix), coefficient.func(matrix[order]))


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_value_is_in_range(name, data):
    coefficient = COEFFICIENTS[name]
    value = coefficient.func(data.draw(matrices_for(coefficient)))
    assert math.isnan(value) or coefficient.lower - 1e-9 <= value <= coefficient.upper + 1e-9


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_perfect_agreement_gives_one(name, data):
    coefficient = COEFFICIENTS[name]
    n_units = data.draw(st.integers(1, 20))
    n_coders = data.draw(st.integers(coefficient.min_coders, coefficient.max_coders or 5))
    truth = np.array(data.draw(st.lists(st.sampled_from(CODES), min_size=n_units, max_size=n_units)))
    matrix = np.repeat(truth[:, None], n_coders, axis=1)
    if coefficient.allows_missing:
        matrix[np.array(data.draw(hnp.arrays(bool, matrix.shape)))] = np.nan
    value = coefficient.func(matrix)
    paired = matrix[(~np.isnan(matrix)).sum(axis=1) >= 2]
    categories_in_pairs = np.unique(paired[~np.isnan(paired)])
    if name == "percent_agreement":
        assert value == 1.0 if paired.size else math.isnan(value)
    elif categories_in_pairs.size >= 2:  # defined for every coefficient
        assert value == pytest.approx(1.0, abs=1e-12)
    else:
        assert math.isnan(value) or value == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_renaming_the_categories_changes_nothing(name, data):
    """Nominal coefficients see only which codes are equal: any one-to-one relabelling keeps them."""
    coefficient = COEFFICIENTS[name]
    matrix = data.draw(matrices_for(coefficient))
    labels = data.draw(
        st.lists(
            st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False), min_size=4, max_size=4, unique=True
        )
    )
    relabelled = np.full(matrix.shape, np.nan)
    for code, label in zip(CODES, labels, strict=True):
        relabelled[matrix == code] = label
    assert same(coefficient.func(matrix), coefficient.func(relabelled))


@pytest.mark.parametrize("name", [n for n in NAMES if COEFFICIENTS[n].allows_missing])
@SETTINGS
@given(data=st.data())
def test_a_unit_nobody_coded_changes_nothing(name, data):
    coefficient = COEFFICIENTS[name]
    matrix = data.draw(matrices_for(coefficient))
    where = data.draw(st.integers(0, matrix.shape[0]))
    padded = np.insert(matrix, where, np.nan, axis=0)
    assert same(coefficient.func(matrix), coefficient.func(padded))


@pytest.mark.parametrize("name", NAMES)
def test_equivalent_inputs_give_equal_answers(name):
    coefficient = COEFFICIENTS[name]
    rows = [[0, 1], [1, 1], [0, 0], [1, 0], [1, 1], [0, 0]]
    expected = coefficient.func(np.array(rows, dtype=float))
    assert coefficient.func(rows) == expected
    assert coefficient.func(np.array(rows, dtype=np.int8)) == expected
    assert coefficient.func(np.array(rows, dtype=bool)) == expected
    assert coefficient.func(tuple(map(tuple, rows))) == expected


@pytest.mark.parametrize("name", NAMES)
def test_one_category_everywhere_is_nan_not_an_exception(name):
    coefficient = COEFFICIENTS[name]
    matrix = np.zeros((6, 2))
    expected = 1.0 if name == "percent_agreement" else math.nan  # expected disagreement is zero
    assert same(coefficient.func(matrix), expected)


@pytest.mark.parametrize("name", [n for n in NAMES if COEFFICIENTS[n].allows_missing])
def test_no_unit_with_two_codes_is_nan(name):
    matrix = np.array([[0, np.nan], [np.nan, 1], [np.nan, np.nan]])
    assert math.isnan(COEFFICIENTS[name].func(matrix))


def test_every_registry_entry_names_its_function_and_cites_a_source():
    for name, coefficient in COEFFICIENTS.items():
        assert coefficient.func.__name__ == name
        assert coefficient.reference
        assert coefficient.lower < coefficient.upper == 1.0
        assert "doi:" in coefficient.func.__doc__
        assert ">>>" in coefficient.func.__doc__


@pytest.mark.parametrize("level", LEVELS)
@SETTINGS
@given(data=st.data())
def test_alpha_at_every_level_is_invariant_and_in_range(level, data):
    matrix = data.draw(matrices_for(COEFFICIENTS["krippendorff_alpha"]))
    order = data.draw(st.permutations(range(matrix.shape[1])))
    value = krippendorff_alpha(matrix, level=level)
    assert same(value, krippendorff_alpha(matrix[:, order], level=level))
    assert math.isnan(value) or -1.0 < value <= 1.0 + 1e-12 or level == "ratio"


@SETTINGS
@given(data=st.data())
def test_ac1_with_both_theme_categories_given_is_defined_for_any_agreement(data):
    matrix = data.draw(
        hnp.arrays(float, st.tuples(st.integers(1, 15), st.integers(2, 4)), elements=st.just(0.0))
    )
    assert gwet_ac1(matrix, categories=(0, 1)) == 1.0


def test_ordinal_alpha_with_many_categories_matches_the_small_category_path(monkeypatch):
    from thematic.agreement import krippendorff as module

    rng = np.random.default_rng(3)
    matrix = rng.integers(0, 10, size=(40, 3)).astype(float)
    matrix[rng.random(matrix.shape) < 0.2] = np.nan
    small = krippendorff_alpha(matrix, level="ordinal")
    monkeypatch.setattr(module, "_ORDINAL_MAX_CATEGORIES", 2)
    assert krippendorff_alpha(matrix, level="ordinal") == pytest.approx(small, abs=1e-12)
    assert module.alpha_statistics(matrix, level="ordinal") is None
    partial = functools.partial(krippendorff_alpha, level="ordinal")
    assert partial(matrix) == pytest.approx(small, abs=1e-12)
