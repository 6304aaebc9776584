"""The codebook as the markdown table a paper's appendix needs: theme, definition, include, exclude, example.

List cells use "•" bullets rather than HTML line breaks, so the table survives pandoc to Word or LaTeX.

>>> from thematic.codebook.model import Codebook, Theme
>>> risk = Theme("risk", "Risk", "Says it is | unsafe.", include=("crisis",))
>>> cb = Codebook("demo", title="Demo", themes=(risk,))
>>> print(to_markdown(cb))
# Demo
<BLANKLINE>
Codebook `demo`, 1 theme.
<BLANKLINE>
| Theme | Definition | Include | Exclude | Example |
| --- | --- | --- | --- | --- |
| **Risk** (`risk`) | Says it is \\| unsafe. | • crisis |  |  |
<BLANKLINE>
"""

from __future__ import annotations

from thematic.codebook.model import Codebook, Theme


def _cell(text: str) -> str:
    return " ".join(text.replace("\\", "\\\\").replace("|", "\\|").split())


def _items(items: tuple[str, ...], *, quote: bool = False) -> str:
    return " ".join("• " + (f"“{_cell(i)}”" if quote else _cell(i)) for i in items)


def _theme_cell(codebook: Codebook, theme: Theme) -> str:
    if theme.parent_id is None:
        return f"**{_cell(theme.name)}** (`{theme.id}`)"
    parents = " › ".join(_cell(t.name) for t in codebook.path(theme.id)[:-1])
    return f"{parents} › **{_cell(theme.name)}** (`{theme.id}`)"


def to_markdown(codebook: Codebook, *, version: int | None = None, content_hash: str | None = None) -> str:
    """The appendix table, with a heading, the description, and the version and hash to cite."""
    lines = [f"# {_cell(codebook.title or codebook.codebook)}", ""]
    if codebook.description:
        lines += [codebook.description, ""]
    n = len(codebook.themes)
    about = f"Codebook `{codebook.codebook}`"
    if version is not None:
        about += f", version {version}"
    if content_hash:
        about += f" (sha256 `{content_hash[:12]}`)"
    lines += [f"{about}, {n} theme{'s' if n != 1 else ''}.", ""]
    if codebook.structured or any(t.residual for t in codebook.themes):
        lines += [f"Structure: {_cell(codebook.structure_summary())}.", ""]
    lines += ["| Theme | Definition | Include | Exclude | Example |", "| --- | --- | --- | --- | --- |"]
    for theme in codebook.themes:
        lines.append(
            f"| {_theme_cell(codebook, theme)} | {_cell(theme.definition)} | {_items(theme.include)} | "
            f"{_items(theme.exclude)} | {_items(theme.examples, quote=True)} |"
        )
    return "\n".join(lines) + "\n"
