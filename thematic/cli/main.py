"""Console entry point (``thematic``)."""

from thematic.cli.app import app, main, run  # noqa: F401

if __name__ == "__main__":
    run()
