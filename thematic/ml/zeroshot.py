"""Zero-shot helpers for :mod:`thematic.ml.suggest` that read the project's own answers (issue 16).

Two pieces, both without any coded data:

**Word cues** (:func:`unit_words`, :func:`word_scores`). A short answer ("Waiting times.", "Lovely
food") is a weak sentence for a sentence model, and a theme named in a few words ("Timeliness of care")
is a weak prototype; but single words of the answers sit near the theme's prototype in the same
vector space. The project's vocabulary (content words, spaCy's English stop words left out, in at
least :data:`MIN_WORD_UNITS` units, the :data:`MAX_VOCABULARY` most frequent) is embedded once (cached
in the project like any text). A word's cue for a theme is its cosine to the theme's prototype,
centred twice: minus the theme's mean over the vocabulary (a theme close to every word says nothing)
and minus the word's mean over the themes (a word close to every theme says nothing). A unit's word
score for a theme is the best cue among its words, weighted by ``min(1, WORD_LENGTH / n)`` for a
unit of ``n`` content words: in a long text one stray word should not decide, and the sentence vector
already reads it well.

**Non-answers** (:func:`non_answers`, :func:`route_non_answers`). "n/a", "Nothing.", "No comment",
"Don't know", "-": an answer that says nothing codable. Such a unit gets no theme from similarity (a
sentence model puts "Nothing." near whatever it puts it near); when the codebook has themes for
non-answers (:func:`non_answer_themes`: residual themes, ``residual: true``, e.g. "Other / no codable
content", and themes that speak of non-answers or give one as an example), it gets the best-scoring of
them in each group that has one.

:mod:`thematic.ml.residual` reads two more kinds of theme from the codebook's words for ``suggest``:
catch-alls ("Other"), made residual, and themes for "nothing" ("Nothing to improve"), which take the
non-answers first.

**The question** (:func:`question_polarity`, :func:`restatements`). "Nothing." under "What could we do
better?" says there is nothing to complain about; under "What was good?" it says nothing was good. When
the question asks what to improve (better, improve, change, wrong, worse, problem, complaint, dislike,
least, dissatisfied) and not what was good, or the other way round, a non-answer is scored as the
statement it makes, :data:`RESTATED` ("No complaints." / "Nothing was good."), through the same scoring
as every unit but the word cues, and assigned by the same rule. This applies only where the codebook has
no theme for non-answers (with one, non-answers go there) and where the question is known.

**Sentences of long answers** (:func:`unit_sentences`, :func:`sentence_vectors`, :func:`sentence_cosines`).
One averaged vector of a text of several sentences dilutes the sentence that names the topic (and the model
reads only the first 256 word pieces). A unit of at least :data:`MIN_SENTENCES` sentences (its non-empty
lines, each split by spaCy's rule-based sentencizer) is read three ways at once, each sentence embedded and
cached like any text: its vector gets its first line's added with weight ``title_weight`` where it has
several lines (a title, or a first line that says what the rest is about), is then mixed with the mean of
its sentence vectors (weight ``sentence_mean``), and its cosine to each theme is mixed with the sentences'
soft maximum (weight ``sentence_weight``, temperature ``sentence_temperature``). A unit of one sentence is
scored as before.

:func:`score_units` is the whole zero-shot scoring that ``thematic suggest`` runs.

How the settings were chosen, what was measured and did not pay: docs/performance.md, "Zero-shot
suggestions" and docs/machine-coding.md.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

MIN_WORD_UNITS = 2
MAX_VOCABULARY = 5000
WORD_LENGTH = 4
MIN_SENTENCES = 2

_WORD = re.compile(r"[a-z][a-z'\-]*[a-z]")
_NON_ANSWER = re.compile(
    r"^(?:n/?a|nil|none|nothing|no|nope|not applicable|no comments?|"
    r"nothing(?: (?:to (?:add|say|report|comment on|mention)|else|really|at all|more|further|much|"
    r"comes to mind|i can think of|to improve))*|"
    r"none(?: (?:really|at all|that i can think of))?|not sure|unsure|(?:i )?don'?t know|(?:i )?do not know|"
    r"dunno|no idea|(?:i )?can'?t think of anything|(?:i )?cannot think of anything|not really|"
    r"no,? thanks?|no,? thank you|as above|see above|same as above|hmm+|um+|[-_.?x/\\]+)$")
_IMPROVE = re.compile(r"\b(?:improve\w*|better|change\w*|wrong|worse|problems?|complain\w*|dislike\w*|least|"
                      r"dissatisf\w*|unhappy)\b", re.IGNORECASE)
_PRAISE = re.compile(r"\b(?:good|well|liked?|best|enjoy\w*|satisf\w*|happy|positive)\b", re.IGNORECASE)
#: What a non-answer says under a question that asks what to improve, or what was good.
RESTATED = {"improve": "No complaints.", "praise": "Nothing was good."}
_FILLER = re.compile(r"^(?:um+|er+|erm|well|honestly|really|sorry|hmm+),?\s+")


# -- non-answers -----------------------------------------------------------------------------------------
def non_answer(text: str) -> bool:
    """Whether an answer says nothing codable.

    >>> [non_answer(t) for t in ("N/A", "Nothing.", "nothing at all!", "No comment", "-", "Don't know",
    ...                          "Nothing, the staff were great", "No parking", "None of the staff listened")]
    [True, True, True, True, True, True, False, False, False]
    """
    t = " ".join(str(text).lower().replace("\u2019", "'").split())
    t = re.sub(r"[\s.!,;:]+$", "", t)
    t = _FILLER.sub("", t)
    return t == "" or _NON_ANSWER.match(t) is not None


def non_answers(texts: Sequence[str]) -> np.ndarray:
    """One bool per text: :func:`non_answer`."""
    return np.array([non_answer(t) for t in texts], dtype=bool)


_FOR_NON_ANSWERS = re.compile(
    r"\b(?:non-?answers?|no (?:answer|response|comment|reply)s?|nothing (?:to (?:add|say)|else|codable)|"
    r"not codable|uncodable|no codable|left blank|did not answer|n/a)(?!\w)", re.IGNORECASE)


def non_answer_themes(themes: Sequence) -> list[str]:
    """Ids of the themes meant for non-answers: residual themes, and themes whose name or definition
    speaks of non-answers ("No answer / nothing to add", "n/a") or one of whose include rules or examples
    is a non-answer ("Nothing.").

    >>> from thematic.codebook.model import Theme
    >>> non_answer_themes([Theme("wait", "Waiting", "Waiting times."),
    ...                    Theme("none", "No comment", "The person had nothing to add."),
    ...                    Theme("blank", "Blank", "Empty.", examples=("n/a",)),
    ...                    Theme("other", "Other", "Anything else.", residual=True)])
    ['none', 'blank', 'other']
    """
    out = []
    for theme in themes:
        if (theme.residual or _FOR_NON_ANSWERS.search(f"{theme.name}. {theme.definition}")
                or any(non_answer(t) for t in (*theme.include, *theme.examples))):
            out.append(theme.id)
    return out


def route_non_answers(assigned: np.ndarray, scores: np.ndarray, blank: np.ndarray, codebook_groups: Sequence,
                      theme_ids: Sequence[str], takers: Sequence[str] | None = None) -> np.ndarray:
    """``assigned`` with every non-answer unit (``blank``) cleared, then given, in each group, the
    best-scoring of the group's themes for non-answers (``takers``, by default its residual themes;
    :func:`non_answer_themes`); nothing where no theme is for non-answers. A required group with no such
    theme keeps the theme it had (it must have one).

    >>> from thematic.codebook.model import ThemeGroup
    >>> groups = [ThemeGroup("stance", ("a", "other"), exclusive=True, residual=("other",)),
    ...           ThemeGroup(None, ("b",))]
    >>> assigned = np.array([[1, 0, 1], [1, 0, 1]], dtype=bool)
    >>> route_non_answers(assigned, np.zeros((2, 3)), np.array([False, True]), groups,
    ...                   ["a", "other", "b"]).astype(int).tolist()
    [[1, 0, 1], [0, 1, 0]]
    """
    out = np.asarray(assigned, dtype=bool).copy()
    blank = np.asarray(blank, dtype=bool)
    if not blank.any():
        return out
    out[blank] = False
    column = {t: i for i, t in enumerate(theme_ids)}
    for group in codebook_groups:
        mine = group.residual if takers is None else [t for t in group.themes if t in set(takers)]
        residual = [column[t] for t in mine if t in column]
        if not residual:
            if group.required:
                cols = [column[t] for t in group.themes if t in column]
                out[np.ix_(blank, cols)] = np.asarray(assigned, dtype=bool)[np.ix_(blank, cols)]
            continue
        best = np.asarray(residual)[np.argmax(np.asarray(scores)[np.ix_(blank, residual)], axis=1)]
        out[np.flatnonzero(blank), best] = True
    return out


def question_polarity(question: str | None) -> str | None:
    """"improve" for a question that asks what to improve or what went wrong, "praise" for one that asks
    what was good, None for neither or both.

    >>> [question_polarity(q) for q in ("What could we do better?", "How could we improve?",
    ...     "What was good?", "FFT Why?", "Anything you were satisfied and/or dissatisfied with?", None)]
    ['improve', 'improve', 'praise', None, None, None]
    """
    if not question:
        return None
    improve, praise = _IMPROVE.search(question) is not None, _PRAISE.search(question) is not None
    return "improve" if improve and not praise else "praise" if praise and not improve else None


def restatements(blank: np.ndarray, questions: Sequence[str | None] | None) -> np.ndarray:
    """Per unit, the :data:`RESTATED` key of a non-answer (``blank``) to a question with a polarity, else
    "" (object array).

    >>> restatements(np.array([True, True, False, True]),
    ...              ["What was good?", "What could we do better?", "What was good?", "Why?"]).tolist()
    ['praise', 'improve', '', '']
    """
    out = np.full(len(blank), "", dtype=object)
    if questions is None:
        return out
    polarity: dict = {}
    for i in np.flatnonzero(blank):
        question = questions[i]
        if question not in polarity:
            polarity[question] = question_polarity(question)
        out[i] = polarity[question] or ""
    return out


@dataclass
class ZeroShotScores:
    """What :func:`score_units` gives: the scores, which units are non-answers still to route (no theme,
    or the residual theme), which were scored as a restatement, the units' words, the lemmatizer, the
    sentences of the units of several (None when the settings leave sentences out)."""

    scores: np.ndarray
    blank: np.ndarray
    restated: np.ndarray
    words: UnitWords
    lemmatizer: str
    sentences: UnitSentences | None = None


def score_units(unit_vectors: np.ndarray, theme_vectors, themes: Sequence, texts: Sequence[str], embed,
                settings, *, questions: Sequence[str | None] | None = None) -> ZeroShotScores:
    """The zero-shot scores of ``texts`` (vectors ``unit_vectors``) against ``themes``: keyword cues, word
    cues and, for non-answers to a question with a polarity (``questions``: the question text of each
    unit, None where unknown), the scores of the statement they make (see the module docstring).
    ``embed(list of texts) -> vectors`` embeds the vocabulary and the statements (cached in a project)."""
    from thematic.ml.suggest import keyword_hits, score_matrix

    hits, lemmatizer = keyword_hits(texts, themes)
    words = unit_words(texts, embed)
    sentences = sentence_vectors(texts, embed) if settings.reads_sentences else None
    scores = score_matrix(unit_vectors, theme_vectors, hits, settings, words=words, sentences=sentences)
    blank = non_answers(texts)
    restated = restatements(blank, None if non_answer_themes(themes) else questions)
    keys = sorted({key for key in restated if key})
    if keys:
        statements = [RESTATED[key] for key in keys]
        # no word cues for thematic's own sentences: they are for the respondents' few words ("complaints"
        # alone points at dissatisfaction; on the NHS train split they turned the gain into a loss)
        statement_scores = score_matrix(np.asarray(embed(statements), dtype=np.float64), theme_vectors,
                                        keyword_hits(statements, themes)[0], settings)
        for key, row in zip(keys, statement_scores, strict=True):
            scores[restated == key] = row
    return ZeroShotScores(scores, blank & (restated == ""), restated != "", words, lemmatizer, sentences)


# -- word cues -------------------------------------------------------------------------------------------
def stop_words() -> frozenset[str]:
    """spaCy's English stop words (imported without letting thinc import torch)."""
    from thematic.ml.suggest import _import_spacy

    _import_spacy()
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def content_words(text: str, stop: frozenset[str]) -> list[str]:
    """The distinct lower-cased words of ``text`` that are not stop words, in order of first occurrence.

    >>> content_words("The staff were lovely, LOVELY and kind.", frozenset({"the", "were", "and"}))
    ['staff', 'lovely', 'kind']
    """
    seen: dict[str, None] = {}
    for word in _WORD.findall(str(text).lower().replace("\u2019", "'")):
        if word not in stop and len(word) > 2:
            seen.setdefault(word, None)
    return list(seen)


