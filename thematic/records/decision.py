"""The decision log's unit of record, and the rules that turn a log into codings.

A :class:`Decision` is one human (or imported) coding act. The log is append-only: nothing is updated or
deleted; a mistake is reversed by an ``undo`` decision that names the decision it reverses
(``target_uuid``). An undo can itself be undone, which restores its target.

Order. "Latest" always means the greatest ``(at, uuid)``: the decision's UTC timestamp, then its uuid
to break ties. The order in which decisions arrived in a file (its ``seq``) plays no part, so two copies
of a project that received the same decisions in different orders (merges) agree on every coding.

A coder's current coding of a unit is the ``themes`` of their latest ``code`` decision on that unit that
has not been undone; an empty set means "no theme applies". ``skip`` and ``flag`` decisions do not
change a coding: they record that the coder passed over the unit, or marked it for discussion (a flag
keeps the themes the coder had selected so far, as a tentative coding, and usually a note).
"""

from __future__ import annotations

import json
import re
import uuid as uuid_module
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from thematic.clock import new_uuid, utc_now
from thematic.errors import ThematicError

__all__ = [
    "KINDS",
    "MACHINE",
    "CONSENSUS",
    "RESERVED_CODERS",
    "MAX_CODER_CHARS",
    "check_coder",
    "clean_text",
    "stamp",
    "derived_uuid",
    "Decision",
    "sort_log",
    "undone",
    "effective",
    "current_codings",
    "latest_acts",
    "latest_notes",
    "last_undoable",
]

KINDS = ("code", "skip", "flag", "undo")
MACHINE = "machine"
CONSENSUS = "consensus"
RESERVED_CODERS = (MACHINE, CONSENSUS)
MAX_CODER_CHARS = 64
_CODER_RE = re.compile(r"[^\W_][\w.\-@]*")
_AT_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
# Decisions made from a file (a coding sheet, a wide table) get uuids derived from the file and the
# unit, so importing the same file twice adds nothing.
_NAMESPACE = uuid_module.UUID("5b0c8c1e-6a53-4d55-9f7e-7468656d6174")


def check_coder(name: str, *, allow_consensus: bool = False) -> str:
    """Return ``name`` if it can label a human coder's decisions; a ThematicError saying why not.

    >>> check_coder("ana")
    'ana'
    """
    if name.casefold() == MACHINE:
        raise ThematicError(
            f"coder name '{name}' is reserved for the machine's suggestions "
            "(choose your own name, e.g. --coder ana)"
        )
    if name.casefold() == CONSENSUS and not (allow_consensus and name == CONSENSUS):
        raise ThematicError(
            f"coder name '{name}' is reserved for reconciled codings (use `thematic reconcile`, "
            "or choose your own name, e.g. --coder ana)"
        )
    if not name or len(name) > MAX_CODER_CHARS or not _CODER_RE.fullmatch(name):
        raise ThematicError(
            f"coder name '{name}' is not valid (use letters, digits, '.', '-' or '_', no spaces, "
            f"at most {MAX_CODER_CHARS} characters, e.g. --coder ana)"
        )
    return name


def clean_text(text: str | None) -> str | None:
    """``text`` as UTF-8 can store it: bytes that were not UTF-8 (a terminal or a pipe in another
    encoding; Python keeps them as lone surrogates) become U+FFFD, so a note never loses its decision.

    >>> clean_text("caf\\udce9 ok") == "caf\\ufffd ok"
    True
    """
    if text is None:
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text


_last_at = ""


def stamp() -> str:
    """A UTC timestamp strictly later than any this process made before (same fixed-width format).

    Two decisions made within the same microsecond would otherwise be ordered by their random uuids.
    """
    global _last_at
    now = utc_now()
    if now <= _last_at:
        later = datetime.strptime(_last_at, "%Y-%m-%dT%H:%M:%S.%fZ") + timedelta(microseconds=1)
        now = later.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    _last_at = now
    return now


