"""The scale definition: closed items, their response labels and values, reverse keying, subscales.

A scale file (YAML, documented in docs/scales.md) names each closed item (the data column it is in),
the response set it is answered on (numeric value -> label), which items are reverse-keyed, and which
items make up each subscale. :func:`parse_scales` validates it the way codebooks are validated: unknown
keys, duplicate items, labels mapped to something that is not a number, subscales that name undeclared
items and reverse-keyed items outside every subscale are refused with a message that says where.

>>> scales = parse_scales('''
... scales: demo
... responses:
...   agree3: {1: Disagree, 2: Neither, 3: Agree}
... items:
...   - {id: q1, responses: agree3}
...   - {id: q2, responses: agree3}
... subscales:
...   - {id: trust, name: Trust, items: [q1, q2]}
... reverse: [q2]
... ''')
>>> [(i.id, i.reverse) for i in scales.items]
[('q1', False), ('q2', True)]
>>> scales.item("q2").score(1.0)
3.0
>>> scales.subscale("trust").min_items
1
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

from thematic.errors import ThematicError

TOP_KEYS = ("scales", "title", "description", "missing", "responses", "items", "subscales", "reverse")
ITEM_KEYS = ("id", "text", "responses")
SUBSCALE_KEYS = ("id", "name", "scale", "items", "min_items")


def format_value(value: float) -> str:
    """A response value as people write it: ``4`` rather than ``4.0``.

    >>> format_value(4.0), format_value(2.5)
    ('4', '2.5')
    """
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class ResponseSet:
    """The answers an item can take: (numeric value, label) pairs, lowest value first."""

    name: str
    options: tuple[tuple[float, str], ...]

    @property
    def values(self) -> tuple[float, ...]:
        return tuple(v for v, _ in self.options)

    @property
    def low(self) -> float:
        return self.options[0][0]

    @property
    def high(self) -> float:
        return self.options[-1][0]

    def label(self, value: float) -> str:
        for v, label in self.options:
            if v == value:
                return label
        return format_value(value)

    def describe_values(self) -> str:
        """``1 to 7`` for a run of whole numbers, else the values listed."""
        values = self.values
        run = all(v.is_integer() for v in values) and values == tuple(
            float(x) for x in range(int(values[0]), int(values[-1]) + 1))
        if run:
            return f"{format_value(values[0])} to {format_value(values[-1])}"
        return ", ".join(format_value(v) for v in values)


@dataclass(frozen=True)
class Item:
    """A closed item: ``id`` is the data column; ``reverse`` items are scored ``low + high - value``."""

    id: str
    responses: ResponseSet
    text: str | None = None
    reverse: bool = False

    def score(self, value: float) -> float:
        """The value as it counts towards a subscale (reverse-keyed items turned round)."""
        return self.responses.low + self.responses.high - value if self.reverse else value


@dataclass(frozen=True)
class Subscale:
    """Items averaged into one score. ``scale`` groups subscales that are ranked against each other."""

    id: str
    name: str
    items: tuple[str, ...]
    scale: str
    min_items: int


@dataclass(frozen=True)
class ScaleSet:
    """A whole scale file: its items (in file order) and subscales."""

    name: str
    items: tuple[Item, ...]
    subscales: tuple[Subscale, ...]
    title: str | None = None
    description: str | None = None
    missing: tuple[str, ...] = ()
    source: str = "scale file"

    def item(self, id: str) -> Item:
        for item in self.items:
            if item.id == id:
                return item
        raise ThematicError(f"item '{id}' is not in {self.source} (items are: {', '.join(self.item_ids())})")

    def subscale(self, id: str) -> Subscale:
        for sub in self.subscales:
            if sub.id == id:
                return sub
        known = ", ".join(s.id for s in self.subscales) or "none"
        raise ThematicError(f"subscale '{id}' is not in {self.source} (subscales are: {known})")

    def item_ids(self) -> list[str]:
        return [i.id for i in self.items]

    def subscales_of(self, item_id: str) -> list[str]:
        return [s.id for s in self.subscales if item_id in s.items]


# -- loading ------------------------------------------------------------------------------------------


def _entry_id(source: str, entry, kind: str, position: int, keys, *, layout: str, give_id: str) -> str:
    """The id of entry ``position`` of a list of ``kind`` (an item, a subscale), once the entry is a
    mapping with known keys only and an id; else the error says how to write it (``layout``, ``give_id``)."""
    if not isinstance(entry, dict):
        raise _fail(source, f"{kind} {position} must be a mapping ({layout})")
    entry_id = _text(source, entry.get("id"), f"the id of {kind} {position}")
    _check_keys(source, entry, keys, f"in {kind} '{entry_id}'" if entry_id else f"in {kind} {position}")
    if not entry_id:
        raise _fail(source, f"{kind} {position} has no id ({give_id})")
    return entry_id


def _check_listed(source: str, ids, declared, *, twice, undeclared) -> None:
    """Each of ``ids`` (item ids under reverse, or in a subscale) listed once and declared under items;
    ``twice(id)`` and ``undeclared(id)`` give the message otherwise."""
    seen: set[str] = set()
    for item_id in ids:
        if item_id in seen:
            raise _fail(source, twice(item_id))
        seen.add(item_id)
        if item_id not in declared:
            raise _fail(source, undeclared(item_id))


def load_scales(path: str | Path) -> ScaleSet:
    """Read and validate a scale file; a ThematicError says what is wrong and where."""
    path = Path(path)
    if not path.exists():
        raise ThematicError(f"scale file {path} not found (check the path given to --scales)")
    if path.is_dir():
        raise ThematicError(f"{path} is a folder, not a scale file (pass the YAML file to --scales)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ThematicError(f"scale file {path.name} is not UTF-8 (save it as UTF-8)") from None
    return parse_scales(text, source=path.name)


def parse_scales(text: str, *, source: str = "scale file") -> ScaleSet:
    """Validate the YAML text of a scale file. ``source`` names it in messages."""
    import yaml

    try:
        data = yaml.load(text, Loader=_loader())  # safe: SafeLoader minus yes/no booleans
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ThematicError(f"{source} is not valid YAML ({where}{problem}) (fix the syntax there)") from None
    return _build(data, source)


@functools.cache
def _loader():
    """YAML's safe loader, except that yes/no/on/off/true/false stay text: ``1: No`` is a label."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


