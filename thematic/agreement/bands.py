"""What a coefficient's value means: interpretation bands, and a check for extreme prevalence.

The bands are conventions, not tests: Krippendorff's for alpha, Landis and Koch's for kappa-type
coefficients. When one category takes nearly all the codes (a theme almost never, or almost always,
applied) kappa and alpha can be low although the coders nearly always agree (Feinstein & Cicchetti
1990, doi:10.1016/0895-4356(90)90158-L); :func:`prevalence_is_extreme` flags that case so a report can
point to Gwet's AC1, which is built to stay stable there.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from thematic.errors import ThematicError

from ._matrix import as_matrix

__all__ = [
    "EXTREME_PREVALENCE",
    "gwet_benchmark",
    "krippendorff_band",
    "landis_koch_band",
    "prevalence",
    "prevalence_is_extreme",
]

# A category holding more than this share of all codes (for a 0/1 theme: prevalence below 0.1 or
# above 0.9) makes prevalence extreme.
EXTREME_PREVALENCE = 0.9

_LANDIS_KOCH = ((0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial"))


def krippendorff_band(alpha: float) -> str:
    """Krippendorff's reading of alpha: ``"reliable"``, ``"tentative"`` or ``"unreliable"``.

    ``alpha >= .800``: reliable; ``.667 <= alpha < .800``: good enough only for tentative
    conclusions; ``alpha < .667``: unreliable. ``"undefined"`` for ``nan``. The bounds are applied to
    the value as given, not rounded (.7999 is tentative).

    References
    ----------
    Krippendorff, K. (2004). Reliability in content analysis: some common misconceptions and
    recommendations. Human Communication Research 30(3), 411-433. doi:10.1111/j.1468-2958.2004.tb00738.x

    Examples
    --------
    >>> krippendorff_band(0.743)
    'tentative'
    >>> krippendorff_band(0.8), krippendorff_band(0.5)
    ('reliable', 'unreliable')
    """
    value = _check_value(alpha, "alpha")
    if math.isnan(value):
        return "undefined"
    if value >= 0.800:
        return "reliable"
    if value >= 0.667:
        return "tentative"
    return "unreliable"


def landis_koch_band(kappa: float) -> str:
    """Landis and Koch's (1977) label for a kappa-type coefficient.

    ``< 0`` poor; ``0-.20`` slight; ``.21-.40`` fair; ``.41-.60`` moderate; ``.61-.80`` substantial;
    ``.81-1`` almost perfect. Between the printed two-digit bands the upper bound is inclusive:
    ``0 <= kappa <= .20`` is slight, ``.20 < kappa <= .40`` fair, and so on; ``"undefined"`` for ``nan``.

    References
    ----------
    Landis, J. R., & Koch, G. G. (1977). The measurement of observer agreement for categorical data.
    Biometrics 33(1), 159-174. doi:10.2307/2529310

    Examples
    --------
    >>> landis_koch_band(0.40), landis_koch_band(0.41), landis_koch_band(-0.1)
    ('fair', 'moderate', 'poor')
    """
    value = _check_value(kappa, "kappa")
    if math.isnan(value):
        return "undefined"
    if value < 0:
        return "poor"
    for upper, label in _LANDIS_KOCH:
        if value <= upper:
            return label
    return "almost perfect"


_BANDS_DOWN = (
    (0.80, "almost perfect"),
    (0.60, "substantial"),
    (0.40, "moderate"),
    (0.20, "fair"),
    (0.00, "slight"),
    (-1.0, "poor"),
)


def gwet_benchmark(estimate: float, standard_error: float, *, level: float = 0.95) -> tuple[str, float]:
    """Gwet's benchmarking of an agreement coefficient on the Landis-Koch scale, from its standard error.

    A point estimate is not put in a band (that is what Landis and Koch's table was written for, on
    kappa): the probability that the coefficient lies in each band is taken from a normal distribution
    with the estimate's standard error (truncated to the coefficient's range [-1, 1]), and summed from
    the top band down; the benchmark is the first
    band where that cumulative membership probability reaches ``level``. Returns the band and its
    cumulative probability, or ``("undefined", nan)`` without a finite estimate and standard error.

    References
    ----------
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability, 4th ed., ch. 6 ("Benchmarking inter-rater
    reliability coefficients"), the interval and cumulative membership probabilities.

    Examples
    --------
    >>> gwet_benchmark(0.87, 0.02)[0]
    'almost perfect'
    >>> band, p = gwet_benchmark(0.87, 0.10)
    >>> band, round(p, 3)
    ('substantial', 0.996)
    """
    value = _check_value(estimate, "the coefficient")
    se = float(standard_error)
    if math.isnan(value) or not math.isfinite(se) or se < 0:
        return "undefined", math.nan
    if se == 0:
        return next(label for lower, label in _BANDS_DOWN if value >= lower), 1.0
    from scipy import stats

    top = stats.norm.cdf((1.0 - value) / se)
    for lower, label in _BANDS_DOWN:
        cumulative = (top - stats.norm.cdf((lower - value) / se)) / top  # within [-1, 1], from the top
        if cumulative >= level:
            return label, float(cumulative)
    return "poor", 1.0


def alpha_reading(value: float, standard_error: float = math.nan) -> str:
    """Krippendorff's reading of an alpha (the standard error plays no part)."""
    return krippendorff_band(value)


def kappa_reading(value: float, standard_error: float = math.nan) -> str:
    """Landis and Koch's reading of a kappa (the standard error plays no part)."""
    return landis_koch_band(value)


def ac1_reading(value: float, standard_error: float = math.nan) -> str:
    """Gwet's benchmark of an AC1: the band, with the probability of lying in it or above when the
    standard error is known.

    >>> ac1_reading(0.9, 0.02)
    'almost perfect (Gwet benchmark, P=1.00)'
    """
    band, probability = gwet_benchmark(value, standard_error)
    return band if math.isnan(probability) else f"{band} (Gwet benchmark, P={probability:.2f})"


def prevalence(matrix) -> dict[float, float]:
    """The share of all codes (missing ones left out) in each category, by category.

    Examples
    --------
    >>> prevalence([[1, 1], [0, 0], [0, float("nan")]])
    {0.0: 0.6, 1.0: 0.4}
    """
    values = as_matrix(matrix, label="prevalence", min_coders=1)
    codes = values[~np.isnan(values)]
    categories, counts = np.unique(codes, return_counts=True)
    return {float(c): float(n) / codes.size for c, n in zip(categories, counts, strict=True)}


def prevalence_is_extreme(matrix, *, threshold: float = EXTREME_PREVALENCE) -> bool:
    """Whether one category holds more than ``threshold`` of all codes.

    With the default 0.9 a 0/1 theme is extreme when it was applied to fewer than 10% or more than
    90% of the codes. Then kappa and alpha can be low despite high agreement (the kappa paradox), so
    report Gwet's AC1 beside them. A matrix with no codes is not extreme.

    Examples
    --------
    >>> prevalence_is_extreme([[0, 0]] * 19 + [[1, 0]])
    True
    >>> prevalence_is_extreme([[0, 0], [1, 1], [0, 1]])
    False
    """
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not 0.5 <= threshold < 1:
        raise ThematicError(
            f"the prevalence threshold must be at least 0.5 and below 1 (for example 0.9); got {threshold!r}"
        )
    shares = prevalence(matrix)
    return bool(shares) and max(shares.values()) > threshold


def _check_value(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ThematicError(f"{name} must be a number; got {value!r}")
    value = float(value)
    if value > 1.0 + 1e-9:
        raise ThematicError(f"{name} cannot be above 1; got {value:g} (check how it was computed)")
    return value