@dataclass
class UnitWords:
    """The project's vocabulary, its vectors, and each unit's content words as vocabulary indices."""

    vocabulary: list[str]
    vectors: np.ndarray            # (len(vocabulary), d), unit length
    indices: list[np.ndarray]      # per unit: indices into vocabulary
    lengths: np.ndarray            # per unit: number of content words (in the vocabulary or not)


def vocabulary(words: Sequence[Sequence[str]], min_units: int = MIN_WORD_UNITS,
               limit: int = MAX_VOCABULARY) -> list[str]:
    """Words in at least ``min_units`` units, the ``limit`` most frequent (ties alphabetical), sorted.

    >>> vocabulary([["wait", "long"], ["wait"], ["food", "long"], ["food"], ["rare"]], min_units=2, limit=2)
    ['food', 'long']
    """
    counts = Counter(w for ws in words for w in set(ws))
    kept = sorted((w for w, n in counts.items() if n >= min_units), key=lambda w: (-counts[w], w))
    return sorted(kept[:limit])


def unit_words(texts: Sequence[str], embed) -> UnitWords:
    """:class:`UnitWords` of ``texts``; ``embed(list of words) -> vectors`` (e.g. the project's cached
    :func:`thematic.ml.embed.embed_texts`)."""
    stop = stop_words()
    words = [content_words(t, stop) for t in texts]
    vocab = vocabulary(words)
    vectors = np.asarray(embed(vocab), dtype=np.float64) if vocab else np.zeros((0, 0))
    index = {w: i for i, w in enumerate(vocab)}
    indices = [np.array([index[w] for w in ws if w in index], dtype=int) for ws in words]
    return UnitWords(vocab, vectors, indices, np.array([len(ws) for ws in words], dtype=float))


