"""Deductive matching: score every unit against every theme of the current codebook, assign by threshold.

Scoring (all vectors L2-normalised, so dot products are cosine similarities):

1. Positive evidence. A theme's texts are its name, "name: definition", its include rules and its
   examples; their vectors are averaged into a centroid ``c_t``. The centroids are then partly centred,
   ``q_t = normalise(c_t - CENTRING * mean_t' c_t')``, which takes out what all themes of the codebook
   share ("the respondent says ...") and leaves what tells them apart. ``positive = u . q_t``.
2. Negative evidence. Exclude rules and counterexamples: when a unit is closer to one of them than to any
   of the theme's own texts, the score drops by ``NEGATIVE_WEIGHT * (max_neg - max_pos)``.
3. Keyword cue. When the unit contains one of the theme's keywords, matched on lemmas (spaCy's English
   tokenizer and the lookup lemma table of spacy-lookups-data, the table spaCy's lookup lemmatizer
   uses), the score rises by
   ``KEYWORD_BOOST`` (once, however many keywords match). A keyword of several words matches when its
   lemmas occur in that order, side by side.
4. Word cues (:mod:`thematic.ml.zeroshot`). The project's vocabulary (content words in at least two units)
   is embedded once; a word's cue for a theme is its best cosine to one of the theme's texts or the parts
   of its name, centred over the vocabulary and over the themes. The score rises by ``WORD_WEIGHT`` times
   the best cue among the unit's words, weighted by ``min(1, WORD_LENGTH / n)`` for ``n`` content words.
5. Sentences of long answers (:mod:`thematic.ml.zeroshot`). A unit of two or more sentences is also read
   by its sentences: its vector gets its first line's (``TITLE_WEIGHT``; where it has several lines) and
   is mixed with its sentences' mean vector (``SENTENCE_MEAN``), and the similarity part of its score is
   mixed with the soft maximum of its sentences' (``SENTENCE_WEIGHT``, ``SENTENCE_TEMPERATURE``).
6. The question. A non-answer ("Nothing.", "n/a") to a question that asks what to improve is scored as
   "No complaints.", to one that asks what was good as "Nothing was good." (without word cues), when the
   codebook has no theme for non-answers (:func:`thematic.ml.zeroshot.non_answer_themes`).

Scores are rounded to 6 decimals, so runs on the same inputs store identical numbers.

Assignment: theme ``t`` goes to unit ``u`` when both hold

- ``score(u, t) >= threshold_t``, the theme's own threshold: its mean score over the project's units plus
  ``Z`` standard deviations (so a theme whose texts sit close to everything needs more), or a fixed
  ``FLOOR`` when the project has fewer than ``MIN_UNITS_FOR_DISTRIBUTION`` units, or the value passed in
  ``thresholds`` (one number for every theme, or a number per theme id);
- ``score(u, t) >= best(u) - MARGIN``: it is one of the unit's best themes, so a unit gets a second theme
  only when that one is nearly as strong as the first.

Then the codebook's structure (:func:`thematic.ml.structure.apply_structure`), in which a catch-all
theme ("Other", "Miscellaneous", "Comments that do not fit any other category") is residual where its
group marks no residual theme (:func:`thematic.ml.residual.implied_groups`), then non-answers not restated
under their question: no theme, or, in each group, the best of its themes for "nothing" of the question's
polarity ("Nothing to improve", "Nothing was good"; :func:`thematic.ml.residual.route_non_answers`), else
the best of its themes for non-answers (residual themes, and themes that speak of non-answers or give one
as an example).

How the constants were chosen (benchmarks/quality/zero_shot.py, docs/performance.md): on the Counsel
Chat train+val questions only. ``CENTRING`` and ``KEYWORD_BOOST`` by top-1 accuracy there; ``Z`` and
``MARGIN`` are where the multi-label macro kappa there is flat (within 0.03 of its best), taking the
setting that still lets a unit carry two themes, as codebooks of a few broad themes need (Counsel Chat is
single-label, so its own optimum is "one theme at most"). ``NEGATIVE_WEIGHT`` could not be tuned there
(its codebook has no exclusions or counterexamples) and is a stated prior. ``FLOOR`` is the absolute
score that gave the best macro kappa on that split for the top theme alone.

``WORD_WEIGHT`` and ``WORD_LENGTH`` were chosen on the NHS FFT train split (short answers, names only)
and the Counsel Chat train+val questions together: the largest weight that costs Counsel Chat nothing
(docs/performance.md, "Zero-shot suggestions that read the answers").

``TITLE_WEIGHT``, ``SENTENCE_MEAN``, ``SENTENCE_WEIGHT`` and ``SENTENCE_TEMPERATURE`` were chosen on the
Counsel Chat train+val questions by 5-fold cross-validation and checked on the NHS FFT train split and the
demo's answer key (benchmarks/quality/sentences.py; docs/performance.md, "Sentence-level scores for long
answers").

The catch-all and "nothing" rules (:mod:`thematic.ml.residual`) have no constants; they were measured
on the NHS phase-1 and multi-label train splits, Counsel Chat train+val and the demo's answer key
(benchmarks/quality/definitions.py, docs/performance.md "Zero-shot with definitions (issue 16)"), as were
the alternatives to the averaged prototype (one prototype per text with a max, a soft max or a mix,
definition sentences, the name's weight): none of those paid on every set, so the centroid stays.

No step is random; the seed is stored with the run all the same, with every parameter, the model
fingerprint and the codebook version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np

from thematic.errors import ThematicError

CENTRING = 0.5
NEGATIVE_WEIGHT = 0.5
KEYWORD_BOOST = 0.05
WORD_WEIGHT = 0.5
WORD_LENGTH = 4
TITLE_WEIGHT = 0.25
SENTENCE_MEAN = 0.25
SENTENCE_WEIGHT = 0.25
SENTENCE_TEMPERATURE = 0.05
Z = 0.5
MARGIN = 0.05
FLOOR = 0.2
MIN_UNITS_FOR_DISTRIBUTION = 20
DECIMALS = 6

NO_UNITS = "the project has no units to score (import responses first: thematic import FILE --text COLUMN)"


# -- theme texts and prototypes --------------------------------------------------------------------------
def positive_texts(theme) -> list[str]:
    """The texts that say what a theme is: name, "name: definition", include rules, examples."""
    texts = [theme.name, f"{theme.name}: {theme.definition}", *theme.include, *theme.examples]
    return _distinct(texts)


def negative_texts(theme) -> list[str]:
    """The texts that say what a theme is not: exclude rules and counterexamples."""
    return _distinct([*theme.exclude, *theme.counterexamples])


def _distinct(texts: Sequence[str]) -> list[str]:
    out: list[str] = []
    for text in texts:
        text = " ".join(str(text).split())
        if text and text not in out:
            out.append(text)
    return out


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


@dataclass
class ThemeVectors:
    """Every theme's embedded texts: positives and negatives as row blocks with owner indices."""

    positives: np.ndarray      # (n_pos, d)
    positive_owner: np.ndarray  # (n_pos,) theme index
    negatives: np.ndarray      # (n_neg, d)
    negative_owner: np.ndarray  # (n_neg,)
    n_themes: int
    parts: np.ndarray | None = None        # (n_parts, d): the parts of each theme's name (word cues only)
    part_owner: np.ndarray | None = None   # (n_parts,)

    def cue_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(vectors, owner): every text a word cue is measured against, the positives and the name parts."""
        if self.parts is None or not len(self.parts):
            return self.positives, self.positive_owner
        return np.vstack([self.positives, self.parts]), np.concatenate([self.positive_owner, self.part_owner])

    def centroids(self) -> np.ndarray:
        """Each theme's unit-length centroid of its positive texts (uncentred)."""
        out = np.zeros((self.n_themes, self.positives.shape[1]), dtype=np.float64)
        np.add.at(out, self.positive_owner, self.positives.astype(np.float64))
        return _normalise(out)

    def prototypes(self, centring: float = CENTRING) -> np.ndarray:
        centroids = self.centroids()
        if self.n_themes < 2 or centring == 0:
            return centroids
        return _normalise(centroids - centring * centroids.mean(axis=0, keepdims=True))


