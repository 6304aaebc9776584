"""Zero-shot helpers (thematic.ml.zeroshot): non-answers, their routing to residual themes, word cues."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ml.conftest import write_codebook
from thematic.codebook.model import ThemeGroup
from thematic.ml import suggest as S
from thematic.ml import zeroshot as Z
from thematic.store import ml as store


@pytest.mark.parametrize("text", ["n/a", "N/A.", "Nothing.", "nothing at all!!", "Nothing really", "None",
                                  "No comment", "no comments", "-", "...", "?", "Don't know",
                                  "Don\u2019t know", "Not sure.", "Can't think of anything.", "Erm, nothing",
                                  "As above", "", "  ", "No thank you", "nil"])
def test_non_answers(text):
    assert Z.non_answer(text)


@pytest.mark.parametrize("text", ["Nothing, the staff were great", "No parking", "None of the staff listened",
                                  "Nothing was explained to me", "No one answered the phone",
                                  "Not enough staff", "Everything", "Good", "Nothing to eat after 6pm"])
def test_answers_that_say_something(text):
    assert not Z.non_answer(text)


def test_non_answers_go_to_the_residual_theme_of_each_group_and_nothing_else():
    ids = ["a", "b", "other", "none-given", "risk"]
    groups = [ThemeGroup("stance", ("a", "b", "other", "none-given"), exclusive=True,
                         residual=("other", "none-given")),
              ThemeGroup(None, ("risk",))]
    assigned = np.array([[1, 0, 0, 0, 1],
                         [1, 0, 0, 0, 1],
                         [0, 1, 0, 0, 0]], dtype=bool)
    scores = np.array([[0.9, 0.1, 0.2, 0.3, 0.8],
                       [0.9, 0.1, 0.2, 0.3, 0.8],   # a non-answer: the better residual, 'none-given'
                       [0.1, 0.9, 0.5, 0.4, 0.1]])  # a non-answer: 'other' scores higher here
    blank = np.array([False, True, True])
    out = Z.route_non_answers(assigned, scores, blank, groups, ids)
    assert out.astype(int).tolist() == [[1, 0, 0, 0, 1], [0, 0, 0, 1, 0], [0, 0, 1, 0, 0]]
    # without residual themes a non-answer gets no theme at all
    plain = [ThemeGroup(None, ("a", "b", "other", "none-given", "risk"))]
    assert Z.route_non_answers(assigned, scores, blank, plain, ids).sum(axis=1).tolist() == [2, 0, 0]


def test_word_cues_centre_on_themes_and_vocabulary():
    words = Z.UnitWords(["wait", "food", "good"],
                        np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]),
                        [np.array([0]), np.array([1, 2]), np.array([], dtype=int), np.array([0])],
                        np.array([1.0, 2.0, 3.0, 16.0]))
    prototypes = np.array([[1.0, 0.0], [0.0, 1.0]])
    # cues: wait (0.533, -0.533), food (-0.467, 0.467), good (-0.067, 0.067); a unit takes its best word
    # per theme; no vocabulary word: 0; 16 content words: weight 8 / 16
    scores = Z.word_scores(words, prototypes, np.array([0, 1]), 2, length=8)
    assert scores.round(3).tolist() == [[0.533, -0.533], [-0.067, 0.467], [0.0, 0.0], [0.267, -0.267]]


def test_vocabulary_and_content_words():
    stop = Z.stop_words()
    assert "the" in stop and "nothing" in stop
    texts = ["The waiting time was long.", "Long waits, long queues", "Lovely food!", "Food was cold", "x"]
    words = Z.unit_words(texts, lambda vocab: np.eye(len(vocab)))
    assert words.vocabulary == ["food", "long"]
    assert [w.tolist() for w in words.indices] == [[1], [1], [0], [0], []]
    assert words.lengths.tolist() == [3.0, 3.0, 2.0, 2.0, 0.0]


def test_suggest_uses_word_cues_and_routes_non_answers(make_project, tmp_path, st_model):
    """Through `suggest`: one-word answers gain on the theme their word names; non-answers get no theme."""
    codebook = write_codebook(tmp_path / "cb.yaml", [
        {"id": "timeliness", "name": "Timeliness of care", "definition": "How long people waited."},
        {"id": "food", "name": "Food and drink", "definition": "Meals and drinks."},
        {"id": "staff", "name": "Staff attitude", "definition": "How staff behaved."}])
    answers = ["Waiting.", "Waiting far too long.", "The meals.", "Meals were cold.", "Rude nurses.",
               "Nurses were kind.", "Nothing.", "n/a"] * 3
    project = make_project(answers, codebook=codebook)
    plain = S.suggest(project, model=st_model, settings=S.Settings(word_weight=0.0))
    run = S.suggest(project, model=st_model)
    assert run.parameters["vocabulary"] == 8  # cold far kind long meals nurses rude waiting
    assert run.parameters["non_answers"] == 6
    from thematic.store.corpus import list_units

    units = {u.text: u.id for u in list_units(project)}
    before, after = store.run_scores(project, plain.id), store.run_scores(project, run.id)
    themes = ("timeliness", "food", "staff")
    gain = {text: {t: after[units[text]][t][0] - before[units[text]][t][0] for t in themes}
            for text in ("Waiting.", "The meals.", "Rude nurses.")}
    assert max(gain["Waiting."], key=gain["Waiting."].get) == "timeliness"
    assert max(gain["The meals."], key=gain["The meals."].get) == "food"
    assert max(gain["Rude nurses."], key=gain["Rude nurses."].get) == "staff"
    codings = store.machine_codings(project)
    assert codings[units["Nothing."]] == frozenset() and codings[units["n/a"]] == frozenset()
    assert codings[units["Waiting."]] == frozenset({"timeliness"})
