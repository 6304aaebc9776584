"""Published worked examples, reproduced to the digits their sources print.

The data and printed values are in tests/fixtures/agreement/worked-examples.json (a copy of the
project's shared data): Krippendorff (2011) example C, which is also Gwet's four-rater example (irrCAC's
cac.raw4raters); Fleiss (1971); and the standard Cohen 2x2 table.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from thematic.agreement import (
    COEFFICIENTS,
    brennan_prediger,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac1,
    gwet_ac1_ci,
    krippendorff_alpha,
    percent_agreement,
)

WORKED_EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "agreement" / "worked-examples.json"


@pytest.fixture(scope="module")
def examples() -> dict:
    return json.loads(WORKED_EXAMPLES.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def krippendorff_2011(examples) -> np.ndarray:
    """Units x coders (the file has coders x units, with null for missing)."""
    data = examples["krippendorff_2011"]["data"]
    return np.array([[np.nan if v is None else v for v in row] for row in data], dtype=float).T


@pytest.fixture(scope="module")
def fleiss_1971(examples) -> np.ndarray:
    """Units x 14 coders, rebuilt from the subjects x categories count table (categories 1..5)."""
    table = np.array(examples["fleiss_1971"]["data"])
    return np.array([np.repeat(np.arange(1, table.shape[1] + 1), row) for row in table], dtype=float)


@pytest.fixture(scope="module")
def cohen_2x2(examples) -> np.ndarray:
    """Units x 2 coders, rebuilt from the 2x2 table (rows coder A yes/no, columns coder B yes/no)."""
    (yes_yes, yes_no), (no_yes, no_no) = examples["cohen_2x2"]["data"]
    cells = [(1, 1)] * yes_yes + [(1, 0)] * yes_no + [(0, 1)] * no_yes + [(0, 0)] * no_no
    return np.array(cells, dtype=float)


def test_the_data_file_has_the_layout_the_tests_expect(krippendorff_2011, fleiss_1971, cohen_2x2):
    assert krippendorff_2011.shape == (12, 4)
    assert int(np.isnan(krippendorff_2011).sum()) == 7
    assert fleiss_1971.shape == (10, 14)
    assert cohen_2x2.shape == (50, 2)


@pytest.mark.parametrize(
    ("level", "key"),
    [
        ("nominal", "krippendorff_alpha_nominal"),
        ("ordinal", "krippendorff_alpha_ordinal"),
        ("interval", "krippendorff_alpha_interval"),
        ("ratio", "krippendorff_alpha_ratio"),
    ],
)
def test_krippendorff_2011_alpha_at_every_level(examples, krippendorff_2011, level, key):
    expected = examples["krippendorff_2011"]["expected"][key]
    assert round(krippendorff_alpha(krippendorff_2011, level=level), 3) == expected


@pytest.mark.parametrize(
    ("key", "compute"),
    [
        ("gwet_ac1", gwet_ac1),
        ("fleiss_kappa_missing_data_gwet", lambda m: fleiss_kappa(m, missing="gwet")),
        ("conger_kappa", conger_kappa),
        ("brennan_prediger", brennan_prediger),
    ],
)
def test_gwet_four_raters_coefficients(examples, krippendorff_2011, key, compute):
    assert round(compute(krippendorff_2011), 5) == examples["krippendorff_2011"]["expected"][key]


def test_gwet_four_raters_ac1_standard_error_and_interval(examples, krippendorff_2011):
    expected = examples["krippendorff_2011"]["expected"]
    result = gwet_ac1_ci(krippendorff_2011, ci=0.95)
    assert round(result.estimate, 5) == expected["gwet_ac1"]
    assert round(result.standard_error, 5) == expected["gwet_ac1_se"]
    assert [round(result.low, 5), round(result.high, 5)] == expected["gwet_ac1_ci95"]
    assert result.estimate == pytest.approx(gwet_ac1(krippendorff_2011), abs=1e-12)


def test_fleiss_kappa_on_complete_data_refuses_the_krippendorff_matrix(krippendorff_2011):
    with pytest.raises(Exception, match="7 of 48 codes are missing"):
        fleiss_kappa(krippendorff_2011)


def test_fleiss_1971(examples, fleiss_1971):
    expected = examples["fleiss_1971"]["expected"]
    kappa = fleiss_kappa(fleiss_1971)
    observed = percent_agreement(fleiss_1971)  # P-bar: every unit has all 14 codes
    chance = (observed - kappa) / (1 - kappa)  # P-bar_e, from kappa = (P-bar - P-bar_e) / (1 - P-bar_e)
    assert round(kappa, 3) == expected["fleiss_kappa"]
    assert round(observed, 3) == expected["mean_observed_agreement"]
    assert round(chance, 3) == expected["chance_agreement"]
    # Gwet's generalisation equals Fleiss' kappa on complete data
    assert fleiss_kappa(fleiss_1971, missing="gwet") == pytest.approx(kappa, abs=1e-12)


def test_fleiss_1971_chance_agreement_from_the_table(examples):
    table = np.array(examples["fleiss_1971"]["data"], dtype=float)
    p_j = table.sum(axis=0) / table.sum()
    assert round(float((p_j**2).sum()), 3) == examples["fleiss_1971"]["expected"]["chance_agreement"]


def test_cohen_2x2(examples, cohen_2x2):
    expected = examples["cohen_2x2"]["expected"]
    assert round(percent_agreement(cohen_2x2), 2) == expected["percent_agreement"]
    assert round(cohen_kappa(cohen_2x2), 2) == expected["cohen_kappa"]
    # two coders, complete data: Conger's kappa is Cohen's kappa
    assert conger_kappa(cohen_2x2) == pytest.approx(cohen_kappa(cohen_2x2), abs=1e-12)


def test_every_registered_coefficient_runs_on_the_worked_examples(krippendorff_2011, fleiss_1971, cohen_2x2):
    for coefficient in COEFFICIENTS.values():
        for matrix in (krippendorff_2011, fleiss_1971, cohen_2x2):
            if coefficient.max_coders is not None and matrix.shape[1] > coefficient.max_coders:
                continue
            if not coefficient.allows_missing and np.isnan(matrix).any():
                continue
            value = coefficient.func(matrix)
            assert coefficient.lower <= value <= coefficient.upper, coefficient.name
