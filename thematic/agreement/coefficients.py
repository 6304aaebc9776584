"""Agreement coefficients on a units x coders matrix, and the registry that lists them all.

Every coefficient takes the matrix positionally (rows = units, columns = coders, category codes as
numbers, ``nan`` = missing) and its options as keywords; it validates first and raises
:class:`thematic.errors.ThematicError` with a plain sentence, and returns a float that is ``nan``
(never a ``ZeroDivisionError``) where the coefficient is undefined, e.g. when every code is the same
category so that the expected disagreement is zero.

This module holds the simple ones, each in its source's notation: percent agreement; Cohen's (1960)
kappa (``p_o``, ``p_e``); Fleiss' (1971) kappa (``P_i``, ``P-bar``, ``p_j``, ``P-bar_e``). Krippendorff's
alpha lives in :mod:`.krippendorff` and Gwet's AC1 family in :mod:`.gwet`, one reference per module.
:data:`COEFFICIENTS` names them all, with what each needs, for the CLI and for the property tests, and
:data:`FIGURES` adds the figures on sets of themes: the labels and benchmark bands reports read.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from thematic.errors import ThematicError

from ._matrix import UnitStatistics, as_matrix, count_categories_used, encode
from .bands import ac1_reading, alpha_reading, kappa_reading
from .gwet import (
    AC1,
    ac1_statistics,
    agreement_terms,
    bp_statistics,
    brennan_prediger,
    conger_kappa,
    conger_statistics,
    fleiss_generalised_statistics,
    gwet_ac1,
)
from .krippendorff import LABEL as ALPHA
from .krippendorff import alpha_statistics, krippendorff_alpha
from .sets import EXACT_LABEL, MASI_LABEL

__all__ = [
    "COEFFICIENTS", "FIGURES", "Coefficient", "Figure", "cohen_kappa", "fleiss_kappa", "percent_agreement",
]

PERCENT = "Percent agreement"
COHEN = "Cohen's kappa"
FLEISS = "Fleiss' kappa"


def percent_agreement(matrix) -> float:
    """The share of agreeing pairs of coders, averaged over the units that have two codes or more.

    Parameters
    ----------
    matrix : array-like of shape (n_units, n_coders)
        Category codes as numbers; ``nan`` where a coder did not code a unit.

    Returns
    -------
    float
        ``(1/N_2) sum_{u: m_u >= 2} sum_c n_uc (n_uc - 1) / (m_u (m_u - 1))``, where ``m_u`` coders
        coded unit ``u``, ``n_uc`` of them in category ``c``, and ``N_2`` units have ``m_u >= 2``.
        In [0, 1]; not corrected for chance, so report it beside a chance-corrected coefficient.
        ``nan`` when no unit has two codes. (With two coders: the share of units they agree on.)

    References
    ----------
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability, 4th ed., ch. 2 (the ``p_a`` of all
    chance-corrected coefficients); Fleiss, J. L. (1971). Psychological Bulletin 76(5), 378-382.
    doi:10.1037/h0031619

    Examples
    --------
    >>> percent_agreement([[1, 1], [1, 0], [0, 0], [0, 0]])
    0.75
    >>> round(percent_agreement([[1, 1, 0], [0, 0, 0]]), 4)
    0.6667
    """
    return percent_statistics(matrix).value()


def cohen_kappa(matrix) -> float:
    """Cohen's kappa for exactly two coders; units either coder left uncoded are dropped.

    Parameters
    ----------
    matrix : array-like of shape (n_units, 2)
        Category codes as numbers; ``nan`` where a coder did not code a unit.

    Returns
    -------
    float
        ``kappa = (p_o - p_e) / (1 - p_e)``, where ``p_o`` is the share of units the coders agree on
        and ``p_e = sum_c p_Ac p_Bc`` the agreement expected from their marginal shares. In [-1, 1];
        1 is perfect agreement and 0 what chance produces. Misleading when one category dominates
        (see :func:`thematic.agreement.prevalence_is_extreme` and Gwet's AC1). ``nan`` when undefined:
        no unit coded by both, or both coders used the same single category (``p_e = 1``).

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and Psychological
    Measurement 20(1), 37-46. doi:10.1177/001316446002000104

    Examples
    --------
    >>> round(cohen_kappa([[1, 1], [1, 0], [0, 0], [0, 0], [1, 1], [0, 1]]), 4)
    0.3333
    """
    return cohen_statistics(matrix).value()


def fleiss_kappa(matrix, *, missing: str = "raise") -> float:
    """Fleiss' kappa: every unit coded by the same number of coders (two or more), any coders.

    Parameters
    ----------
    matrix : array-like of shape (n_units, n_coders)
        Category codes as numbers. Fleiss' kappa needs every coder to code every unit.
    missing : {"raise", "gwet"}, default "raise"
        ``"raise"``: a missing code is an error. ``"gwet"``: Gwet's (2014) generalisation, which uses
        each unit's own number of codes ``r_i`` in place of ``n`` (as irrCAC's ``fleiss.kappa.raw``)
        and equals Fleiss' kappa on complete data. Its chance agreement comes from every code but
        its observed agreement only from units with two codes or more, so with many missing codes
        it can fall below -1.

    Returns
    -------
    float
        ``kappa = (P-bar - P-bar_e) / (1 - P-bar_e)``, where ``P_i = sum_j n_ij (n_ij - 1) / (n (n - 1))``
        is the agreement on unit ``i`` (``n_ij`` of its ``n`` coders chose category ``j``),
        ``P-bar`` its mean over units, ``p_j`` the share of all codes in category ``j`` and
        ``P-bar_e = sum_j p_j^2``. At most 1; the lower limit is above -1 (``-1/(n-1)`` at best).
        With two coders it equals Scott's pi; for two coders Cohen's kappa is the usual report.
        ``nan`` when every code is the same category.

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological
    Bulletin 76(5), 378-382. doi:10.1037/h0031619

    Examples
    --------
    >>> round(fleiss_kappa([[1, 1, 1], [1, 0, 1], [0, 0, 0], [0, 0, 1]]), 4)
    0.3333
    """
    return fleiss_statistics(matrix, missing=missing).value()


# --- per-unit statistics (also what the bootstrap resamples) -----------------------------------------


def percent_statistics(matrix) -> UnitStatistics:
    coded = encode(as_matrix(matrix, label=PERCENT), label=PERCENT)
    terms = agreement_terms(coded)  # p_a per unit and [m_u >= 2]: the same p_a as Gwet's

    def finish(totals: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(totals[:, 1] > 0, totals[:, 0] / totals[:, 1], np.nan)

    empty = (np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp), np.zeros(0))
    return UnitStatistics(terms.dense[:, :2], empty, 0, finish)


def cohen_statistics(matrix) -> UnitStatistics:
    values = as_matrix(
        matrix,
        label=COHEN,
        min_coders=2,
        max_coders=2,
        coders_hint="for more than two coders use Fleiss' kappa, Krippendorff's alpha or Gwet's AC1",
    )
    coded = encode(values, label=COHEN)
    k = coded.n_categories
    both = coded.present.all(axis=1)
    units = np.flatnonzero(both)
    cell = coded.codes[units, 0] * k + coded.codes[units, 1]  # the (A, B) cell of the k x k table

    def finish(totals: np.ndarray) -> np.ndarray:
        table = totals.reshape(totals.shape[0], k, k)
        n = table.sum(axis=(1, 2))
        with np.errstate(divide="ignore", invalid="ignore"):
            p_o = np.trace(table, axis1=1, axis2=2) / n
            p_a, p_b = table.sum(axis=2) / n[:, None], table.sum(axis=1) / n[:, None]
            p_e = (p_a * p_b).sum(axis=1)
            kappa = (p_o - p_e) / (1.0 - p_e)
        used = count_categories_used(table.sum(axis=2) + table.sum(axis=1))
        return np.where((n > 0) & (used >= 2), kappa, np.nan)

    return UnitStatistics(np.zeros((coded.n_units, 0)), (units, cell, np.ones(units.size)), k * k, finish)


def fleiss_statistics(matrix, *, missing: str = "raise") -> UnitStatistics:
    if missing not in ("raise", "gwet"):
        raise ThematicError(f"{FLEISS}: missing must be 'raise' or 'gwet'; got {missing!r}")
    values = as_matrix(matrix, label=FLEISS)
    n_missing = int(np.isnan(values).sum())
    if n_missing and missing == "raise":
        raise ThematicError(
            f"{FLEISS} needs every coder to code every unit, but {n_missing} of {values.size} codes "
            "are missing (drop the incomplete units, or use Krippendorff's alpha or Gwet's AC1, "
            "which allow missing codes)"
        )
    # With complete data Gwet's terms are Fleiss' own: p_a = P-bar, pi_j = p_j, p_e = sum_j p_j^2.
    return fleiss_generalised_statistics(encode(values, label=FLEISS))


# --- the registry ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coefficient:
    """One agreement coefficient and what it needs.

    ``label`` is its name as reports write it in running text; ``lower`` and ``upper`` bound its value
    under the default options (Krippendorff's alpha and Fleiss' kappa stay above ``lower``; Conger's
    kappa with missing codes has no lower bound); ``statistics`` builds the per-unit terms the bootstrap
    resamples, taking the same arguments as ``func``; ``band`` reads a value (and its standard error)
    against the coefficient's published benchmark, None where there is none.
    """

    name: str
    label: str
    func: Callable[..., float]
    min_coders: int
    max_coders: int | None
    allows_missing: bool
    lower: float
    upper: float
    reference: str
    statistics: Callable[..., UnitStatistics | None] = field(repr=False)
    band: Callable[[float, float], str] | None = field(default=None, repr=False)


def _entry(func, label, statistics, *, max_coders=None, allows_missing=True, lower=-1.0, reference,
           band=None):
    return Coefficient(
        name=func.__name__,
        label=label,
        func=func,
        min_coders=2,
        max_coders=max_coders,
        allows_missing=allows_missing,
        lower=lower,
        upper=1.0,
        reference=reference,
        statistics=statistics,
        band=band,
    )


COEFFICIENTS: dict[str, Coefficient] = {
    entry.name: entry
    for entry in (
        _entry(
            percent_agreement,
            "percent agreement",
            percent_statistics,
            lower=0.0,
            reference="Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed., ch. 2",
        ),
        _entry(
            cohen_kappa,
            COHEN,
            cohen_statistics,
            band=kappa_reading,
            max_coders=2,
            reference="Cohen (1960), doi:10.1177/001316446002000104",
        ),
        _entry(
            fleiss_kappa,
            FLEISS,
            fleiss_statistics,
            band=kappa_reading,
            allows_missing=False,
            reference="Fleiss (1971), doi:10.1037/h0031619",
        ),
        _entry(
            krippendorff_alpha,
            ALPHA,
            alpha_statistics,
            band=alpha_reading,
            reference="Krippendorff (2011); Hayes & Krippendorff (2007), doi:10.1080/19312450709336664",
        ),
        _entry(
            gwet_ac1,
            AC1,
            ac1_statistics,
            band=ac1_reading,
            reference="Gwet (2008), doi:10.1348/000711006X126600",
        ),
        _entry(
            brennan_prediger,
            "Brennan-Prediger's coefficient",
            bp_statistics,
            reference="Brennan & Prediger (1981), doi:10.1177/001316448104100307",
        ),
        _entry(
            conger_kappa,
            "Conger's kappa",
            conger_statistics,
            lower=-math.inf,
            reference="Conger (1980), doi:10.1037/0033-2909.88.2.322",
        ),
    )
}
"""Every coefficient by name. ``min_coders``/``max_coders`` and ``allows_missing`` say what the
matrix must look like; the property tests in ``tests/agreement`` run over this dict."""


@dataclass(frozen=True)
class Figure:
    """A figure the agreement table reports: its label in running text and its benchmark reading."""

    name: str
    label: str
    band: Callable[[float, float], str] | None = None

    def reading(self, value: float, standard_error: float = math.nan) -> str | None:
        return None if self.band is None else self.band(value, standard_error)


FIGURES: dict[str, Figure] = {
    **{c.name: Figure(c.name, c.label, c.band) for c in COEFFICIENTS.values()},
    "exact_match": Figure("exact_match", EXACT_LABEL),
    "masi_alpha": Figure("masi_alpha", MASI_LABEL, alpha_reading),
}
"""Every figure the agreement table can report, by name: the coefficients of :data:`COEFFICIENTS` and
the two on sets of themes (exact match, MASI alpha). The table reads labels and bands only from here."""
