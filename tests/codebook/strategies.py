"""Hypothesis strategies for codebooks: every value is one the YAML loader could have produced."""

from __future__ import annotations

from hypothesis import strategies as st

from thematic.codebook.load import bad_character, clean_text
from thematic.codebook.model import Codebook, Theme

# Fragments that stress the .qdc description layout and YAML quoting, mixed with arbitrary text.
TRICKY = [
    "Include:",
    "Exclude:",
    "Examples:",
    "Counterexamples:",
    "Keywords:",
    "Keywords: a, b",
    "Id: x",
    "Title: t",
    "\\",
    "\n",
    "\n\n",
    "- ",
    "  ",
    ", ",
    ": ",
    " #",
    "#",
    "&",
    "<",
    "]]>",
    "'",
    '"',
    "---",
    "\t",
    "\u2028",
    "治疗",
    "naïve",
    "\ufeff",
    "*a",
    "&a",
    "!!str",
    "null",
    "yes",
    "~",
    "{x}",
    "[x]",
    "%",
]

_chars = st.characters(exclude_categories=("Cs", "Cc"))
_raw = st.lists(st.one_of(st.text(_chars, max_size=6), st.sampled_from(TRICKY)), max_size=5).map("".join)


def _ok(text: str) -> bool:
    return bool(text) and bad_character(text) is None


texts = _raw.map(clean_text).filter(_ok)
one_line = _raw.map(lambda s: " ".join(s.split())).filter(_ok)
slugs = st.from_regex(r"[a-z0-9]{1,6}(-[a-z0-9]{1,4}){0,2}", fullmatch=True)
colours = st.none() | st.from_regex(r"#[0-9a-f]{6}", fullmatch=True)
items = st.lists(texts, max_size=2).map(tuple)


@st.composite
def codebooks(draw, max_themes: int = 4) -> Codebook:
    ids = draw(st.lists(slugs, min_size=1, max_size=max_themes, unique=True))
    parents: dict[str, str | None] = {}
    for n, theme_id in enumerate(ids):
        parents[theme_id] = draw(st.none() | st.sampled_from(ids[:n])) if n else None
    themes = {
        theme_id: Theme(
            id=theme_id,
            name=draw(one_line),
            definition=draw(texts),
            include=draw(items),
            exclude=draw(items),
            examples=draw(items),
            counterexamples=draw(items),
            keywords=draw(st.lists(one_line, max_size=3).map(tuple)),
            colour=draw(colours),
            parent_id=parents[theme_id],
        )
        for theme_id in ids
    }
    ordered: list[Theme] = []

    def visit(parent: str | None) -> None:
        for theme_id in ids:
            if parents[theme_id] == parent:
                ordered.append(themes[theme_id])
                visit(theme_id)

    visit(None)
    return Codebook(
        codebook=draw(slugs),
        title=draw(st.none() | one_line),
        description=draw(st.none() | texts),
        themes=tuple(ordered),
    )
