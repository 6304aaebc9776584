"""Catch-all and "nothing" themes read from the codebook's words (thematic.ml.residual), through suggest."""

from __future__ import annotations

import numpy as np

from thematic.codebook.model import Codebook, Theme
from thematic.ml import residual as R
from thematic.ml import suggest as S
from thematic.store import ml as store

THEMES = [
    {"id": "food", "name": "Food", "definition": "Comments about the meals, the food and the drinks."},
    {"id": "staff", "name": "Staff", "definition": "Comments about the nurses, the doctors and the staff."},
    {"id": "nothing", "name": "Nothing to improve",
     "definition": "The person says there is nothing to improve."},
    {"id": "other", "name": "Other", "definition": "Comments that do not fit any other category."},
]
ANSWERS = (["The food was cold, comments on the meals.", "Lovely meals and drinks, the food was good.",
            "The nurses and the staff were kind, no other comments.", "Doctors and staff listened.",
            "Nothing.", "n/a", "Parking is a category of its own, it does not fit anywhere."] * 4)


def codings_by_text(project):
    """answer text -> the themes suggest gave it (every copy of a text gets the same)."""
    from thematic.store.corpus import list_units

    units = {u.id: u.text for u in list_units(project)}
    out: dict[str, set] = {}
    for unit_id, themes in store.machine_codings(project).items():
        out.setdefault(units[unit_id], set()).update(themes)
    return out


def test_other_is_residual_and_non_answers_go_to_nothing_to_improve(make_project, bow):
    project = make_project(ANSWERS, codebook=THEMES)
    run = S.suggest(project, model=bow)
    assert run.parameters["implied_residual"] == ["other"]
    got = codings_by_text(project)
    assert got["Nothing."] == {"nothing"} and got["n/a"] == {"nothing"}
    for text, themes in got.items():
        assert not ("other" in themes and len(themes) > 1), (text, themes)
    stored = store.run_scores(project, run.id)
    other_wins = sum(1 for per_theme in stored.values() if per_theme["other"][1])
    assert other_wins == sum(1 for themes in got.values() if themes == {"other"}) * 4


def test_a_codebook_that_marks_its_residual_theme_is_left_as_written(make_project, bow):
    marked = [dict(t, residual=True) if t["id"] == "nothing" else t for t in THEMES]
    project = make_project(ANSWERS, codebook=marked)
    run = S.suggest(project, model=bow)
    assert run.parameters["implied_residual"] == []
    before = [dict(t) for t in THEMES]
    assert R.residual_like([Theme(**t) for t in before]) == ["other"]


def test_catch_all_names_and_definitions():
    themes = [Theme("o", "Other", "x"), Theme("m", "Miscellaneous", "x"),
              Theme("n", "None of the above", "x"),
              Theme("na", "Not assigned", "x"), Theme("oc", "Other comments", "x"),
              Theme("os", "Other (please specify)", "x"),
              Theme("d", "Left over", "Comments that do not fit any other category."),
              Theme("p", "Other patients", "What other patients did."),
              Theme("s", "Feeling safe", "Threats from other patients or staff."),
              Theme("g", "Staff: General", "The staff in general.")]
    assert R.residual_like(themes) == ["o", "m", "n", "na", "oc", "os", "d"]


def test_a_non_answer_takes_the_nothing_theme_of_its_question():
    themes = (Theme("ni", "Nothing to improve", "x"), Theme("ng", "Nothing was good", "x"),
              Theme("food", "Food", "x"))
    groups = Codebook("c", themes=themes).groups
    scores = np.array([[0.1, 0.5, 0.2]] * 4)
    blank = np.array([True, True, True, False])
    assigned = np.array([[0, 0, 1]] * 4, dtype=bool)
    out = R.route_non_answers(assigned, scores, blank, groups, ["ni", "ng", "food"], themes, [],
                              ["What could we do better?", "What was good?", None, "What was good?"])
    # "Nothing." under "What could we do better?" says there is nothing to improve, although "Nothing was
    # good" scores higher; under an unknown question the better-scoring of the two; a real answer is left
    assert out.astype(int).tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1]]


def test_without_a_nothing_theme_of_the_question_s_polarity_it_falls_back_to_the_takers():
    themes = (Theme("ni", "Nothing to improve", "x"), Theme("o", "Other", "x", residual=True),
              Theme("food", "Food", "x"))
    groups = Codebook("c", themes=themes).groups
    out = R.route_non_answers(np.zeros((2, 3), dtype=bool), np.zeros((2, 3)), np.array([True, True]), groups,
                              ["ni", "o", "food"], themes, ["o"], ["What was good?", "How could we improve?"])
    assert out.astype(int).tolist() == [[0, 1, 0], [1, 0, 0]]


def test_suggest_says_which_theme_it_read_as_a_catch_all(make_project, bow, cli, monkeypatch):
    from thematic.cli import ml as cli_ml

    project = make_project(ANSWERS, codebook=THEMES)
    monkeypatch.setattr(cli_ml, "model_choice", lambda model, device, backend=None: bow)
    result = cli("suggest", project=project.path)
    assert result.exit_code == 0, result.stderr
    assert ("read as catch-all: other (Other): given only where no other theme of the group is, and to "
            "non-answers; mark it `residual: true` in the codebook to make this a rule, or rename it to "
            "score it as any other theme") in " ".join(result.stderr.split())
    marked = make_project(ANSWERS, codebook=[dict(t, residual=True) if t["id"] == "other" else t
                                             for t in THEMES], name="marked")
    result = cli("suggest", project=marked.path)
    assert result.exit_code == 0 and "catch-all" not in result.stderr


def test_assign_structured_is_suggest_s_assignment_on_given_scores():
    """The one assignment function suggest and the benchmarks call: 'Other' yields to a theme that clears,
    a non-answer to 'What could be better?' goes to 'Nothing to improve', the margin keeps a close second."""
    themes = [Theme(t["id"], t["name"], t["definition"]) for t in THEMES]
    groups = Codebook("c", themes=tuple(themes)).groups
    scores = np.array([[0.60, 0.10, 0.10, 0.58],    # food and the catch-all both clear: food alone
                       [0.10, 0.10, 0.20, 0.30],    # a non-answer: nothing to improve
                       [0.50, 0.48, 0.10, 0.10],    # food and staff within the margin: both
                       [0.10, 0.10, 0.10, 0.45]])   # only the catch-all clears: it stays
    blank = np.array([False, True, False, False])
    assigned, implied = S.assign_structured(scores, np.full(4, 0.4), themes, groups, blank,
                                            ["What could be better?"] * 4)
    assert implied == ["other"]
    assert assigned.astype(int).tolist() == [[1, 0, 0, 0], [0, 0, 1, 0], [1, 1, 0, 0], [0, 0, 0, 1]]
