"""Imports every command module so that each registers its commands on the app.

One module per command group; add yours here.
"""

from thematic.cli import agree  # noqa: F401
from thematic.cli import codebook  # noqa: F401
from thematic.cli import corpus  # noqa: F401
from thematic.cli import decisions, review  # noqa: F401
from thematic.cli import discover  # noqa: F401
from thematic.cli import export  # noqa: F401
from thematic.cli import ml  # noqa: F401
from thematic.cli import scales  # noqa: F401