def name_parts(name: str) -> list[str]:
    """The parts of a theme name that lists several things (split at commas, "&", "/", ";", "and", "or");
    none for a name of one part.

    >>> name_parts("Cleanliness, tidiness & infection control")
    ['Cleanliness', 'tidiness', 'infection control']
    >>> name_parts("Timeliness of care")
    []
    """
    parts = [p.strip() for p in re.split(r"[,&/;]|\band\b|\bor\b", str(name)) if p.strip()]
    return parts if len(parts) > 1 else []


def word_cues(word_vectors: np.ndarray, text_vectors: np.ndarray, owner: np.ndarray,
              n_themes: int) -> np.ndarray:
    """Vocabulary x themes: the best cosine of the word to one of the theme's texts (``text_vectors``
    rows, ``owner`` their theme), minus the theme's mean over the vocabulary, minus the word's mean over
    the themes (with one theme, only the first).

    >>> words = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    >>> texts, owner = np.array([[1.0, 0.0], [0.0, 1.0], [0.8, 0.6]]), np.array([0, 1, 1])
    >>> word_cues(words, texts, owner, 2).round(3).tolist()
    [[0.293, -0.293], [-0.307, 0.307], [0.013, -0.013]]
    """
    similarity = np.asarray(word_vectors, dtype=np.float64) @ np.asarray(text_vectors, dtype=np.float64).T
    cues = np.full((similarity.shape[0], n_themes), 0.0)
    for t in range(n_themes):
        mine = owner == t
        if mine.any():
            cues[:, t] = similarity[:, mine].max(axis=1)
    cues = cues - cues.mean(axis=0, keepdims=True)
    if n_themes > 1:
        cues = cues - cues.mean(axis=1, keepdims=True)
    return cues