def embed_theme_texts(project, themes: Sequence, *, model=None, progress=None) -> ThemeVectors:
    from thematic.ml.embed import embed_texts

    return theme_vectors(themes, lambda texts: embed_texts(project, texts, model=model, progress=progress))


def theme_vectors(themes: Sequence, embed) -> ThemeVectors:
    """:class:`ThemeVectors` of ``themes``, ``embed(list of texts) -> vectors`` (one call)."""
    from thematic.ml.zeroshot import name_parts

    pos, pos_owner, neg, neg_owner, parts, part_owner = [], [], [], [], [], []
    for i, theme in enumerate(themes):
        own = positive_texts(theme)
        for text in own:
            pos.append(text)
            pos_owner.append(i)
        for text in negative_texts(theme):
            neg.append(text)
            neg_owner.append(i)
        for text in name_parts(theme.name):
            if text not in own:
                parts.append(text)
                part_owner.append(i)
    vectors = np.asarray(embed(pos + neg + parts), dtype=np.float64)
    dim = vectors.shape[1]
    n_pos, n_neg = len(pos), len(neg)
    return ThemeVectors(vectors[:n_pos], np.array(pos_owner, dtype=int),
                        vectors[n_pos: n_pos + n_neg].reshape(-1, dim), np.array(neg_owner, dtype=int),
                        len(themes), vectors[n_pos + n_neg:].reshape(-1, dim),
                        np.array(part_owner, dtype=int))


