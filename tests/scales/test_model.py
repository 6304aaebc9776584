"""The scale file: what it may say, and the exact message for each way it can be wrong."""

from __future__ import annotations

import re

import pytest

from tests.scales.conftest import DEMO_SCALES, MINI_YAML
from thematic.errors import ThematicError
from thematic.scales.model import load_scales, parse_scales

BASE = """\
scales: t
responses:
  agree3: {1: Disagree, 2: Neither, 3: Agree}
items:
  - {id: q1, responses: agree3}
  - {id: q2, responses: agree3}
  - {id: q3, responses: agree3}
subscales:
  - {id: s, name: S, items: [q1, q2]}
reverse: [q2]
"""


def refused(text: str, message: str) -> None:
    with pytest.raises(ThematicError, match=f"^{re.escape(message)}$") as info:
        parse_scales(text, source="t.yaml")
    assert info.value.exit_code == 2


def test_base_file_parses():
    scales = parse_scales(BASE, source="t.yaml")
    assert scales.name == "t"
    assert scales.item_ids() == ["q1", "q2", "q3"]
    assert [i.reverse for i in scales.items] == [False, True, False]
    sub = scales.subscale("s")
    assert (sub.name, sub.items, sub.min_items, sub.scale) == ("S", ("q1", "q2"), 1, "agree3")
    assert scales.item("q2").score(1.0) == 3.0 and scales.item("q1").score(1.0) == 1.0
    assert scales.subscales_of("q3") == []


def test_demo_and_mini_files_load():
    demo = load_scales(DEMO_SCALES)
    assert len(demo.items) == 24
    assert [s.id for s in demo.subscales] == ["goal", "task", "bond", "access", "general", "risks",
                                              "training"]
    assert [i.id for i in demo.items if i.reverse] == ["wai_task_4", "wai_bond_4", "att_general_3"]
    assert {s.scale for s in demo.subscales} == {"Working alliance (adapted)", "Attitudes towards AI"}
    assert demo.item("wai_goal_1").responses.values == tuple(float(v) for v in range(1, 8))
    mini = load_scales(MINI_YAML)
    assert mini.subscale("trust").min_items == 2 and mini.subscale("use").min_items == 1


def test_inline_responses_string_values_and_missing_codes():
    scales = parse_scales("""\
scales: t
missing: [NA, -99]
items:
  - id: q1
    responses: {"0": "No", "1": "Yes"}
  - id: q2
    responses: {0: No, 1: Yes}
subscales:
  - {id: s, name: S, items: [q1, q2], min_items: 2}
""")
    assert scales.item("q1").responses.options == ((0.0, "No"), (1.0, "Yes"))
    assert scales.item("q2").responses.options == ((0.0, "No"), (1.0, "Yes"))     # not YAML booleans
    assert scales.missing == ("NA", "-99")
    assert scales.subscale("s").min_items == 2


def test_lookup_errors():
    scales = parse_scales(BASE, source="t.yaml")
    with pytest.raises(ThematicError, match=re.escape("subscale 'bond' is not in t.yaml (subscales are: s)")):
        scales.subscale("bond")
    with pytest.raises(ThematicError, match=re.escape("item 'q9' is not in t.yaml (items are: q1, q2, q3)")):
        scales.item("q9")


