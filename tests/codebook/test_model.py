"""The codebook model: lookups, the canonical form and its hash, and the YAML round trip."""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from tests.codebook.strategies import codebooks
from tests.conftest import DEMO_CODEBOOK
from thematic.codebook.load import load_codebook, parse_codebook
from thematic.codebook.model import Codebook, Theme
from thematic.errors import ThematicError

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def small() -> Codebook:
    return Codebook(
        "demo",
        themes=[
            Theme("risk", "Risk", "Unsafe.", include=["crisis"]),
            Theme("crisis", "Crisis", "Crisis handling.", parent_id="risk"),
            Theme("access", "Access", "Reach."),
        ],
    )


def test_lookups():
    cb = small()
    assert cb.ids() == ["risk", "crisis", "access"]
    assert cb.theme("crisis").parent_id == "risk"
    assert cb.theme("risk").include == ("crisis",)  # lists become tuples
    assert [t.id for t in cb.children()] == ["risk", "access"]
    assert [t.id for t in cb.children("risk")] == ["crisis"]
    assert [t.id for t in cb.path("crisis")] == ["risk", "crisis"]
    assert cb.depth("crisis") == 1 and cb.depth("access") == 0
    assert cb.has("access") and not cb.has("nope")
    hash(cb)  # frozen and hashable


def test_unknown_theme_lists_the_known_ones():
    with pytest.raises(
        ThematicError, match=re.escape("theme 'nope' not in codebook demo (themes are: risk, crisis, access)")
    ):
        small().theme("nope")


def test_construction_checks_the_tree():
    with pytest.raises(
        ThematicError,
        match=re.escape("theme id 'a' appears twice in codebook x (ids are unique across the whole tree)"),
    ):
        Codebook("x", themes=(Theme("a", "A", "d"), Theme("a", "A", "d")))
    with pytest.raises(
        ThematicError,
        match=re.escape(
            "theme 'b' names parent 'a', which does not come before it in codebook x (list parents before "
            "their children)"
        ),
    ):
        Codebook("x", themes=(Theme("b", "B", "d", parent_id="a"), Theme("a", "A", "d")))


def test_hash_ignores_formatting_and_comments():
    a = parse_codebook("""
# a comment
codebook: x
themes:
  - id: a
    name: A
    definition: >
      One
      line.
    keywords: [k1, k2]
    include: []
""")
    b = parse_codebook("""codebook: "x"
themes:
- definition: "One line."   # same text, quoted
  keywords:
  - k1
  - k2
  name: 'A'
  id: a
  colour:
""")
    assert a == b
    assert a.content_hash() == b.content_hash()
    assert re.fullmatch(r"[0-9a-f]{64}", a.content_hash())


def test_hash_changes_with_content():
    cb = small()
    renamed = Codebook(
        "demo", themes=(Theme("risk", "Risks", "Unsafe.", include=("crisis",)), *cb.themes[1:])
    )
    reordered = Codebook("demo", themes=(cb.themes[2], cb.themes[0], cb.themes[1]))
    hashes = {
        cb.content_hash(),
        renamed.content_hash(),
        reordered.content_hash(),
        Codebook("demo", title="T", themes=cb.themes).content_hash(),
    }
    assert len(hashes) == 4


def test_demo_to_yaml_round_trip_and_hash():
    cb = load_codebook(DEMO_CODEBOOK)
    text = cb.to_yaml()
    assert text.startswith("codebook: ai-therapy\ntitle: Therapists' attitudes towards AI in therapy\n")
    again = parse_codebook(text)
    assert again == cb and again.content_hash() == cb.content_hash()
    assert yaml.safe_load(text)["themes"][0]["id"] == "negative-responses"


def test_to_yaml_leaves_out_empty_fields():
    assert (
        small().to_yaml()
        == """codebook: demo
themes:
- id: risk
  name: Risk
  definition: Unsafe.
  include:
  - crisis
  themes:
  - id: crisis
    name: Crisis
    definition: Crisis handling.
- id: access
  name: Access
  definition: Reach.
"""
    )


@PROPERTY
@given(codebooks())
def test_yaml_round_trip_is_lossless(cb):
    text = cb.to_yaml()
    assert parse_codebook(text) == cb
    # the same content in flow style with sorted keys has the same hash
    flow = yaml.safe_dump(
        cb.to_dict(), default_flow_style=True, sort_keys=True, allow_unicode=False, width=40
    )
    assert parse_codebook(flow).content_hash() == cb.content_hash()