def theme_prototypes(project, themes: Sequence, *, model=None) -> np.ndarray:
    """One unit-length vector per theme: the centroid of its name, definition, include rules and examples
    (not centred against the other themes, so it stays comparable with unit and cluster vectors)."""
    if not themes:
        return np.zeros((0, 0), dtype=np.float32)
    return embed_theme_texts(project, themes, model=model).centroids().astype(np.float32)


# -- keyword cues ----------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def lemmatizer():
    """(name, lemma table, spaCy's blank English pipeline).

    The table is spaCy's English lookup lemma table from the spacy-lookups-data package (a dependency; the
    one spaCy's lookup lemmatizer uses), read as word -> lemma.
    """
    import gzip
    import importlib.metadata
    import importlib.resources
    import json

    nlp = _import_spacy().blank("en")
    source = importlib.resources.files("spacy_lookups_data") / "data" / "en_lemma_lookup.json.gz"
    with source.open("rb") as handle:
        table = json.loads(gzip.decompress(handle.read()))
    version = importlib.metadata.version("spacy-lookups-data")
    return f"spacy lookup lemmas (spacy-lookups-data {version})", table, nlp


def _import_spacy():
    """spaCy, imported without letting thinc import torch when torch is not loaded yet.

    thinc (under spaCy) imports torch if it can, which costs seconds; the tokenizer and the lookup lemmas
    need neither. While spaCy imports, ``sys.modules["torch"] = None`` makes ``import torch`` fail inside
    thinc's optional-import block; afterwards torch imports normally for whoever needs it.
    """
    import sys

    if "spacy" in sys.modules or "torch" in sys.modules:
        import spacy

        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        import spacy
    finally:
        del sys.modules["torch"]
    return spacy


def keyword_hits(texts: Sequence[str], themes: Sequence) -> tuple[np.ndarray, str]:
    """(units x themes 0/1: one of the theme's keywords occurs in the unit, the lemmatizer's name).

    A unit and a keyword match when a lemma of the keyword (or, for a keyword of several words, its lemmas
    in order, side by side) occurs among the lemmas of the unit's spaCy tokens.
    """
    hits = np.zeros((len(texts), len(themes)), dtype=np.float64)
    if not any(theme.keywords for theme in themes):
        return hits, "none (no keywords in the codebook)"
    name, table, nlp = lemmatizer()

    cache: dict[str, str] = {}

    def lemma(word: str) -> str:
        found = cache.get(word)
        if found is None:
            found = cache[word] = table.get(word, word)
        return found

    def lemmas(doc) -> tuple[str, ...]:
        return tuple(lemma(tok.lower_) for tok in doc if not (tok.is_punct or tok.is_space))

    words: dict[str, set[int]] = {}        # one-word cue -> themes
    phrases: dict[str, set[int]] = {}      # " a b " -> themes, for cues of several words
    for t, theme in enumerate(themes):
        for keyword in theme.keywords:
            cue = lemmas(nlp.tokenizer(keyword))
            if len(cue) == 1:
                words.setdefault(cue[0], set()).add(t)
            elif cue:
                phrases.setdefault(" " + " ".join(cue) + " ", set()).add(t)
    for i, doc in enumerate(nlp.tokenizer.pipe(texts, batch_size=512)):
        sequence = lemmas(doc)
        for word in words.keys() & set(sequence):
            hits[i, list(words[word])] = 1.0
        if phrases:
            joined = " " + " ".join(sequence) + " "
            for phrase, owners in phrases.items():
                if phrase in joined:
                    hits[i, list(owners)] = 1.0
    return hits, name