@pytest.mark.parametrize("old, new, message", [
    ("reverse: [q2]", "reverse: [q2]\nsubscale: []",
     "t.yaml: unknown key 'subscale' at the top level (known keys: scales, title, description, missing, "
     "responses, items, subscales, reverse)"),
    ("- {id: q1, responses: agree3}", "- {id: q1, responses: agree3, reversed: true}",
     "t.yaml: unknown key 'reversed' in item 'q1' (known keys: id, text, responses)"),
    ("items: [q1, q2]}", "items: [q1, q2], item: q3}",
     "t.yaml: unknown key 'item' in subscale 's' (known keys: id, name, scale, items, min_items)"),
    ("{1: Disagree, 2: Neither, 3: Agree}", "{Disagree: 1, Neither: 2, Agree: 3}",
     "t.yaml: response set 'agree3' has the value 'Disagree', which is not a number (write each response as "
     "VALUE: LABEL, e.g. 1: Strongly disagree)"),
    ("{1: Disagree, 2: Neither, 3: Agree}", "{1: Disagree, 2: Neither, 3: Agree, lots: Very much}",
     "t.yaml: response set 'agree3' has the value 'lots', which is not a number (write each response as "
     "VALUE: LABEL, e.g. 1: Strongly disagree)"),
    ("{1: Disagree, 2: Neither, 3: Agree}", "[Disagree, Neither, Agree]",
     "t.yaml: response set 'agree3' must map each value to its label (write e.g. 1: Strongly disagree, "
     "one per line)"),
    ("{1: Disagree, 2: Neither, 3: Agree}", "{1: Disagree, 2: Agree, 3: agree}",
     "t.yaml: response set 'agree3' uses the label 'agree' for 2 and 3 (give each value its own label)"),
    ("{1: Disagree, 2: Neither, 3: Agree}", "{1: Disagree, '1': Neither, 3: Agree}",
     "t.yaml: response set 'agree3' gives the value 1 twice (give each value once)"),
    ("{1: Disagree, 2: Neither, 3: Agree}", "{1: Disagree, 2: , 3: Agree}",
     "t.yaml: response set 'agree3' gives the value 2 no label (write 2: LABEL)"),
    ("{1: Disagree, 2: Neither, 3: Agree}", "{1: Disagree}",
     "t.yaml: response set 'agree3' has fewer than two values (list every response it offers)"),
    ("  - {id: q3, responses: agree3}", "  - {id: q3, responses: agree3}\n  - {id: q1, responses: agree3}",
     "t.yaml: item 'q1' is listed twice under items (list each item once)"),
    ("items: [q1, q2]}", "items: [q1, q2, q1]}",
     "t.yaml: subscale 's' lists item 'q1' twice (list each item once)"),
    ("items: [q1, q2]}", "items: [q1, q9]}",
     "t.yaml: subscale 's' lists item 'q9', which is not under items (declare it under items, or correct "
     "the id)"),
    ("reverse: [q2]", "reverse: [q3]",
     "t.yaml: reverse-keyed item 'q3' is not in any subscale (add it to a subscale's items, or remove it "
     "from reverse)"),
    ("reverse: [q2]", "reverse: [q9]",
     "t.yaml: reverse-keyed item 'q9' is not under items (declare it under items, or remove it from "
     "reverse)"),
    ("reverse: [q2]", "reverse: [q2, q2]",
     "t.yaml: item 'q2' is listed twice under reverse (list each item once)"),
    ("- {id: q1, responses: agree3}", "- {id: q1, responses: agree7}",
     "t.yaml: item 'q1' uses response set 'agree7', which is not defined under responses (defined sets: "
     "agree3)"),
    ("- {id: q1, responses: agree3}", "- {id: q1}",
     "t.yaml: item 'q1' has no responses (name a response set, e.g. responses: agree7)"),
    ("- {id: q1, responses: agree3}", "- {responses: agree3}",
     "t.yaml: item 1 has no id (give every item an id: the data column it is in)"),
    ("- {id: q1, responses: agree3}", "- {id: q1, responses: {1: No, 2: Yes}}",
     "t.yaml: subscale 's' mixes response sets agree3 and q1 (give all its items the same responses)"),
    ("items: [q1, q2]}", "items: [q1, q2], min_items: 3}",
     "t.yaml: subscale 's': min_items must be a whole number from 1 to 2 (it is 3)"),
    ("  - {id: s, name: S, items: [q1, q2]}",
     "  - {id: s, name: S, items: [q1, q2]}\n  - {id: s, items: [q1]}",
     "t.yaml: subscale 's' is listed twice (give each subscale its own id)"),
    ("  - {id: s, name: S, items: [q1, q2]}", "  - {id: s, name: S}",
     "t.yaml: subscale 's' has no items (list its item ids under items:)"),
    ("scales: t\n", "",
     "t.yaml: no name (add a first line such as: scales: my-survey)"),
])
def test_bad_scale_files_are_refused_with_a_precise_message(old, new, message):
    assert old in BASE
    refused(BASE.replace(old, new, 1), message)


def test_not_yaml_not_a_mapping_no_items():
    refused("scales: t\nitems: [\n", "t.yaml is not valid YAML (line 3, column 1: expected the node content, "
                                      "but found '<stream end>') (fix the syntax there)")
    refused("- just\n- a list\n", "t.yaml: expected a mapping with the keys scales, responses, items and "
                                  "subscales (see docs/scales.md for the layout)")
    refused("scales: t\n", "t.yaml: no items (list the closed items under items:, each with an id and "
                           "responses)")


def test_load_scales_file_errors(tmp_path):
    with pytest.raises(ThematicError, match=re.escape(
            f"scale file {tmp_path / 'nope.yaml'} not found (check the path given to --scales)")):
        load_scales(tmp_path / "nope.yaml")
    with pytest.raises(ThematicError, match=re.escape(
            f"{tmp_path} is a folder, not a scale file (pass the YAML file to --scales)")):
        load_scales(tmp_path)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("scales: caf\xe9\n".encode("latin-1"))
    message = "scale file latin.yaml is not UTF-8 (save it as UTF-8)"
    with pytest.raises(ThematicError, match=re.escape(message)):
        load_scales(latin)
