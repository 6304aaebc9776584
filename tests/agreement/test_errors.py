"""Every message the agreement core raises, pinned word for word."""

from __future__ import annotations

import re

import numpy as np
import pytest

from thematic.agreement import (
    bootstrap_ci,
    brennan_prediger,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac1,
    gwet_ac1_ci,
    krippendorff_alpha,
    krippendorff_band,
    landis_koch_band,
    percent_agreement,
    prevalence,
    prevalence_is_extreme,
)
from thematic.errors import ExitCode, ThematicError

NOT_NUMERIC = (
    "{label} needs numeric category codes, but the matrix holds a value that is not a number "
    "(code categories as numbers such as 0 and 1, with nan where a code is missing)"
)


def raises(message: str):
    return pytest.raises(ThematicError, match=f"^{re.escape(message)}$")


@pytest.mark.parametrize(
    ("func", "label"),
    [
        (percent_agreement, "Percent agreement"),
        (fleiss_kappa, "Fleiss' kappa"),
        (krippendorff_alpha, "Krippendorff's alpha"),
        (gwet_ac1, "Gwet's AC1"),
        (brennan_prediger, "Brennan-Prediger's coefficient"),
        (conger_kappa, "Conger's kappa"),
    ],
)
def test_matrix_shape_and_content(func, label):
    with raises(NOT_NUMERIC.format(label=label)):
        func([["yes", "no"], ["no", "no"]])
    with raises(NOT_NUMERIC.format(label=label)):
        func(np.array([[1, "maybe"]], dtype=object))
    with raises(NOT_NUMERIC.format(label=label)):
        func(np.array([[1 + 2j, 1]]))
    with raises(
        f"{label} needs a matrix with one row per unit and one column per coder, but the rows have "
        "different lengths (give every unit one cell per coder, nan where missing)"
    ):
        func([[1, 0], [1]])
    with raises(
        f"{label} needs a matrix with one row per unit and one column per coder; "
        "got a 1-D array (reshape it to units x coders)"
    ):
        func([1, 0, 1])
    with raises(f"{label}: the matrix holds an infinite value (use nan for a missing code)"):
        func([[1, np.inf], [0, 0]])
    with raises(f"{label} needs at least one unit (row); the matrix has none"):
        func(np.empty((0, 3)))
    with raises(f"{label} needs at least 2 coders (columns); the matrix has 1"):
        func([[1], [0]])


def test_cohen_needs_exactly_two_coders():
    hint = "for more than two coders use Fleiss' kappa, Krippendorff's alpha or Gwet's AC1"
    with raises(f"Cohen's kappa needs exactly 2 coders (columns); the matrix has 3 ({hint})"):
        cohen_kappa([[1, 1, 0]])
    with raises(f"Cohen's kappa needs exactly 2 coders (columns); the matrix has 1 ({hint})"):
        cohen_kappa([[1], [0]])
    with raises(NOT_NUMERIC.format(label="Cohen's kappa")):
        cohen_kappa([["a", "b"]])


def test_fleiss_refuses_missing_codes_and_unknown_options():
    with raises(
        "Fleiss' kappa needs every coder to code every unit, but 2 of 6 codes are missing (drop the "
        "incomplete units, or use Krippendorff's alpha or Gwet's AC1, which allow missing codes)"
    ):
        fleiss_kappa([[1, np.nan, 0], [np.nan, 1, 1]])
    with raises("Fleiss' kappa: missing must be 'raise' or 'gwet'; got 'drop'"):
        fleiss_kappa([[1, 1, 0]], missing="drop")


def test_alpha_level_and_ratio_codes():
    with raises(
        "Krippendorff's alpha: unknown level of measurement 'nominel' "
        "(choose nominal, ordinal, interval or ratio)"
    ):
        krippendorff_alpha([[1, 1]], level="nominel")
    with raises(
        "Krippendorff's alpha at the ratio level needs codes of zero or more, but the matrix holds -2 "
        "(use the interval level for codes below zero)"
    ):
        krippendorff_alpha([[1, -1], [-2, 0]], level="ratio")