# -- scoring and assignment ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    centring: float = CENTRING
    negative_weight: float = NEGATIVE_WEIGHT
    keyword_boost: float = KEYWORD_BOOST
    word_weight: float = WORD_WEIGHT
    word_length: float = WORD_LENGTH
    title_weight: float = TITLE_WEIGHT
    sentence_mean: float = SENTENCE_MEAN
    sentence_weight: float = SENTENCE_WEIGHT
    sentence_temperature: float = SENTENCE_TEMPERATURE
    z: float = Z
    margin: float = MARGIN
    floor: float = FLOOR
    min_units_for_distribution: int = MIN_UNITS_FOR_DISTRIBUTION

    @property
    def reads_sentences(self) -> bool:
        """Whether units of several sentences are also read by their sentences (step 5)."""
        return bool(self.title_weight or self.sentence_mean or self.sentence_weight)


def score_matrix(unit_vectors: np.ndarray, theme_vectors: ThemeVectors, hits: np.ndarray | None = None,
                 settings: Settings = Settings(), *, words=None, sentences=None) -> np.ndarray:
    """Units x themes scores (see the module docstring), rounded to :data:`DECIMALS`.

    ``words``: the units' :class:`thematic.ml.zeroshot.UnitWords` (the word cues); None leaves them out.
    ``sentences``: the :class:`thematic.ml.zeroshot.UnitSentences` of the units of several sentences,
    whose similarity part is then :func:`thematic.ml.zeroshot.sentence_cosines`; None leaves them out.
    """
    units = np.asarray(unit_vectors, dtype=np.float64)
    n, t = units.shape[0], theme_vectors.n_themes
    prototypes = theme_vectors.prototypes(settings.centring)
    scores = units @ prototypes.T
    if sentences is not None and len(sentences.units) and settings.reads_sentences:
        from thematic.ml.zeroshot import sentence_cosines

        scores[sentences.units] = sentence_cosines(
            units[sentences.units], sentences, prototypes, title_weight=settings.title_weight,
            mean_weight=settings.sentence_mean, weight=settings.sentence_weight,
            temperature=settings.sentence_temperature)
    if words is not None and settings.word_weight:
        from thematic.ml.zeroshot import word_scores

        scores += settings.word_weight * word_scores(words, *theme_vectors.cue_vectors(), t,
                                                     settings.word_length)
    if theme_vectors.negatives.shape[0] and settings.negative_weight:
        pos_max = _block_max(units @ theme_vectors.positives.T, theme_vectors.positive_owner, t)
        neg_max = _block_max(units @ theme_vectors.negatives.T, theme_vectors.negative_owner, t)
        scores -= settings.negative_weight * np.maximum(0.0, neg_max - pos_max)
    if hits is not None and settings.keyword_boost:
        scores += settings.keyword_boost * np.minimum(hits, 1.0)
    return np.round(scores.reshape(n, t), DECIMALS)


def _block_max(similarities: np.ndarray, owner: np.ndarray, n_themes: int) -> np.ndarray:
    """Per row, the max over the columns each theme owns (-inf where a theme owns none)."""
    out = np.full((similarities.shape[0], n_themes), -np.inf)
    for t in np.unique(owner):
        out[:, t] = similarities[:, owner == t].max(axis=1)
    return out


