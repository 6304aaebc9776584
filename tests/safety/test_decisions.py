"""Issue 14.2: one validator for every decision that enters the log. Each hostile line is built here
from a real exported decision; a refused file changes nothing, --skip-bad keeps the good lines."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.safety.conftest import snapshot


def _exported(cli, small) -> list[dict]:
    out = small.folder / "ana.jsonl"
    assert cli("decisions", "export", "--out", out).exit_code == 0
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def _write(path, records) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def _new(base: dict, **changes) -> dict:
    return {**base, "uuid": str(uuid.uuid4()), **changes}


def _undo(target: dict, **changes) -> dict:
    return _new(target, kind="undo", themes=[], target_uuid=target["uuid"], note=None,
                at="2026-01-02T00:00:00.000000Z", **changes)


CASES = {
    "undo of itself": lambda b: [{**_undo(b), "target_uuid": "SELF"}],
    "undo of a missing decision": lambda b: [_undo({**b, "uuid": str(uuid.uuid4())})],
    "a date in 9999": lambda b: [_new(b, at="9999-12-31T00:00:00.000000Z")],
    "coder consensus": lambda b: [_new(b, coder="consensus")],
    "coder Machine": lambda b: [_new(b, coder="Machine")],
    "coder =cmd": lambda b: [_new(b, coder="=cmd")],
    "coder @x": lambda b: [_new(b, coder="@x")],
    "coder ANA where ana exists": lambda b: [_new(b, coder="ANA")],
    "uuid not-a-uuid": lambda b: [{**b, "uuid": "not-a-uuid"}],
    "a theme not in the codebook": lambda b: [_new(b, themes=["made-up-theme"])],
    "an unknown codebook hash": lambda b: [_new(b, codebook_hash="0" * 64)],
    "an undo of another coder's decision": lambda b: [_undo(b, coder="ben")],
}

EXPECTED = {
    "undo of itself": "the undo undoes itself",
    "undo of a missing decision": "is not in this project or this file",
    "a date in 9999": "its time 9999-12-31T00:00:00.000000Z is in the future (more than a day ahead",
    "coder consensus": "coder 'consensus' is reserved for reconciled codings",
    "coder Machine": "coder 'Machine' is reserved for the machine's suggestions",
    "coder =cmd": "coder name '=cmd' is not valid",
    "coder @x": "coder name '@x' is not valid",
    "coder ANA where ana exists": "coder 'ANA' is 'ana' in this project (coder names do not depend on case",
    "uuid not-a-uuid": "'not-a-uuid' is not a decision id",
    "a theme not in the codebook": "theme 'made-up-theme' not in the decision's codebook version",
    "an unknown codebook hash": "codebook version 000000000000 is not in this project",
    "an undo of another coder's decision": "an undo reverses the same coder's decision on the same unit",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_line_is_refused_with_its_number_and_nothing_changes(small, cli, case):
    base = _exported(cli, small)[0]
    bad = CASES[case](base)
    for record in bad:
        if record.get("target_uuid") == "SELF":
            record["target_uuid"] = record["uuid"]
    good = _new(base, unit_id=small.units[3], themes=["mixed-support"])
    path = small.folder / "incoming.jsonl"
    _write(path, [good, *bad])
    before = snapshot(small.path)
    result = cli("decisions", "import", path)
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith("error: incoming.jsonl: line 2")
    assert EXPECTED[case] in result.stderr
    assert result.stderr.rstrip().endswith("nothing was imported)")
    assert snapshot(small.path) == before
    # --skip-bad keeps the good line and names the bad one
    result = cli("decisions", "import", path, "--skip-bad")
    assert result.exit_code == 0, result.stderr
    assert "added 1 decision from incoming.jsonl (ana 1); 0 already in the log; 1 bad lines skipped" in (
        result.stdout
    )
    assert result.stderr.startswith("warning: incoming.jsonl: skipped line 2")
    assert EXPECTED[case] in result.stderr
    assert cli("export", "units", "--coder", "ana", "--out", small.folder / "u.csv").exit_code == 0


def test_a_cycle_of_undos_is_refused(small, cli):
    base = _exported(cli, small)[0]
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    first = {**_undo(base), "uuid": a, "target_uuid": b}
    second = {**_undo(base), "uuid": b, "target_uuid": a}
    path = small.folder / "cycle.jsonl"
    _write(path, [first, second])
    result = cli("decisions", "import", path)
    assert result.exit_code == 2
    assert "line 1: its chain of undo targets loops back on itself" in result.stderr
    assert "line 2: its chain of undo targets loops back on itself" in result.stderr


def test_skip_bad_drops_an_undo_whose_target_was_bad(small, cli):
    base = _exported(cli, small)[0]
    bad = _new(base, coder="=cmd")
    undo_of_bad = _undo(bad, coder="ana")
    path = small.folder / "chain.jsonl"
    _write(path, [bad, undo_of_bad])
    result = cli("decisions", "import", path, "--skip-bad")
    assert result.exit_code == 0
    assert "added 0 decisions" in result.stdout
    assert "line 2: the undo is by 'ana'" in result.stderr or "line 2: undo target" in result.stderr


def test_code_and_review_refuse_another_spelling_of_a_coder(small, cli):
    for coder in ("ANA", "Ana"):
        result = cli("code", small.units[3], "--coder", coder, "-t", "mixed-support")
        assert result.exit_code == 2
        assert result.stderr == (
            f"error: coder '{coder}' is 'ana' in this project (coder names do not depend on case; "
            "use --coder ana)\n"
        )
    for coder in ("Machine", "CONSENSUS"):
        result = cli("code", small.units[3], "--coder", coder, "-t", "mixed-support")
        assert result.exit_code == 2
        assert f"coder name '{coder}' is reserved" in result.stderr


def test_a_log_with_a_cycle_or_a_long_chain_still_reads(small, cli):
    """Logs written before this check (or by hand) may hold a cycle: every command still works."""
    from thematic.review.decisions import Decision, undone
    from thematic.store import decisions as store
    from thematic.store.project import open_project

    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    with open_project(small.path) as project:
        store.record_many(project, [
            Decision.new("ana", small.units[0], kind="undo", target_uuid=a, uuid=a),
            Decision.new("ana", small.units[0], kind="undo", target_uuid=b, uuid=str(uuid.uuid4())),
            Decision.new("ana", small.units[0], kind="undo", target_uuid=a, uuid=b),
        ])
    assert cli("export", "units", "--coder", "ana", "--out", small.folder / "u.csv").exit_code == 0
    assert cli("agree", "--format", "json").exit_code in (0, 2)
    chain = [Decision.new("ana", "u", {"t"}, uuid="d0", at="2026-01-01T00:00:00.000000Z")]
    for i in range(1, 5000):
        chain.append(Decision.new("ana", "u", kind="undo", target_uuid=f"d{i - 1}", uuid=f"d{i}",
                                  at=f"2026-01-01T00:00:00.{i:06d}Z"))
    gone = undone(chain)
    assert ("d0" in gone) == (len(chain) % 2 == 0)


def test_sheets_and_wide_tables_refuse_another_spelling_of_a_coder(small, cli):
    assert cli("sheet", "export", "--coder", "ana", "--out", small.folder / "ana.xlsx").exit_code == 0
    result = cli("sheet", "import", small.folder / "ana.xlsx", "--coder", "Ana")
    assert result.exit_code == 2
    assert "coder 'Ana' is 'ana' in this project" in result.stderr
    wide = small.folder / "wide.csv"
    wide.write_text("respondent_id,Code 1\nR4,mixed-support\n", encoding="utf-8")
    before = snapshot(small.path)
    result = cli("decisions", "import-wide", wide, "--coder", "ANA", "--id", "respondent_id", "-q", "answer")
    assert result.exit_code == 2
    assert "coder 'ANA' is 'ana' in this project" in result.stderr
    assert snapshot(small.path) == before
    result = cli("decisions", "import-wide", wide, "--coder", "cy", "--id", "respondent_id", "-q", "answer")
    assert result.exit_code == 0, result.stderr
