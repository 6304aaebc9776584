"""Answers read from respondents' attributes: numbers, labels, missing codes, and precise refusals."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from tests.scales.conftest import FIXTURES
from thematic.errors import ThematicError
from thematic.scales.answers import load_answers, natural_key, read_answers
from thematic.scales.model import parse_scales

SCALES = parse_scales("""\
scales: t
missing: [NA, -99]
responses:
  agree5: {1: Strongly disagree, 2: Disagree, 3: Neither, 4: Agree, 5: Strongly agree}
items:
  - {id: q1, responses: agree5}
  - {id: q2, responses: agree5}
  - {id: q3, responses: agree5}
subscales:
  - {id: s, name: S, items: [q1, q2, q3]}
reverse: [q3]
""", source="t.yaml")


def test_numbers_labels_and_missing_codes():
    answers = read_answers({
        "R2": {"q1": "4", "q2": " agree ", "q3": 2},
        "R10": {"q1": "5.0", "q2": "NA", "q3": "-99"},
        "R1": {"q1": "", "q2": None, "q3": "Strongly Disagree"},
    }, SCALES)
    assert answers.respondents == ("R1", "R2", "R10")
    assert np.array_equal(answers.values, np.array([[np.nan, np.nan, 1], [4, 4, 2], [5, np.nan, np.nan]]),
                          equal_nan=True)
    assert answers.scored("q3").tolist()[1:] == [4.0, pytest.approx(math.nan, nan_ok=True)]


def test_subscale_scores_need_min_items():
    answers = read_answers({"A": {"q1": "4", "q2": "2", "q3": "5"},    # q3 reversed: 1 -> mean 7/3
                            "B": {"q1": "4", "q2": "", "q3": "1"},     # 2 of 3 answered: (4 + 5) / 2
                            "C": {"q1": "4", "q2": "", "q3": ""}},     # 1 of 3: below min_items (2)
                           SCALES)
    scores = answers.subscale_scores(SCALES.subscale("s"))
    assert scores[0] == pytest.approx(7 / 3) and scores[1] == 4.5 and math.isnan(scores[2])


NOT_A_LABEL = ("respondent R1 answered '{v}' to q2, which is neither a number nor a label of response set "
               "agree5 (1 = Strongly disagree, 2 = Disagree, 3 = Neither, ..., 5 = Strongly agree) (correct "
               "the data, or list '{v}' under missing: in the scale file if it codes a missing answer)")
NOT_A_VALUE = ("respondent R1 answered {v} to q2, which is not a value of response set agree5 (values are 1 "
               "to 5; correct the data, or list {v} under missing: in the scale file if it codes a missing "
               "answer)")


@pytest.mark.parametrize("value, message", [
    ("often", NOT_A_LABEL.format(v="often")),
    ("9", NOT_A_VALUE.format(v="9")),
    ("3.5", NOT_A_VALUE.format(v="3.5")),
    ("nan", NOT_A_LABEL.format(v="nan")),
])
def test_answers_that_are_not_values_name_respondent_and_column(value, message):
    with pytest.raises(ThematicError, match=f"^{re.escape(message)}$"):
        read_answers({"R0": {"q1": "1", "q2": "1", "q3": "1"}, "R1": {"q1": "1", "q2": value, "q3": "1"}},
                     SCALES)


def test_items_must_be_columns_and_there_must_be_respondents():
    with pytest.raises(ThematicError, match=re.escape(
            "item 'q3' in t.yaml is not a column of the imported data (imported columns: q1, q2, role; "
            "correct the item id, or import the column)")):
        read_answers({"A": {"q1": "1", "q2": "1", "role": "x"}}, SCALES)
    with pytest.raises(ThematicError, match=re.escape(
            "the project has no respondents yet (import the survey first: thematic import FILE)")):
        read_answers({}, SCALES)


def test_non_numeric_answer_in_an_imported_file(project):
    from thematic.ingest.importer import ImportOptions, import_file
    from thematic.scales.model import load_scales

    import_file(project, FIXTURES / "bad-answer.csv", ImportOptions(id_column="id", text_columns=["answer"]))
    with pytest.raises(ThematicError, match=re.escape("respondent A2 answered 'often' to q2, which is")):
        load_answers(project, load_scales(FIXTURES / "mini.yaml"))


def test_natural_key():
    assert sorted(["R10", "R9", "R100", "r1"], key=natural_key) == ["r1", "R9", "R10", "R100"]
