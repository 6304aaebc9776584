"""Interpretation bands and the extreme-prevalence check."""

from __future__ import annotations

import math

import numpy as np
import pytest

from thematic.agreement import (
    EXTREME_PREVALENCE,
    cohen_kappa,
    gwet_ac1,
    krippendorff_band,
    landis_koch_band,
    prevalence,
    prevalence_is_extreme,
)


@pytest.mark.parametrize(
    ("alpha", "band"),
    [
        (1.0, "reliable"),
        (0.800, "reliable"),
        (0.7999, "tentative"),
        (0.743, "tentative"),
        (0.667, "tentative"),
        (0.6669999, "unreliable"),
        (0.0, "unreliable"),
        (-0.4, "unreliable"),
        (math.nan, "undefined"),
        (np.float64(0.9), "reliable"),
    ],
)
def test_krippendorff_band(alpha, band):
    assert krippendorff_band(alpha) == band


@pytest.mark.parametrize(
    ("kappa", "band"),
    [
        (-0.01, "poor"),
        (-1.0, "poor"),
        (0.0, "slight"),
        (0.20, "slight"),
        (0.205, "fair"),
        (0.21, "fair"),
        (0.40, "fair"),
        (0.41, "moderate"),
        (0.60, "moderate"),
        (0.61, "substantial"),
        (0.80, "substantial"),
        (0.81, "almost perfect"),
        (1.0, "almost perfect"),
        (math.nan, "undefined"),
    ],
)
def test_landis_koch_band(kappa, band):
    assert landis_koch_band(kappa) == band


def test_prevalence_shares_leave_missing_codes_out():
    assert prevalence([[1, 1], [0, np.nan], [0, 0], [2, np.nan]]) == {0.0: 0.5, 1.0: 1 / 3, 2.0: 1 / 6}
    assert prevalence(np.full((2, 2), np.nan)) == {}


def test_prevalence_is_extreme_at_the_stated_threshold():
    assert EXTREME_PREVALENCE == 0.9
    # a 0/1 theme applied to exactly 10% of codes: 90% is not more than 0.9
    ten_percent = np.array([[1, 0]] + [[0, 0]] * 4)
    assert prevalence(ten_percent)[0.0] == 0.9
    assert not prevalence_is_extreme(ten_percent)
    rare = np.array([[1, 0]] + [[0, 0]] * 5)  # 1 in 12 codes: below 10%
    common = 1 - rare  # the same theme, applied almost always
    assert prevalence_is_extreme(rare) and prevalence_is_extreme(common)
    assert not prevalence_is_extreme(rare, threshold=0.95)
    assert prevalence_is_extreme(np.zeros((3, 2)))
    assert not prevalence_is_extreme(np.full((3, 2), np.nan))


def test_the_kappa_paradox_that_the_prevalence_check_is_for():
    # 30 units, the coders agree on 28, but the theme is rare (4 codes in 60): kappa is only
    # moderate (0.46), AC1 is high (0.92)
    matrix = np.array([[1, 1]] + [[1, 0]] + [[0, 1]] + [[0, 0]] * 27, dtype=float)
    assert prevalence_is_extreme(matrix)
    assert landis_koch_band(cohen_kappa(matrix)) == "moderate"
    assert round(cohen_kappa(matrix), 4) == 0.4643
    assert round(gwet_ac1(matrix), 4) == 0.9239