def derived_uuid(*parts: str) -> str:
    """A uuid that depends only on ``parts``: the same file row always gives the same decision id.

    >>> derived_uuid("sheet", "abc", "ana", "R001-1a2b") == derived_uuid("sheet", "abc", "ana", "R001-1a2b")
    True
    """
    return str(uuid_module.uuid5(_NAMESPACE, "\x1f".join(parts)))


@dataclass(frozen=True)
class Decision:
    """One entry of the decision log (see docs/design.md, "The decision log").

    ``suggestions`` holds what the screen showed from the machine (``{"run": id, "scores": {theme:
    score}, "assigned": [theme, ...]}``), or None when the coder worked blind or no run existed.
    """

    uuid: str
    coder: str
    unit_id: str
    themes: frozenset[str]
    kind: str
    target_uuid: str | None = None
    note: str | None = None
    codebook_hash: str | None = None
    suggestions: dict | None = None
    at: str = field(default="")

    def __post_init__(self):
        object.__setattr__(self, "themes", frozenset(self.themes))

    @classmethod
    def new(
        cls,
        coder: str,
        unit_id: str,
        themes: Iterable[str] = (),
        kind: str = "code",
        *,
        target_uuid: str | None = None,
        note: str | None = None,
        codebook_hash: str | None = None,
        suggestions: dict | None = None,
        uuid: str | None = None,
        at: str | None = None,
    ) -> Decision:
        """A fresh decision, with a new uuid and the current time unless given."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        return cls(
            uuid=uuid or new_uuid(),
            coder=coder,
            unit_id=unit_id,
            themes=frozenset(themes),
            kind=kind,
            target_uuid=target_uuid,
            note=clean_text(note) or None,
            codebook_hash=codebook_hash,
            suggestions=suggestions,
            at=at or stamp(),
        )

    @property
    def order(self) -> tuple[str, str]:
        """The sort key of the log: timestamp, then uuid."""
        return (self.at, self.uuid)

    def to_dict(self) -> dict:
        """A JSON-ready dict; ``themes`` as a sorted list."""
        return {
            "uuid": self.uuid,
            "coder": self.coder,
            "unit_id": self.unit_id,
            "themes": sorted(self.themes),
            "kind": self.kind,
            "target_uuid": self.target_uuid,
            "note": self.note,
            "codebook_hash": self.codebook_hash,
            "suggestions": self.suggestions,
            "at": self.at,
        }

    def to_json(self) -> str:
        """One line of JSON (the decisions export format); keys in a fixed order.

        >>> d = Decision("0f1d", "ana", "R001-aaaa", {"b", "a"}, "code", at="2026-01-01T00:00:00.000000Z")
        >>> d.to_json()[:60]
        '{"uuid": "0f1d", "coder": "ana", "unit_id": "R001-aaaa", "th'
        >>> Decision.from_json(d.to_json()) == d
        True
        """
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=False)

    @classmethod
    def from_json(cls, data: str | dict) -> Decision:
        """Parse one decision (a JSON line or a dict); ValueError with a plain reason if it is not one."""
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not valid JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        missing = [k for k in ("uuid", "coder", "unit_id", "themes", "kind", "at") if k not in data]
        if missing:
            raise ValueError(f"missing field{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
        for key in ("uuid", "coder", "unit_id", "kind", "at"):
            if not isinstance(data[key], str) or not data[key]:
                raise ValueError(f"'{key}' must be a non-empty string")
        for key in ("target_uuid", "note", "codebook_hash"):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise ValueError(f"'{key}' must be a string or null")
        themes = data["themes"]
        if not isinstance(themes, list) or not all(isinstance(t, str) and t for t in themes):
            raise ValueError("'themes' must be a list of theme ids")
        if data["kind"] not in KINDS:
            raise ValueError(f"'kind' must be one of {', '.join(KINDS)}, not '{data['kind']}'")
        if data["kind"] == "undo" and not data.get("target_uuid"):
            raise ValueError("an undo decision needs 'target_uuid'")
        if not _AT_RE.fullmatch(data["at"]):
            raise ValueError(f"'at' must be a UTC time like 2026-01-31T09:15:00.000000Z, not '{data['at']}'")
        suggestions = data.get("suggestions")
        if suggestions is not None and not isinstance(suggestions, dict):
            raise ValueError("'suggestions' must be an object or null")
        return cls(
            uuid=data["uuid"],
            coder=data["coder"],
            unit_id=data["unit_id"],
            themes=frozenset(themes),
            kind=data["kind"],
            target_uuid=data.get("target_uuid"),
            note=data.get("note"),
            codebook_hash=data.get("codebook_hash"),
            suggestions=suggestions,
            at=data["at"],
        )

    def same_as(self, other: Decision) -> bool:
        """Equal in every field (two copies of one decision)."""
        return self == other

    def with_note(self, note: str | None) -> Decision:
        return replace(self, note=note or None)


# -- from a log to codings --------------------------------------------------------------------------


def sort_log(decisions: Iterable[Decision]) -> list[Decision]:
    """Log order: by timestamp, then uuid (independent of the order they arrived in)."""
    return sorted(decisions, key=lambda d: d.order)


def undone(decisions: Iterable[Decision]) -> set[str]:
    """The uuids of decisions that stand reversed: targets of undos that are not themselves undone.

    >>> t = "2026-01-01T00:00:00.00000{}Z".format
    >>> a = Decision.new("ana", "u1", {"t"}, uuid="a", at=t(1))
    >>> b = Decision.new("ana", "u1", kind="undo", target_uuid="a", uuid="b", at=t(2))
    >>> undone([a, b])
    {'a'}
    >>> c = Decision.new("ana", "u1", kind="undo", target_uuid="b", uuid="c", at=t(3))
    >>> undone([a, b, c])
    {'b'}
    """
    undoers: dict[str, list[str]] = {}
    for d in decisions:
        if d.kind == "undo" and d.target_uuid:
            undoers.setdefault(d.target_uuid, []).append(d.uuid)
    memo: dict[str, bool] = {}

    def is_undone(start: str) -> bool:
        # Depth first without recursion (an undo chain can be thousands long). An undo that leads back
        # to a decision on the current path (a cycle: only a hand-edited file makes one, and imports
        # refuse it) is ignored rather than followed for ever.
        stack = [(start, iter(undoers.get(start, ())))]
        on_path = {start}
        while stack:
            uuid, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                on_path.discard(uuid)
                memo[uuid] = any(not memo[u] for u in undoers.get(uuid, ()) if u in memo)
            elif child not in memo and child not in on_path:
                on_path.add(child)
                stack.append((child, iter(undoers.get(child, ()))))
        return memo[start]

    return {uuid for uuid in undoers if (memo[uuid] if uuid in memo else is_undone(uuid))}


def effective(decisions: Iterable[Decision]) -> list[Decision]:
    """The coder's acts that stand: code, skip and flag decisions not undone, in log order."""
    decisions = list(decisions)
    gone = undone(decisions)
    return sort_log(d for d in decisions if d.kind != "undo" and d.uuid not in gone)


def current_codings(decisions: Iterable[Decision]) -> dict[str, frozenset[str]]:
    """Unit id -> themes of the latest non-undone ``code`` decision (decisions of one coder)."""
    result: dict[str, frozenset[str]] = {}
    for d in effective(decisions):
        if d.kind == "code":
            result[d.unit_id] = d.themes
    return result


def latest_acts(decisions: Iterable[Decision]) -> dict[str, Decision]:
    """Unit id -> the latest standing code, skip or flag decision (decisions of one coder)."""
    result: dict[str, Decision] = {}
    for d in effective(decisions):
        result[d.unit_id] = d
    return result


def latest_notes(decisions: Iterable[Decision]) -> dict[str, str]:
    """Unit id -> the note of the latest standing decision that carries one (decisions of one coder)."""
    result: dict[str, str] = {}
    for d in effective(decisions):
        if d.note:
            result[d.unit_id] = d.note
    return result


def last_undoable(decisions: Iterable[Decision]) -> Decision | None:
    """The coder's latest standing code, skip or flag decision: what `u` would undo."""
    acts = effective(decisions)
    return acts[-1] if acts else None
