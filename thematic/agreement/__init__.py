"""Agreement between coders: coefficients as pure functions on a units x coders matrix.

Rows are units, columns are coders, cells are category codes as numbers (``nan`` = not coded)::

    >>> import numpy as np
    >>> from thematic.agreement import krippendorff_alpha, bootstrap_ci
    >>> matrix = np.array([[1, 1, 1], [0, 0, np.nan], [1, 0, 1], [0, 0, 0]])
    >>> round(krippendorff_alpha(matrix), 3)
    0.667

Every coefficient is listed, with what it needs, in :data:`COEFFICIENTS`; the formulas, when to use
which, and the references are in ``docs/agreement.md``.
"""

from .bands import (
    EXTREME_PREVALENCE,
    krippendorff_band,
    landis_koch_band,
    prevalence,
    prevalence_is_extreme,
)
from .bootstrap import BootstrapResult, bootstrap_ci
from .coefficients import COEFFICIENTS, Coefficient, cohen_kappa, fleiss_kappa, percent_agreement
from .gwet import AC1Interval, brennan_prediger, conger_kappa, gwet_ac1, gwet_ac1_ci
from .krippendorff import LEVELS, krippendorff_alpha

__all__ = [
    "AC1Interval",
    "BootstrapResult",
    "COEFFICIENTS",
    "Coefficient",
    "EXTREME_PREVALENCE",
    "LEVELS",
    "bootstrap_ci",
    "brennan_prediger",
    "cohen_kappa",
    "conger_kappa",
    "fleiss_kappa",
    "gwet_ac1",
    "gwet_ac1_ci",
    "krippendorff_alpha",
    "krippendorff_band",
    "landis_koch_band",
    "percent_agreement",
    "prevalence",
    "prevalence_is_extreme",
]
