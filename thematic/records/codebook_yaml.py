"""Reading a codebook YAML file, with errors that name the file, the line, and what is allowed.

The file is composed into YAML nodes (which keep their line numbers) and walked by hand, so that every
problem can say where it is. Scalars are read as the text that was written: ``keywords: [no, on]``
gives the words "no" and "on", never booleans. All problems are collected (``thematic codebook
validate`` lists them); :func:`parse_codebook` raises the first.

>>> cb = parse_codebook('''
... codebook: demo
... themes:
...   - id: access
...     name: Access
...     definition: Says AI could reach people who get no help now.
... ''')
>>> cb.theme("access").name
'Access'
>>> typo = "codebook: demo\\nthemes:\\n  - id: access\\n    name: Access\\n    defintion: x\\n"
>>> parse_codebook(typo)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
thematic.records.codebook_yaml.CodebookError: <text>:5: theme 'access': unknown key 'defintion' ...
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from thematic.errors import ThematicError
from thematic.records.codebook import (
    LIST_FIELDS,
    Codebook,
    Theme,
    ThemeGroup,
    is_slug,
    slugify,
    structure_problem,
)

__all__ = [
    "TOP_KEYS",
    "THEME_KEYS",
    "GROUP_KEYS",
    "BOOL_TAG",
    "COLOUR_RE",
    "NULL_TAG",
    "FORMAT_HINT",
    "Problem",
    "CodebookError",
    "CheckResult",
    "clean_text",
    "bad_character",
    "parse_codebook",
    "load_codebook",
    "check_codebook_file",
    "read_codebook_text",
    "check_codebook",
]

TOP_KEYS = ("codebook", "title", "description", "exclusive", "required", "groups", "themes")
THEME_KEYS = ("id", "name", "definition", *LIST_FIELDS, "colour", "residual", "themes")
GROUP_KEYS = ("id", "name", "exclusive", "required", "themes")
BOOL_TAG = "tag:yaml.org,2002:bool"
COLOUR_RE = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
NULL_TAG = "tag:yaml.org,2002:null"
_LINE_BREAKS = str.maketrans({"\r": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n"})
FORMAT_HINT = "see docs/codebook.md for the format"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a codebook, at a line (1-based) where known."""

    source: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}" if self.line else f"{self.source}: {self.message}"


class CodebookError(ThematicError):
    """An invalid codebook: the message is the first problem; ``problems`` holds them all."""

    def __init__(self, problems: list[Problem]):
        super().__init__(str(problems[0]))
        self.problems = problems


@dataclass
class CheckResult:
    """What :func:`check_codebook` found: the codebook when valid, else the problems."""

    source: str
    codebook: Codebook | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def clean_text(value: str) -> str:
    """Line breaks made ``\\n``, surrounding whitespace removed (the form every text field is kept in)."""
    return value.replace("\r\n", "\n").translate(_LINE_BREAKS).strip()


def bad_character(value: str) -> str | None:
    """The first character a codebook may not hold (it could not be written to YAML or XML), if any."""
    for ch in value:
        code = ord(ch)
        if (
            (code < 32 and ch not in "\t\n")
            or 0x7F <= code <= 0x9F
            or 0xD800 <= code <= 0xDFFF
            or code in (0xFFFE, 0xFFFF)
        ):
            return f"U+{code:04X}"
    return None


# -- entry points ---------------------------------------------------------------------------------
def parse_codebook(text: str, source: str = "<text>") -> Codebook:
    """Parse and validate codebook YAML; :class:`CodebookError` (a ThematicError) names the first problem."""
    result = check_codebook(text, source)
    if result.problems:
        raise CodebookError(result.problems)
    assert result.codebook is not None
    return result.codebook


def load_codebook(path: str | Path) -> Codebook:
    """Read and validate a codebook YAML file; errors name the file and the line."""
    return parse_codebook(read_codebook_text(path), str(path))


def check_codebook_file(path: str | Path) -> CheckResult:
    """Every problem in a codebook file (file-level problems, such as a missing file, still raise)."""
    return check_codebook(read_codebook_text(path), str(path))


