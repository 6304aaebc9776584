"""Codebook YAML: read, validate, parse. It lives in :mod:`thematic.records.codebook_yaml`, a leaf
the store reads too.

This name stays so that code importing it from here keeps working.
"""

from thematic.records.codebook_yaml import (  # noqa: F401
    BOOL_TAG,
    COLOUR_RE,
    FORMAT_HINT,
    GROUP_KEYS,
    NULL_TAG,
    THEME_KEYS,
    TOP_KEYS,
    CheckResult,
    CodebookError,
    Problem,
    bad_character,
    check_codebook,
    check_codebook_file,
    clean_text,
    load_codebook,
    parse_codebook,
    read_codebook_text,
)
