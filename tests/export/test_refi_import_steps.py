"""The steps of import-refi's decision building, each on its own: one decision per coder x unit from
the selections' acts, and the notes on what was left out. (Whose a coding is, `_Coders`, is tested
through whole files in test_refi.py and test_refi_hostile.py: renamed users, two users with one name,
a coding with no user.)"""

from __future__ import annotations

from thematic.export.refi_import import RefiImportSummary, _Act, _Tally, decisions_from_acts
from thematic.review.decisions import derived_uuid

GUID_A = "44444444-4444-4444-8444-444444444444"
GUID_B = "55555555-5555-4555-8555-555555555555"
NOW = "2026-01-03T00:00:00.000000Z"


def test_one_selection_exactly_a_unit_keeps_its_guid_as_the_decision():
    acts = {("ana", "R1.u"): [_Act(GUID_A, {"x"}, "2026-01-01T00:00:00.000000Z", "a note", True)]}
    [d] = decisions_from_acts(acts, sha="f", codebook_hash="h", now=NOW)
    assert (d.coder, d.unit_id, d.themes, d.uuid, d.at, d.note, d.codebook_hash) == (
        "ana", "R1.u", frozenset({"x"}), GUID_A, "2026-01-01T00:00:00.000000Z", "a note", "h")


def test_several_selections_on_a_unit_make_one_decision_with_their_union():
    acts = {
        ("ana", "R1.u"): [
            _Act(GUID_B, {"y"}, "2026-01-02T00:00:00.000000Z", "second", False),
            _Act(GUID_A, {"x"}, "2026-01-01T00:00:00.000000Z", "first", False),
            _Act("not-a-guid", set(), None, "first", False),
        ],
        ("ben", "R1.u"): [_Act("c", set(), None, "", True)],  # no theme applies; no time: now
    }
    ana, ben = decisions_from_acts(acts, sha="f", codebook_hash=None, now=NOW)
    assert ana.themes == {"x", "y"} and ana.at == "2026-01-02T00:00:00.000000Z"
    assert ana.note == "second\nfirst"  # in the order of the selections, each once
    assert ana.uuid == derived_uuid("refi", "f", "ana", "R1.u", GUID_A, GUID_B, "not-a-guid")
    assert (ben.themes, ben.at, ben.note) == (frozenset(), NOW, None)
    assert ben.uuid == derived_uuid("refi", "f", "ben", "R1.u", "c")  # not a GUID: derived


def test_the_tally_becomes_one_note_per_kind_of_loss():
    summary = RefiImportSummary("x.qdpx", "MAXQDA", from_thematic=False)
    tally = _Tally(misaligned=2, unplaced=1, case_codings=3, machine_skipped=1, unknown_codes={"g1", "g2"})
    assert tally.notes(["'Jane Doe' -> Jane-Doe"], summary) == [
        "user names became coder names: 'Jane Doe' -> Jane-Doe",
        "left out 1 coding by 'machine' (machine suggestions are not decisions; run `thematic suggest` to "
        "make them again)",
        "left out the codings of 2 codes that the codebook does not hold",
        "left out 3 codings of case nodes (a code that shares its GUID with a case marks that case's text; "
        "thematic links respondents to answers itself)",
        "left out 1 selection that cover no unit's text (empty, or only white space between units)",
        "2 selections did not line up with unit boundaries; each one coded every unit it overlaps",
    ]
    assert _Tally().notes([], summary) == []
    summary.from_thematic = True  # thematic's own units: a misaligned selection is not news
    assert "did not line up" not in " ".join(_Tally(misaligned=2).notes([], summary))