def word_scores(words: UnitWords, text_vectors: np.ndarray, owner: np.ndarray, n_themes: int,
                length: float = WORD_LENGTH) -> np.ndarray:
    """Units x themes: the best cue (:func:`word_cues`) among each unit's words (0 for a unit without
    vocabulary words), times ``min(1, length / n)`` for a unit of ``n`` content words."""
    out = np.zeros((len(words.indices), n_themes))
    if not words.vocabulary:
        return out
    cues = word_cues(words.vectors, text_vectors, owner, n_themes)
    for i, idx in enumerate(words.indices):
        if idx.size:
            out[i] = cues[idx].max(axis=0)
    weight = np.minimum(1.0, length / np.maximum(words.lengths, 1.0))
    return out * weight[:, None]


# -- sentences of long answers ---------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _sentencizer():
    """spaCy's blank English pipeline with the rule-based sentencizer (the same on every machine, fast;
    imported without torch); every character of its end-of-sentence tokens (with white space, to strip),
    and a pattern that finds one."""
    from thematic.ml.suggest import _import_spacy

    nlp = _import_spacy().blank("en")
    nlp.add_pipe("sentencizer")
    chars = "".join(sorted(set("".join(nlp.get_pipe("sentencizer").punct_chars))))
    return nlp, chars + " \t", re.compile("[" + re.escape(chars) + "]")


