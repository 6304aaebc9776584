"""`thematic reconcile`: agreed units carried to consensus, disagreements walked on the review screen
with a note of who disagreed; idempotent, resumable, and honest when coders change their minds."""

from __future__ import annotations

import io
import re

import pytest

from tests.agreement.test_table import KEY, ben, make_coded
from thematic.agreement.reconcile import apply_plan, compare, plan_reconcile
from thematic.errors import ThematicError
from thematic.review import decisions as log
from thematic.review.decisions import Decision
from thematic.store import corpus
from thematic.store import decisions as store


@pytest.fixture
def coded(demo_project):
    return make_coded(demo_project)


@pytest.fixture
def stdin(monkeypatch):
    def feed(text: str) -> None:
        monkeypatch.setattr("sys.stdin", io.StringIO(text))

    return feed


def both_coded(project) -> list:
    return [u for u in corpus.list_units(project) if int(u.respondent_id[1:]) <= 100]


def test_compare_sorts_units_into_agreements_and_disagreements(coded):
    result = compare(coded, ["ana", "ben"])
    units = both_coded(coded)
    assert [d.unit.id for d in result.disagreements] == [
        u.id for u in units if KEY[u.respondent_id] != ben(u.respondent_id)
    ]
    assert len(result.agreed) == len(units) - len(result.disagreements) and result.n_both == len(units)
    assert result.only_one == len(corpus.list_units(coded)) - len(units)
    first = result.disagreements[0]
    assert first.codings == {"ana": KEY[first.unit.respondent_id], "ben": ben(first.unit.respondent_id)}


def test_agreed_units_are_carried_once(coded):
    plan = plan_reconcile(coded, ["ana", "ben"])
    assert len(plan.carry) == len(plan.comparison.agreed) and plan.withdraw == () and plan.already == 0
    assert apply_plan(coded, plan) == len(plan.carry)
    consensus = store.current_codings(coded, "consensus")
    assert consensus == {d.unit.id: d.codings["ana"] for d in plan.comparison.agreed}
    assert set(store.latest_notes(coded, "consensus").values()) == {"agreed by ana, ben"}
    again = plan_reconcile(coded, ["ana", "ben"])
    assert again.carry == () and again.already == len(plan.carry)
    assert apply_plan(coded, again) == 0


def test_scripted_reconcile_records_consensus_with_who_disagreed(cli, coded, stdin):
    plan = plan_reconcile(coded, ["ana", "ben"])
    first, second, third = plan.comparison.disagreements[:3]
    stdin('1 .\n4 n "risk is the point" .\nq\n')  # ben's two stances: the adjudicator keeps one
    result = cli("reconcile", "--coders", "ana,ben")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    n_agree, n_dis = len(plan.comparison.agreed), len(plan.comparison.disagreements)
    assert lines[:2] == [
        f"ana and ben both coded 94 units: they agree on {n_agree} and disagree on {n_dis}; "
        "18 units coded by only one of them are left out",
        f"carried {n_agree} agreed units to consensus (note: agreed by ana, ben)",
    ]
    assert f"thematic review · coder consensus · 0 of {n_dis} coded" in lines
    assert "ana coded: 1 negative-responses" in lines
    assert "ben coded: 1 negative-responses, 3 mixed-support" in lines
    assert f"saved: {first.unit.id} coded negative-responses" in lines
    assert (
        lines[-1]
        == "quit: 2 decisions saved in this session; run the same command to go on where you stopped"
    )

    acts = log.latest_acts(store.decisions(coded, coder="consensus"))
    assert acts[first.unit.id].themes == {"negative-responses"}
    assert acts[first.unit.id].note == (
        "ana and ben disagreed (ana: negative-responses; ben: mixed-support, negative-responses)"
    )
    a, b = (", ".join(sorted(second.codings[c])) or "no theme" for c in ("ana", "ben"))
    assert acts[second.unit.id].note == f"ana and ben disagreed (ana: {a}; ben: {b}); note: risk is the point"
    assert third.unit.id not in acts

    stdin("q\n")  # resume: the carry is not repeated, the walk starts at the third disagreement
    result = cli("reconcile", "--coders", "ana,ben")
    assert result.stdout.splitlines()[1] == (
        f"carried 0 agreed units to consensus (note: agreed by ana, ben); {n_agree} were there already"
    )
    assert f"thematic review · coder consensus · 2 of {n_dis} coded" in result.stdout
    assert f"unit {third.unit.id} ·" in result.stdout

    table = cli("agree", "--coders", "ana,consensus", "--n-boot", "20")
    assert table.stdout.startswith(f"agreement of ana and consensus on {n_agree + 2} units")


def test_undo_in_reconcile_keeps_one_note(cli, coded, stdin):
    plan = plan_reconcile(coded, ["ana", "ben"])
    first = plan.comparison.disagreements[0]
    stdin("n first try\n1 .\nu\n1 3 .\nq\n")  # undo brings back the selection (1) and the note
    result = cli("reconcile", "--coders", "ana,ben")
    assert f"saved: undid your coding (negative-responses) of {first.unit.id}" in result.stdout
    acts = log.latest_acts(store.decisions(coded, coder="consensus"))
    assert acts[first.unit.id].themes == {"mixed-support"}
    assert acts[first.unit.id].note == (
        "ana and ben disagreed (ana: negative-responses; ben: mixed-support, negative-responses); "
        "note: first try"
    )


