"""The units x coders matrix every coefficient takes: validation, category codes, per-unit statistics.

A coding matrix has one row per unit and one column per coder; a cell holds the category a coder gave
the unit, as a number (0/1 for theme presence, or any numeric category code), and ``nan`` where the
coder did not code the unit.

Every coefficient here is a function of sums over units. :class:`UnitStatistics` keeps those per-unit
terms (a few dense columns, plus per-category columns in coordinate form) and the function that turns
their totals into the coefficient, so the coefficient itself is ``finish(sum over units)`` and a
bootstrap resample that draws unit ``u`` ``w_u`` times is ``finish(w @ terms)``: one matrix product
for a batch of resamples. Counts of units by category (:class:`Counts`) are kept in coordinate form
too, one entry per (unit, category) that occurs, so memory grows with the codes, not with
units x categories.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from thematic.errors import ThematicError

__all__ = ["CodedMatrix", "Counts", "UnitStatistics", "as_matrix", "check_categories", "encode"]


def as_matrix(
    matrix, *, label: str, min_coders: int = 2, max_coders: int | None = None, coders_hint: str = ""
) -> np.ndarray:
    """Check a coding matrix and return it as a 2-D float array (``nan`` = missing).

    ``label`` names the coefficient in the error messages ("Cohen's kappa needs ..."); ``coders_hint``
    is added, in brackets, to the message about the number of coders.
    """
    try:
        array = np.asarray(matrix)
    except (TypeError, ValueError) as exc:  # ragged nested lists
        raise ThematicError(
            f"{label} needs a matrix with one row per unit and one column per coder, "
            "but the rows have different lengths (give every unit one cell per coder, nan where missing)"
        ) from exc
    if array.dtype.kind in "USMmcV":
        raise ThematicError(_not_numeric(label))
    try:
        array = np.asarray(array, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ThematicError(_not_numeric(label)) from exc
    if array.ndim != 2:
        raise ThematicError(
            f"{label} needs a matrix with one row per unit and one column per coder; "
            f"got a {array.ndim}-D array (reshape it to units x coders)"
        )
    if np.isinf(array).any():
        raise ThematicError(f"{label}: the matrix holds an infinite value (use nan for a missing code)")
    n_units, n_coders = array.shape
    if n_units == 0:
        raise ThematicError(f"{label} needs at least one unit (row); the matrix has none")
    hint = f" ({coders_hint})" if coders_hint else ""
    if max_coders is not None and min_coders == max_coders and n_coders != min_coders:
        raise ThematicError(
            f"{label} needs exactly {min_coders} coders (columns); the matrix has {n_coders}{hint}"
        )
    if n_coders < min_coders:
        raise ThematicError(
            f"{label} needs at least {min_coders} {'coder' if min_coders == 1 else 'coders'} (columns); "
            f"the matrix has {n_coders}{hint}"
        )
    return array


def _not_numeric(label: str) -> str:
    return (
        f"{label} needs numeric category codes, but the matrix holds a value that is not a number "
        "(code categories as numbers such as 0 and 1, with nan where a code is missing)"
    )


@dataclass(frozen=True)
class CodedMatrix:
    """A validated matrix with each value replaced by the index of its category.

    ``categories`` are the distinct values, sorted; ``codes[u, i]`` is the index into ``categories``
    of coder ``i``'s value for unit ``u``, or -1 where it is missing.
    """

    values: np.ndarray
    present: np.ndarray
    codes: np.ndarray
    categories: np.ndarray

    @property
    def n_units(self) -> int:
        return self.values.shape[0]

    @property
    def n_coders(self) -> int:
        return self.values.shape[1]

    @property
    def n_categories(self) -> int:
        return self.categories.shape[0]

    def codes_per_unit(self) -> np.ndarray:
        """How many coders coded each unit (Krippendorff's m_u, Gwet's r_i)."""
        return self.present.sum(axis=1)

    def counts(self, units: np.ndarray | None = None) -> Counts:
        """How many coders put each unit in each category (``n_uc``), in coordinate form.

        ``units`` (a boolean mask) keeps only those units.
        """
        present = self.present if units is None else self.present & units[:, None]
        n_units, n_categories = self.n_units, self.n_categories
        keys = (np.arange(n_units)[:, None] * n_categories + self.codes)[present]
        if n_units * n_categories <= _DENSE_COUNTS:  # counting is faster than sorting
            table = np.bincount(keys, minlength=n_units * n_categories)
            cells = np.flatnonzero(table)
            count = table[cells]
        else:
            cells, count = np.unique(keys, return_counts=True)
        unit, category = np.divmod(cells, max(n_categories, 1))
        return Counts(unit, category, count.astype(float), n_units, n_categories)


_DENSE_COUNTS = 1 << 22


@dataclass(frozen=True)
class Counts:
    """``n_uc`` in coordinate form: one entry per (unit, category) that occurs, sorted by unit then
    category, with how many coders put the unit there."""

    unit: np.ndarray
    category: np.ndarray
    count: np.ndarray
    n_units: int
    n_categories: int

    def by_unit(self, values: np.ndarray) -> np.ndarray:
        """``sum_c values[u, c]`` for each unit, ``values`` given per entry."""
        return np.bincount(self.unit, weights=values, minlength=self.n_units)

    def by_category(self, values: np.ndarray) -> np.ndarray:
        """``sum_u values[u, c]`` for each category, ``values`` given per entry."""
        return np.bincount(self.category, weights=values, minlength=self.n_categories)


def encode(values: np.ndarray, *, categories: np.ndarray | None = None, label: str = "") -> CodedMatrix:
    """Map each value of a validated matrix to the index of its category.

    With ``categories`` given, every value must be one of them; otherwise the categories are the
    distinct values observed, sorted.
    """
    present = ~np.isnan(values)
    observed = values[present]
    if categories is None:
        categories, inverse = _distinct(observed)
    else:
        inverse = np.minimum(np.searchsorted(categories, observed), categories.size - 1)
        unknown = categories[inverse] != observed
        if unknown.any():
            value = observed[np.argmax(unknown)]
            listed = ", ".join(_format_number(c) for c in categories)
            raise ThematicError(
                f"{label}: the matrix holds the code {_format_number(value)}, which is not among the "
                f"categories given ({listed}) (add it to the categories, or correct the code)"
            )
    codes = np.full(values.shape, -1, dtype=np.intp)
    codes[present] = inverse.reshape(-1)
    return CodedMatrix(values=values, present=present, codes=codes, categories=np.asarray(categories, float))


def _distinct(observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and each value's index among them (``np.unique(..., return_inverse)``).

    Category codes are nearly always small whole numbers; those are counted rather than sorted.
    """
    if observed.size:
        low, high = observed.min(), observed.max()
        if high - low < _COUNTING_RANGE and np.array_equal(observed, np.floor(observed)):
            shifted = (observed - low).astype(np.intp)
            seen = np.bincount(shifted) > 0
            index = np.cumsum(seen) - 1
            return low + np.flatnonzero(seen).astype(float), index[shifted]
    return np.unique(observed, return_inverse=True)


