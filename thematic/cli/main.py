"""Console entry point (``thematic``)."""

from thematic.cli.app import main, run  # noqa: F401


def __getattr__(name: str):
    if name == "app":  # the typer app, built when first asked for
        from thematic.cli.root import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":
    run()
