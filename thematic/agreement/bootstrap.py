"""Percentile bootstrap confidence intervals for any coefficient, resampling units (rows).

Each resample draws ``n_units`` rows with replacement from a generator seeded with ``seed``; the seed
is returned with the result so a run can be stored and repeated. For the coefficients in
:data:`thematic.agreement.COEFFICIENTS` the resamples are not rebuilt one by one: every coefficient
is a function of sums over units, so a batch of resamples is one product ``counts @ per_unit_terms``
(``counts[b, u]`` = how often resample ``b`` drew unit ``u``). Any other function is called on each
resampled matrix in turn. Both ways draw the same rows for the same seed and give the same values.

A resample can leave a coefficient undefined (every drawn code in one category, say): it counts as
``n_undefined`` and is left out of the percentiles. The interval is the ``(1 - ci) / 2`` and
``(1 + ci) / 2`` quantiles (linear interpolation) of the defined resamples; Efron, B., & Tibshirani,
R. J. (1993), *An Introduction to the Bootstrap*, ch. 13, doi:10.1007/978-1-4899-4541-9.
"""

from __future__ import annotations

import functools
import math
import numbers
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from thematic.errors import ThematicError

from .coefficients import COEFFICIENTS

__all__ = ["BootstrapResult", "bootstrap_ci"]

# Cells of the (resamples x units) count matrix built at once; bounds memory at about 32 MB.
_CHUNK_CELLS = 1 << 22


@dataclass(frozen=True)
class BootstrapResult:
    """A coefficient, its percentile bootstrap interval, and how the interval was made."""

    estimate: float
    low: float
    high: float
    ci: float
    n_boot: int
    n_undefined: int
    seed: int

    @property
    def n_defined(self) -> int:
        return self.n_boot - self.n_undefined


def bootstrap_ci(
    func: Callable[..., float] | str,
    matrix,
    *,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: int | None = 0,
) -> BootstrapResult:
    """Percentile bootstrap confidence interval of ``func(matrix)``, resampling units (rows).

    Parameters
    ----------
    func : callable or str
        A coefficient (``krippendorff_alpha``, or ``functools.partial(krippendorff_alpha,
        level="ordinal")`` for options), a name from ``COEFFICIENTS``, or any function of a units x
        coders matrix that returns a float (``nan`` when undefined).
    matrix : array-like of shape (n_units, n_coders)
        The coding matrix.
    n_boot : int, default 1000
        Number of resamples.
    ci : float, default 0.95
        Confidence level, between 0 and 1.
    seed : int or None, default 0
        Seed of the random generator (``numpy.random.default_rng``). ``None`` draws a fresh seed;
        either way the seed used is in the result.

    Returns
    -------
    BootstrapResult
        ``estimate`` (``func(matrix)``), ``low`` and ``high`` (the ``(1 - ci)/2`` and ``(1 + ci)/2``
        percentiles of the defined resamples; ``nan`` if none is defined), ``ci``, ``n_boot``,
        ``n_undefined`` (resamples where the coefficient was ``nan``) and ``seed``.

    References
    ----------
    Efron, B., & Tibshirani, R. J. (1993). An Introduction to the Bootstrap, ch. 13.
    doi:10.1007/978-1-4899-4541-9

    Examples
    --------
    >>> from thematic.agreement import cohen_kappa
    >>> matrix = [[1, 1], [1, 0], [0, 0], [0, 0], [1, 1], [0, 1], [1, 1], [0, 0]]
    >>> result = bootstrap_ci(cohen_kappa, matrix, n_boot=200, seed=7)
    >>> result.estimate, result.seed, result.n_boot
    (0.5, 7, 200)
    >>> bool(-1 <= result.low <= result.estimate <= result.high <= 1)
    True
    """
    if isinstance(n_boot, bool) or not isinstance(n_boot, numbers.Integral) or n_boot < 1:
        raise ThematicError(f"the bootstrap needs n_boot to be a whole number of at least 1; got {n_boot!r}")
    if isinstance(ci, bool) or not isinstance(ci, numbers.Real) or not 0 < ci < 1:
        raise ThematicError(f"the bootstrap needs ci between 0 and 1 (for example 0.95); got {ci!r}")
    if seed is None:
        seed = secrets.randbits(32)
    elif isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ThematicError(f"the bootstrap needs seed to be a whole number of 0 or more; got {seed!r}")
    n_boot, seed = int(n_boot), int(seed)

    function, options = _resolve(func)
    coefficient = next((c for c in COEFFICIENTS.values() if c.func is function), None)
    statistics = coefficient.statistics(matrix, **options) if coefficient is not None else None

    if statistics is not None:
        estimate = statistics.value()
        n_units = statistics.n_units
        values = np.concatenate(
            [
                statistics.finish(statistics.totals(_counts(rows, n_units)))
                for rows in _resamples(seed, n_units, n_boot)
            ]
        )
    else:
        estimate = float(function(matrix, **options))
        array = np.asarray(matrix)
        values = np.array(
            [
                _call(function, array[row], options)
                for rows in _resamples(seed, array.shape[0], n_boot)
                for row in rows
            ],
            dtype=float,
        )

    low, high, n_undefined = percentile_interval(values, ci)
    return BootstrapResult(
        estimate=float(estimate),
        low=low,
        high=high,
        ci=float(ci),
        n_boot=n_boot,
        n_undefined=n_undefined,
        seed=seed,
    )


def percentile_interval(values: np.ndarray, ci: float) -> tuple[float, float, int]:
    """(low, high, n_undefined): the ``ci`` percentile interval of the resampled ``values``, leaving out
    the ``n_undefined`` that are ``nan`` (both ends ``nan`` when every one is)."""
    defined = values[~np.isnan(values)]
    if defined.size:
        low, high = np.quantile(defined, [(1.0 - ci) / 2.0, (1.0 + ci) / 2.0])
    else:
        low = high = math.nan
    return float(low), float(high), int(values.size - defined.size)


def _resolve(func) -> tuple[Callable[..., float], dict]:
    """The function and keyword options behind a name, a function or a ``functools.partial``."""
    if isinstance(func, str):
        if func not in COEFFICIENTS:
            known = ", ".join(COEFFICIENTS)
            raise ThematicError(f"unknown agreement coefficient {func!r} (choose one of: {known})")
        return COEFFICIENTS[func].func, {}
    if isinstance(func, functools.partial) and not func.args:
        inner, options = _resolve(func.func)
        return inner, {**options, **func.keywords}
    if not callable(func):
        raise ThematicError(f"the bootstrap needs a coefficient function or name; got {func!r}")
    return func, {}


def _resamples(seed: int, n_units: int, n_boot: int) -> Iterator[np.ndarray]:
    """Row indices of each resample, ``(batch, n_units)`` at a time, from one seeded generator."""
    rng = np.random.default_rng(seed)
    batch = max(1, _CHUNK_CELLS // max(n_units, 1))
    for start in range(0, n_boot, batch):
        yield rng.integers(0, n_units, size=(min(batch, n_boot - start), n_units))


def _counts(rows: np.ndarray, n_units: int) -> np.ndarray:
    """How many times each resample (row of ``rows``) drew each unit."""
    counts = np.empty((rows.shape[0], n_units))
    for i, row in enumerate(rows):  # one bincount per resample stays in cache; faster than one big one
        counts[i] = np.bincount(row, minlength=n_units)
    return counts


def _call(function: Callable[..., float], resample: np.ndarray, options: dict) -> float:
    """One resample's value; a division by zero in a foreign function counts as undefined."""
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(function(resample, **options))
    except (ZeroDivisionError, FloatingPointError):
        return math.nan
