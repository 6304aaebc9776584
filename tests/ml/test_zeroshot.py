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
    # ... except in a required group, which keeps the one theme the structure chose
    required = [ThemeGroup("stance", ("a", "b", "other", "none-given"), exclusive=True, required=True),
                ThemeGroup(None, ("risk",))]
    assert Z.route_non_answers(assigned, scores, blank, required, ids).astype(int).tolist() == [
        [1, 0, 0, 0, 1], [1, 0, 0, 0, 0], [0, 1, 0, 0, 0]]


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


def test_question_polarity():
    assert [Z.question_polarity(q) for q in (
        "What could we do better?", "How could we improve?", "Is there anything we should change?",
        "What was good?", "What did you like?", "What did we do well?", "FFT Why?",
        "Tell us what you were satisfied and/or dissatisfied with", "", None)] == [
        "improve", "improve", "improve", "praise", "praise", "praise", None, None, None, None]


def test_non_answers_are_scored_as_what_they_say_under_a_question_with_a_polarity(bow):
    from thematic.codebook.model import Theme

    themes = [Theme("complaints", "Complaints", "The person complains."),
              Theme("praise", "Praise", "The person says something was good."),
              Theme("other", "Other", "Anything else.")]
    texts = ["Nothing.", "Nothing.", "Nothing.", "Long waits"]
    questions = ["What could we do better?", "What was good?", "Why?", "What could we do better?"]
    embed = bow.encode
    vectors = S.theme_vectors(themes, embed)
    U = embed(texts).astype(np.float64)
    settings = S.Settings()
    result = Z.score_units(U, vectors, themes, texts, embed, settings, questions=questions)
    assert result.restated.tolist() == [True, True, False, False]
    assert result.blank.tolist() == [False, False, True, False]   # no polarity: routed (no theme)
    said = S.score_matrix(embed(["No complaints.", "Nothing was good."]).astype(np.float64), vectors,
                          S.keyword_hits(["No complaints.", "Nothing was good."], themes)[0], settings)
    assert result.scores[0].tolist() == said[0].tolist() and result.scores[1].tolist() == said[1].tolist()
    plain = Z.score_units(U, vectors, themes, texts, embed, settings)   # questions unknown
    assert plain.restated.tolist() == [False] * 4 and plain.blank.tolist() == [True, True, True, False]
    assert plain.scores[2].tolist() == result.scores[2].tolist()
    # with a residual theme in the codebook, every non-answer goes there instead
    themes[2] = Theme("other", "Other", "Anything else.", residual=True)
    groups = [ThemeGroup(None, ("complaints", "praise", "other"), residual=("other",))]
    routed = Z.score_units(U, vectors, themes, texts, embed, settings, questions=questions)
    assert routed.restated.tolist() == [False] * 4 and routed.blank.tolist() == [True, True, True, False]
    assigned = Z.route_non_answers(np.ones((4, 3), dtype=bool), routed.scores, routed.blank, groups,
                                   ["complaints", "praise", "other"], Z.non_answer_themes(themes))
    assert assigned.astype(int).tolist() == [[0, 0, 1], [0, 0, 1], [0, 0, 1], [1, 1, 1]]


def test_a_theme_for_non_answers_takes_them_without_being_residual():
    from thematic.codebook.model import Theme

    themes = [Theme("wait", "Waiting", "Waiting times."), Theme("staff", "Staff", "Staff attitude."),
              Theme("nothing", "Nothing to add", "The person had no comment.")]
    ids = [t.id for t in themes]
    assert Z.non_answer_themes(themes) == ["nothing"]
    groups = [ThemeGroup("topic", tuple(ids), exclusive=True)]
    assigned = np.array([[1, 0, 0], [0, 1, 0]], dtype=bool)
    out = Z.route_non_answers(assigned, np.array([[0.5, 0.1, 0.2], [0.1, 0.6, 0.3]]), np.array([False, True]),
                              groups, ids, Z.non_answer_themes(themes))
    assert out.astype(int).tolist() == [[1, 0, 0], [0, 0, 1]]


def test_the_learner_starts_from_the_zero_shot_run_suggest_stores(make_project, tmp_path, st_model):
    """`suggest --learn` and `evaluate` give the learner the scores and assignments `suggest` stores
    (word cues, a residual theme taking the non-answers), not a scoring of their own."""
    from thematic.ml.learner import prototype_scores
    from thematic.store.codebooks import require_current
    from thematic.store.corpus import list_units

    codebook = write_codebook(tmp_path / "cb.yaml", [
        {"id": "timeliness", "name": "Timeliness of care", "definition": "How long people waited."},
        {"id": "food", "name": "Food and drink", "definition": "Meals and drinks."},
        {"id": "none", "name": "No answer", "definition": "No codable content.", "residual": True}])
    project = make_project(["Waiting.", "Meals were cold.", "Nothing.", "n/a", "The meals."] * 3,
                           codebook=codebook)
    run = S.suggest(project, model=st_model)
    units = list_units(project)
    zero = prototype_scores(project, units, list(require_current(project).codebook.themes), model=st_model,
                            groups=require_current(project).codebook.groups)
    stored = store.run_scores(project, run.id)
    ids = ("timeliness", "food", "none")
    assert zero.scores.tolist() == [[stored[u.id][t][0] for t in ids] for u in units]
    assert zero.assigned.tolist() == [[bool(stored[u.id][t][1]) for t in ids] for u in units]
    assert [bool(row[2]) for row in zero.assigned] == [u.text in ("Nothing.", "n/a") for u in units]


