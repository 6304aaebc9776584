"""The decision log: the Decision record, undo and "latest" rules, and the store's append-only table."""

from __future__ import annotations

import json
import re

import pytest

from tests.review.conftest import KEY
from thematic.errors import ThematicError
from thematic.review.decisions import Decision, check_coder, current_codings, effective, latest_notes, undone
from thematic.store import decisions as store
from thematic.store.corpus import list_units
from thematic.store.engine import database_errors


def decision_line(themes: str, kind: str) -> str:
    return json.dumps({"uuid": "x", "coder": "ana", "unit_id": "u", "kind": kind, "at": at(1)})[:-1] + (
        f', "themes": {themes}}}'
    )


def at(n: int) -> str:
    return f"2026-03-01T10:00:00.{n:06d}Z"


def d(uuid, unit="u1", themes=(), kind="code", n=1, coder="ana", **kw) -> Decision:
    return Decision.new(coder, unit, themes, kind, uuid=uuid, at=at(n), **kw)


# -- the record ------------------------------------------------------------------------------------------


def test_json_round_trip_keeps_every_field():
    decision = Decision.new(
        "ana",
        "R001.x",
        {"b", "a"},
        note="about [b] waiting",
        codebook_hash="abc",
        suggestions={"run": 3, "scores": {"a": 0.61}, "assigned": ["a"]},
    )
    assert Decision.from_json(decision.to_json()) == decision
    assert Decision.from_json(decision.to_dict()) == decision
    assert decision.to_dict()["themes"] == ["a", "b"]


@pytest.mark.parametrize(
    "line, reason",
    [
        ("[1]", "not a JSON object"),
        ("{", "not valid JSON (Expecting property name enclosed in double quotes)"),
        ('{"uuid": "x"}', "missing fields: coder, unit_id, themes, kind, at"),
        (
            decision_line('"a"', "code"),
            "'themes' must be a list of theme ids",
        ),
        (
            decision_line("[]", "recode"),
            "'kind' must be one of code, skip, flag, undo, not 'recode'",
        ),
        (
            decision_line("[]", "undo"),
            "an undo decision needs 'target_uuid'",
        ),
        (
            '{"uuid": "x", "coder": "ana", "unit_id": "u", "themes": [], "kind": "code", "at": "yesterday"}',
            "'at' must be a UTC time like 2026-01-31T09:15:00.000000Z, not 'yesterday'",
        ),
    ],
)
def test_from_json_says_what_is_wrong(line, reason):
    with pytest.raises(ValueError, match=re.escape(reason)):
        Decision.from_json(line)


@pytest.mark.parametrize(
    "name, message",
    [
        (
            "machine",
            "coder name 'machine' is reserved for the machine's suggestions "
            "(choose your own name, e.g. --coder ana)",
        ),
        (
            "consensus",
            "coder name 'consensus' is reserved for reconciled codings (use `thematic reconcile`, "
            "or choose your own name, e.g. --coder ana)",
        ),
        (
            "ana maria",
            "coder name 'ana maria' is not valid (use letters, digits, '.', '-' or '_', no spaces, "
            "at most 64 characters, e.g. --coder ana)",
        ),
        (
            "",
            "coder name '' is not valid (use letters, digits, '.', '-' or '_', no spaces, "
            "at most 64 characters, e.g. --coder ana)",
        ),
    ],
)
def test_reserved_and_invalid_coder_names(name, message):
    with pytest.raises(ThematicError, match=f"^{re.escape(message)}$"):
        check_coder(name)


def test_consensus_allowed_when_asked_and_unicode_names_ok():
    assert check_coder("consensus", allow_consensus=True) == "consensus"
    assert check_coder("José.G-2") == "José.G-2"


def test_new_decisions_have_increasing_timestamps():
    stamps = [Decision.new("ana", "u", ()).at for _ in range(200)]
    assert stamps == sorted(stamps) and len(set(stamps)) == 200


# -- from a log to codings -------------------------------------------------------------------------------


