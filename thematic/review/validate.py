"""One validator for every decision that enters the log, however it comes: `code`, the review screen,
`reconcile`, coding sheets, `decisions import`, `decisions import-wide` (and `import-refi`).

A decision is refused, with a reason, when

* its uuid (or an undo's target) is not a uuid (``8-4-4-4-12`` hexadecimal digits);
* its coder is not a valid coder name (:func:`thematic.review.decisions.check_coder`), is a reserved
  name (``machine``; ``consensus`` unless the command owns it), or is another spelling of a coder the
  project (or the same batch) already knows: coder names are one identity regardless of case, so
  ``ANA`` is refused where ``ana`` exists;
* its unit is not in the project;
* its codebook hash is not a codebook version of the project, or a theme is not in that version (a
  decision without a hash is checked against every version);
* its time is more than a day ahead of the clock (a decision dated 9999 would win over every later one);
* it is an undo whose target is missing, is itself, belongs to another coder or unit, or whose chain
  of targets loops back on itself.

:meth:`DecisionValidator.check` returns every problem (with the line number it was given); the
callers refuse the whole batch on any problem (``decisions import --skip-bad`` keeps the good lines).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from thematic.errors import ThematicError
from thematic.review.decisions import CONSENSUS, MACHINE, RESERVED_CODERS, Decision, check_coder
from thematic.store import decisions as store

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MAX_AHEAD = timedelta(days=1)
MAX_LISTED = 5


@dataclass(frozen=True)
class Problem:
    line: int | None  # the line (or row) the decision came from; None when it came from no file
    uuid: str
    message: str

    def __str__(self) -> str:
        return self.show()

    def show(self, label: str = "line") -> str:
        """``line 3: unit 'x' is not in this project``; a message that is a predicate (``is not a
        decision``) reads on from the line number without a colon."""
        if self.line is None:
            return self.message
        joint = " " if self.message.startswith(("is ", "repeats ", "has ")) else ": "
        return f"{label} {self.line}{joint}{self.message}"

    def refusal(self, source: str, hint: str, label: str = "line") -> str:
        """The one-line error for this problem alone: the hint joins a closing bracket if there is one."""
        text = f"{source}: {self.show(label)}"
        return f"{text[:-1]}; {hint})" if text.endswith(")") else f"{text} ({hint})"


def _latest_allowed(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return (now + MAX_AHEAD).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def coder_identity(project, coder: str, *, also: Iterable[str] = ()) -> str | None:
    """The spelling under which the project (or ``also``) knows ``coder`` when it differs only in case."""
    folded = coder.casefold()
    for known in [*store.coders(project), *also]:
        if known != coder and known.casefold() == folded:
            return known
    return None


def check_new_coder(project, coder: str, *, allow_consensus: bool = False) -> str:
    """``check_coder`` plus the project's identities: refuse ``ANA`` where ``ana`` exists."""
    check_coder(coder, allow_consensus=allow_consensus)
    known = coder_identity(project, coder)
    if known is not None:
        raise ThematicError(
            f"coder '{coder}' is '{known}' in this project (coder names do not depend on case; "
            f"use --coder {known})"
        )
    return coder