@dataclass
class Split:
    """A unit's sentences and its first line where it has several lines (else None)."""

    sentences: list[str]
    title: str | None


def unit_sentences(texts: Sequence[str]) -> list[Split]:
    """Each text's sentences: its non-empty lines, each split by spaCy's rule-based sentencizer
    (:func:`thematic.ingest.segment.sentences`); and its first line where it has several.

    >>> for split in unit_sentences(["Can I stop? I feel low.\\nIt started in May.", "Lovely staff", ""]):
    ...     print(split.sentences, split.title)
    ['Can I stop?', 'I feel low.', 'It started in May.'] Can I stop? I feel low.
    ['Lovely staff'] None
    [] None
    """
    from thematic.ingest.segment import sentences

    nlp, ends, inner = _sentencizer()
    lines = [[line.strip() for line in str(t).splitlines() if line.strip()] for t in texts]
    # A line with no end-of-sentence character before its last run of them is one sentence: the
    # sentencizer starts a sentence only after such a token. Only the others go through spaCy (most short
    # answers need not).
    several = list(dict.fromkeys(line for ls in lines for line in ls if inner.search(line.rstrip(ends))))
    split = dict(zip(several, ([seg.text for seg in s] for s in sentences(several, nlp=nlp)), strict=True))
    out = []
    for ls in lines:
        parts = [part for line in ls for part in split.get(line, (line,))]
        out.append(Split(parts, ls[0] if len(ls) > 1 else None))
    return out