_COUNTING_RANGE = 1 << 16


def check_categories(categories, *, label: str) -> np.ndarray:
    """Validate a user-given category list; return it as a sorted float array."""
    try:
        array = np.asarray(categories, dtype=float).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise ThematicError(
            f"{label}: categories must be at least two distinct numbers, such as (0, 1); got {categories!r}"
        ) from exc
    if array.size < 2 or not np.isfinite(array).all() or np.unique(array).size != array.size:
        raise ThematicError(
            f"{label}: categories must be at least two distinct numbers, such as (0, 1); got {categories!r}"
        )
    return np.sort(array)


def _format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass(frozen=True)
class UnitStatistics:
    """Per-unit terms of a coefficient and the function from their totals to its value.

    The terms of unit ``u`` are the row ``dense[u]`` followed by ``n_cells`` more columns given in
    coordinate form: ``cells = (unit, column, value)``, entries with the same unit and column adding
    up. ``finish`` maps totals of shape ``(n_batches, n_dense + n_cells)`` to ``n_batches``
    coefficient values, ``nan`` where undefined.
    """

    dense: np.ndarray
    cells: tuple[np.ndarray, np.ndarray, np.ndarray]
    n_cells: int
    finish: Callable[[np.ndarray], np.ndarray]

    @property
    def n_units(self) -> int:
        return self.dense.shape[0]

    def totals(self, weights: np.ndarray) -> np.ndarray:
        """Weighted sums over units, one row per row of ``weights`` (``(n_batches, n_units)``)."""
        return np.hstack([weights @ self.dense, np.asarray(weights @ self._cells_by_unit)])

    @functools.cached_property
    def _cells_by_unit(self):
        """The cell columns as an ``(n_units, n_cells)`` matrix: dense when small, else sparse."""
        unit, column, value = self.cells
        if self.n_cells * self.n_units <= _DENSE_COUNTS:
            flat = np.bincount(unit * self.n_cells + column, value, minlength=self.n_units * self.n_cells)
            return flat.reshape(self.n_units, self.n_cells)
        from scipy import sparse  # only the bootstrap needs it, and only for many cells

        return sparse.csr_array((value, (unit, column)), shape=(self.n_units, self.n_cells))

    def value(self) -> float:
        _, column, value = self.cells
        totals = np.concatenate([self.dense.sum(axis=0), np.bincount(column, value, minlength=self.n_cells)])
        return float(self.finish(totals.reshape(1, -1))[0])


def within_unit_pairs(counts: Counts):
    """Every ordered pair of categories that meet in a unit, with their counts there.

    Returns ``(unit, c, k, n_uc, n_uk)`` arrays, one entry per pair of entries of ``counts`` in the
    same unit (the pair ``c == k`` included). This is the coincidence matrix in coordinate form,
    built in ``sum_u (categories in u)^2`` steps rather than ``n_units * n_categories^2``.
    """
    lengths = np.bincount(counts.unit, minlength=counts.n_units)  # categories per unit
    starts = np.cumsum(lengths) - lengths
    repeats = lengths[counts.unit]
    first = np.repeat(np.arange(counts.unit.size), repeats)
    offsets = np.arange(first.size) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    second = starts[counts.unit[first]] + offsets
    c, n = counts.category, counts.count
    return counts.unit[first], c[first], c[second], n[first], n[second]


def count_categories_used(totals: np.ndarray) -> np.ndarray:
    """Per batch row, how many columns of ``totals`` are non-zero."""
    return (totals > 0).sum(axis=-1)