def test_nothing_to_reconcile(cli, demo_project, stdin):
    from tests.agreement.test_table import code, use_demo_codebook

    use_demo_codebook(demo_project)
    code(demo_project, "ana", upto=10)
    code(demo_project, "ben", lambda r: KEY[r], upto=10)
    stdin("")
    result = cli("reconcile", "--coders", "ana,ben", "--as", "agreed")
    assert result.stdout.splitlines() == [
        "ana and ben both coded 10 units: they agree on 10 and disagree on 0",
        "carried 10 agreed units to agreed (note: agreed by ana, ben)",
        "nothing to reconcile: no units where they disagree",
    ]
    assert len(store.current_codings(demo_project, "agreed")) == 10


def test_a_carry_follows_the_coders(coded):
    apply_plan(coded, plan_reconcile(coded, ["ana", "ben"]))
    plan = plan_reconcile(coded, ["ana", "ben"])
    agreed = [d.unit for d in plan.comparison.agreed]
    disputed = [d.unit for d in plan.comparison.disagreements]
    # 1. ben changes his mind on an agreed unit: the carried coding is withdrawn and the unit walked.
    store.record(coded, Decision.new("ben", agreed[0].id, {"possibilities-of-ai"}))
    # 2. both change an agreed unit to the same new set: a new carry replaces the old one.
    for coder in ("ana", "ben"):
        store.record(coded, Decision.new(coder, agreed[1].id, {"therapeutic-risks"}))
    # 3. a disagreement adjudicated by hand, then the coders agree on something else: the
    #    adjudicated coding is kept.
    store.record(coded, Decision.new("consensus", disputed[0].id, {"mixed-support"}))
    for coder in ("ana", "ben"):
        store.record(coded, Decision.new(coder, disputed[0].id, {"negative-responses"}))

    plan = plan_reconcile(coded, ["ana", "ben"])
    assert [d.unit_id for d in plan.withdraw] == [agreed[0].id]
    assert plan.withdraw[0].note == "withdrawn: ana and ben no longer agree"
    assert [d.unit_id for d in plan.carry] == [agreed[1].id] and plan.kept == 1
    assert agreed[0].id in [u.id for u in plan.walk]
    apply_plan(coded, plan)
    consensus = store.current_codings(coded, "consensus")
    assert agreed[0].id not in consensus
    assert consensus[agreed[1].id] == {"therapeutic-risks"}
    assert consensus[disputed[0].id] == {"mixed-support"}
    # 4. ana goes back to what she had: the old carry's decisions no longer stand, so a fresh one is made.
    store.record(coded, Decision.new("ben", agreed[0].id, KEY[agreed[0].respondent_id]))
    plan = plan_reconcile(coded, ["ana", "ben"])
    assert [d.unit_id for d in plan.carry] == [agreed[0].id] and plan.withdraw == ()
    apply_plan(coded, plan)
    assert store.current_codings(coded, "consensus")[agreed[0].id] == KEY[agreed[0].respondent_id]


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--coders", "ana,machine"],
            "reconcile takes two human coders, and 'machine' is the latest suggest run "
            "(compare with it in `thematic agree` or `thematic disagreements`)",
        ),
        (
            ["--coders", "ana,ben,cat"],
            "reconcile compares exactly two coders (give --coders a,b, e.g. --coders ana,ben); got 3",
        ),
        (
            ["--coders", "ana,consensus"],
            "'consensus' is both a coder to reconcile and the coder to record as "
            "(choose another name with --as, or other --coders)",
        ),
        (
            ["--coders", "ana,ben", "--as", "machine"],
            "coder name 'machine' is reserved for the machine's suggestions "
            "(choose your own name, e.g. --coder ana)",
        ),
        (
            ["--coders", "ana,zed"],
            "coder 'zed' has coded nothing in this project (coders with codings: ana, ben)",
        ),
    ],
)
def test_errors(cli, coded, stdin, args, message):
    stdin("")
    before = store.count(coded)
    result = cli("reconcile", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"error: {message}\n")
    assert store.count(coded) == before


def test_reconcile_needs_a_codebook(demo_project):
    with pytest.raises(
        ThematicError, match=re.escape("no codebook in use (run `thematic codebook use FILE` first)")
    ):
        plan_reconcile(demo_project, ["ana", "ben"])


def test_a_second_pair_into_the_same_consensus_is_a_choice_made_out_loud(coded):
    from tests.agreement.test_table import SCRIPTS, code

    code(coded, "cal", SCRIPTS["ben"], upto=60)
    apply_plan(coded, plan_reconcile(coded, ["ana", "ben"]))
    before = store.count(coded)
    with pytest.raises(ThematicError) as caught:
        plan_reconcile(coded, ["ana", "cal"])
    assert caught.value.message == (
        "'consensus' already holds the reconciliation of ana and ben (record ana and cal as another coder "
        "with --as, e.g. --as consensus-ana-cal; or pass --add-pair to put both pairs into 'consensus')"
    )
    assert store.count(coded) == before  # refused before anything was recorded
    own = plan_reconcile(coded, ["ana", "cal"], target="consensus-ana-cal")
    assert own.carry and plan_reconcile(coded, ["ben", "ana"]).carry == ()  # the same pair, either order
    both = plan_reconcile(coded, ["ana", "cal"], add_pair=True)  # cal codes as ben: all there already
    assert both.carry == () and both.already == len(both.comparison.agreed) > 0