# -- sentences of long answers ---------------------------------------------------------------------------
def test_unit_sentences_split_lines_then_sentences_and_keep_a_first_line_of_several():
    splits = Z.unit_sentences(["Why do I feel low?\nI sleep badly. My job is fine!\n\n  It began in May.",
                               "The staff were kind. The food was cold.", "Lovely staff", "", "Title\nBody"])
    assert [(s.sentences, s.title) for s in splits] == [
        (["Why do I feel low?", "I sleep badly.", "My job is fine!", "It began in May."],
         "Why do I feel low?"),
        (["The staff were kind.", "The food was cold."], None),
        (["Lovely staff"], None), ([], None), (["Title", "Body"], "Title")]


def test_sentence_vectors_embed_each_distinct_sentence_once_and_skip_units_of_one_sentence():
    asked: list[list[str]] = []

    def embed(texts):
        asked.append(list(texts))
        return np.eye(8)[: len(texts)]

    found = Z.sentence_vectors(["One sentence only.", "Same. Same. Other.", "Head\nSame.", "x"], embed)
    assert asked == [["Same.", "Other.", "Head"]]   # one call, each text once (first lines too)
    assert found.units.tolist() == [1, 2] and found.starts.tolist() == [0, 3] and found.texts == 3
    assert found.counts().tolist() == [3, 2]
    assert found.vectors.argmax(axis=1).tolist() == [0, 0, 1, 2, 0]    # Same. Same. Other. | Head Same.
    assert found.titles.argmax(axis=1).tolist() == [0, 2] and found.titles[0].tolist() == [0.0] * 8


def test_sentence_cosines_on_given_vectors():
    """One unit [1, 0, 0] with a title [0, 1, 0] and two sentences [0, 1, 0] and [0, 0, 1], against the
    prototypes [1, 0, 0] and [0, 1, 0]; the score worked out by hand."""
    from math import exp, log, sqrt

    sentences = Z.UnitSentences(np.array([0]), np.array([0]), np.array([[0.0, 1, 0], [0, 0, 1]]),
                                np.array([[0.0, 1, 0]]), 3)
    P = np.array([[1.0, 0, 0], [0, 1, 0]])
    got = Z.sentence_cosines(np.array([[1.0, 0, 0]]), sentences, P, title_weight=0.25, mean_weight=0.25,
                             weight=0.25, temperature=0.05)
    t = [1 / sqrt(1.0625), 0.25 / sqrt(1.0625), 0.0]                      # u + 0.25 title, normalised
    m = [0.0, sqrt(0.5), sqrt(0.5)]                                       # the sentences' mean, normalised
    v = [0.75 * a + 0.25 * b for a, b in zip(t, m, strict=True)]
    v = [x / sqrt(sum(y * y for y in v)) for x in v]
    soft = [0.0, 1 + 0.05 * log((1 + exp(-1 / 0.05)) / 2)]               # cosines [0, 0] and [1, 0]
    expected = [0.75 * v[0] + 0.25 * soft[0], 0.75 * v[1] + 0.25 * soft[1]]
    assert got[0].tolist() == pytest.approx(expected, abs=1e-12)
    assert [round(x, 6) for x in expected] == [0.65728, 0.565346]
    # no weights: the whole text's cosine
    plain = Z.sentence_cosines(np.array([[1.0, 0, 0]]), sentences, P, title_weight=0, mean_weight=0,
                               weight=0, temperature=0.05)
    assert plain.tolist() == [[1.0, 0.0]]


def test_score_matrix_reads_sentences_only_for_units_of_several(bow):
    from thematic.codebook.model import Theme

    themes = [Theme("wait", "Waiting times", "Long waits."), Theme("food", "Food", "The meals.")]
    texts = ["Long waits", "The staff were kind. The meals were cold and late.", "Nice food. Good."]
    vectors = S.theme_vectors(themes, bow.encode)
    U = bow.encode(texts).astype(np.float64)
    sentences = Z.sentence_vectors(texts, bow.encode)
    assert sentences.units.tolist() == [1, 2]
    settings = S.Settings()
    whole = S.score_matrix(U, vectors, None, settings)
    read = S.score_matrix(U, vectors, None, settings, sentences=sentences)
    assert read[0].tolist() == whole[0].tolist()             # one sentence: as before
    P = vectors.prototypes(settings.centring)
    expected = Z.sentence_cosines(U[[1, 2]], sentences, P, title_weight=0.25, mean_weight=0.25, weight=0.25,
                                  temperature=0.05)
    assert read[1:].tolist() == np.round(expected, 6).tolist() and read[1:].tolist() != whole[1:].tolist()
    off = S.Settings(title_weight=0, sentence_mean=0, sentence_weight=0)
    assert S.score_matrix(U, vectors, None, off, sentences=sentences).tolist() == whole.tolist()
    # score_units finds the sentences itself, and leaves them out when the settings do
    found = Z.score_units(U, vectors, themes, texts, bow.encode, settings)
    assert found.sentences.units.tolist() == [1, 2] and found.sentences.texts == 4
    assert Z.score_units(U, vectors, themes, texts, bow.encode, off).sentences is None