def theme_thresholds(scores: np.ndarray, settings: Settings = Settings()) -> tuple[np.ndarray, str]:
    """Each theme's threshold from its score distribution over the units, and the rule used."""
    n = scores.shape[0]
    if n < settings.min_units_for_distribution:
        return (np.full(scores.shape[1], settings.floor),
                f"fixed floor {settings.floor} (fewer than {settings.min_units_for_distribution} units)")
    mean = scores.mean(axis=0)
    sd = scores.std(axis=0)
    return np.round(mean + settings.z * sd, DECIMALS), f"theme mean + {settings.z} sd over the units"


def assign(scores: np.ndarray, thresholds: np.ndarray, margin: float = MARGIN) -> np.ndarray:
    """Units x themes booleans: at least the theme's threshold, and within ``margin`` of the unit's best.

    >>> assign(np.array([[0.5, 0.48, 0.1], [0.1, 0.1, 0.1]]), np.array([0.3, 0.3, 0.3]), margin=0.05)
    array([[ True,  True, False],
           [False, False, False]])
    """
    if scores.size == 0:
        return np.zeros(scores.shape, dtype=bool)
    best = scores.max(axis=1, keepdims=True)
    return (scores >= thresholds[None, :]) & (scores >= best - margin)


def _override(thresholds: np.ndarray, given, theme_ids: list[str]) -> np.ndarray:
    if given is None:
        return thresholds
    out = thresholds.copy()
    if isinstance(given, int | float):
        out[:] = float(given)
        return out
    for theme_id, value in dict(given).items():
        if theme_id == "*":
            out[:] = float(value)
    for theme_id, value in dict(given).items():
        if theme_id == "*":
            continue
        if theme_id not in theme_ids:
            raise ThematicError(f"--threshold names theme '{theme_id}', which is not in the current codebook "
                                f"(themes are: {', '.join(theme_ids)})")
        out[theme_ids.index(theme_id)] = float(value)
    return out


# -- a stored run ------------------------------------------------------------------------------------------
@dataclass
class ThemeSummary:
    id: str
    name: str
    threshold: float
    units: int
    respondents: int
    exemplar: dict | None = None


@dataclass
class SuggestRun:
    """What :func:`suggest` stored: the run id, what it scored with, and per theme how many units it got."""

    id: int
    created_at: str
    codebook: str
    codebook_version: int
    model: str
    fingerprint: str
    units: int
    respondents: int
    unassigned_units: int
    themes: list[ThemeSummary] = field(default_factory=list)
    parameters: dict = field(default_factory=dict)
    questions: list[str] | None = None  # the questions whose units it scored (None: every question)

    def to_dict(self) -> dict:
        return asdict(self)



def run_inputs(project, seed, scope=None) -> tuple:
    """What every suggest run starts from, checked: (codebook version, its themes, the units it scores).

    ``scope``: a :class:`thematic.ml.scopes.RunScope` (a codebook version and its questions); None for
    the project's one codebook (the codebook store's message, naming --question, when the questions
    have different codebooks)."""
    from thematic.ml.scopes import scope_units, single_scope

    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ThematicError(f"--seed must be a whole number 0 or more, not '{seed}'")
    if scope is None:
        scope = single_scope(project)
    version = scope.version
    themes = list(version.codebook.themes)
    if not themes:
        raise ThematicError(f"codebook {version.name} has no themes (add themes to the codebook, then "
                            "`thematic codebook use FILE`)")
    units = scope_units(project, scope)
    if not units:
        raise ThematicError(NO_UNITS if len(scope.questions) != 1 else
                            f"question '{scope.questions[0]}' has no units to score (import its answers "
                            "first)")
    return version, themes, units


def question_texts(project, units) -> list[str]:
    """Each unit's question: its text, or its id where it has none (the answer column's name, or the value
    of the ``--question-column`` of a long file, which is often the question's wording)."""
    from thematic.store import corpus

    text = dict(corpus.questions(project))
    return [text.get(u.question_id) or u.question_id for u in units]


