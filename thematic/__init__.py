"""thematic: code free-text survey answers into themes, with every human decision kept."""


def __getattr__(name: str):
    # The version is read from the package metadata on first use only: importlib.metadata costs
    # about 20 ms, which every `thematic --help` would otherwise pay.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("thematic")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0.0.0"
    raise AttributeError(f"module 'thematic' has no attribute {name!r}")