def read_codebook_text(path: str | Path) -> str:
    path = Path(path)
    if not path.exists():
        raise ThematicError(f"codebook file {path} not found (check the path)")
    if path.is_dir():
        raise ThematicError(f"{path} is a folder, not a codebook file (pass the .yaml file)")
    data = path.read_bytes()
    if path.suffix.lower() == ".qdc" or data.lstrip()[:5] in (b"<?xml", b"<Code", b"<qda:"):
        raise ThematicError(
            f"{path} is a REFI-QDA codebook, not YAML (convert it first: thematic codebook import {path} "
            "--out FILE.yaml)"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ThematicError(
            f"{path} is not UTF-8 text (byte {exc.start} cannot be read; save the codebook as UTF-8)"
        ) from None


def check_codebook(text: str, source: str = "<text>") -> CheckResult:
    """Validate codebook YAML text, collecting every problem."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context and "quoted scalar" in exc.context and exc.context_mark:
            mark = exc.context_mark  # where the unclosed quote opens
        return CheckResult(
            source,
            None,
            [Problem(source, mark.line + 1 if mark else None, "not valid YAML: " + _yaml_problem(exc))],
        )
    except yaml.reader.ReaderError as exc:
        return CheckResult(
            source,
            None,
            [
                Problem(
                    source,
                    None,
                    f"not valid YAML: it holds the unprintable character U+{exc.character:04X} (remove it)",
                )
            ],
        )
    walker = _Walker(source, text)
    codebook = walker.codebook(root)
    problems = sorted(walker.problems, key=lambda p: p.line or 0)
    return CheckResult(source, None if problems else codebook, problems)


_YAML_PROBLEMS = (  # PyYAML's words -> plain ones, with what to do
    ("found character '\\t'", "a tab character (indent with spaces, not tabs)"),
    (
        "mapping values are not allowed here",
        "a ': ' where no key can start (put text that contains ': ' in quotes)",
    ),
    ("expected <block end>", "the indentation does not line up (indent the keys of one theme equally)"),
    ("could not find expected ':'", "a line that is not 'key: value' (check the indentation and quoting)"),
    (
        "found undefined alias",
        "an alias (*name) with no anchor (&name) (define the anchor first, or remove the alias)",
    ),
    ("found another document", "more than one YAML document (keep one codebook per file; remove the '---')"),
)


def _yaml_problem(exc) -> str:
    what = exc.problem or exc.context or "cannot be read"
    if exc.context and "quoted scalar" in exc.context:
        return "a quoted text that is never closed (add the closing quote)"
    for pyyaml, plain in _YAML_PROBLEMS:
        if pyyaml in what:
            return plain
    return f"{what} (check the indentation and quoting on this line or the one above)"


# -- the walk -------------------------------------------------------------------------------------
def _line(node) -> int:
    return node.start_mark.line + 1


class _Walker:
    def __init__(self, source: str, text: str):
        self.source = source
        self.lines = text.splitlines()
        self.problems: list[Problem] = []
        self.seen_ids: dict[str, int] = {}
        self.seen_nodes: set[int] = set()
        self.open_nodes: set[int] = set()
        self.themes: list[Theme] = []
        self.misspelt: set[str] = set()
        self.group_lines: dict[str, int] = {}
        self.top_lines: dict[str, int] = {}

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.source, line, message))

    # mappings: unknown and duplicate keys
    def mapping(self, node, allowed: tuple[str, ...], prefix: str) -> dict:
        """The allowed keys' (key node, value node) pairs. A misspelt key's suggestion is remembered,
        so the missing key it meant is not reported a second time."""
        import yaml

        found: dict = {}
        self.misspelt = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "(a list or mapping)"
            if key in found:
                self.problem(
                    _line(key_node),
                    f"{prefix}key '{key}' appears twice (first at line {_line(found[key][0])}; keep one)",
                )
                continue
            found[key] = (key_node, value_node)
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else f"allowed keys are: {', '.join(allowed)}"
                self.misspelt.update(close)
                self.problem(_line(key_node), f"{prefix}unknown key '{key}' ({hint})")
        return {k: v for k, v in found.items() if k in allowed}

    # scalars
    def text(self, pair, what: str, prefix: str, *, one_line: bool = False) -> str | None:
        """The cleaned text of a key's value; None when absent or null. Problems for non-text values."""
        import yaml

        if pair is None:
            return None
        _, node = pair
        if isinstance(node, yaml.ScalarNode):
            if node.tag == NULL_TAG and node.style is None:
                return None
            value = clean_text(node.value)
            bad = bad_character(value)
            if bad:
                self.problem(_line(node), f"{prefix}{what} holds the control character {bad} (remove it)")
                return None
            if one_line and "\n" in value:
                self.problem(_line(node), f"{prefix}{what} must be one line (join the lines)")
                return None
            return value
        kind = "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
        self.problem(
            _line(node),
            f"{prefix}{what} must be text, not {kind} (write it on one line after '{what}:', or as a block "
            f"after '{what}: >')",
        )
        return None

    def required(
        self, pairs: dict, key: str, prefix: str, at: int, hint: str, *, one_line=False
    ) -> str | None:
        pair = pairs.get(key)
        value = self.text(pair, key, prefix, one_line=one_line)
        if pair is None:
            if key not in self.misspelt:
                self.problem(at, f"{prefix}{key} is missing ({hint})")
        elif value == "" or (value is None and not self._already_reported(pair[1])):
            self.problem(_line(pair[1]), f"{prefix}{key} is empty ({hint})")
        return value or None

    def _already_reported(self, node) -> bool:
        return any(p.line == _line(node) for p in self.problems)

    def text_list(self, pair, what: str, prefix: str) -> tuple[str, ...]:
        import yaml

        if pair is None:
            return ()
        _, node = pair
        if isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG and node.style is None:
            return ()
        if not isinstance(node, yaml.SequenceNode):
            self.problem(
                _line(node), f"{prefix}{what} must be a list (write one '- item' per line, or {what}: [a, b])"
            )
            return ()
        items = []
        for n, item in enumerate(node.value, start=1):
            if isinstance(item, yaml.MappingNode):
                self.problem(
                    _line(item),
                    f"{prefix}item {n} of {what} is a mapping, not text (put the item in quotes: it contains "
                    "': ')",
                )
                continue
            if not isinstance(item, yaml.ScalarNode):
                self.problem(
                    _line(item),
                    f"{prefix}item {n} of {what} is a list, not text (write each item as plain text)",
                )
                continue
            value = self.text((None, item), f"item {n} of {what}", prefix)
            if value is None and item.tag == NULL_TAG and item.style is None or value == "":
                self.problem(_line(item), f"{prefix}item {n} of {what} is empty (remove it, or write it)")
            elif value is not None:
                items.append(value)
        return tuple(items)

    def colour(self, pair, prefix: str) -> str | None:
        if pair is None:
            return None
        key_node, value_node = pair
        value = self.text(pair, "colour", prefix)
        if value is None:
            line = self.lines[key_node.start_mark.line] if key_node.start_mark.line < len(self.lines) else ""
            written = re.search(r"colour\s*:\s*(#\w+)", line)
            if written and not self._already_reported(value_node):
                self.problem(
                    _line(key_node),
                    f"{prefix}colour is empty: an unquoted # starts a YAML comment "
                    f'(write it in quotes: colour: "{written.group(1)}")',
                )
            return None
        if not COLOUR_RE.match(value):
            self.problem(
                _line(value_node),
                f"{prefix}colour '{value}' is not a hex colour "
                '(write it as "#RRGGBB", in quotes, e.g. "#c0392b")',
            )
            return None
        value = value.lower()
        if len(value) == 4:
            value = "#" + "".join(c * 2 for c in value[1:])
        return value

    def flag(self, pair, what: str, prefix: str) -> bool:
        """A true/false key; absent or null is false."""
        import yaml

        if pair is None:
            return False
        _, node = pair
        if isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG and node.style is None:
            return False
        if (
            isinstance(node, yaml.ScalarNode)
            and node.tag == BOOL_TAG
            and node.value.lower() in ("true", "false")
        ):
            return node.value.lower() == "true"
        shown = node.value if isinstance(node, yaml.ScalarNode) else "a list or mapping"
        self.problem(_line(node), f"{prefix}{what} must be true or false (got {shown})")
        return False

    def groups(self, pair) -> tuple[ThemeGroup, ...]:
        import yaml

        if pair is None or _is_empty(pair[1]):
            return ()
        node = pair[1]
        if not isinstance(node, yaml.SequenceNode):
            self.problem(
                _line(node),
                "groups must be a list of groups (start each one with '- id: ', then themes: [...])",
            )
            return ()
        out = []
        for item in node.value:
            if not isinstance(item, yaml.MappingNode):
                self.problem(
                    _line(item), "an entry of groups is not a group (each is a mapping with id and themes)"
                )
                continue
            pre = {k.value: (k, v) for k, v in item.value if isinstance(k, yaml.ScalarNode)}
            raw_id = self.text(pre.get("id"), "id", "group: ", one_line=True)
            prefix = f"group '{raw_id}': " if raw_id else "group: "
            pairs = self.mapping(item, GROUP_KEYS, prefix)
            group_id = self.required(
                pairs, "id", "group: ", _line(item), "add id: a-slug, e.g. id: stance", one_line=True
            )
            if group_id is not None and not is_slug(group_id):
                self.problem(
                    _line(pairs["id"][1]), f"{prefix}id is not a slug ({_slug_hint(group_id, 'stance')})"
                )
                group_id = None
            name = self.text(pairs.get("name"), "name", prefix, one_line=True)
            exclusive = self.flag(pairs.get("exclusive"), "exclusive", prefix)
            required = self.flag(pairs.get("required"), "required", prefix)
            themes = self.text_list(pairs.get("themes"), "themes", prefix)
            if "themes" not in pairs and "themes" not in self.misspelt:
                self.problem(_line(item), f"{prefix}themes is missing (list the ids of the group's themes)")
            if group_id is not None:
                self.group_lines.setdefault(group_id, _line(item))
                out.append(
                    ThemeGroup(group_id, themes, exclusive=exclusive, required=required, name=name or None)
                )
        return tuple(out)

    # the codebook
    def codebook(self, root) -> Codebook | None:
        import yaml

        if root is None:
            self.problem(
                None,
                "the file is empty (a codebook needs at least codebook: NAME and a list of themes; "
                f"{FORMAT_HINT})",
            )
            return None
        if not isinstance(root, yaml.MappingNode):
            self.problem(
                _line(root),
                "a codebook is a mapping with the keys codebook, title, description and themes "
                f"({FORMAT_HINT})",
            )
            return None
        pairs = self.mapping(root, TOP_KEYS, "")
        misspelt = set(self.misspelt)
        name = self.required(
            pairs, "codebook", "", 1, "give the codebook a name: a slug such as ai-therapy", one_line=True
        )
        if name is not None and not is_slug(name):
            self.problem(
                _line(pairs["codebook"][1]),
                f"codebook name '{name}' is not a slug ({_slug_hint(name, 'ai-therapy')})",
            )
        title = self.text(pairs.get("title"), "title", "", one_line=True)
        description = self.text(pairs.get("description"), "description", "")
        exclusive = self.flag(pairs.get("exclusive"), "exclusive", "")
        required = self.flag(pairs.get("required"), "required", "")
        groups = self.groups(pairs.get("groups"))
        self.top_lines = {key: _line(pair[0]) for key, pair in pairs.items()}
        themes_pair = pairs.get("themes")
        if themes_pair is None and "themes" in misspelt:
            pass  # reported as a misspelt key
        elif themes_pair is None or _is_empty(themes_pair[1]):
            at = _line(themes_pair[1]) if themes_pair else 1
            self.problem(
                at, "the codebook has no themes (list them under themes:, each with id, name and definition)"
            )
        else:
            self.theme_list(themes_pair[1], None, [])
        if self.problems or name is None:
            return None
        draft = Codebook.__new__(Codebook)  # checked below, with lines, before the real one is made
        for key, value in (
            ("codebook", name),
            ("themes", tuple(self.themes)),
            ("exclusive", exclusive),
            ("required", required),
            ("declared_groups", groups),
        ):
            object.__setattr__(draft, key, value)
        problem = structure_problem(draft)
        if problem is not None:
            where, which, message = problem
            line = (
                self.top_lines.get(which)
                if where == "codebook"
                else self.group_lines.get(which)
                if where == "group"
                else self.seen_ids.get(which)
            )
            self.problem(line, message)
            return None
        return Codebook(
            codebook=name,
            title=title or None,
            description=description or None,
            themes=tuple(self.themes),
            exclusive=exclusive,
            required=required,
            declared_groups=groups,
        )

    def theme_list(self, node, parent: str | None, ancestors: list[str]) -> None:
        import yaml

        where = f"theme '{parent}': " if parent else ""
        if _is_empty(node):
            return
        if not isinstance(node, yaml.SequenceNode):
            self.problem(
                _line(node), f"{where}themes must be a list of themes (start each one with '- id: ')"
            )
            return
        for item in node.value:
            self.theme(item, parent, ancestors)

    def theme(self, node, parent: str | None, ancestors: list[str]) -> None:
        import yaml

        at = _line(node)
        if id(node) in self.open_nodes:
            value = next(
                (
                    v.value
                    for k, v in node.value
                    if getattr(k, "value", None) == "id" and isinstance(v, yaml.ScalarNode)
                ),
                "",
            )
            self.problem(
                at, f"theme '{value}': the theme is nested under itself (a sub-theme needs an id of its own)"
            )
            return
        if id(node) in self.seen_nodes:
            self.problem(
                at,
                "a YAML alias repeats a theme that is already in the codebook (write each theme out once, "
                "with its own id)",
            )
            return
        self.seen_nodes.add(id(node))
        if not isinstance(node, yaml.MappingNode):
            under = f" under theme '{parent}'" if parent else ""
            self.problem(
                at,
                f"an entry{under} is not a theme (each theme is a mapping that starts with '- id: ' and has "
                "a name and a definition)",
            )
            return
        pre_pairs = {k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}
        raw_id = self.text(pre_pairs.get("id"), "id", "theme: ", one_line=True)
        prefix = f"theme '{raw_id}': " if raw_id else "theme: "
        pairs = self.mapping(node, THEME_KEYS, prefix)
        theme_id = None
        if "id" not in pairs:
            self.problem(at, "theme: id is missing (add id: a-slug, e.g. id: negative-responses)")
        elif not raw_id:
            if not self._already_reported(pairs["id"][1]):
                self.problem(
                    _line(pairs["id"][1]), "theme: id is empty (add id: a-slug, e.g. id: negative-responses)"
                )
        elif not is_slug(raw_id):
            self.problem(
                _line(pairs["id"][1]),
                f"{prefix}id is not a slug ({_slug_hint(raw_id, 'negative-responses')})",
            )
        elif raw_id in ancestors:
            self.problem(
                _line(pairs["id"][1]),
                f"{prefix}the theme is nested under itself (a sub-theme needs an id of its own)",
            )
            return
        elif raw_id in self.seen_ids:
            self.problem(
                _line(pairs["id"][1]),
                f"{prefix}id already used at line {self.seen_ids[raw_id]} (ids must be unique across the "
                "whole tree)",
            )
            return
        else:
            theme_id = raw_id
            self.seen_ids[theme_id] = _line(pairs["id"][1])
        name = self.required(
            pairs,
            "name",
            prefix,
            at,
            "give the theme a short label, e.g. name: Negative responses",
            one_line=True,
        )
        name = " ".join(name.split()) if name else name
        definition = self.required(
            pairs, "definition", prefix, at, "write what the theme covers, so a second coder can apply it"
        )
        lists = {key: self.text_list(pairs.get(key), key, prefix) for key in LIST_FIELDS}
        colour = self.colour(pairs.get("colour"), prefix)
        residual = self.flag(pairs.get("residual"), "residual", prefix)
        if theme_id is not None and name is not None and definition is not None:
            self.themes.append(
                Theme(
                    id=theme_id,
                    name=name,
                    definition=definition,
                    colour=colour,
                    parent_id=parent,
                    residual=residual,
                    **lists,
                )
            )
        if "themes" in pairs:
            label = theme_id or raw_id
            self.open_nodes.add(id(node))
            self.theme_list(pairs["themes"][1], label, [*ancestors, label] if label else ancestors)
            self.open_nodes.discard(id(node))


def _is_empty(node) -> bool:
    import yaml

    if isinstance(node, yaml.ScalarNode):
        return node.tag == NULL_TAG and node.style is None
    return isinstance(node, yaml.SequenceNode) and not node.value


def _slug_hint(value: str, example: str) -> str:
    suggestion = slugify(value)
    if suggestion and suggestion != value:
        return f"use lowercase letters, digits and single hyphens: '{suggestion}'"
    return f"use lowercase letters, digits and single hyphens, e.g. '{example}'"