@dataclass
class ZeroShotRun:
    """What zero-shot scoring gives a set of units (:func:`score_and_assign`): scores, each theme's
    threshold, the assignments after the codebook's structure and the non-answers, and how."""

    scores: np.ndarray
    thresholds: np.ndarray
    assigned: np.ndarray
    rule: str
    lemmatizer: str
    theme_vectors: ThemeVectors
    vocabulary: int
    non_answers: int
    non_answers_restated: int
    settings: dict  # the Settings used, as a dict
    theme_texts: dict  # theme id -> {"positive": n, "negative": n}: the texts its prototype was made of
    implied_residual: list = field(default_factory=list)  # themes made residual by their words (residual.py)
    sentences: dict = field(default_factory=dict)  # units scored by their sentences, sentence texts embedded


def assign_structured(scores: np.ndarray, limits: np.ndarray, themes: Sequence, groups: Sequence,
                      blank: np.ndarray, questions: Sequence[str | None] | None,
                      margin: float = MARGIN) -> tuple[np.ndarray, list[str]]:
    """Which themes each unit gets from its zero-shot ``scores`` and each theme's threshold (``limits``), as
    ``suggest`` assigns them, and the themes made residual by their words: thresholds and ``margin``
    (:func:`assign`), the codebook's structure with its catch-all themes residual where a group marks none
    (:func:`thematic.ml.residual.implied_groups`, :func:`thematic.ml.structure.apply_structure`), then the
    non-answers (``blank``) under their ``questions`` (:func:`thematic.ml.residual.route_non_answers`).
    One function, so that ``suggest``, ``suggest --learn`` and the benchmarks assign alike."""
    from thematic.ml import residual, zeroshot
    from thematic.ml.structure import apply_structure

    theme_ids = [t.id for t in themes]
    assigned = assign(scores, limits, margin)
    groups = residual.implied_groups(themes, groups)  # "Other", "Miscellaneous": residual unless marked
    implied = sorted({t for g in groups for t in g.residual} - {t.id for t in themes if t.residual})
    assigned = apply_structure(scores, limits, groups, theme_ids, assigned=assigned)
    takers = zeroshot.non_answer_themes(themes) + implied
    assigned = residual.route_non_answers(assigned, scores, blank, groups, theme_ids, themes, takers,
                                          questions)
    return assigned, implied


def score_and_assign(project, units, themes, groups=(), *, vectors: np.ndarray | None = None, model=None,
                     thresholds=None, settings: Settings = Settings(), progress=None) -> ZeroShotRun:
    """The zero-shot scores and assignments of ``units`` against ``themes``, exactly as ``thematic
    suggest`` stores them (and as ``suggest --learn`` starts from): the scores of the module docstring,
    thresholds from their distribution over ``units`` (or ``thresholds``, as :func:`suggest` takes them),
    then the structure of ``groups`` (the codebook's; none: independent themes) and the non-answers."""
    from thematic.ml import zeroshot
    from thematic.ml.embed import embed_texts, unit_vectors

    U = unit_vectors(project, units, model=model) if vectors is None else vectors
    theme_vectors = embed_theme_texts(project, themes, model=model)
    theme_ids = [t.id for t in themes]
    questions = question_texts(project, units)
    found = zeroshot.score_units(U, theme_vectors, themes, [u.text for u in units],
                                 lambda some: embed_texts(project, some, model=model, progress=progress),
                                 settings, questions=questions)
    scores = found.scores
    limits, rule = theme_thresholds(scores, settings)
    if thresholds is not None:
        limits = _override(limits, thresholds, theme_ids)
        rule = "given" if not isinstance(thresholds, dict) or "*" in thresholds else rule + "; some given"
    assigned, implied = assign_structured(scores, limits, themes, groups, found.blank, questions,
                                          settings.margin)
    restated = int(found.restated.sum())
    theme_texts = {tid: {"positive": int((theme_vectors.positive_owner == i).sum()),
                         "negative": int((theme_vectors.negative_owner == i).sum())}
                   for i, tid in enumerate(theme_ids)}
    return ZeroShotRun(scores, np.asarray(limits, dtype=np.float64), assigned, rule, found.lemmatizer,
                       theme_vectors, len(found.words.vocabulary), int(found.blank.sum()) + restated,
                       restated, asdict(settings), theme_texts, implied,
                       {"units": 0 if found.sentences is None else len(found.sentences.units),
                        "texts": 0 if found.sentences is None else found.sentences.texts})


