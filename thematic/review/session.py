"""The review session: one unit at a time, a draft coding, and a decision committed per keypress that saves.

:class:`ReviewSession` is a state machine with no terminal in it: it takes a list of units to walk and
records decisions for one coder; ``press(key)`` (single keys) and ``do(token)`` (scripted tokens) move
it, and ``view()`` says what the screen should show. The terminal loop lives in ``screen.py``.

Every method that records a decision returns only after the decision is committed (``record`` runs its
own transaction), and the session moves to the next unit only after that, so a message "saved" on the
screen always names a decision that is in the project file.

Reuse (reconciliation). ``thematic reconcile`` walks the units two coders disagree on and records the
agreed coding as coder ``consensus``::

    session = ReviewSession(project, disagreeing_units, coder="consensus", codebook=version,
                            allow_consensus=True,
                            panel=lambda unit: [f"ana coded: {...}", f"ben coded: {...}"])

``panel`` is any callable that returns lines (plain text, not rich markup) shown under the response;
``suggestions`` may be left out. Everything else (keys, undo, notes, resume) works as in review.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from thematic.errors import check_choice
from thematic.review import decisions as log
from thematic.review.decisions import Decision
from thematic.review.validate import DecisionValidator, check_new_coder, validate
from thematic.store import corpus
from thematic.store import decisions as store
from thematic.store.corpus import Unit
from thematic.store.project import Project

HELP = [
    ("1-9", "toggle a theme (its number on the list)"),
    ("Enter", "save the selected themes and go on"),
    ("a", "accept the machine's suggestions (then Enter to save)"),
    ("0", "no theme applies (then Enter to save)"),
    ("s", "skip: come back to this unit later"),
    ("f", "flag for discussion (saves the selection as tentative, with any note)"),
    ("n", "add a note to the next decision"),
    ("u", "undo your last decision and go back to it"),
    ("?", "show or hide this help"),
    ("q", "quit (everything saved stays saved; run the same command to resume)"),
]


@dataclass(frozen=True)
class ThemeLine:
    number: int
    id: str
    name: str
    selected: bool
    score: float | None = None  # None: blind, or no suggest run for this unit
    suggested: bool = False


@dataclass(frozen=True)
class View:
    """Everything one screen shows."""

    coder: str
    done: int  # units in this walk the coder has a current coding for
    total: int  # units in this walk
    unit: Unit | None  # None: nothing left to do
    response: str = ""
    attributes: Mapping[str, object] = field(default_factory=dict)
    themes: tuple[ThemeLine, ...] = ()
    none_chosen: bool = False
    note: str | None = None  # the note that will go with the next decision
    earlier_note: str | None = None  # the coder's latest note on this unit
    earlier: str | None = None  # "coded: a, b" / "skipped" / "flagged" when the unit was decided before
    panel: tuple[str, ...] = ()
    blind: bool = False
    has_suggestions: bool = False
    message: str = ""
    show_help: bool = False
    finished: bool = False
    pending_digits: str = ""
    last_saved: str = ""  # the latest "saved: ..." line, kept on screen until the next one


class ReviewSession:
    """Walk ``units`` and record one coder's decisions.

    Arguments:
      units: the walk, in the order to show it. Unless ``recode``, units the coder has already coded
        are left out, and units they skipped or flagged come after the rest (resume where they stopped).
      coder: whose decisions these are (``consensus`` needs ``allow_consensus=True``; ``machine`` never).
      codebook: the CodebookVersion on screen; each decision records its content hash.
      suggestions: unit id -> theme id -> (score, assigned), from suggest runs; ``run_id`` names the run
        (or, unit id -> run id, each unit's run, when they come from several: one run per question).
      blind: hide the suggestions and the panel, and record no suggestions.
      panel: unit -> extra lines to show (other coders' codings, for reconciliation).
      attributes: the respondent attributes to show, in order; None shows them all, () none.
    """

    def __init__(
        self,
        project: Project,
        units: Sequence[Unit],
        *,
        coder: str,
        codebook,
        suggestions: Mapping[str, Mapping[str, tuple[float, bool]]] | None = None,
        run_id: int | Mapping[str, int] | None = None,
        blind: bool = False,
        recode: bool = False,
        panel: Callable[[Unit], Sequence[str]] | None = None,
        allow_consensus: bool = False,
        attributes: Sequence[str] | None = None,
    ):
        self.project = project
        # None: all of them (the screen shows the first six); []: none
        self.attribute_names = None if attributes is None else corpus.check_attributes(project, attributes)
        self.coder = check_new_coder(project, coder, allow_consensus=allow_consensus)
        self._validator = DecisionValidator(project, owned={log.CONSENSUS} if allow_consensus else ())
        self.codebook = codebook
        self.themes = list(codebook.codebook.themes)
        self.theme_ids = [t.id for t in self.themes]
        self._by_id = {t.id: t for t in self.themes}
        self._by_lower = {t.id.lower(): t.id for t in self.themes}
        self.suggestions = {} if (blind or suggestions is None) else suggestions
        self.run_id = run_id
        self.blind = blind
        self.recode = recode
        self.panel = None if blind else panel
        self.units = list(units)
        self._unit_ids = {u.id for u in self.units}
        mine = store.decisions(project, coder=self.coder)
        acts = log.latest_acts(mine)
        self._coded = {u for u, d in acts.items() if d.kind == "code"}
        if recode:
            self.queue = list(self.units)
        else:
            fresh = [u for u in self.units if u.id not in acts]
            later = [u for u in self.units if u.id in acts and acts[u.id].kind != "code"]
            self.queue = fresh + later
        self.pos = 0
        self.saved = 0
        self.message = ""
        self.last_saved = ""
        self.show_help = False
        self.finished = False
        self.pending_digits = ""
        self._responses: dict[int, str] = {}
        self._attributes: dict[str, dict] = {}
        self._arrive(acts)

    def _shown_attributes(self, attributes: Mapping[str, object]) -> Mapping[str, object]:
        if self.attribute_names is None:
            return attributes
        return {name: attributes[name] for name in self.attribute_names if name in attributes}

    # -- where we are -----------------------------------------------------------------------------
    @property
    def unit(self) -> Unit | None:
        return self.queue[self.pos] if self.pos < len(self.queue) else None

    @property
    def done(self) -> int:
        return len(self._coded & self._unit_ids)

    def _arrive(self, acts: Mapping[str, Decision] | None = None) -> None:
        """Set up the draft for the unit now on screen."""
        self.draft: set[str] = set()
        self.none_chosen = False
        self.note: str | None = None
        self.pending_digits = ""
        unit = self.unit
        if unit is None:
            return
        if acts is None:
            acts = log.latest_acts(store.decisions(self.project, coder=self.coder, unit_id=unit.id))
        earlier = acts.get(unit.id)
        if earlier is not None and earlier.kind in ("code", "flag"):
            self.draft = set(earlier.themes) & set(self.theme_ids)
            self.none_chosen = earlier.kind == "code" and not earlier.themes

    def _advance(self) -> None:
        self.pos += 1
        self._arrive()

    # -- actions ----------------------------------------------------------------------------------
    def press(self, key: str) -> None:
        """One keypress from a terminal: a character, or "enter". Digits toggle themes at once; with more
        than nine themes a number is collected until it names one theme unambiguously (or Enter)."""
        if key.isdigit() and len(self.themes) > 9 and not (key == "0" and not self.pending_digits):
            self.pending_digits += key
            number = int(self.pending_digits)
            if number * 10 > len(self.themes) or len(self.pending_digits) >= len(str(len(self.themes))):
                digits, self.pending_digits = self.pending_digits, ""
                self.do(digits)
            return
        if self.pending_digits:
            digits, self.pending_digits = self.pending_digits, ""
            self.do(digits)
            if key == "enter":
                return
        self.do(key)

    def do(self, token: str) -> None:
        """One scripted token: a theme number or id, a key letter, "enter" or "." (save)."""
        if self.finished:
            return
        token = token.strip()
        if token in ("enter", "."):
            return self.save()
        if token == "q":
            return self.quit()
        if token == "?":
            self.show_help = not self.show_help
            return
        if self.unit is None:
            if token == "u":
                return self.undo()
            self.message = "nothing left to code here (u undoes your last decision, q quits)"
            return
        if token == "0":
            return self.choose_none()
        if token.isdigit():
            return self.toggle(int(token))
        if token == "a":
            return self.accept()
        if token == "s":
            return self.skip()
        if token == "f":
            return self.flag()
        if token == "u":
            return self.undo()
        if token.lower() in self._by_lower:
            return self.toggle_id(self._by_lower[token.lower()])
        self.message = f"unknown key '{token}' (press ? for help)"

    def toggle(self, number: int) -> None:
        if not 1 <= number <= len(self.themes):
            self.message = f"there is no theme {number} (themes are numbered 1 to {len(self.themes)})"
            return
        self.toggle_id(self.theme_ids[number - 1])

    def toggle_id(self, theme_id: str) -> None:
        self.draft ^= {theme_id}
        self.none_chosen = False
        self.message = ""

    def choose_none(self) -> None:
        self.draft = set()
        self.none_chosen = True
        self.message = "no theme applies: press Enter to save"

    def accept(self) -> None:
        shown = self.shown_suggestions()
        if shown is None:
            self.message = (
                "no machine suggestions to accept (blind review)"
                if self.blind
                else "no machine suggestions for this unit (run `thematic suggest` first)"
            )
            return
        self.draft = set(shown["assigned"])
        self.none_chosen = not self.draft
        self.message = "accepted the suggestions: press Enter to save"

    def set_note(self, text: str | None) -> None:
        self.note = (text or "").strip() or None
        self.message = "note kept: it is saved with your next decision" if self.note else "note cleared"

    def save(self) -> Decision | None:
        unit = self.unit
        if unit is None:
            self.message = "nothing left to code here (u undoes your last decision, q quits)"
            return None
        if not self.draft and not self.none_chosen:
            self.message = "nothing selected: press a theme's number, or 0 for 'no theme applies'"
            return None
        broken = structure_message(self.codebook.codebook, self.draft)
        if broken:
            self.message = broken
            return None
        decision = self._record(unit, "code", self.draft)
        self._coded.add(unit.id)
        self.message = self.last_saved = f"saved: {unit.id} coded {self._names(decision.themes)}"
        self._advance()
        return decision

    def skip(self) -> Decision | None:
        unit = self.unit
        decision = self._record(unit, "skip", ())
        self.message = self.last_saved = f"saved: {unit.id} skipped (it comes back at the end)"
        self._advance()
        return decision

    def flag(self) -> Decision | None:
        unit = self.unit
        decision = self._record(unit, "flag", self.draft)
        self.message = self.last_saved = f"saved: {unit.id} flagged for discussion" + (
            f" (tentative: {self._names(decision.themes)})" if decision.themes else ""
        )
        self._advance()
        return decision

    def undo(self) -> Decision | None:
        target = log.last_undoable(store.decisions(self.project, coder=self.coder))
        if target is None:
            self.message = "nothing to undo"
            return None
        decision = Decision.new(
            self.coder,
            target.unit_id,
            (),
            "undo",
            target_uuid=target.uuid,
            codebook_hash=self.codebook.content_hash,
        )
        self._validator.require([(None, decision)])
        store.record(self.project, decision)
        self.saved += 1
        back = corpus.get_unit(self.project, target.unit_id)
        what = {"code": f"coding ({self._names(target.themes)})", "skip": "skip", "flag": "flag"}[target.kind]
        self.message = self.last_saved = f"saved: undid your {what} of {target.unit_id}"
        if target.kind == "code":
            mine = store.decisions(self.project, coder=self.coder, unit_id=target.unit_id)
            if target.unit_id not in log.current_codings(mine):
                self._coded.discard(target.unit_id)
        self.queue.insert(self.pos, back)
        self._arrive()
        # Start again from what was undone, so a small slip is a small fix.
        if target.kind in ("code", "flag"):
            self.draft = set(target.themes) & set(self.theme_ids)
            self.none_chosen = target.kind == "code" and not target.themes
        self.note = target.note
        return decision

    def quit(self) -> None:
        self.finished = True
        unsaved = " (the unsaved selection on screen was not saved)" if (self.draft and self.unit) else ""
        self.message = (
            f"quit: {self.saved} decision{'s' if self.saved != 1 else ''} saved in this session"
            f"{unsaved}; run the same command to go on where you stopped"
        )

    # -- helpers ----------------------------------------------------------------------------------
    def _record(self, unit: Unit, kind: str, themes) -> Decision:
        decision = Decision.new(
            self.coder,
            unit.id,
            sorted(themes),
            kind,
            note=self.note,
            codebook_hash=self.codebook.content_hash,
            suggestions=self.shown_suggestions(unit),
        )
        self._validator.require([(None, decision)])
        store.record(self.project, decision)
        self.saved += 1
        return decision

    def shown_suggestions(self, unit: Unit | None = None) -> dict | None:
        """What the screen shows from the machine for a unit (stored with the decision), or None."""
        unit = unit or self.unit
        if self.blind or unit is None or unit.id not in self.suggestions:
            return None
        per_theme = self.suggestions[unit.id]
        return {
            "run": self.run_id.get(unit.id) if isinstance(self.run_id, Mapping) else self.run_id,
            "scores": {t: round(float(s), 4) for t, (s, _) in sorted(per_theme.items())},
            "assigned": sorted(t for t, (_, a) in per_theme.items() if a),
        }

    def _names(self, themes) -> str:
        if not themes:
            return "no theme"
        return ", ".join(t for t in self.theme_ids if t in themes) + "".join(
            f", {t}" for t in sorted(themes) if t not in self._by_id
        )

    def view(self) -> View:
        unit = self.unit
        common = dict(
            coder=self.coder,
            done=self.done,
            total=len(self.units),
            message=self.message,
            last_saved=self.last_saved,
            show_help=self.show_help,
            finished=self.finished,
            blind=self.blind,
        )
        if unit is None:
            return View(unit=None, **common)
        if unit.response_id not in self._responses:
            self._responses[unit.response_id] = corpus.get_response(self.project, unit.response_id)[2]
        if unit.respondent_id not in self._attributes:
            self._attributes[unit.respondent_id] = corpus.get_respondent(self.project, unit.respondent_id)
        shown = self.shown_suggestions(unit)
        scores = shown["scores"] if shown else {}
        assigned = set(shown["assigned"]) if shown else set()
        lines = tuple(
            ThemeLine(i, t.id, t.name, t.id in self.draft, scores.get(t.id), t.id in assigned)
            for i, t in enumerate(self.themes, start=1)
        )
        mine = store.decisions(self.project, coder=self.coder, unit_id=unit.id)
        acts = log.latest_acts(mine)
        earlier = None
        if unit.id in acts:
            act = acts[unit.id]
            earlier = {"code": f"coded {self._names(act.themes)}", "skip": "skipped", "flag": "flagged"}[
                act.kind
            ]
        notes = log.latest_notes(mine)
        return View(
            unit=unit,
            response=self._responses[unit.response_id],
            attributes=self._shown_attributes(self._attributes[unit.respondent_id]),
            themes=lines,
            none_chosen=self.none_chosen,
            note=self.note,
            earlier_note=notes.get(unit.id),
            earlier=earlier,
            panel=tuple(self.panel(unit)) if self.panel else (),
            has_suggestions=shown is not None,
            pending_digits=self.pending_digits,
            **common,
        )


def others_panel(project: Project, coder: str) -> Callable[[Unit], list[str]]:
    """A panel with every other human coder's current coding of the unit (not shown when blind)."""
    codings = {c: store.current_codings(project, c) for c in store.coders(project) if c != coder}

    def panel(unit: Unit) -> list[str]:
        lines = []
        for other, coded in codings.items():
            if unit.id in coded:
                lines.append(f"{other} coded: {', '.join(sorted(coded[unit.id])) or 'no theme'}")
        return lines

    return panel


ORDERS = ("document", "uncertain", "random")


@dataclass
class Walk:
    """The units a review walks, in order, with the machine's scores when there are any."""

    units: list[Unit]
    suggestions: dict[str, dict[str, tuple[float, bool]]] | None
    run_id: int | dict[str, int] | None  # the run; unit id -> run id when they come from several


def plan_walk(
    project: Project,
    codebook,
    *,
    question: str | None = None,
    theme: str | None = None,
    order: str = "document",
    seed: int = 0,
    blind: bool = False,
) -> Walk:
    """Choose and order the units for a review.

    ``document``: file order. ``random``: a shuffle seeded by ``seed`` (the same seed gives the same
    order, so a resumed session keeps it). ``uncertain``: first the units whose scores sit nearest a
    theme's threshold, where a coder's decision teaches the most. ``theme``: only the units the latest
    suggest run assigned that theme (which a blind coder must not know, so the two are refused together).
    """
    from thematic.errors import ThematicError
    from thematic.review import _sources

    check_choice(order, ORDERS, "--order")
    corpus.check_question(project, question)
    ids = [t.id for t in codebook.codebook.themes]
    if theme is not None:
        if blind:
            raise ThematicError(
                "--theme picks units by the machine's suggestions, which --blind hides (drop one of the two)"
            )
        if theme not in ids:
            raise ThematicError(f"theme '{theme}' is not in the codebook (themes are: {', '.join(ids)})")
    units = corpus.list_units(project, question_id=question)
    if not units:
        raise ThematicError(
            "no units to review (import a survey first with `thematic import`)"
            if question is None
            else f"question '{question}' has no units to review"
        )
    found = _sources.suggestions(project, question) if (order == "uncertain" or theme or not blind) else None
    scores = found.scores if found else None
    if theme is not None:
        if not scores:
            raise ThematicError("--theme needs machine suggestions (run `thematic suggest` first)")
        units = [u for u in units if scores.get(u.id, {}).get(theme, (0.0, False))[1]]
    if order == "random":
        import random

        random.Random(seed).shuffle(units)
    elif order == "uncertain":
        if not scores:
            raise ThematicError(
                "--order uncertain needs machine suggestions (run `thematic suggest` first, "
                "or use --order document)"
            )
        cut = found.thresholds()  # each unit's run's thresholds

        def margin(unit: Unit) -> float:
            per = scores.get(unit.id)
            if not per:
                return float("inf")
            wanted = [theme] if theme else list(per)
            return min(abs(per[t][0] - cut[unit.id].get(t, 0.0)) for t in wanted if t in per)

        units.sort(key=margin)  # stable: ties keep document order
        # A learned run ranks the uncoded units it is least sure of, spread out (learner.review_order):
        # those come first, in that order (with several runs, each run's first before any run's second).
        rank = found.review_order()
        if rank and not theme:
            last = len(rank)  # not len(units): a list is empty while it sorts
            units.sort(key=lambda u: rank.get(u.id, last))
    if blind or found is None:
        return Walk(units, None, None)
    return Walk(units, scores, found.run.id if found.run is not None else found.run_ids())


def structure_message(codebook, themes) -> str | None:
    """Why a set of themes breaks the codebook's structure (docs/codebook.md, "Structure"), with the key
    that mends it on the review screen, or None."""
    problem = codebook.structure_problem(themes)
    if problem is None:
        return None
    mend = ": press its number" if problem.startswith("group ") else ": press a number to drop one"
    return problem + mend


def resolve_themes(codebook, names: Sequence[str]) -> list[str]:
    """Theme ids for ids or names given by a person (case-insensitive); ThematicError for an unknown one."""
    from thematic.errors import ThematicError

    themes = list(codebook.codebook.themes)
    lookup = {t.id.lower(): t.id for t in themes} | {t.name.lower(): t.id for t in themes}
    found = []
    for name in names:
        key = name.strip().lower()
        if key not in lookup:
            raise ThematicError(
                f"theme '{name}' is not in the codebook (themes are: {', '.join(t.id for t in themes)})"
            )
        found.append(lookup[key])
    return found


def code_one(
    project: Project,
    unit_id: str,
    *,
    coder: str,
    themes: Sequence[str] = (),
    none: bool = False,
    note: str | None = None,
    allow_consensus: bool = False,
) -> Decision:
    """Record one ``code`` decision (``thematic code``); returns it once it is committed."""
    from thematic.errors import ThematicError
    from thematic.review import _sources

    check_new_coder(project, coder, allow_consensus=allow_consensus)
    if none and themes:
        raise ThematicError(
            "--none says no theme applies, so it cannot go with --theme (give one or the other)"
        )
    if not none and not themes:
        raise ThematicError("say what applies: --theme T (repeat for more), or --none for no theme")
    unit = corpus.get_unit(project, unit_id)
    if unit is None:
        raise ThematicError(f"unit '{unit_id}' not found (list unit ids with `thematic units`)")
    version = _sources.require_codebook(project, unit.question_id)  # the codebook of the unit's question
    ids = resolve_themes(version, themes)
    broken = version.codebook.structure_problem(ids)
    if broken:
        raise ThematicError(broken + " (nothing was recorded)")
    decision = Decision.new(coder, unit_id, ids, "code", note=note, codebook_hash=version.content_hash)
    validate(project, [decision], owned={log.CONSENSUS} if allow_consensus else ())
    store.record(project, decision)
    return decision