def test_suggest_command_reads_long_answers_by_their_sentences(cli, tmp_path, project_location):
    """End to end: `thematic suggest` embeds the sentences of the answers of several sentences into the
    project's cache (once), stores the setting and counts, and stores the scores the sentence rule gives."""
    from tests.ml.conftest import write_csv
    from thematic.ingest.segment import text_sha256
    from thematic.ml.embed import embed_texts
    from thematic.store.codebooks import require_current
    from thematic.store.corpus import list_units
    from thematic.store.project import open_project

    answers = ["Long waits at the clinic\nI waited three hours. The receptionist never explained why.",
               "The food was cold. The portions were small.", "Lovely staff",
               "Nurses were rude.\nNobody introduced themselves. I felt ignored.", "Parking was impossible",
               "The food was cold. Parking was impossible."]
    codebook = write_codebook(tmp_path / "cb.yaml", [
        {"id": "waiting", "name": "Waiting times", "definition": "How long people waited."},
        {"id": "food", "name": "Food and drink", "definition": "Meals and drinks."},
        {"id": "staff", "name": "Staff attitude", "definition": "How staff behaved."}])
    assert cli("init").exit_code == 0
    assert cli("import", write_csv(tmp_path / "a.csv", answers), "--id", "respondent_id",
               "--text", "answer").exit_code == 0
    assert cli("codebook", "use", codebook).exit_code == 0
    result = cli("suggest")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("suggest run 1: 6 units of question answer against codebook test")
    sentences = ["Long waits at the clinic", "I waited three hours.", "The receptionist never explained why.",
                 "The food was cold.", "The portions were small.", "Nurses were rude.",
                 "Nobody introduced themselves.", "I felt ignored.", "Parking was impossible."]

    def cached() -> set[str]:
        project = open_project(project_location)
        try:
            return {row[0] for row in project.conn.execute("SELECT text_sha256 FROM embeddings").fetchall()}
        finally:
            project.close()

    first = cached()
    assert {text_sha256(s) for s in sentences} <= first
    assert cli("suggest").exit_code == 0
    assert cached() == first   # the second run embeds nothing

    project = open_project(project_location)
    try:
        run = store.latest_suggest_run(project)
        assert run.parameters["sentences"] == {"units": 4, "texts": 9}
        assert run.parameters["settings"]["sentence_weight"] == 0.25
        units = list_units(project)
        themes = list(require_current(project).codebook.themes)
        embed = lambda texts: embed_texts(project, texts)  # noqa: E731  the cache, no model
        U = embed([u.text for u in units]).astype(np.float64)
        vectors = S.embed_theme_texts(project, themes)
        texts = [u.text for u in units]
        found = Z.score_units(U, vectors, themes, texts, embed, S.Settings())
        stored = store.run_scores(project, run.id)
        assert [[stored[u.id][t.id][0] for t in themes] for u in units] == found.scores.tolist()
        whole = Z.score_units(U, vectors, themes, texts, embed,
                              S.Settings(title_weight=0, sentence_mean=0, sentence_weight=0)).scores
        one = [texts.index("Lovely staff"), texts.index("Parking was impossible")]
        assert whole[one].tolist() == found.scores[one].tolist()      # one sentence: scored as before
        assert all(whole[i].tolist() != found.scores[i].tolist() for i in range(6) if i not in one)
    finally:
        project.close()


def test_unit_sentences_skip_spacy_only_where_it_would_find_one_sentence():
    from thematic.ingest.segment import sentences

    texts = ["Hello!!!", "e.g. this", "Wait... what", "Fine?!", "ok .", "a\nb. c", "Dr. Who\n\nyes", "x",
             "Fine ?! ", "No full stop at all", "Two. Sentences.", "Ends with a question?", "Why? Because.",
             "\u0964 Hindi danda first", "Smart\u2026 ellipsis"]
    nlp = Z._sentencizer()[0]
    lines = [[line.strip() for line in t.splitlines() if line.strip()] for t in texts]
    every = iter(sentences([line for ls in lines for line in ls], nlp=nlp))
    by_spacy = [[segment.text for _ in ls for segment in next(every)] for ls in lines]
    assert [s.sentences for s in Z.unit_sentences(texts)] == by_spacy
    assert by_spacy[2] == ["Wait... what"] and by_spacy[10] == ["Two.", "Sentences."]   # "..." is one token
