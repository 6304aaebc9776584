"""thematic's coefficients against independent implementations, on random matrices.

Oracles: the krippendorff package (level_of_measurement given explicitly: its default is interval),
statsmodels' fleiss_kappa and cohens_kappa, and scikit-learn's cohen_kappa_score.
"""

from __future__ import annotations

import warnings

import hypothesis.extra.numpy as hnp
import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats import inter_rater

from thematic.agreement import LEVELS, cohen_kappa, conger_kappa, fleiss_kappa, krippendorff_alpha

CODES = (0.0, 1.0, 2.0, 3.0, 7.0)  # uneven gaps, so interval and ratio differ from ordinal


def matrices(*, min_coders: int, max_coders: int, missing: bool, max_units: int = 25):
    elements = st.sampled_from(CODES + ((np.nan,) if missing else ()))
    shapes = st.tuples(st.integers(1, max_units), st.integers(min_coders, max_coders))
    return shapes.flatmap(lambda shape: hnp.arrays(float, shape, elements=elements))


def quietly(compute):
    """Run an oracle; its warnings (0/0 on degenerate data) and refusals become nan."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(compute())
        except (ValueError, ZeroDivisionError):
            return np.nan


@pytest.mark.parametrize("level", LEVELS)
@settings(max_examples=40, deadline=None)
@given(matrix=matrices(min_coders=2, max_coders=5, missing=True))
def test_alpha_matches_the_krippendorff_package(level, matrix):
    ours = krippendorff_alpha(matrix, level=level)
    theirs = quietly(lambda: krippendorff.alpha(matrix.T, level_of_measurement=level))
    if np.isnan(ours):  # undefined: the package divides 0 by 0, or refuses a one-value domain
        assert np.isnan(theirs)
        return
    assert ours == pytest.approx(theirs, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(matrix=matrices(min_coders=2, max_coders=6, missing=False))
def test_fleiss_matches_statsmodels(matrix):
    ours = fleiss_kappa(matrix)
    table, _ = inter_rater.aggregate_raters(matrix)
    theirs = quietly(lambda: inter_rater.fleiss_kappa(table, method="fleiss"))
    if np.isnan(ours):
        assert len(np.unique(matrix)) == 1  # undefined only when every code is one category
        return
    assert ours == pytest.approx(theirs, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(matrix=matrices(min_coders=2, max_coders=2, missing=True, max_units=30))
def test_cohen_matches_sklearn_and_statsmodels(matrix):
    ours = cohen_kappa(matrix)
    both = matrix[~np.isnan(matrix).any(axis=1)]
    if np.isnan(ours):
        assert both.shape[0] == 0 or len(np.unique(both)) == 1
        return
    sklearn_value = quietly(lambda: cohen_kappa_score(both[:, 0], both[:, 1]))
    table, _ = inter_rater.to_table(both)
    statsmodels_value = quietly(lambda: inter_rater.cohens_kappa(table).kappa)
    assert ours == pytest.approx(sklearn_value, abs=1e-9)
    assert ours == pytest.approx(statsmodels_value, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(matrix=matrices(min_coders=2, max_coders=2, missing=False))
def test_conger_with_two_coders_is_cohen(matrix):
    ours, cohen = conger_kappa(matrix), cohen_kappa(matrix)
    assert (np.isnan(ours) and np.isnan(cohen)) or ours == pytest.approx(cohen, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(matrix=matrices(min_coders=2, max_coders=2, missing=False))
def test_fleiss_with_two_coders_is_scotts_pi(matrix):
    p_o = float((matrix[:, 0] == matrix[:, 1]).mean())
    _, counts = np.unique(matrix, return_counts=True)
    p_e = float(((counts / matrix.size) ** 2).sum())
    ours = fleiss_kappa(matrix)
    if p_e == 1.0:
        assert np.isnan(ours)
    else:
        assert ours == pytest.approx((p_o - p_e) / (1 - p_e), abs=1e-9)
