"""Codebook structure: exclusive and required groups, residual themes (docs/codebook.md, "Structure")."""

from __future__ import annotations

import json

import pytest

from tests.conftest import DEMO_CODEBOOK
from thematic.codebook.load import CodebookError, load_codebook, parse_codebook
from thematic.codebook.model import Codebook, Theme, ThemeGroup
from thematic.codebook.qdc import parse_qdc, to_qdc

THEMES = """
themes:
  - id: access
    name: Access
    definition: Reach.
  - id: cost
    name: Cost
    definition: Cheaper.
  - id: risk
    name: Risk
    definition: Unsafe.
  - id: other
    name: Other
    definition: Anything else.
    residual: true
"""

STRUCTURED = (
    "codebook: demo\n"
    "groups:\n"
    "  - id: stance\n"
    "    name: Overall stance\n"
    "    exclusive: true\n"
    "    required: true\n"
    "    themes: [access, cost, other]\n" + THEMES
)


def test_groups_api():
    cb = parse_codebook(STRUCTURED)
    assert [g.to_dict() for g in cb.groups] == [
        {
            "id": "stance",
            "name": "Overall stance",
            "themes": ["access", "cost", "other"],
            "exclusive": True,
            "required": True,
            "residual": ["other"],
        },
        {"id": None, "name": None, "themes": ["risk"], "exclusive": False, "required": False, "residual": []},
    ]
    assert cb.group_of("risk").kind == "independent" and cb.group_of("cost").kind == "exclusive-required"
    assert cb.structured


def test_codebook_level_exclusive():
    cb = parse_codebook("codebook: demo\nexclusive: true\n" + THEMES)
    (group,) = cb.groups
    assert (group.id, group.themes, group.exclusive, group.required, group.residual) == (
        "demo",
        ("access", "cost", "risk", "other"),
        True,
        False,
        ("other",),
    )


def test_unstructured_codebook_keeps_its_meaning_and_hash():
    plain = Codebook("demo", themes=(Theme("a", "A", "x."), Theme("b", "B", "y.")))
    (group,) = plain.groups
    assert group.id is None and not group.exclusive and not plain.structured
    # the hash of a codebook without structure is the one it had before structure existed
    assert plain.canonical() == (
        '{"codebook":"demo","description":null,"themes":[{"colour":null,"counterexamples":[],'
        '"definition":"x.","examples":[],"exclude":[],"id":"a","include":[],"keywords":[],"name":"A",'
        '"themes":[]},{"colour":null,"counterexamples":[],"definition":"y.","examples":[],"exclude":[],'
        '"id":"b","include":[],"keywords":[],"name":"B","themes":[]}],"title":null}'
    )


def test_structure_changes_the_hash_and_round_trips_through_yaml():
    cb = parse_codebook(STRUCTURED)
    plain = parse_codebook(STRUCTURED.replace("    required: true\n", ""))
    assert cb.content_hash() != plain.content_hash()
    assert parse_codebook(cb.to_yaml()) == cb


@pytest.mark.parametrize(
    "text",
    [STRUCTURED, "codebook: demo\nexclusive: true\nrequired: true\n" + THEMES],
)
def test_structure_round_trips_through_qdc(text):
    cb = parse_codebook(text)
    back = parse_qdc(to_qdc(cb).encode("utf-8"), "x.qdc").codebook
    assert back == cb and back.content_hash() == cb.content_hash()


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "codebook: demo\ngroups:\n  - id: g1\n    exclusive: true\n    themes: [access, cost]\n"
            "  - id: g2\n    exclusive: true\n    themes: [cost, risk]\n" + THEMES,
            "<text>:6: theme 'cost' is in two groups, 'g1' and 'g2' (a theme belongs to one group at most; "
            "remove it from one)",
        ),
        (
            "codebook: demo\ngroups:\n  - id: g1\n    exclusive: true\n    themes: [other]\n" + THEMES,
            "<text>:17: theme 'other' is residual, but group 'g1' has no other theme (a residual theme "
            "applies only when no other theme of its group does: put it in a group with others, or drop "
            "residual)",
        ),
        (
            "codebook: demo\ngroups:\n  - id: g1\n    required: true\n    themes: [access, cost]\n" + THEMES,
            "<text>:3: group 'g1': required: true needs exclusive: true (independent themes cannot require "
            "one; add exclusive: true or remove required)",
        ),
        (
            "codebook: demo\nrequired: true\n" + THEMES,
            "<text>:2: required: true needs exclusive: true (independent themes cannot require one; add "
            "exclusive: true or remove required)",
        ),
        (
            "codebook: demo\nexclusive: yes please\n" + THEMES,
            "<text>:2: exclusive must be true or false (got yes please)",
        ),
        (
            "codebook: demo\ngroups:\n  - id: g1\n    exclusive: true\n    themes: [access, costs]\n"
            + THEMES,
            "<text>:3: group 'g1' names theme 'costs', which is not in the codebook (check the id)",
        ),
    ],
)
def test_bad_structure_one_clear_line(text, message):
    with pytest.raises(CodebookError) as info:
        parse_codebook(text)
    assert str(info.value) == message


def test_use_refuses_bad_structure_and_stores_nothing(cli, tmp_path):
    assert cli("init").exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("codebook: demo\nrequired: true\n" + THEMES, encoding="utf-8")
    result = cli("codebook", "use", bad)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {bad}:2: required: true needs exclusive: true (independent themes cannot require one; add "
        "exclusive: true or remove required)"
    ]
    assert "no codebook" in cli("codebook", "versions").stderr + cli("codebook", "versions").stdout


def test_demo_codebook_states_its_structure(cli):
    """The demo key (corpora/ai-therapy-key.csv) never gives two stances to one answer; therapeutic-risks
    goes with any of them, and some answers have no stance."""
    from tests.conftest import read_demo_key

    cb = load_codebook(DEMO_CODEBOOK)
    stance = cb.group_of("mixed-support")
    assert stance.exclusive and not stance.required
    assert set(stance.themes) == {"negative-responses", "possibilities-of-ai", "mixed-support"}
    assert cb.group_of("therapeutic-risks").id is None
    key = read_demo_key()
    assert max(len(themes & set(stance.themes)) for themes in key.values()) == 1
    assert any(not (themes & set(stance.themes)) for themes in key.values())
    shown = cli("codebook", "validate", DEMO_CODEBOOK, "--json")
    assert json.loads(shown.stdout)["groups"][0]["themes"] == list(stance.themes)


def test_group_constructor_checks_structure():
    with pytest.raises(Exception, match="in two groups"):
        Codebook(
            "d",
            themes=(Theme("a", "A", "x."), Theme("b", "B", "y.")),
            declared_groups=(ThemeGroup("g", ("a", "b"), True), ThemeGroup("h", ("b",), True)),
        )


def test_diff_names_a_structure_change():
    from thematic.codebook.diff import diff_codebooks

    old = parse_codebook(STRUCTURED.replace("    required: true\n", ""))
    new = parse_codebook(STRUCTURED)
    d = diff_codebooks(old, new)
    assert d.summary() == "structure changed"
    assert d.metadata[0].new.startswith(
        "exclusive group stance (access, cost, other): exactly one theme per unit"
    )
