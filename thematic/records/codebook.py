"""The codebook: themes with definitions a second coder can apply, nested into a tree, and its structure.

Structure says how many themes of a set a unit may take (docs/codebook.md, "Structure"):
:attr:`Codebook.groups` lists every theme's group. A group is ``exclusive`` (a unit takes at most one
of its themes) or not (independent themes: any number); an exclusive group may be ``required`` (exactly
one); a theme marked ``residual`` ("other", "no codable content") applies only when no other theme of
its group does. A codebook that states no structure has one group of independent themes:

>>> cb = Codebook("s", themes=(Theme("a", "A", "x."), Theme("b", "B", "y."), Theme("c", "C", "z."),
...                            Theme("other", "Other", "w.", residual=True)),
...               declared_groups=(ThemeGroup("stance", ("a", "b", "other"), exclusive=True),))
>>> [(g.id, g.themes, g.exclusive, g.required, g.residual) for g in cb.groups]
[('stance', ('a', 'b', 'other'), True, False, ('other',)), (None, ('c',), False, False, ())]
>>> cb.group_of("b").id
'stance'

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

__all__ = [
    "SLUG_RE",
    "LIST_FIELDS",
    "Theme",
    "ThemeGroup",
    "Codebook",
    "structure_problem",
    "slugify",
    "is_slug",
]

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
    residual: bool = False

    def __post_init__(self) -> None:
        for name in LIST_FIELDS:  # lists are accepted, tuples are kept (hashable, immutable)
            value = getattr(self, name)
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))

    def to_dict(self) -> dict:
        """Every field, lists as lists (the canonical form; ``parent_id`` included)."""
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in fields(self)}


@dataclass(frozen=True)
class ThemeGroup:
    """A set of themes and how many of them one unit may take.

    ``id`` is the group's id as written in the codebook (the codebook's name for a codebook-level
    ``exclusive: true``), or None for the themes of no declared group (independent themes).
    ``exclusive``: at most one of ``themes`` per unit; ``required``: exactly one (only with
    ``exclusive``). ``residual`` holds the group's residual themes, filled in by :attr:`Codebook.groups`.
    """

    id: str | None
    themes: tuple[str, ...]
    exclusive: bool = False
    required: bool = False
    name: str | None = None
    residual: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("themes", "residual"):
            if not isinstance(getattr(self, name), tuple):
                object.__setattr__(self, name, tuple(getattr(self, name)))

    @property
    def label(self) -> str:
        """How reports name the group: its name, its id, or "independent themes"."""
        return self.name or self.id or "independent themes"

    @property
    def kind(self) -> str:
        """ "exclusive-required", "exclusive" or "independent"."""
        return "exclusive-required" if self.required else "exclusive" if self.exclusive else "independent"

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "themes": list(self.themes),
            "exclusive": self.exclusive,
            "required": self.required,
            "residual": list(self.residual),
        }


@dataclass(frozen=True)
class Codebook:
    """A named set of themes. ``themes`` holds ALL themes, depth-first, parents before children.

    Structure as written in the file: ``exclusive``/``required`` at codebook level (every theme in one
    group), or ``declared_groups``; read it through :attr:`groups`, which also holds the independent
    themes.
    """

    codebook: str
    title: str | None = None
    description: str | None = None
    themes: tuple[Theme, ...] = ()
    exclusive: bool = False
    required: bool = False
    declared_groups: tuple[ThemeGroup, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.themes, tuple):
            object.__setattr__(self, "themes", tuple(self.themes))
        if not isinstance(self.declared_groups, tuple):
            object.__setattr__(self, "declared_groups", tuple(self.declared_groups))
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
        problem = structure_problem(self)
        if problem:
            raise ThematicError(f"codebook {self.codebook}: {problem[2]}")

    # -- structure ------------------------------------------------------------------------------
    @property
    def groups(self) -> tuple[ThemeGroup, ...]:
        """Every theme's group, declared groups first (in file order), then the independent themes
        (``id`` None) if any. Each group's ``residual`` lists its residual themes."""
        return _groups(self)

    def group_of(self, theme_id: str) -> ThemeGroup:
        """The group theme ``theme_id`` belongs to."""
        self.theme(theme_id)
        return next(g for g in self.groups if theme_id in g.themes)

    def structure_summary(self) -> str:
        """One line: how many themes a unit may take, group by group.

        >>> two = (Theme("a", "A", "x."), Theme("b", "B", "y."))
        >>> Codebook("d", themes=two, exclusive=True).structure_summary()
        'exclusive group d (a, b): at most one theme per unit'
        """
        parts = []
        for g in self.groups:
            if not g.exclusive:
                what = "independent themes" if g.id is None else f"group {g.id}"
                parts.append(f"{what} ({', '.join(g.themes)}): any number per unit")
                continue
            rule = "exactly one theme per unit" if g.required else "at most one theme per unit"
            parts.append(f"exclusive group {g.id} ({', '.join(g.themes)}): {rule}")
            if g.residual:
                parts[-1] += f"; residual {', '.join(g.residual)}"
        return "; ".join(parts)

    def structure_problem(self, themes) -> str | None:
        """Why one unit's set of ``themes`` breaks this codebook's structure, or None when it keeps it:
        two themes of an exclusive group, none of a required one, or a residual theme beside another
        theme of its group.

        >>> cb = Codebook("d", themes=(Theme("a", "A", "x."), Theme("b", "B", "y.")), exclusive=True)
        >>> cb.structure_problem({"a", "b"})
        'a and b are in group d, which takes one theme at most'
        >>> cb.structure_problem({"a"}) is None
        True
        """
        chosen = set(themes)
        for group in self.groups:
            inside = [t for t in group.themes if t in chosen]
            if group.exclusive and len(inside) > 1:
                return f"{' and '.join(inside)} are in group {group.id}, which takes one theme at most"
            if group.required and not inside:
                return f"group {group.id} needs one of its themes ({', '.join(group.themes)})"
            others = [t for t in inside if t not in group.residual]
            residual = [t for t in inside if t in group.residual]
            if residual and others:
                return (
                    f"{residual[0]} applies only when no other theme of its group does, and {others[0]} is "
                    "selected"
                )
        return None

    @property
    def structured(self) -> bool:
        """True when some group is exclusive (else every theme is independent, as before structure)."""
        return any(g.exclusive for g in self.groups)

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
        out.update(self._structure())
        out["themes"] = [self._nested(t, drop_empty=True) for t in self.children(None)]
        return out

    def _structure(self) -> dict:
        """The structure keys, only those that are set (so a codebook without structure hashes and
        writes as it did before structure existed)."""
        out: dict = {}
        if self.exclusive:
            out["exclusive"] = True
        if self.required:
            out["required"] = True
        if self.declared_groups:
            out["groups"] = []
            for g in self.declared_groups:
                d: dict = {"id": g.id}
                if g.name is not None:
                    d["name"] = g.name
                d["exclusive"] = g.exclusive
                if g.required:
                    d["required"] = True
                d["themes"] = list(g.themes)
                out["groups"].append(d)
        return out

    def _nested(self, theme: Theme, *, drop_empty: bool) -> dict:
        d: dict = {"id": theme.id, "name": theme.name, "definition": theme.definition}
        for name in LIST_FIELDS:
            value = list(getattr(theme, name))
            if value or not drop_empty:
                d[name] = value
        if theme.colour is not None or not drop_empty:
            d["colour"] = theme.colour
        if theme.residual:
            d["residual"] = True
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
            **self._structure(),
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