def test_latest_is_by_time_then_uuid_not_arrival():
    early, late = d("b", themes={"x"}, n=1), d("a", themes={"y"}, n=2)
    assert current_codings([late, early]) == current_codings([early, late]) == {"u1": frozenset({"y"})}
    tie_1, tie_2 = d("a", themes={"x"}, n=5), d("b", themes={"y"}, n=5)
    assert current_codings([tie_2, tie_1]) == {"u1": frozenset({"y"})}


def test_undo_reverses_its_target_and_undo_of_undo_restores_it():
    first, second = d("1", themes={"x"}, n=1), d("2", themes={"y"}, n=2)
    undo = d("3", kind="undo", target_uuid="2", n=3)
    assert current_codings([first, second, undo]) == {"u1": frozenset({"x"})}
    redo = d("4", kind="undo", target_uuid="3", n=4)
    assert current_codings([first, second, undo, redo]) == {"u1": frozenset({"y"})}
    assert undone([first, second, undo, redo]) == {"3"}


def test_skip_and_flag_do_not_change_a_coding_and_notes_follow_the_latest():
    log = [
        d("1", themes={"x"}, n=1, note="first"),
        d("2", kind="skip", n=2),
        d("3", kind="flag", n=3, note="ask"),
    ]
    assert current_codings(log) == {"u1": frozenset({"x"})}
    assert latest_notes(log) == {"u1": "ask"}
    assert [e.uuid for e in effective(log)] == ["1", "2", "3"]


def test_empty_set_means_no_theme_applies():
    assert current_codings([d("1", themes=(), n=1)]) == {"u1": frozenset()}


# -- the store -------------------------------------------------------------------------------------------


def test_record_is_idempotent_and_append_only(demo_project):
    unit = list_units(demo_project, limit=1)[0]
    decision = Decision.new("ana", unit.id, {"mixed-support"})
    assert store.record(demo_project, decision) is True
    assert store.record(demo_project, decision) is False
    assert store.record_many(demo_project, [decision, Decision.new("ben", unit.id, ())]) == 1
    assert store.count(demo_project) == 2
    with pytest.raises(database_errors(), match="append-only"):
        demo_project.execute("UPDATE decisions SET coder = 'eve'")
    with pytest.raises(database_errors(), match="append-only"):
        demo_project.execute("DELETE FROM decisions")


def test_record_refuses_an_unknown_unit(demo_project):
    with pytest.raises(
        ThematicError,
        match=re.escape("unit 'R999.nope' not found in this project (list unit ids with `thematic units`)"),
    ):
        store.record(demo_project, Decision.new("ana", "R999.nope", ()))
    assert store.count(demo_project) == 0


def test_store_reads_codings_coders_notes_in_log_order(demo_project):
    units = list_units(demo_project)
    ana = [
        Decision.new("ana", u.id, KEY[u.respondent_id], note="n" if i == 0 else None)
        for i, u in enumerate(units)
    ]
    store.record_many(demo_project, reversed(ana))  # arrival order does not matter
    store.record(demo_project, Decision.new("ben", units[0].id, {"mixed-support"}))
    assert store.coders(demo_project) == ["ana", "ben"]
    assert [x.uuid for x in store.decisions(demo_project, coder="ana")] == [x.uuid for x in ana]
    codings = store.current_codings(demo_project, "ana")
    assert codings == {u.id: KEY[u.respondent_id] for u in units}
    assert store.current_codings(demo_project, "ana", question="answer") == codings
    assert store.latest_notes(demo_project, "ana") == {units[0].id: "n"}
    assert store.current_codings(demo_project, "nobody") == {}


def test_machine_codings_come_from_the_latest_suggest_run(suggested_project):
    codings = store.current_codings(suggested_project, "machine")
    from thematic.store.ml import machine_codings

    assert codings == machine_codings(suggested_project) and len(codings) == 112
    assert store.current_codings(suggested_project, "machine", question="nope") == {}
