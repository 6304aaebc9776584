"""The units x coders matrix every coefficient takes: validation, category codes, per-unit statistics.

A coding matrix has one row per unit and one column per coder; a cell holds the category a coder gave
the unit, as a number (0/1 for theme presence, or any numeric category code), and ``nan`` where the
coder did not code the unit.

Every coefficient here is a function of sums over units. :class:`UnitStatistics` keeps those per-unit
terms as an ``(n_units, n_terms)`` matrix plus the function that turns their totals into the
coefficient, so the coefficient itself is ``finish(per_unit.sum(0))`` and a bootstrap resample that
draws unit ``u`` ``w_u`` times is ``finish(w @ per_unit)``: one matrix product for a batch of resamples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from thematic.errors import ThematicError

__all__ = ["CodedMatrix", "UnitStatistics", "as_matrix", "check_categories", "encode"]


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

    def counts(self, units: np.ndarray | None = None) -> sparse.csr_array:
        """Sparse ``(n_units, n_categories)`` matrix: how many coders put unit u in category c.

        ``units`` (a boolean mask) keeps only those rows; the others are left empty.
        """
        present = self.present if units is None else self.present & units[:, None]
        units, coders = np.nonzero(present)
        return sparse.csr_array(
            (np.ones(units.size), (units, self.codes[units, coders])),
            shape=(self.n_units, self.n_categories),
        )


def encode(values: np.ndarray, *, categories: np.ndarray | None = None, label: str = "") -> CodedMatrix:
    """Map each value of a validated matrix to the index of its category.

    With ``categories`` given, every value must be one of them; otherwise the categories are the
    distinct values observed, sorted.
    """
    present = ~np.isnan(values)
    observed = values[present]
    if categories is None:
        categories, inverse = np.unique(observed, return_inverse=True)
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

    ``per_unit`` is ``(n_units, n_terms)``, dense or sparse; ``finish`` maps totals of shape
    ``(n_batches, n_terms)`` to ``n_batches`` coefficient values, ``nan`` where undefined.
    """

    per_unit: np.ndarray | sparse.csr_array
    finish: Callable[[np.ndarray], np.ndarray]

    def totals(self, weights: np.ndarray) -> np.ndarray:
        """Weighted sums over units, one row per row of ``weights`` (``(n_batches, n_units)``)."""
        return np.asarray(self.per_unit.T @ weights.T).T

    def value(self) -> float:
        totals = np.asarray(self.per_unit.sum(axis=0), dtype=float).reshape(1, -1)
        return float(self.finish(totals)[0])


def within_unit_pairs(counts: sparse.csr_array):
    """Every ordered pair of categories that meet in a unit, with their counts there.

    Returns ``(unit, c, k, n_uc, n_uk)`` arrays, one entry per pair of non-zero cells in the same row
    of ``counts`` (the pair ``c == k`` included). This is the coincidence matrix in coordinate form,
    built in ``sum_u (categories in u)^2`` steps rather than ``n_units * n_categories^2``.
    """
    counts = counts.tocsr()
    counts.sort_indices()
    indptr, indices, data = counts.indptr, counts.indices, counts.data
    lengths = np.diff(indptr)
    entry_unit = np.repeat(np.arange(lengths.size), lengths)
    repeats = lengths[entry_unit]
    first = np.repeat(np.arange(indices.size), repeats)
    starts = np.cumsum(repeats) - repeats
    offsets = np.arange(first.size) - np.repeat(starts, repeats)
    second = indptr[entry_unit[first]] + offsets
    return entry_unit[first], indices[first], indices[second], data[first], data[second]


def count_categories_used(totals: np.ndarray) -> np.ndarray:
    """Per batch row, how many columns of ``totals`` are non-zero."""
    return (totals > 0).sum(axis=-1)
