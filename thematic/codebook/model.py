"""The codebook model. It lives in :mod:`thematic.records.codebook`, a leaf the store reads too.

This name stays so that code importing it from here keeps working.
"""

from thematic.records.codebook import (  # noqa: F401
    LIST_FIELDS,
    SLUG_RE,
    Codebook,
    Theme,
    ThemeGroup,
    is_slug,
    slugify,
    structure_problem,
)
