"""The codebook: themes with definitions a second coder can apply, nested into a tree.

A :class:`Codebook` keeps its themes flattened depth-first (parents before their children), each
theme naming its parent; :meth:`Codebook.to_yaml` writes the nested YAML of docs/codebook.md back out,
and :meth:`Codebook.content_hash` identifies the content, not the file's formatting:

>>> cb = Codebook("demo", themes=(Theme("risk", "Risk", "Says it is unsafe."),
...                               Theme("crisis", "Crisis", "Crisis handling.", parent_id="risk")))
>>> cb.ids()
['risk', 'crisis']
>>> [t.id for t in cb.children("risk")]
['crisis']
>>> print(cb.to_yaml(), end="")
codebook: demo
themes:
- id: risk
  name: Risk
  definition: Says it is unsafe.
  themes:
  - id: crisis
    name: Crisis
    definition: Crisis handling.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass, fields

from thematic.errors import ThematicError

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LIST_FIELDS = ("include", "exclude", "examples", "counterexamples", "keywords")


@dataclass(frozen=True)
class Theme:
    """One theme. ``parent_id`` is None for a top-level theme."""

    id: str
    name: str
    definition: str
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    counterexamples: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    colour: str | None = None
    parent_id: str | None = None

    def __post_init__(self) -> None:
        for name in LIST_FIELDS:  # lists are accepted, tuples are kept (hashable, immutable)
            value = getattr(self, name)
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))

    def to_dict(self) -> dict:
        """Every field, lists as lists (the canonical form; ``parent_id`` included)."""
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in fields(self)}


@dataclass(frozen=True)
class Codebook:
    """A named set of themes. ``themes`` holds ALL themes, depth-first, parents before children."""

    codebook: str
    title: str | None = None
    description: str | None = None
    themes: tuple[Theme, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.themes, tuple):
            object.__setattr__(self, "themes", tuple(self.themes))
        seen: set[str] = set()
        for theme in self.themes:
            if theme.id in seen:
                raise ThematicError(
                    f"theme id '{theme.id}' appears twice in codebook {self.codebook} (ids are unique across "
                    "the whole tree)"
                )
            if theme.parent_id is not None and theme.parent_id not in seen:
                raise ThematicError(
                    f"theme '{theme.id}' names parent '{theme.parent_id}', which does not come before it in "
                    f"codebook {self.codebook} (list parents before their children)"
                )
            seen.add(theme.id)

    # -- lookup ---------------------------------------------------------------------------------
    def ids(self) -> list[str]:
        return [t.id for t in self.themes]

    def theme(self, id: str) -> Theme:
        for t in self.themes:
            if t.id == id:
                return t
        raise ThematicError(
            f"theme '{id}' not in codebook {self.codebook} (themes are: {', '.join(self.ids())})"
        )

    def has(self, id: str) -> bool:
        return any(t.id == id for t in self.themes)

    def children(self, id: str | None = None) -> tuple[Theme, ...]:
        """The direct sub-themes of theme ``id``; with None, the top-level themes."""
        return tuple(t for t in self.themes if t.parent_id == id)

    def depth(self, id: str) -> int:
        """0 for a top-level theme, 1 for its sub-themes, and so on."""
        parent, n = self.theme(id).parent_id, 0
        while parent is not None:
            parent, n = self.theme(parent).parent_id, n + 1
        return n

    def path(self, id: str) -> list[Theme]:
        """The theme and its ancestors, outermost first."""
        chain = [self.theme(id)]
        while chain[0].parent_id is not None:
            chain.insert(0, self.theme(chain[0].parent_id))
        return chain

    # -- serialisation --------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The nested form of the YAML file, without empty optional fields."""
        out: dict = {"codebook": self.codebook}
        if self.title is not None:
            out["title"] = self.title
        if self.description is not None:
            out["description"] = self.description
        out["themes"] = [self._nested(t, drop_empty=True) for t in self.children(None)]
        return out

    def _nested(self, theme: Theme, *, drop_empty: bool) -> dict:
        d: dict = {"id": theme.id, "name": theme.name, "definition": theme.definition}
        for name in LIST_FIELDS:
            value = list(getattr(theme, name))
            if value or not drop_empty:
                d[name] = value
        if theme.colour is not None or not drop_empty:
            d["colour"] = theme.colour
        kids = [self._nested(k, drop_empty=drop_empty) for k in self.children(theme.id)]
        if kids or not drop_empty:
            d["themes"] = kids
        return d

    def canonical(self) -> str:
        """The content as compact JSON with every field present: what :meth:`content_hash` hashes."""
        data = {
            "codebook": self.codebook,
            "title": self.title,
            "description": self.description,
            "themes": [self._nested(t, drop_empty=False) for t in self.children(None)],
        }
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def content_hash(self) -> str:
        """sha256 (hex) of :meth:`canonical`: comments, key order, quoting and folding don't change it."""
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()

    def to_yaml(self) -> str:
        """The codebook as YAML in the documented layout; :func:`parse_codebook` reads it back equal."""
        import yaml

        return yaml.dump(
            self.to_dict(),
            Dumper=_dumper(),
            sort_keys=False,
            allow_unicode=True,
            width=100,
            default_flow_style=False,
        )


@functools.cache
def _dumper():
    import yaml

    class Dumper(yaml.SafeDumper):
        """Block style; multi-line text as literal blocks, long lines folded."""

    def represent_str(dumper, value: str):
        style = "|" if "\n" in value else (">" if len(value) > 80 else None)
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, represent_str)
    return Dumper


def slugify(text: str) -> str:
    """A readable slug for an id: lowercase ASCII letters, digits and single hyphens.

    >>> slugify("Café <non-ASCII> naïve «quotes»")
    'cafe-non-ascii-naive-quotes'
    >>> slugify("治疗")
    ''
    """
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def is_slug(text: str) -> bool:
    return bool(SLUG_RE.match(text))
