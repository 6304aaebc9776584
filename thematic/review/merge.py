"""Merging coders' work: the decision log as JSON lines, exported from one copy and imported into another.

One decision per line (:meth:`Decision.to_json`), in log order. Import is idempotent and order-
independent: a decision is identified by its uuid, a known uuid adds nothing, and "latest" is decided
by ``(at, uuid)``, not by arrival. So coders can code blind in separate copies of a project built from
the same survey file (unit ids are derived from the file, so they agree) and merge in any order.

A whole file is checked before anything is recorded; one bad line and nothing from the file is kept.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from thematic.errors import ThematicError
from thematic.outfile import write_text
from thematic.review.decisions import MACHINE, Decision
from thematic.store import decisions as store
from thematic.store.project import Project

HINT = "nothing was imported"


@dataclass
class MergeReport:
    file: str
    lines: int
    added: int
    already: int
    coders: dict[str, int] = field(default_factory=dict)  # coder -> decisions added

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "lines": self.lines,
            "added": self.added,
            "already_present": self.already,
            "added_by_coder": self.coders,
        }


def export_decisions(
    project: Project, out: str | Path, *, coder: str | None = None, force: bool = False
) -> int:
    """Write the log (or one coder's part) as JSON lines, in log order; ``-`` writes to stdout.

    The file is written whole and then moved into place, so an interrupted export leaves no half file.
    Returns the number of decisions written.
    """
    if coder is not None and coder not in store.coders(project):
        known = ", ".join(store.coders(project)) or "nobody has decided anything yet"
        raise ThematicError(f"coder '{coder}' has no decisions in this project (coders: {known})")
    rows = store.decisions(project, coder=coder)
    text = "".join(d.to_json() + "\n" for d in rows)
    if str(out) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return len(rows)
    write_text(out, text, project=project, force=force, newline="\n")
    return len(rows)


def read_decisions(path: str | Path) -> list[tuple[int, Decision]]:
    """(line number, decision) for every non-blank line; a ThematicError names the first bad line."""
    path = Path(path)
    if not path.exists():
        raise ThematicError(f"file not found: {path} (check the path)")
    if path.is_dir():
        raise ThematicError(f"{path} is a folder (give a .jsonl file made by `thematic decisions export`)")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ThematicError(
            f"{path.name} is not UTF-8 text (give a .jsonl file made by `thematic decisions export`)"
        ) from None
    found: list[tuple[int, Decision]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            decision = Decision.from_json(line)
        except ValueError as exc:
            raise ThematicError(f"{path.name}: line {number} is not a decision ({exc}; {HINT})") from None
        if decision.coder == MACHINE:
            raise ThematicError(
                f"{path.name}: line {number} is by coder 'machine', which is reserved for "
                f"suggest runs (remove such lines; {HINT})"
            )
        found.append((number, decision))
    return found


def import_decisions(project: Project, path: str | Path) -> MergeReport:
    """Add a file's decisions to the log: all of them, or (on any problem) none."""
    path = Path(path)
    lines = read_decisions(path)
    first_line: dict[str, tuple[int, Decision]] = {}
    for number, decision in lines:
        if decision.uuid in first_line and first_line[decision.uuid][1] != decision:
            raise ThematicError(
                f"{path.name}: line {number} repeats decision {decision.uuid} of line "
                f"{first_line[decision.uuid][0]} with different content (the file was edited; "
                f"{HINT})"
            )
        first_line.setdefault(decision.uuid, (number, decision))
    missing = store.missing_units(project, {d.unit_id for _, d in lines})
    if missing:
        number, decision = next((n, d) for n, d in lines if d.unit_id in missing)
        raise ThematicError(
            f"{path.name}: line {number} is for unit '{decision.unit_id}', which is not in this project "
            f"({len(missing)} unit{'s' if len(missing) != 1 else ''} missing; import the same survey file "
            f"with the same --unit first; {HINT})"
        )
    with project.transaction():
        stored = store.by_uuid(project, first_line)
        for uuid, (number, decision) in first_line.items():
            if uuid in stored and stored[uuid] != decision:
                raise ThematicError(
                    f"{path.name}: line {number} has decision id {uuid}, which this project "
                    f"holds with different content (the file was edited after export; {HINT})"
                )
        new = [d for uuid, (_, d) in first_line.items() if uuid not in stored]
        added = store.record_many(project, new)
    by_coder: dict[str, int] = {}
    for d in new:
        by_coder[d.coder] = by_coder.get(d.coder, 0) + 1
    return MergeReport(path.name, len(lines), added, len(first_line) - added, dict(sorted(by_coder.items())))