def structure_problem(codebook: Codebook) -> tuple[str, str | None, str] | None:
    """The first thing wrong with a codebook's structure, or None: (where, name, sentence), where
    ``where`` is "codebook" (name: the key), "group" (name: its id) or "theme" (name: its id)."""
    if codebook.required and not codebook.exclusive:
        return (
            "codebook",
            "required",
            "required: true needs exclusive: true (independent themes cannot require "
            "one; add exclusive: true or remove required)",
        )
    if codebook.exclusive and codebook.declared_groups:
        return (
            "codebook",
            "groups",
            "exclusive: true at codebook level puts every theme in one group, so it cannot be combined with "
            "groups (remove one of them)",
        )
    ids = {t.id for t in codebook.themes}
    owner: dict[str, str] = {}
    seen_groups: set[str] = set()
    for g in codebook.declared_groups:
        if g.id in seen_groups:
            return ("group", g.id, f"group id '{g.id}' appears twice (give each group its own id)")
        seen_groups.add(g.id)
        if g.required and not g.exclusive:
            return (
                "group",
                g.id,
                f"group '{g.id}': required: true needs exclusive: true (independent themes cannot require "
                "one; add exclusive: true or remove required)",
            )
        if not g.themes:
            return ("group", g.id, f"group '{g.id}' has no themes (list their ids under themes:)")
        for t in g.themes:
            if t not in ids:
                return (
                    "group",
                    g.id,
                    f"group '{g.id}' names theme '{t}', which is not in the codebook (check the id)",
                )
            if t in owner:
                if owner[t] == g.id:
                    return ("group", g.id, f"group '{g.id}' names theme '{t}' twice (name it once)")
                return (
                    "group",
                    g.id,
                    f"theme '{t}' is in two groups, '{owner[t]}' and '{g.id}' (a theme belongs to one group "
                    "at most; remove it from one)",
                )
            owner[t] = g.id
    for group in _groups(codebook):
        for r in group.residual:
            if len(group.themes) < 2:
                where = f"group '{group.id}'" if group.id else "the independent themes"
                return (
                    "theme",
                    r,
                    f"theme '{r}' is residual, but {where} has no other theme (a residual theme applies only "
                    "when no other theme of its group does: put it in a group with others, or drop "
                    "residual)",
                )
    return None


def _groups(codebook: Codebook) -> tuple[ThemeGroup, ...]:
    residual = {t.id for t in codebook.themes if t.residual}
    ids = [t.id for t in codebook.themes]

    def with_residual(g: ThemeGroup) -> ThemeGroup:
        return ThemeGroup(
            g.id, g.themes, g.exclusive, g.required, g.name, tuple(t for t in g.themes if t in residual)
        )

    if codebook.exclusive:
        return (with_residual(ThemeGroup(codebook.codebook, tuple(ids), True, codebook.required)),)
    out = [with_residual(g) for g in codebook.declared_groups]
    grouped = {t for g in codebook.declared_groups for t in g.themes}
    rest = tuple(t for t in ids if t not in grouped)
    if rest:
        out.append(with_residual(ThemeGroup(None, rest)))
    return tuple(out)


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
