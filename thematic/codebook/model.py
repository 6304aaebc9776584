"""The codebook model. It lives in :mod:`thematic.records.codebook`, a leaf the store reads too.

This name stays so that code importing it from here keeps working.
"""

from thematic.records.codebook import *  # noqa: F403
from thematic.records.codebook import __all__  # noqa: F401
