"""Diffs between codebooks."""

from __future__ import annotations

from tests.conftest import DEMO_CODEBOOK
from thematic.codebook.diff import diff_codebooks
from thematic.codebook.load import load_codebook
from thematic.codebook.model import Codebook, Theme


def test_same_codebook_has_no_changes():
    cb = load_codebook(DEMO_CODEBOOK)
    d = diff_codebooks(cb, cb)
    assert d.same and d.summary() == "no changes"


def test_every_kind_of_change():
    old = Codebook(
        "demo",
        title="Old",
        themes=(
            Theme("risk", "Risk", "Unsafe.", include=("crisis", "harm")),
            Theme("cost", "Cost", "Cheap."),
            Theme("access", "Access", "Reach."),
        ),
    )
    new = Codebook(
        "demo",
        title="New",
        themes=(
            Theme("access", "Access", "Reach.", colour="#aabbcc"),
            Theme("risk", "Risks", "Unsafe for clients.", include=("harm", "abuse")),
            Theme("price", "Cost", "Cheap."),
            Theme("sub", "Sub", "A sub-theme.", parent_id="risk"),
        ),
    )
    d = diff_codebooks(old, new)
    assert [t.id for t in d.added] == ["price", "sub"]
    assert [t.id for t in d.removed] == ["cost"]
    assert d.renamed == (("risk", "Risk", "Risks"),)
    assert d.id_changes == (("cost", "price"),)
    assert d.reordered
    assert [(c.id, [(f.field, f.old, f.new) for f in c.changes]) for c in d.changed] == [
        ("access", [("colour", None, "#aabbcc")]),
        (
            "risk",
            [
                ("definition", "Unsafe.", "Unsafe for clients."),
                ("include", ("crisis", "harm"), ("harm", "abuse")),
            ],
        ),
    ]
    assert d.summary() == "2 added, 1 removed, 1 renamed, 2 changed, title changed, themes reordered"
    data = d.to_dict()
    assert data["changed"][1]["changes"][1] == {
        "field": "include",
        "old": ["crisis", "harm"],
        "new": ["harm", "abuse"],
    }
    assert data["id_changes"] == [{"old": "cost", "new": "price"}]


def test_word_diff():
    from thematic.codebook.diff import word_diff

    old = "one two three four five six seven eight nine ten eleven twelve"
    assert word_diff(old, old.replace("two", "2").replace("eleven", "11"), context=1) == [
        "one [-two-]{+2+} three ...", "... ten [-eleven-]{+11+} twelve"]
    assert word_diff("a b", "a b c") == ["a b {+c+}"]
    assert word_diff("a b", "a b") == []
