"""`thematic check`: the whole project checked, page by page and decision by decision.

Opening a project already checks the cheap things (the header, the application id, the schema version,
the ``meta`` rows, and ``PRAGMA quick_check`` on files up to 16 MB). :func:`check_project` adds what
is too slow to do on every command:

* ``PRAGMA integrity_check`` (every page, every record, every index against its table);
* ``PRAGMA foreign_key_check`` (every reference: units to responses, decisions to units, ...);
* the decision log through the decision validator (:mod:`thematic.review.validate`): ids, coders (one
  identity whatever the case), units, themes of each decision's codebook version, times in the future,
  undo targets and cycles. A log that passed every import can still fail here when it was written by an
  older thematic, or by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from thematic.store.project import foreign_key_problems, integrity_check

MAX_LISTED = 20


@dataclass
class CheckReport:
    path: str
    checks: list[tuple[str, list[str]]] = field(default_factory=list)  # (what, problems)

    @property
    def ok(self) -> bool:
        return all(not problems for _, problems in self.checks)

    def to_dict(self) -> dict:
        return {
            "project": self.path,
            "ok": self.ok,
            "checks": [{"check": what, "problems": problems} for what, problems in self.checks],
        }


def check_project(project) -> CheckReport:
    report = CheckReport(str(project.location))
    if project.engine.name != "sqlite":
        # The server keeps its own pages, and enforces every foreign key on each write: only the log's
        # rules, which no database constraint states, are left to check.
        report.checks.append(("the decision log", _log_problems(project)))
        return report
    found = integrity_check(project, MAX_LISTED)
    report.checks.append(("pages and records (PRAGMA integrity_check)", [] if found == ["ok"] else found))
    if found != ["ok"]:
        return report  # reading tables of a damaged file may give wrong answers or fail
    missing = foreign_key_problems(project)
    report.checks.append(("references between tables (PRAGMA foreign_key_check)", missing[:MAX_LISTED]))
    report.checks.append(("the decision log", _log_problems(project)))
    return report


def _log_problems(project) -> list[str]:
    from thematic.review.validate import CONSENSUS, DecisionValidator
    from thematic.store import decisions as store

    log = store.decisions(project)
    validator = DecisionValidator(project, owned={CONSENSUS})
    problems = validator.check([(None, d) for d in log])
    shown = [f"decision {p.uuid} ({_coder_of(log, p.uuid)}): {p.message}" for p in problems]
    return shown[:MAX_LISTED] + ([f"and {len(shown) - MAX_LISTED} more"] if len(shown) > MAX_LISTED else [])


def _coder_of(log, uuid: str) -> str:
    for d in log:
        if d.uuid == uuid:
            return f"coder {d.coder}, unit {d.unit_id}"
    return "?"
