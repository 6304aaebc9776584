"""Disagreements between two coders, and their reconciliation into a consensus coding.

Two coders *agree* on a unit when both coded it (a current ``code`` decision each) and chose the same
set of themes; they *disagree* when both coded it and the sets differ. Units only one of them coded
take no part. :func:`compare` sorts the units into the two groups, in document order.

`thematic reconcile` turns a comparison into decisions of the coder ``consensus`` (or another name
given with ``--as``):

- every unit the coders agree on is *carried*: a ``code`` decision with their themes and the note
  ``agreed by ana, ben``. Its uuid is derived from the two decisions agreed on, so running reconcile
  again adds nothing, and a carry follows the coders when they change their minds;
- every unit they disagree on is walked on the review screen (same keys as `thematic review`), with
  both coders' codings and notes shown; the adjudicated decision keeps the note
  ``ana and ben disagreed (ana: ...; ben: ...)``, followed by the adjudicator's own note if any;
- a unit carried earlier on which the coders no longer agree has its carried coding withdrawn (an
  ``undo`` with a note saying why), so that it is walked like any other disagreement. A coding the
  adjudicator made by hand is never replaced automatically.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from thematic.errors import ThematicError
from thematic.review import decisions as log
from thematic.review.decisions import CONSENSUS, MACHINE, Decision
from thematic.review.session import ReviewSession
from thematic.store import decisions as store
from thematic.store.corpus import Unit, list_units
from thematic.store.project import Project

__all__ = [
    "Comparison",
    "Disagreement",
    "ReconcilePlan",
    "ReconcileSession",
    "apply_plan",
    "carry_note",
    "check_pair",
    "compare",
    "disagreement_note",
    "plan_reconcile",
]


@dataclass(frozen=True)
class Disagreement:
    """A unit both coders coded, with each coder's themes and latest note (if any)."""

    unit: Unit
    codings: dict[str, frozenset[str]]
    notes: dict[str, str]


@dataclass(frozen=True)
class Comparison:
    """Two coders' codings side by side. With ``theme``, "agree" and "disagree" are about that theme
    only; without, about the whole set of themes."""

    coders: tuple[str, str]
    theme: str | None
    disagreements: tuple[Disagreement, ...]
    agreed: tuple[Disagreement, ...]
    only_one: int

    @property
    def n_both(self) -> int:
        return len(self.disagreements) + len(self.agreed)


def check_pair(project: Project, coders: Sequence[str], *, command: str = "disagreements") -> tuple[str, str]:
    """Exactly two distinct coders, each with codings (``machine``: per unit, the latest suggest run that
    covers its question)."""
    from thematic.agreement.table import choose_coders

    names = [c.strip() for c in coders]
    if len(names) != 2:
        raise ThematicError(
            f"{command} compares exactly two coders (give --coders a,b, e.g. --coders ana,ben); "
            f"got {len(names)}"
        )
    a, b = choose_coders(project, names)
    return a, b


def compare(
    project: Project, coders: Sequence[str], *, theme: str | None = None, question: str | None = None,
    book=None,
) -> Comparison:
    """Sort the units both coders coded into agreements and disagreements (document order).

    ``theme`` (an id or name in the current codebook) compares that theme's presence only;
    ``question``: only that question's units (and its codebook); ``book`` (a
    :class:`thematic.review.codings.Book`): only its questions' units, under its codebook version.
    """
    a, b = check_pair(project, coders)
    theme_id = None
    if theme is not None:
        from thematic.review.session import resolve_themes
        from thematic.store.codebooks import require_current

        version = book.version if book is not None else require_current(project, question=question)
        theme_id = resolve_themes(version, [theme])[0]
    codings = {c: store.current_codings(project, c) for c in (a, b)}
    notes = {c: ({} if c == MACHINE else store.latest_notes(project, c)) for c in (a, b)}
    disagreements, agreed = [], []
    if book is not None:
        units = [u for u in list_units(project) if u.question_id in set(book.questions)]
    else:
        units = list_units(project, question_id=question)
    in_scope = {u.id for u in units}
    for unit in units:
        if unit.id not in codings[a] or unit.id not in codings[b]:
            continue
        ta, tb = codings[a][unit.id], codings[b][unit.id]
        same = ta == tb if theme_id is None else (theme_id in ta) == (theme_id in tb)
        entry = Disagreement(
            unit,
            {a: ta, b: tb},
            {c: notes[c][unit.id] for c in (a, b) if unit.id in notes[c]},
        )
        (agreed if same else disagreements).append(entry)
    only_one = len((set(codings[a]) ^ set(codings[b])) & in_scope)
    return Comparison((a, b), theme_id, tuple(disagreements), tuple(agreed), only_one)


