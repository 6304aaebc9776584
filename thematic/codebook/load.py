"""Codebook YAML: read, validate, parse. It lives in :mod:`thematic.records.codebook_yaml`, a leaf
the store reads too.

This name stays so that code importing it from here keeps working.
"""

from thematic.records.codebook_yaml import *  # noqa: F403
from thematic.records.codebook_yaml import __all__  # noqa: F401
