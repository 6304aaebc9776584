"""thematic: code free-text survey answers into themes, with every human decision kept."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("thematic")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