# -- reconciliation ----------------------------------------------------------------------------------


def carry_note(coders: Sequence[str]) -> str:
    """The note on a carried coding: ``agreed by ana, ben``."""
    return "agreed by " + ", ".join(coders)


def disagreement_note(entry: Disagreement) -> str:
    """The note on an adjudicated coding: who disagreed, and how."""
    a, b = entry.codings
    parts = "; ".join(f"{c}: {', '.join(sorted(entry.codings[c])) or 'no theme'}" for c in (a, b))
    return f"{a} and {b} disagreed ({parts})"


@dataclass(frozen=True)
class ReconcilePlan:
    """What reconcile will record before the walk, and the units it walks.

    ``carry``: code decisions for the agreed units the target does not hold yet. ``withdraw``: undo
    decisions for carried codings whose coders no longer agree. ``already``: agreed units the target
    already has with those themes. ``kept``: agreed units the target coded differently by hand (left
    as they are). ``walk``: the disagreements, in document order.
    """

    comparison: Comparison
    target: str
    carry: tuple[Decision, ...]
    withdraw: tuple[Decision, ...]
    already: int
    kept: int

    @property
    def walk(self) -> tuple[Unit, ...]:
        return tuple(d.unit for d in self.comparison.disagreements)


def _code_decisions(project: Project, coder: str) -> tuple[dict[str, Decision], dict[str, list[str]]]:
    """The coder's current code decision per unit, and the uuids of every code decision per unit."""
    mine = store.decisions(project, coder=coder)
    current: dict[str, Decision] = {}
    for d in log.effective(mine):
        if d.kind == "code":
            current[d.unit_id] = d
    every: dict[str, list[str]] = {}
    for d in mine:
        if d.kind == "code":
            every.setdefault(d.unit_id, []).append(d.uuid)
    return current, every


_PAIR_NOTES = (re.compile(r"agreed by (\S+), (\S+)$"), re.compile(r"(\S+) and (\S+) disagreed \("))


def reconciled_pairs(project: Project, target: str) -> set[frozenset[str]]:
    """The pairs of coders whose reconciliation ``target`` already holds, read from the notes reconcile
    writes on every carried and adjudicated decision (so they travel with merged copies of the log)."""
    pairs = set()
    for d in store.decisions(project, coder=target):
        for pattern in _PAIR_NOTES:
            found = pattern.match(d.note or "")
            if found:
                pairs.add(frozenset(found.groups()))
                break
    return pairs


def _carry_uuid(target: str, unit_id: str, uuid_a: str, uuid_b: str) -> str:
    return log.derived_uuid("reconcile", target, unit_id, uuid_a, uuid_b)


