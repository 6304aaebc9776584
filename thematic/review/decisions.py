"""The decision record and the log rules. They live in :mod:`thematic.records.decision`, a leaf the
store reads too.

This name stays so that code importing it from here keeps working.
"""

from thematic.records.decision import (  # noqa: F401
    CONSENSUS,
    KINDS,
    MACHINE,
    MAX_CODER_CHARS,
    RESERVED_CODERS,
    Decision,
    check_coder,
    clean_text,
    current_codings,
    derived_uuid,
    effective,
    last_undoable,
    latest_acts,
    latest_notes,
    sort_log,
    stamp,
    undone,
)
