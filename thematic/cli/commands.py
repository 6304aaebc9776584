"""Imports every command module so that each registers its commands on the app.

One module per command group; add yours here.
"""

from thematic.cli import (  # noqa: F401
    agree,
    codebook,
    corpus,
    decisions,
    discover,
    evaluate,
    export,
    ml,
    project,
    review,
    scales,
)
