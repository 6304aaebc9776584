"""Merging coders' work: the decision log as JSON lines, exported from one copy and imported into another.

One decision per line (:meth:`Decision.to_json`), in log order. Import is idempotent and order-
independent: a decision is identified by its uuid, a known uuid adds nothing, and "latest" is decided
by ``(at, uuid)``, not by arrival. So coders can code blind in separate copies of a project built from
the same survey file (unit ids are derived from the file, so they agree) and merge in any order.

A whole file is checked before anything is recorded; one bad line and nothing from the file is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from thematic.errors import ThematicError
from thematic.outfile import write_text
from thematic.review.codings import check_log_coder
from thematic.review.decisions import MACHINE, Decision
from thematic.review.validate import DecisionValidator, Problem, describe
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
    skipped: list[str] = field(default_factory=list)  # with --skip-bad: "line N: why", one per bad line

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "lines": self.lines,
            "added": self.added,
            "already_present": self.already,
            "added_by_coder": self.coders,
            "skipped": self.skipped,
        }


def log_text(project: Project, *, coder: str | None = None) -> tuple[str, int]:
    """(the log, or one coder's part of it, as JSON lines in log order; the number of decisions)."""
    if coder is not None:
        check_log_coder(project, coder)
    rows = store.decisions(project, coder=coder)
    return "".join(d.to_json() + "\n" for d in rows), len(rows)


def export_decisions(
    project: Project, out: str | Path, *, coder: str | None = None, force: bool = False
) -> int:
    """Write the log (or one coder's part) as JSON lines, in log order, to the file ``out`` (for stdout,
    the CLI writes :func:`log_text`).

    The file is written whole and then moved into place, so an interrupted export leaves no half file.
    Returns the number of decisions written.
    """
    text, count = log_text(project, coder=coder)
    write_text(out, text, project=project, force=force, newline="\n")
    return count


def read_decisions(path: str | Path) -> list[tuple[int, Decision]]:
    """(line number, decision) for every non-blank line; a ThematicError names the first bad line."""
    found, problems = _parse(Path(path))
    if problems:
        raise ThematicError(problems[0].refusal(Path(path).name, HINT))
    return found


def _parse(path: Path) -> tuple[list[tuple[int, Decision]], list[Problem]]:
    """The decisions of a .jsonl file, and a Problem for each line that is not one."""
    if not path.exists():
        raise ThematicError(f"file not found: {path} (check the path)")
    if path.is_dir():
        raise ThematicError(f"{path} is a folder (give a .jsonl file made by `thematic decisions export`)")
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ThematicError(
            f"{path.name} is UTF-16 text (save it as UTF-8, or give a .jsonl file made by "
            "`thematic decisions export`)"
        )
    found: list[tuple[int, Decision]] = []
    problems: list[Problem] = []
    for number, line_bytes in enumerate(raw.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        try:
            line = line_bytes.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(number, "", "is not UTF-8 text"))
            continue
        if not line.strip():
            continue
        try:
            decision = Decision.from_json(line)
        except ValueError as exc:
            problems.append(Problem(number, "", f"is not a decision ({exc})"))
            continue
        except RecursionError:
            problems.append(Problem(number, "", "is not a decision (JSON nested too deeply)"))
            continue
        if decision.coder == MACHINE:
            problems.append(
                Problem(
                    number,
                    decision.uuid,
                    "is by coder 'machine', which is reserved for suggest runs (remove such lines)",
                )
            )
            continue
        found.append((number, decision))
    return found, problems


def import_decisions(project: Project, path: str | Path, *, skip_bad: bool = False) -> MergeReport:
    """Add a file's decisions to the log: all of them, or (on any problem) none.

    With ``skip_bad`` the good lines are added and each bad one is reported in ``MergeReport.skipped``
    (a line that undoes a bad line is bad too).
    """
    path = Path(path)
    lines, problems = _parse(path)
    if problems and not skip_bad:
        raise ThematicError(problems[0].refusal(path.name, HINT))
    first_line: dict[str, tuple[int, Decision]] = {}
    good: list[tuple[int, Decision]] = []
    for number, decision in lines:
        if decision.uuid in first_line:
            if first_line[decision.uuid][1] != decision:
                problems.append(
                    Problem(
                        number,
                        decision.uuid,
                        f"repeats decision {decision.uuid} of line {first_line[decision.uuid][0]} with "
                        "different content (the file was edited)",
                    )
                )
            continue
        first_line[decision.uuid] = (number, decision)
        good.append((number, decision))
    if problems and not skip_bad:
        raise ThematicError(problems[0].refusal(path.name, HINT))
    if not skip_bad:
        missing = store.missing_units(project, {d.unit_id for _, d in good})
        if missing:
            number, decision = next((n, d) for n, d in good if d.unit_id in missing)
            raise ThematicError(
                f"{path.name}: line {number} is for unit '{decision.unit_id}', which is not in this project "
                f"({len(missing)} unit{'s' if len(missing) != 1 else ''} missing; import the same survey "
                f"file with the same --unit first; {HINT})"
            )
    validator = DecisionValidator(project)
    with project.transaction():
        stored = store.by_uuid(project, first_line)
        changed = [
            Problem(
                number,
                uuid,
                f"has decision id {uuid}, which this project holds with different content (the file was "
                "edited after export)",
            )
            for uuid, (number, decision) in first_line.items()
            if uuid in stored and stored[uuid] != decision
        ]
        if changed and not skip_bad:
            raise ThematicError(changed[0].refusal(path.name, HINT))
        problems.extend(changed)
        bad_ids = {p.uuid for p in changed}
        candidates = [(n, d) for n, d in good if d.uuid not in stored and d.uuid not in bad_ids]
        while True:
            found = validator.check(candidates)
            if not found:
                break
            if not skip_bad:
                raise ThematicError(describe(found, source=path.name, hint=HINT))
            problems.extend(found)
            refused = {p.uuid for p in found}
            candidates = [(n, d) for n, d in candidates if d.uuid not in refused]
        new = [d for _, d in candidates]
        added = store.record_many(project, new)
    by_coder: dict[str, int] = {}
    for d in new:
        by_coder[d.coder] = by_coder.get(d.coder, 0) + 1
    problems.sort(key=lambda p: p.line or 0)
    return MergeReport(
        path.name,
        len(lines) + len({p.line for p in problems if not p.uuid}),
        added,
        sum(1 for uuid in first_line if uuid in stored and uuid not in bad_ids),
        dict(sorted(by_coder.items())),
        [p.show() for p in problems],
    )