@pytest.mark.parametrize(
    ("func", "label"), [(gwet_ac1, "Gwet's AC1"), (brennan_prediger, "Brennan-Prediger's coefficient")]
)
def test_categories(func, label):
    with raises(
        f"{label}: the matrix holds the code 2, which is not among the categories given (0, 1) "
        "(add it to the categories, or correct the code)"
    ):
        func([[0, 1], [2, 1]], categories=(0, 1))
    with raises(
        f"{label}: the matrix holds the code 0.5, which is not among the categories given (0, 1, 2.5) "
        "(add it to the categories, or correct the code)"
    ):
        func([[0, 0.5]], categories=[2.5, 1, 0])
    for bad, shown in [
        ((1,), "(1,)"),
        ((0, 0), "(0, 0)"),
        (("a", "b"), "('a', 'b')"),
        ((0, np.nan), "(0, nan)"),
    ]:
        with raises(
            f"{label}: categories must be at least two distinct numbers, such as (0, 1); got {shown}"
        ):
            func([[0, 1]], categories=bad)


def test_ac1_interval_level():
    for bad in (0, 1, 95, "0.95", True):
        with raises(f"Gwet's AC1: ci must be between 0 and 1 (for example 0.95); got {bad!r}"):
            gwet_ac1_ci([[0, 1], [1, 1]], ci=bad)


def test_bootstrap_options():
    matrix = [[0, 1], [1, 1], [0, 0]]
    for bad in (0, -5, 2.5, True):
        with raises(f"the bootstrap needs n_boot to be a whole number of at least 1; got {bad!r}"):
            bootstrap_ci(cohen_kappa, matrix, n_boot=bad)
    for bad in (0, 1.0, 95, "0.95"):
        with raises(f"the bootstrap needs ci between 0 and 1 (for example 0.95); got {bad!r}"):
            bootstrap_ci(cohen_kappa, matrix, ci=bad)
    for bad in (-1, 1.5, "7"):
        with raises(f"the bootstrap needs seed to be a whole number of 0 or more; got {bad!r}"):
            bootstrap_ci(cohen_kappa, matrix, seed=bad)
    with raises(
        "unknown agreement coefficient 'kappa' (choose one of: percent_agreement, cohen_kappa, fleiss_kappa, "
        "krippendorff_alpha, gwet_ac1, brennan_prediger, conger_kappa)"
    ):
        bootstrap_ci("kappa", matrix)
    with raises("the bootstrap needs a coefficient function or name; got 3"):
        bootstrap_ci(3, matrix)
    with raises(NOT_NUMERIC.format(label="Cohen's kappa")):  # the coefficient checks the matrix
        bootstrap_ci(cohen_kappa, [["a", "b"]])


def test_bands_and_prevalence():
    with raises("alpha must be a number; got 'high'"):
        krippendorff_band("high")
    with raises("kappa must be a number; got None"):
        landis_koch_band(None)
    with raises("kappa cannot be above 1; got 1.2 (check how it was computed)"):
        landis_koch_band(1.2)
    with raises("alpha cannot be above 1; got 3 (check how it was computed)"):
        krippendorff_band(3)
    for bad in (0.4, 1, 90, "0.9"):
        with raises(
            f"the prevalence threshold must be at least 0.5 and below 1 (for example 0.9); got {bad!r}"
        ):
            prevalence_is_extreme([[0, 1]], threshold=bad)
    with raises("prevalence needs at least 1 coder (columns); the matrix has 0"):
        prevalence(np.empty((3, 0)))
    with raises(NOT_NUMERIC.format(label="prevalence")):
        prevalence([["x"]])


def test_errors_are_bad_input():
    with pytest.raises(ThematicError) as caught:
        cohen_kappa([[1, 1, 1]])
    assert caught.value.exit_code == ExitCode.BAD_INPUT