def plan_reconcile(
    project: Project,
    coders: Sequence[str],
    *,
    target: str = CONSENSUS,
    codebook=None,
    question=None,
    add_pair: bool = False,
) -> ReconcilePlan:
    """Compare two human coders and work out what to carry to ``target`` and what to walk (``question``:
    only that question's units). A target that already holds another pair's reconciliation is refused
    unless ``add_pair``: two pairs in one consensus is a choice to make out loud."""
    if codebook is None:
        from thematic.store.codebooks import require_current

        codebook = require_current(project, question=question)
    log.check_coder(target, allow_consensus=True)
    names = [c.strip() for c in coders]
    if MACHINE in names:
        raise ThematicError(
            "reconcile takes two human coders, and 'machine' is the latest suggest run "
            "(compare with it in `thematic agree` or `thematic disagreements`)"
        )
    if target in names:
        raise ThematicError(
            f"'{target}' is both a coder to reconcile and the coder to record as "
            "(choose another name with --as, or other --coders)"
        )
    check_pair(project, names, command="reconcile")
    others = sorted(" and ".join(sorted(p)) for p in reconciled_pairs(project, target) - {frozenset(names)})
    if others and not add_pair:
        raise ThematicError(
            f"'{target}' already holds the reconciliation of {'; '.join(others)} (record {names[0]} and "
            f"{names[1]} as another coder with --as, e.g. --as {target}-{names[0]}-{names[1]}; or pass "
            f"--add-pair to put both pairs into '{target}')"
        )
    comparison = compare(project, names, question=question)
    a, b = comparison.coders
    current = {c: _code_decisions(project, c) for c in (a, b)}
    target_current, _ = _code_decisions(project, target)

    def carries_of(unit_id: str) -> set[str]:
        """Every uuid a carry of this unit could have had, from any pair of the coders' decisions."""
        return {
            _carry_uuid(target, unit_id, x, y)
            for x in current[a][1].get(unit_id, ())
            for y in current[b][1].get(unit_id, ())
        }

    carry, withdraw = [], []
    already = kept = 0
    note = carry_note((a, b))
    for entry in comparison.agreed:
        unit_id = entry.unit.id
        themes = entry.codings[a]
        held = target_current.get(unit_id)
        if held is not None and held.themes == themes:
            already += 1
            continue
        if held is not None and held.uuid not in carries_of(unit_id):
            kept += 1
            continue
        uuid = _carry_uuid(target, unit_id, current[a][0][unit_id].uuid, current[b][0][unit_id].uuid)
        carry.append(
            Decision.new(
                target,
                unit_id,
                sorted(themes),
                "code",
                note=note,
                codebook_hash=codebook.content_hash,
                uuid=uuid,
            )
        )
    for entry in comparison.disagreements:
        held = target_current.get(entry.unit.id)
        if held is not None and held.uuid in carries_of(entry.unit.id):
            withdraw.append(
                Decision.new(
                    target,
                    entry.unit.id,
                    (),
                    "undo",
                    target_uuid=held.uuid,
                    note=f"withdrawn: {a} and {b} no longer agree",
                    codebook_hash=codebook.content_hash,
                )
            )
    return ReconcilePlan(comparison, target, tuple(carry), tuple(withdraw), already, kept)


def apply_plan(project: Project, plan: ReconcilePlan) -> int:
    """Record the plan's carries and withdrawals in one transaction; returns how many were new."""
    return store.record_many(project, [*plan.withdraw, *plan.carry])


def panel_for(plan: ReconcilePlan, codebook) -> Callable[[Unit], list[str]]:
    """The lines under the response: each coder's coding (with the theme numbers of the screen) and note."""
    numbers = {t.id: i for i, t in enumerate(codebook.codebook.themes, start=1)}
    entries = {e.unit.id: e for e in (*plan.comparison.disagreements, *plan.comparison.agreed)}

    def label(themes: frozenset[str]) -> str:
        if not themes:
            return "no theme"
        ordered = sorted(themes, key=lambda t: (numbers.get(t, len(numbers) + 1), t))
        return ", ".join(f"{numbers[t]} {t}" if t in numbers else t for t in ordered)

    def panel(unit: Unit) -> list[str]:
        entry = entries.get(unit.id)
        if entry is None:
            return []
        lines = []
        for coder, themes in entry.codings.items():
            lines.append(f"{coder} coded: {label(themes)}")
            if coder in entry.notes:
                lines.append(f"{coder}'s note: {entry.notes[coder]}")
        return lines

    return panel


class ReconcileSession(ReviewSession):
    """The review session, walking the plan's disagreements for the target coder; each code or flag
    decision on a disagreement carries :func:`disagreement_note` before the adjudicator's own note."""

    def __init__(self, project: Project, plan: ReconcilePlan, *, codebook):
        self.plan = plan
        self._prefix = {e.unit.id: disagreement_note(e) for e in plan.comparison.disagreements}
        super().__init__(
            project,
            list(plan.walk),
            coder=plan.target,
            codebook=codebook,
            panel=panel_for(plan, codebook),
            allow_consensus=True,
        )

    def _record(self, unit: Unit, kind: str, themes) -> Decision:
        prefix = self._prefix.get(unit.id)
        if prefix is None or kind not in ("code", "flag"):
            return super()._record(unit, kind, themes)
        own = self.note
        if own and own.startswith(prefix):  # an undone decision's note, brought back by undo
            own = own[len(prefix) :].removeprefix("; note: ").strip() or None
        self.note = prefix if not own else f"{prefix}; note: {own}"
        try:
            return super()._record(unit, kind, themes)
        finally:
            self.note = own