def suggest(project, *, model=None, thresholds=None, seed: int = 0, progress=None,
            settings: Settings = Settings(), scope=None) -> SuggestRun:
    """Score every unit against every theme of the current codebook and store the run.

    ``thresholds``: None (each theme's threshold from its score distribution; see the module docstring),
    one number for every theme, or a dict theme id -> number (``"*"`` for the rest). ``scope``: which
    codebook version and questions (:func:`run_inputs`; ``thematic.ml.scopes.suggest_each`` makes one run
    per codebook in use).
    """
    from thematic.clock import utc_now
    from thematic.ml.embed import model_fingerprint, model_name, unit_vectors
    from thematic.store import ml as store

    version, themes, units = run_inputs(project, seed, scope)
    questions = sorted({u.question_id for u in units})
    theme_ids = [t.id for t in themes]
    U = unit_vectors(project, units, model=model, progress=progress)
    if progress:
        progress("scoring", 0, len(units))
    zero_shot = score_and_assign(project, units, themes, version.codebook.groups, vectors=U, model=model,
                                 thresholds=thresholds, settings=settings, progress=progress)
    scores, limits, rule, assigned = (zero_shot.scores, zero_shot.thresholds, zero_shot.rule,
                                      zero_shot.assigned)
    if progress:
        progress("scoring", len(units), len(units))

    fingerprint = model_fingerprint(model)
    parameters = {
        "seed": seed,
        "settings": zero_shot.settings,
        "threshold_rule": rule,
        "thresholds": {tid: float(x) for tid, x in zip(theme_ids, limits, strict=True)},
        "thresholds_given": (thresholds if thresholds is None or isinstance(thresholds, dict)
                             else float(thresholds)),
        "model_name": model_name(model),
        "model_fingerprint": fingerprint,
        "codebook": version.name,
        "codebook_version": version.number,
        "codebook_hash": version.content_hash,
        "lemmatizer": zero_shot.lemmatizer,
        "units": len(units),
        "questions": questions,
        "vocabulary": zero_shot.vocabulary,
        "non_answers": zero_shot.non_answers,
        "non_answers_restated": zero_shot.non_answers_restated,
        "theme_texts": zero_shot.theme_texts,
        "implied_residual": zero_shot.implied_residual,
        "sentences": zero_shot.sentences,
    }
    created_at = utc_now()
    with project.transaction():
        run_id = store.insert_suggest_run(project, codebook_version=version.number, model=fingerprint,
                                          parameters=parameters, created_at=created_at, questions=questions)
        store.insert_score_matrix(project, run_id, [u.id for u in units], theme_ids, scores, assigned)
    return summarise(project, run_id)


def summarise(project, run_id: int | None = None) -> SuggestRun:
    """The summary of a stored run (the latest when ``run_id`` is None)."""
    from thematic.store import ml as store
    from thematic.store.codebooks import get_version

    run = store.latest_suggest_run(project) if run_id is None else store.get_suggest_run(project, run_id)
    if run is None:
        raise ThematicError("no suggest run yet (run `thematic suggest` first)" if run_id is None else
                            f"suggest run {run_id} not found (leave out --run for the latest)")
    params = run.parameters
    version = get_version(project, run.codebook_version)
    totals = store.theme_totals(project, run.id)
    n_units, n_unassigned = store.run_unit_counts(project, run.id)
    themes = [
        ThemeSummary(t.id, t.name, params["thresholds"].get(t.id, float("nan")),
                     totals.get(t.id, {}).get("units", 0), totals.get(t.id, {}).get("respondents", 0),
                     totals.get(t.id, {}).get("exemplar"))
        for t in version.codebook.themes
    ]
    return SuggestRun(
        id=run.id, created_at=run.created_at, codebook=version.name, codebook_version=version.number,
        model=params.get("model_name", run.model), fingerprint=run.model, units=n_units,
        respondents=store.answering_respondents(project, run.questions), unassigned_units=n_unassigned,
        themes=themes, parameters=params, questions=None if run.questions is None else list(run.questions),
    )
