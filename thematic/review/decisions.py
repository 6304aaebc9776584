"""The decision record and the log rules. They live in :mod:`thematic.records.decision`, a leaf the
store reads too.

This name stays so that code importing it from here keeps working.
"""

from thematic.records.decision import *  # noqa: F403
from thematic.records.decision import __all__  # noqa: F401