def _fail(source: str, message: str) -> ThematicError:
    return ThematicError(f"{source}: {message}")


def _check_keys(source: str, mapping: dict, known: tuple[str, ...], where: str) -> None:
    for key in mapping:
        if key not in known:
            raise _fail(source, f"unknown key '{key}' {where} (known keys: {', '.join(known)})")


def _text(source: str, value, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise _fail(source, f"{what} must be text (write it as a plain string)")
    return str(value).strip()


def _number(value) -> float | None:
    """``value`` as a finite number, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _response_set(source: str, name: str, mapping) -> ResponseSet:
    if not isinstance(mapping, dict):
        raise _fail(source, f"response set '{name}' must map each value to its label "
                            "(write e.g. 1: Strongly disagree, one per line)")
    options: dict[float, str] = {}
    seen_labels: dict[str, float] = {}
    for raw_value, raw_label in mapping.items():
        value = _number(raw_value)
        if value is None:
            raise _fail(source, f"response set '{name}' has the value '{raw_value}', which is not a number "
                                "(write each response as VALUE: LABEL, e.g. 1: Strongly disagree)")
        if value in options:
            raise _fail(source, f"response set '{name}' gives the value {format_value(value)} twice "
                                "(give each value once)")
        if raw_label is None or (isinstance(raw_label, str) and not raw_label.strip()):
            raise _fail(source, f"response set '{name}' gives the value {format_value(value)} no label "
                                f"(write {format_value(value)}: LABEL)")
        label = _text(source, raw_label, f"the label of {format_value(value)} in response set '{name}'")
        folded = label.casefold()
        if folded in seen_labels:
            raise _fail(source, f"response set '{name}' uses the label '{label}' for "
                                f"{format_value(seen_labels[folded])} and {format_value(value)} "
                                "(give each value its own label)")
        seen_labels[folded] = value
        options[value] = label
    if len(options) < 2:
        raise _fail(source, f"response set '{name}' has fewer than two values "
                            "(list every response it offers)")
    return ResponseSet(name, tuple(sorted(options.items())))


def _id_list(source: str, value, what: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise _fail(source, f"{what} must be a list of item ids (write e.g. [q1, q2])")
    ids = []
    for entry in value:
        if not isinstance(entry, str | int) or isinstance(entry, bool) or not str(entry).strip():
            raise _fail(source, f"{what} has the entry '{entry}', which is not an item id "
                                "(use the column names)")
        ids.append(str(entry).strip())
    return ids


def _build(data, source: str) -> ScaleSet:
    if not isinstance(data, dict):
        raise _fail(source, "expected a mapping with the keys scales, responses, items and subscales "
                            "(see docs/scales.md for the layout)")
    _check_keys(source, data, TOP_KEYS, "at the top level")
    name = _text(source, data.get("scales"), "scales (the name)")
    if not name:
        raise _fail(source, "no name (add a first line such as: scales: my-survey)")

    raw_sets = data.get("responses") or {}
    if not isinstance(raw_sets, dict):
        raise _fail(source, "responses must map set names to their values and labels "
                            "(see docs/scales.md for the layout)")
    sets = {str(k): _response_set(source, str(k), v) for k, v in raw_sets.items()}

    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise _fail(source, "no items (list the closed items under items:, each with an id and responses)")
    declared: dict[str, tuple[str | None, ResponseSet]] = {}
    for position, entry in enumerate(raw_items, start=1):
        item_id = _entry_id(source, entry, "item", position, ITEM_KEYS,
                            layout="write e.g. - id: q1 with responses: ...",
                            give_id="give every item an id: the data column it is in")
        if item_id in declared:
            raise _fail(source, f"item '{item_id}' is listed twice under items (list each item once)")
        responses = entry.get("responses")
        if responses is None:
            raise _fail(source, f"item '{item_id}' has no responses "
                                "(name a response set, e.g. responses: agree7)")
        if isinstance(responses, dict):
            response_set = _response_set(source, item_id, responses)
        else:
            set_name = str(responses)
            if set_name not in sets:
                known = ", ".join(sets) or "none"
                raise _fail(source, f"item '{item_id}' uses response set '{set_name}', which is not defined "
                                    f"under responses (defined sets: {known})")
            response_set = sets[set_name]
        declared[item_id] = (_text(source, entry.get("text"), f"the text of item '{item_id}'"), response_set)

    reverse_raw = data.get("reverse") or []
    reverse = _id_list(source, reverse_raw, "reverse") if reverse_raw else []
    _check_listed(source, reverse, declared,
                  twice=lambda i: f"item '{i}' is listed twice under reverse (list each item once)",
                  undeclared=lambda i: f"reverse-keyed item '{i}' is not under items "
                                       "(declare it under items, or remove it from reverse)")
    reversed_items = set(reverse)

    raw_subscales = data.get("subscales") or []
    if not isinstance(raw_subscales, list):
        raise _fail(source, "subscales must be a list (write each as - id: ..., name: ..., items: [...])")
    subscales: list[Subscale] = []
    for position, entry in enumerate(raw_subscales, start=1):
        sub_id = _entry_id(source, entry, "subscale", position, SUBSCALE_KEYS,
                           layout="write - id: ..., name: ..., items: [...]",
                           give_id="give every subscale an id, e.g. id: goal")
        if any(s.id == sub_id for s in subscales):
            raise _fail(source, f"subscale '{sub_id}' is listed twice (give each subscale its own id)")
        if "items" not in entry:
            raise _fail(source, f"subscale '{sub_id}' has no items (list its item ids under items:)")
        items = _id_list(source, entry.get("items"), f"the items of subscale '{sub_id}'")
        _check_listed(source, items, declared,
                      twice=lambda i, s=sub_id: f"subscale '{s}' lists item '{i}' twice "
                                                "(list each item once)",
                      undeclared=lambda i, s=sub_id: f"subscale '{s}' lists item '{i}', which is not under "
                                                     "items (declare it under items, or correct the id)")
        set_names = sorted({declared[i][1].name for i in items})
        if len({declared[i][1].options for i in items}) > 1:
            raise _fail(source, f"subscale '{sub_id}' mixes response sets {' and '.join(set_names)} "
                                "(give all its items the same responses)")
        min_items = entry.get("min_items", math.ceil(len(items) / 2))
        if isinstance(min_items, bool) or not isinstance(min_items, int) or not 1 <= min_items <= len(items):
            raise _fail(source, f"subscale '{sub_id}': min_items must be a whole number from 1 to "
                                f"{len(items)} (it is {min_items})")
        sub_name = _text(source, entry.get("name"), f"the name of subscale '{sub_id}'") or sub_id
        scale = (_text(source, entry.get("scale"), f"the scale of subscale '{sub_id}'")
                 or declared[items[0]][1].name)
        subscales.append(Subscale(sub_id, sub_name, tuple(items), scale, min_items))

    in_subscales = {i for s in subscales for i in s.items}
    for item_id in reverse:
        if item_id not in in_subscales:
            raise _fail(source, f"reverse-keyed item '{item_id}' is not in any subscale "
                                "(add it to a subscale's items, or remove it from reverse)")

    missing_raw = data.get("missing") or []
    if not isinstance(missing_raw, list):
        missing_raw = [missing_raw]
    missing = tuple(str(m).strip() for m in missing_raw if m is not None)

    items = tuple(Item(item_id, response_set, text, item_id in reversed_items)
                  for item_id, (text, response_set) in declared.items())
    return ScaleSet(name=name, items=items, subscales=tuple(subscales),
                    title=_text(source, data.get("title"), "title"),
                    description=_text(source, data.get("description"), "description"),
                    missing=missing, source=source)