class DecisionValidator:
    """Checks decisions against one project; build it once per command, call :meth:`check` per batch.

    ``owned``: reserved coder names this command may write (``{"consensus"}`` for reconcile).
    """

    def __init__(self, project, *, owned: Iterable[str] = (), now: datetime | None = None):
        self.project = project
        self.owned = set(owned)
        self.latest = _latest_allowed(now)
        self._units: set[str] | None = None
        self._themes: dict[str, set[str]] | None = None
        self._codebooks: dict[str, object] = {}  # content hash -> Codebook, read when first needed
        self._coders: dict[str, str] | None = None

    # -- what the project holds, read once ----------------------------------------------------------
    @property
    def units(self) -> set[str]:
        if self._units is None:
            self._units = store.unit_ids(self.project)
        return self._units

    @property
    def themes(self) -> dict[str, set[str]]:
        """Codebook content hash -> its theme ids."""
        if self._themes is None:
            from thematic.store.codebooks import themes_by_hash

            self._themes = themes_by_hash(self.project)
        return self._themes

    def _codebook(self, content_hash: str):
        """The codebook of a stored version, for its structure (exclusive, required, residual)."""
        if content_hash not in self._codebooks:
            from thematic.store.codebooks import version_by_hash

            self._codebooks[content_hash] = version_by_hash(self.project, content_hash).codebook
        return self._codebooks[content_hash]

    @property
    def coders(self) -> dict[str, str]:
        """casefolded name -> the spelling the log uses."""
        if self._coders is None:
            self._coders = {c.casefold(): c for c in store.coders(self.project)}
        return self._coders

    # -- one decision ---------------------------------------------------------------------------
    def _coder_problem(self, coder: str, batch_coders: dict[str, str]) -> str | None:
        folded = coder.casefold()
        if folded in RESERVED_CODERS and coder not in self.owned:
            if folded == MACHINE:
                return f"coder '{coder}' is reserved for the machine's suggestions (give your own coder name)"
            return (
                f"coder '{coder}' is reserved for reconciled codings (`thematic reconcile` writes them; "
                "give your own coder name)"
            )
        try:
            check_coder(coder, allow_consensus=coder == CONSENSUS and CONSENSUS in self.owned)
        except ThematicError as exc:
            reason = exc.message.split(" (")[0]
            return f"{reason} (use letters, digits, '.', '-' or '_', starting with a letter)"
        for known in (self.coders.get(folded), batch_coders.get(folded)):
            if known is not None and known != coder:
                return (
                    f"coder '{coder}' is '{known}' in this project (coder names do not depend on case; "
                    f"write '{known}')"
                )
        return None

    def _one(self, d: Decision, batch_coders: dict[str, str]) -> list[str]:
        problems = []
        if not isinstance(d.uuid, str) or not UUID_RE.fullmatch(d.uuid):
            problems.append(f"'{d.uuid}' is not a decision id (a uuid like 0f1d5b5e-...-...)")
        coder_problem = self._coder_problem(d.coder, batch_coders)
        if coder_problem:
            problems.append(coder_problem)
        if d.unit_id not in self.units:
            problems.append(f"unit '{d.unit_id}' is not in this project")
        if d.codebook_hash is not None:
            themes = self.themes.get(d.codebook_hash)
            if themes is None:
                problems.append(
                    f"codebook version {d.codebook_hash[:12]} is not in this project (run `thematic codebook "
                    "use FILE` with that codebook first)"
                )
            else:
                unknown = sorted(set(d.themes) - themes)
                if unknown:
                    problems.append(
                        f"theme{'s' if len(unknown) > 1 else ''} {', '.join(repr(t) for t in unknown)} "
                        f"not in the decision's codebook version"
                    )
                elif d.kind == "code":
                    broken = self._codebook(d.codebook_hash).structure_problem(d.themes)
                    if broken:
                        problems.append(f"{broken} (the codebook's structure; see docs/codebook.md)")
        elif d.themes:
            every = set().union(*self.themes.values()) if self.themes else set()
            unknown = sorted(set(d.themes) - every)
            if unknown:
                problems.append(
                    f"theme{'s' if len(unknown) > 1 else ''} {', '.join(repr(t) for t in unknown)} "
                    "not in any codebook of this project"
                )
        if d.at > self.latest:
            problems.append(
                f"its time {d.at} is in the future (more than a day ahead of this computer's clock)"
            )
        if d.kind == "undo":
            if not d.target_uuid or not UUID_RE.fullmatch(d.target_uuid):
                problems.append(f"undo target '{d.target_uuid}' is not a decision id")
            elif d.target_uuid == d.uuid:
                problems.append("the undo undoes itself")
            if d.themes:
                problems.append("an undo carries no themes")
        elif d.target_uuid is not None:
            problems.append(f"a '{d.kind}' decision has no target (only an undo has one)")
        return problems

    # -- a batch ---------------------------------------------------------------------------------
    def check(self, batch: Sequence[tuple[int | None, Decision]]) -> list[Problem]:
        """Every problem of ``batch`` ((line, decision) pairs), in line order; [] when all is well."""
        problems: list[Problem] = []
        batch_coders: dict[str, str] = {}
        for line, d in batch:
            found = self._one(d, batch_coders)
            if not found:
                batch_coders.setdefault(d.coder.casefold(), d.coder)
            for message in found:
                problems.append(Problem(line, d.uuid, message))
        problems.extend(self._undo_problems(batch))
        problems.sort(key=lambda p: (p.line is None, p.line or 0))
        return problems

    def _undo_problems(self, batch: Sequence[tuple[int | None, Decision]]) -> list[Problem]:
        undos = [
            (line, d)
            for line, d in batch
            if d.kind == "undo" and d.target_uuid and d.target_uuid != d.uuid
        ]
        if not undos:
            return []
        in_batch = {d.uuid: d for _, d in batch}
        wanted = {d.target_uuid for _, d in undos} - set(in_batch)
        stored = store.by_uuid(self.project, wanted) if wanted else {}
        known = {**stored, **in_batch}
        problems = []
        for line, d in undos:
            target = known.get(d.target_uuid)
            if target is None:
                problems.append(
                    Problem(line, d.uuid, f"undo target {d.target_uuid} is not in this project or this file")
                )
                continue
            if target.coder != d.coder or target.unit_id != d.unit_id:
                problems.append(
                    Problem(
                        line,
                        d.uuid,
                        f"the undo is by '{d.coder}' on unit '{d.unit_id}' but its target is by "
                        f"'{target.coder}' on unit '{target.unit_id}' (an undo reverses the same coder's "
                        "decision on the same unit)",
                    )
                )
                continue
            seen = {d.uuid}
            step = target
            while step is not None and step.kind == "undo" and step.target_uuid:
                if step.uuid in seen or step.target_uuid in seen:
                    problems.append(Problem(line, d.uuid, "its chain of undo targets loops back on itself"))
                    break
                seen.add(step.uuid)
                step = known.get(step.target_uuid) or self._fetch(step.target_uuid, known)
        return problems

    def _fetch(self, uuid: str, known: dict[str, Decision]) -> Decision | None:
        found = store.by_uuid(self.project, [uuid]).get(uuid)
        if found is not None:
            known[uuid] = found
        return found

    def require(
        self,
        batch: Sequence[tuple[int | None, Decision]],
        *,
        source: str | None = None,
        hint: str = "nothing was recorded",
        label: str = "line",
    ) -> None:
        """Raise one ThematicError listing the first problems of ``batch``; return when there are none."""
        problems = self.check(batch)
        if problems:
            raise ThematicError(describe(problems, source=source, hint=hint, label=label))


def describe(
    problems: Sequence[Problem],
    *,
    source: str | None = None,
    hint: str = "nothing was recorded",
    label: str = "line",
) -> str:
    """One line for a list of problems: the first few, and how many more."""
    shown = "; ".join(p.show(label) for p in problems[:MAX_LISTED])
    more = f"; and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
    label = f"{len(problems)} problems: " if len(problems) > 1 else ""
    lead = f"{source}: " if source else ""
    return f"{lead}{label}{shown}{more} ({hint})"


def validate(project, decisions: Iterable[Decision], *, owned: Iterable[str] = ()) -> None:
    """Refuse ``decisions`` (not from a file) on any problem: one ThematicError naming the first ones."""
    DecisionValidator(project, owned=owned).require([(None, d) for d in decisions])


__all__ = [
    "DecisionValidator",
    "Problem",
    "check_new_coder",
    "coder_identity",
    "describe",
    "validate",
    "MAX_AHEAD",
    "UUID_RE",
    "CONSENSUS",
]