@dataclass
class UnitSentences:
    """The units of at least :data:`MIN_SENTENCES` sentences, their sentence vectors and first lines."""

    units: np.ndarray       # (m,) indices of those units
    starts: np.ndarray      # (m,) each unit's first row in ``vectors`` (a unit's rows are contiguous)
    vectors: np.ndarray     # (n_sentences, d), unit length
    titles: np.ndarray      # (m, d): each unit's first line's vector, zeros where it has one line
    texts: int              # distinct sentence and first-line texts

    def counts(self) -> np.ndarray:
        return np.diff(np.append(self.starts, len(self.vectors)))


def sentence_vectors(texts: Sequence[str], embed, min_sentences: int = MIN_SENTENCES) -> UnitSentences:
    """:class:`UnitSentences` of ``texts``; ``embed(list of texts) -> vectors`` embeds every sentence and
    first line once (in a project, :func:`thematic.ml.embed.embed_texts`, cached by text like the units)."""
    splits = unit_sentences(texts)
    units = np.array([i for i, s in enumerate(splits) if len(s.sentences) >= min_sentences], dtype=int)
    distinct = list(dict.fromkeys([p for i in units for p in splits[i].sentences]
                                  + [splits[i].title for i in units if splits[i].title is not None]))
    if not distinct:
        return UnitSentences(units, np.zeros(0, dtype=int), np.zeros((0, 0)), np.zeros((0, 0)), 0)
    V = np.asarray(embed(distinct), dtype=np.float64)
    row = {t: k for k, t in enumerate(distinct)}
    order = [row[p] for i in units for p in splits[i].sentences]
    counts = np.array([len(splits[i].sentences) for i in units], dtype=int)
    titles = np.zeros((len(units), V.shape[1]))
    for j, i in enumerate(units):
        if splits[i].title is not None:
            titles[j] = V[row[splits[i].title]]
    return UnitSentences(units, np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int), V[order], titles,
                         len(distinct))


def sentence_cosines(unit_vectors: np.ndarray, sentences: UnitSentences, prototypes: np.ndarray, *,
                     title_weight: float, mean_weight: float, weight: float,
                     temperature: float) -> np.ndarray:
    """(len(sentences.units), themes): the sentence part of the score of the units of several sentences
    (``unit_vectors``: their whole-text vectors, in ``sentences.units`` order).

    The unit's vector ``v = normalise(u + title_weight * title)`` (the title term only where the unit has
    one), then ``v = normalise((1 - mean_weight) * v + mean_weight * normalise(mean of its sentences))``;
    the score ``(1 - weight) * v . p + weight * softmax`` where ``softmax = m + T log(mean exp((c - m) / T))``
    over the sentences' cosines ``c`` to the prototype ``p`` (``m`` their max; ``T = temperature``).
    """
    from thematic.ml.suggest import _normalise

    U = np.asarray(unit_vectors, dtype=np.float64)
    P = np.asarray(prototypes, dtype=np.float64)
    counts = sentences.counts()
    v = _normalise(U + title_weight * sentences.titles)
    means = _normalise(np.add.reduceat(sentences.vectors, sentences.starts, axis=0) / counts[:, None])
    v = _normalise((1 - mean_weight) * v + mean_weight * means)
    whole = v @ P.T
    if not weight:
        return whole
    c = sentences.vectors @ P.T
    owner = np.repeat(np.arange(len(counts)), counts)
    top = np.maximum.reduceat(c, sentences.starts, axis=0)
    spread = np.add.reduceat(np.exp((c - top[owner]) / temperature), sentences.starts, axis=0)
    soft = top + temperature * np.log(spread / counts[:, None])
    return (1 - weight) * whole + weight * soft
