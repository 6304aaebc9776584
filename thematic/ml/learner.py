"""Suggestions that learn from coders: per-theme classifiers on features of the units, trained on a coder's
decisions, calibrated, and chosen per project by held-out kappa.

What is learned (``docs/learning.md`` gives the reasons and the figures behind them):

1. Features (:func:`unit_features`): the sentence embedding; character n-gram and word n-gram TF-IDF,
   each reduced by truncated SVD (fitted on the project's texts, no decisions); the question, one-hot,
   when there are several.
2. Per theme, a ridge regression of the 0/1 decision on the features, with an unpenalised intercept;
   its penalty (from :data:`ALPHAS`) is the one with the smallest leave-one-out squared error. Ridge has
   exact leave-one-out predictions in closed form (``e_i / (1 - h_ii)``: one SVD serves every theme and
   every penalty), so what follows is fitted on held-out ridge outputs of the training decisions.
3. Calibration: a logistic regression (scikit-learn, ``C=COMBINE_C``) of the decision on the held-out
   ridge output (candidate ``ridge``), or on it, the prototype score (z-scored over the training
   units) and how far each stands above the unit's best other theme (candidate ``ridge + prototype``).
   Its output is the stored score, a probability. The candidate with the better mean held-out kappa
   over the learned themes is kept (the second's calibration is itself cross-validated for that).
4. Threshold: the probability that maximises Cohen's kappa against the training decisions (midpoints
   between distinct values; ties: the middle one).
5. Identical answers (:func:`sharing_keys`: same question, same normalised text) share the coders'
   decisions: a unit whose key a coded unit has gets the share of decisions per theme as its score.
6. A theme with fewer than :data:`MIN_POSITIVES` positive or :data:`MIN_NEGATIVES` negative decisions
   is not learned, nor one whose leave-one-out ridge outputs agree with its decisions below
   :data:`MIN_LEARNED_KAPPA` (kappa at their best cut: its ``training_kappa``). With at least
   :data:`MIN_POOLED_THEMES` learned themes it is scored by one logistic
   regression of the decisions on the prototype inputs, pooled over the learned themes, and assigned at
   :data:`ZERO_SHOT_CUT` (method :data:`TOO_FEW`); with fewer, it keeps the zero-shot run's own score,
   threshold and assignment, as ``suggest`` gave them (method :data:`ZERO_SHOT_KEPT`): a calibration
   pooled over one to four themes made the rare themes over-fire. The run's settings say which
   (``unlearned_themes``).
7. Coders who give one theme per unit (at least :data:`SINGLE_LABEL_SHARE` of the coded units have exactly
   one): where it agrees better with their decisions (leave-one-out, as in 3), each unit gets one theme,
   the most probable of those that clear their thresholds, else the most probable (:func:`one_per_unit`);
   either way the run says so (``single_label`` in its parameters, a note under
   ``suggest --learn``). A codebook with exclusive groups decides this itself (``apply_structure``).

Nothing is random: the same decisions and vectors give the same scores (the seed is stored anyway).
:func:`learned_scores` scores every unit of the project, the training units among them (in-sample);
:mod:`thematic.ml.evaluate` gives the held-out figures. :func:`review_order` ranks the uncoded units for
``review --order uncertain``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from thematic.errors import ThematicError

#: Decisions a theme needs before it is learned: positives (the coder gave it) and negatives (the coder
#: coded the unit without it). The combining logistic regression has five coefficients; below five
#: positives it and the kappa-optimal threshold rest on one or two units. On Counsel Chat a minimum of
#: 3 or 10 gave the same learning curve as 5 within noise (docs/learning.md).
MIN_POSITIVES = 5
MIN_NEGATIVES = 5
ALPHAS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
#: Inverse penalty of the calibrating logistic regression. Platt scaling is unpenalised; scikit-learn's
#: default (1.0) left held-out probabilities above 0.5 too low by 0.03 to 0.11 on synthetic data with a
#: known logistic truth (tests/ml/test_learner.py), 100 by at most 0.06.
COMBINE_C = 100.0
#: The "above the best other theme" inputs are clipped to this, so one extreme unit cannot steer a fit.
RELATIVE_CLIP = 5.0
DECIMALS = 6
METHOD = ("ridge regression on the unit features (sentence embedding, character and word n-gram TF-IDF "
          "reduced by SVD, the question), penalty by leave-one-out error; a logistic regression calibrates "
          "its leave-one-out output (alone, or with the prototype scores: the candidate with the better "
          "leave-one-out kappa); threshold maximises kappa on the training decisions; identical answers "
          "to the same question share the coders' decisions")

LEARNED = "learned"
TOO_FEW = "calibrated zero-shot (too few decisions)"
ZERO_SHOT_KEPT = "zero-shot (too few decisions)"
#: Themes with too few decisions are scored by the calibration of their zero-shot scores pooled over the
#: learned themes only when at least this many themes are learned; below, they keep the zero-shot run's
#: assignment. Pooled over one to four themes, the calibration made them over-fire: with 20 coded
#: answers (about two themes learned) the unlearned themes assigned four times the zero-shot run's
#: answers, and macro kappa fell from 0.222 (zero-shot) to 0.102 on the NHS FFT train split's
#: cross-validation, 0.189 to 0.113 on NHS phase 1 and 0.415 to 0.345 on Counsel Chat; from about
#: 100 coded answers on, the pooled calibration beats the zero-shot assignment for them (NHS 0.278 against
#: 0.256 at 100, 0.363 against 0.344 at 400). 3 let it in too early (NHS 0.198 at 20), 8 too late (0.266
#: at 100): benchmarks/quality/few_coded.py, docs/performance.md "Few coded answers".
MIN_POOLED_THEMES = 5
#: A theme with enough decisions is still scored as one with too few (6.) when the leave-one-out outputs
#: of its ridge regression reach a Cohen's kappa below this against its decisions at their best cut:
#: what its decisions taught does not hold out of sample, and a threshold cut through such outputs
#: over-fires (NHS FFT, 1,000 coded answers: one theme learned from 5 positives took 615 of 872 held-out
#: answers, against the coder's 4; learned themes below 0.1 took 2,290 held-out answers against the
#: coders' 209 over 5 folds x 3 sizes). Chosen by cross-validation on the train splits of NHS FFT, NHS
#: phase 1 and Counsel Chat (benchmarks/quality/few_coded.py, docs/performance.md "Learned themes that
#: do not hold out").
MIN_LEARNED_KAPPA = 0.1
#: The learners :func:`fit` chooses from, by mean leave-one-out kappa over the learned themes.
RIDGE = "ridge"
RIDGE_PROTOTYPE = "ridge + prototype"
CANDIDATES = (RIDGE, RIDGE_PROTOTYPE)
#: Folds for scoring a calibration with several inputs held out (rows dealt out in turn).
CALIBRATION_FOLDS = 5
#: Character n-gram features (:func:`unit_features`): SVD dimensions (at most, and at most one per
#: :data:`UNITS_PER_DIM` units), vocabulary cap, weight against the embedding, and the fewest units for
#: which they are made. Chosen by 5-fold cross-validation on the NHS FFT train split
#: (`benchmarks/quality/nhs_fft.py --cv`; docs/performance.md): macro kappa 0.494 for the embedding
#: alone; with the n-grams at weight 0.5, 0.543 at 256 dims, 0.550 at 400, 0.555 at 600, 0.550 at 800;
#: at 256 dims, weight 0.35 gave 0.538 and 0.75 gave 0.534. On Counsel Chat (776 long questions, 400
#: coded) 200 dimensions gave 0.512 against 0.504 at 600, hence the cap by units.
WORD_DIMS = 600
UNITS_PER_DIM = 4
WORD_VOCABULARY = 50_000
WORD_WEIGHT = 0.5
MIN_UNITS_FOR_WORDS = 50
#: Word unigram and bigram TF-IDF, reduced the same way, at most :data:`TOKEN_DIMS` dimensions (one per
#: 2 x :data:`UNITS_PER_DIM` units), weight :data:`TOKEN_WEIGHT`: NHS FFT cross-validation 0.566
#: against 0.555 without; Counsel Chat at 400 coded 0.502 against 0.512 (docs/performance.md).
TOKEN_DIMS = 300
TOKEN_WEIGHT = 0.5
#: Up to this many units the SVDs are exact, from the units x units Gram matrix (cheaper than the
#: randomized SVD there); above, scikit-learn's randomized TruncatedSVD.
EXACT_SVD_UNITS = 2000
#: A theme with too few decisions, scored by the pooled calibration (:data:`MIN_POOLED_THEMES`), is assigned
#: when its calibrated zero-shot probability reaches this.
ZERO_SHOT_CUT = 0.5
#: When at least this share of the coded units (and at least :data:`SINGLE_LABEL_MIN_UNITS` of them) got
#: exactly one theme, the learner suggests one theme per unit (:func:`one_per_unit`), even when the
#: codebook does not say ``exclusive``: the most probable of the themes that clear their thresholds, else
#: the most probable; chosen only when it gives the coded units' leave-one-out probabilities a better mean
#: kappa than the per-theme thresholds. It abstains where none clears only when the coders left some
#: units without a theme and those probabilities say it pays (:func:`choose_abstain`). NHS FFT phase 1
#: (single-label; benchmarks/quality/single_label.py, docs/performance.md). Not while some themes keep
#: their zero-shot scores (fewer than :data:`MIN_POOLED_THEMES` learned): those are no probabilities to
#: rank against the learned ones (Counsel Chat at 20 and 50 coded: +0.003; phase 1: -0.001 and 0.000).
SINGLE_LABEL_SHARE = 0.95
SINGLE_LABEL_MIN_UNITS = 20
SINGLE_LABEL_NOTE = ("coders gave one theme per answer in {one} of {coded}; suggesting one theme per answer; "
                     "mark the codebook `exclusive: true` to make it a rule")
SINGLE_LABEL_NOT_COMPARABLE = ("coders gave one theme per answer in {one} of {coded}; with {learned} themes "
                               "learned (one per answer needs {needed}, so that every theme's score is a "
                               "probability) themes are suggested one by one; mark the codebook "
                               "`exclusive: true` to make one per answer a rule")
SINGLE_LABEL_NOT_CHOSEN = ("coders gave one theme per answer in {one} of {coded}; one theme per answer "
                           "agreed less with them than a threshold per theme (held-out kappa {single} "
                           "against {each}), so themes are suggested one by one; mark the codebook "
                           "`exclusive: true` to make one per answer a rule")



# -- training labels from the decision log ------------------------------------------------------------
@dataclass
class TrainingLabels:
    """A coder's current codings as a matrix: ``labels[i, t]`` the coder gave theme ``t`` to unit
    ``unit_ids[i]``; ``known[i, t]`` theme ``t`` was in the codebook version the coder was looking at
    (a theme added later is neither a positive nor a negative there)."""

    coder: str
    unit_ids: list[str]
    labels: np.ndarray  # (n, themes) bool
    known: np.ndarray  # (n, themes) bool

    def counts(self) -> tuple[np.ndarray, np.ndarray]:
        """(positives, negatives) per theme."""
        positives = (self.labels & self.known).sum(axis=0)
        negatives = (~self.labels & self.known).sum(axis=0)
        return positives, negatives


def training_labels(project, theme_ids: Sequence[str], *, from_coder: str = "consensus") -> TrainingLabels:
    """The coder's current codings (latest standing ``code`` decision per unit) against ``theme_ids``.

    A decision made under a codebook version that lacked a theme does not count for that theme. Themes
    the coder used that ``theme_ids`` lacks are ignored. No coding at all: a ThematicError.
    """
    from thematic.review.decisions import MACHINE, effective
    from thematic.store import decisions as log
    from thematic.store.codebooks import version_by_hash

    if from_coder == MACHINE:
        raise ThematicError("--from machine would teach the machine its own suggestions "
                            "(pass --from with a human coder, or leave it out for consensus)")
    latest = {}
    for decision in effective(log.decisions(project, coder=from_coder)):
        if decision.kind == "code":
            latest[decision.unit_id] = decision
    if not latest:
        coded = [c for c in log.coders(project) if c != MACHINE]
        raise ThematicError(
            f"coder '{from_coder}' has coded no units (code some with `thematic review --coder NAME`; "
            + (f"coders with decisions: {', '.join(coded)}; pass --from CODER)" if coded
               else "nobody has coded yet)"))
    index = {tid: t for t, tid in enumerate(theme_ids)}
    unit_ids = sorted(latest)
    labels = np.zeros((len(unit_ids), len(theme_ids)), dtype=bool)
    known = np.ones((len(unit_ids), len(theme_ids)), dtype=bool)
    versions: dict[str, frozenset[str] | None] = {}
    for i, unit_id in enumerate(unit_ids):
        decision = latest[unit_id]
        for theme in decision.themes:
            if theme in index:
                labels[i, index[theme]] = True
        content_hash = decision.codebook_hash
        if content_hash:
            if content_hash not in versions:
                version = version_by_hash(project, content_hash)
                versions[content_hash] = None if version is None else frozenset(version.codebook.ids())
            seen = versions[content_hash]
            if seen is not None:
                for tid, t in index.items():
                    if tid not in seen:
                        known[i, t] = False
    return TrainingLabels(from_coder, unit_ids, labels, known)


# -- the pieces ------------------------------------------------------------------------------------------
def kappas_at(y: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """Cohen's kappa of each row of ``predictions`` (k x n bools) against ``y`` (n bools); nan where
    undefined (both constant and equal)."""
    y = np.asarray(y, dtype=bool)
    predictions = np.asarray(predictions, dtype=bool)
    p_o = (predictions == y[None, :]).mean(axis=1)
    a = predictions.mean(axis=1)
    b = y.mean()
    p_e = a * b + (1 - a) * (1 - b)
    with np.errstate(invalid="ignore", divide="ignore"):
        kappa = (p_o - p_e) / (1 - p_e)
    return np.where(p_e >= 1 - 1e-12, np.nan, kappa)


def best_threshold(y: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """(threshold, kappa): the cut between distinct scores that maximises Cohen's kappa of
    ``scores >= threshold`` against ``y``; ties: the middle one of the tied cuts.

    >>> threshold, kappa = best_threshold(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.7, 0.9]))
    >>> round(threshold, 6), kappa
    (0.45, 1.0)
    """
    scores = np.asarray(scores, dtype=np.float64)
    values = np.unique(scores)
    cuts = np.concatenate([[values[0] - 1e-6], (values[1:] + values[:-1]) / 2, [values[-1] + 1e-6]])
    kappa = np.nan_to_num(kappas_at(y, scores[None, :] >= cuts[:, None]), nan=-1.0)
    ties = np.flatnonzero(kappa >= kappa.max() - 1e-12)
    return float(cuts[ties[len(ties) // 2]]), float(kappa.max())


def loo_ridge(features: np.ndarray, targets: np.ndarray, alphas: Sequence[float] = ALPHAS):
    """Ridge regressions of each column of ``targets`` on ``features``, with an unpenalised intercept, each
    with the penalty from ``alphas`` that has the smallest leave-one-out squared error.

    Returns (alphas chosen, leave-one-out predictions (n, k), weights (d, k), intercepts (k,)). The
    leave-one-out prediction of unit i is ``y_i - (y_i - fit_i) / (1 - h_ii)``, ``h`` the diagonal of
    the hat matrix ``11'/n + Fc (Fc'Fc + alpha I)^-1 Fc'`` (Fc: centred features); for ridge this is
    exactly the prediction of a fit without unit i (tests/ml/test_learner.py checks it against
    scikit-learn's Ridge refitted n times).
    """
    F = np.asarray(features, dtype=np.float64)
    Y = np.asarray(targets, dtype=np.float64)
    if Y.ndim == 1:
        Y = Y[:, None]
    n = F.shape[0]
    mean = F.mean(axis=0)
    U, s, Vt = np.linalg.svd(F - mean, full_matrices=False)
    y_mean = Y.mean(axis=0)
    UtY = U.T @ (Y - y_mean)
    U2 = U**2
    best_press = np.full(Y.shape[1], np.inf)
    chosen = np.zeros(Y.shape[1])
    loo = np.zeros_like(Y)
    for alpha in alphas:
        shrink = s**2 / (s**2 + alpha)
        fitted = U @ (shrink[:, None] * UtY) + y_mean
        h = U2 @ shrink + 1.0 / n
        held_out = Y - (Y - fitted) / np.maximum(1.0 - h, 1e-9)[:, None]
        press = ((Y - held_out) ** 2).mean(axis=0)
        better = press < best_press - 1e-12
        best_press[better] = press[better]
        chosen[better] = alpha
        loo[:, better] = held_out[:, better]
    weights = np.zeros((F.shape[1], Y.shape[1]))
    for alpha in np.unique(chosen):
        cols = chosen == alpha
        weights[:, cols] = Vt.T @ ((s / (s**2 + alpha))[:, None] * UtY[:, cols])
    intercepts = y_mean - mean @ weights
    return chosen, loo, weights, intercepts


def relative(matrix: np.ndarray) -> np.ndarray:
    """Each column minus the largest of the other columns, row by row (zeros for a single column).

    >>> relative(np.array([[0.5, 0.2, 0.1]])).tolist()
    [[0.3, -0.3, -0.4]]
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.shape[1] < 2:
        return np.zeros_like(matrix)
    ordered = np.sort(matrix, axis=1)
    top, second = ordered[:, -1:], ordered[:, -2:-1]
    return np.round(matrix - np.where(matrix >= top, second, top), 12)


def combine_inputs(ridge_outputs: np.ndarray, prototype_z: np.ndarray, learned: np.ndarray) -> np.ndarray:
    """The combining regression's inputs, (units, themes, 4): ridge output, z-scored prototype score, and
    how far each stands above the unit's best other theme (prototype: over every theme; ridge: over
    the learned themes), clipped to +-:data:`RELATIVE_CLIP`."""
    R = np.asarray(ridge_outputs, dtype=np.float64)
    Pz = np.asarray(prototype_z, dtype=np.float64)
    above_p = np.clip(relative(Pz), -RELATIVE_CLIP, RELATIVE_CLIP)
    above_r = np.zeros_like(R)
    if learned.sum() >= 2:
        above_r[:, learned] = np.clip(relative(R[:, learned]), -RELATIVE_CLIP, RELATIVE_CLIP)
    return np.stack([R, Pz, above_p, above_r], axis=2)


# -- features --------------------------------------------------------------------------------------------
def normalised_text(text: str) -> str:
    """Lower case, punctuation dropped, whitespace collapsed: the form in which two answers count as
    identical for :func:`sharing_keys`.

    >>> normalised_text("  Nothing.\\n") == normalised_text("nothing")
    True
    """
    import re

    return " ".join(re.sub(r"[^\w\s]", " ", str(text).lower()).split())


def sharing_keys(texts: Sequence[str], question_ids: Sequence[str] | None = None) -> list[str]:
    """One key per unit: its question and normalised text (answers mean different things under different
    questions, so "Nothing." under two questions are two keys)."""
    questions = question_ids if question_ids is not None else [""] * len(texts)
    return [f"{q}\x1f{normalised_text(t)}" for q, t in zip(questions, texts, strict=True)]


@dataclass
class Features:
    """What the learner reads for each unit: a feature matrix (rows = units) and the sharing keys."""

    matrix: np.ndarray
    keys: list[str]
    description: dict


def unit_features(texts: Sequence[str], vectors: np.ndarray, question_ids: Sequence[str] | None = None, *,
                  words: bool = True, word_ngrams: bool = True) -> Features:
    """Features of every unit of a project: the sentence embedding; with ``words``, character n-gram
    TF-IDF reduced by truncated SVD to :data:`WORD_DIMS` dimensions (at most one per
    :data:`UNITS_PER_DIM` units), scaled to :data:`WORD_WEIGHT` of the embedding's length, and word
    unigram and bigram TF-IDF reduced the same way (:data:`TOKEN_DIMS`, :data:`TOKEN_WEIGHT`); a one-hot
    column per question when there are several.

    The TF-IDF vocabularies and the SVDs are fitted on the units' texts alone (no decisions), so every
    unit, coded or not, gets the same features. scikit-learn's TfidfVectorizer (``char_wb``, 2 to 5
    characters; words, 1 to 2; sublinear tf) and TruncatedSVD (``random_state=0``, so repeatable).
    ``word_ngrams=False`` leaves the word block out (the benchmarks measure it so).
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    blocks = [vectors]
    description: dict = {"embedding": int(vectors.shape[1]) if vectors.ndim == 2 else 0}
    n = len(texts)
    if words and n >= MIN_UNITS_FOR_WORDS:
        texts = [str(t) for t in texts]
        for name, analyzer, ngrams, most, per_dim, weight in (
                ("character_ngrams", "char_wb", (2, 5), WORD_DIMS, UNITS_PER_DIM, WORD_WEIGHT),
                ("word_ngrams", "word", (1, 2), TOKEN_DIMS, 2 * UNITS_PER_DIM, TOKEN_WEIGHT))[
                :2 if word_ngrams else 1]:
            block = _reduced_tfidf(texts, analyzer, ngrams, min(most, n // per_dim))
            if block is not None:
                T, vocabulary = block
                norm = float(np.linalg.norm(T, axis=1).mean()) or 1.0
                blocks.append(weight * T / norm)
                description[name] = {"vocabulary": vocabulary, "svd_dims": int(T.shape[1]), "weight": weight}
    if question_ids is not None:
        questions = sorted(set(question_ids))
        if len(questions) > 1:
            blocks.append(np.array([[q == x for x in questions] for q in question_ids], dtype=np.float64))
            description["questions"] = len(questions)
    return Features(np.hstack(blocks), sharing_keys(texts, question_ids), description)


def _reduced_tfidf(texts: list[str], analyzer: str, ngrams: tuple[int, int], dims: int):
    """(TF-IDF of ``texts`` reduced to at most ``dims`` dimensions by truncated SVD, vocabulary size), or
    None when fewer than three n-grams occur twice."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    tfidf = TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, min_df=2, sublinear_tf=True,
                            max_features=WORD_VOCABULARY, dtype=np.float32)
    try:
        X = tfidf.fit_transform(texts)
    except ValueError:  # no n-gram occurs twice
        return None
    dims = int(min(dims, X.shape[1] - 1, len(texts) - 1))
    if X.shape[1] <= 2 or dims < 1:
        return None
    if len(texts) <= EXACT_SVD_UNITS:
        # The leading left singular vectors times the singular values (what TruncatedSVD returns), from
        # the eigenvectors of the small units x units Gram matrix: on 776 long Counsel Chat questions
        # 0.1 s against 1.5 s for the randomized SVD.
        values, vectors = np.linalg.eigh((X @ X.T).toarray().astype(np.float64))
        top = np.argsort(values)[::-1][:dims]
        return vectors[:, top] * np.sqrt(np.maximum(values[top], 0.0)), int(X.shape[1])
    T = TruncatedSVD(dims, random_state=0, algorithm="randomized", n_iter=4).fit_transform(X)
    return T, int(X.shape[1])


# -- the learner -----------------------------------------------------------------------------------------
@dataclass
class ThemeFit:
    """How one theme is scored: learned or zero-shot (calibrated or not), its decisions, threshold and fit."""

    theme_id: str
    method: str
    positives: int
    negatives: int
    threshold: float | None = None
    training_kappa: float | None = None  # at the threshold, on held-out (leave-one-out) outputs
    alpha: float | None = None
    coefficients: tuple[float, ...] | None = None  # of the calibrating regression, then its intercept

    def describe(self) -> dict:
        out = {"method": self.method, "positives": int(self.positives), "negatives": int(self.negatives)}
        for name in ("threshold", "training_kappa", "alpha"):
            value = getattr(self, name)
            if value is not None:
                out[name] = round(float(value), DECIMALS)
        if self.coefficients is not None:
            names = {1: ("ridge",), 2: ("prototype", "prototype_above_others"),
                     4: ("ridge", "prototype", "prototype_above_others", "ridge_above_others")}
            keys = names[len(self.coefficients) - 1] + ("intercept",)
            out["calibration"] = {k: round(float(v), DECIMALS)
                                  for k, v in zip(keys, self.coefficients, strict=True)}
        return out


@dataclass
class Learner:
    """Per-theme fits learned from one set of decisions; :meth:`predict` scores any units."""

    theme_ids: list[str]
    fits: list[ThemeFit]
    weights: np.ndarray = field(repr=False)  # (d, themes) ridge weights; zero columns where not learned
    intercepts: np.ndarray = field(repr=False)
    prototype_mean: np.ndarray = field(repr=False)
    prototype_scale: np.ndarray = field(repr=False)
    training_units: int = 0
    candidate: str = RIDGE
    candidates: dict = field(default_factory=dict)  # candidate -> mean leave-one-out kappa
    zero_shot_coefficients: tuple[float, ...] | None = None  # pooled calibration of the prototype scores
    shared: dict = field(default_factory=dict, repr=False)  # sharing key -> (theme shares, known counts)
    single_label: dict | None = None  # coders gave one theme per unit: what fit measured and chose
    min_pooled_themes: int = MIN_POOLED_THEMES  # learned themes needed for the pooled calibration
    min_learned_kappa: float = MIN_LEARNED_KAPPA  # held-out kappa a theme with enough decisions needs

    @property
    def learned(self) -> np.ndarray:
        """Per theme: scored by this learner (True) or by zero-shot scores, calibrated or not (False)."""
        return np.array([f.method == LEARNED for f in self.fits], dtype=bool)

    def predict(self, vectors: np.ndarray, prototype_scores: np.ndarray, zero_shot_thresholds: np.ndarray,
                zero_shot_assigned: np.ndarray, keys: Sequence[str] | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(scores, thresholds, assigned) for units with these features (``vectors``) and prototype scores.

        Learned themes: calibrated probabilities, assigned at or above the learned threshold. Themes with
        too few decisions: the probability that the pooled calibration of the prototype scores gives,
        assigned at :data:`ZERO_SHOT_CUT` or more, when there is one (at least :data:`MIN_POOLED_THEMES`
        learned themes); else their prototype scores, ``zero_shot_thresholds`` and ``zero_shot_assigned``
        as they are. Units whose sharing key (``keys``) a coded unit has: the coders' share of decisions
        per theme, assigned at one half or more.
        """
        prototype_scores = np.asarray(prototype_scores, dtype=np.float64)
        scores = prototype_scores.copy()
        thresholds = np.asarray(zero_shot_thresholds, dtype=np.float64).copy()
        assigned = np.asarray(zero_shot_assigned, dtype=bool).copy()
        learned = self.learned
        if not learned.any():
            return np.round(scores, DECIMALS), thresholds, assigned
        raw = np.array([f.coefficients is None and self.zero_shot_coefficients is None for f in self.fits])
        thresholds = np.array([f.threshold if f.threshold is not None else ZERO_SHOT_CUT for f in self.fits])
        thresholds[raw] = np.asarray(zero_shot_thresholds, dtype=np.float64)[raw]
        if len(scores):
            Pz = (prototype_scores - self.prototype_mean) / self.prototype_scale
            R = np.asarray(vectors, dtype=np.float64) @ self.weights + self.intercepts
            inputs = combine_inputs(R, Pz, learned)
            scores = np.round(_calibrated(inputs, self.fits, self.zero_shot_coefficients, scores), DECIMALS)
            zero_assigned = assigned
            assigned = scores >= thresholds[None, :]
            assigned[:, raw] = zero_assigned[:, raw]
            if keys is not None and self.shared:
                for i, key in enumerate(keys):
                    found = self.shared.get(key)
                    if found is not None:
                        share, counts = found
                        seen = counts > 0
                        scores[i, seen] = np.round(share[seen], DECIMALS)
                        assigned[i, seen] = share[seen] >= 0.5
            if self.single_label is not None and self.single_label["one_per_unit"]:
                assigned = one_per_unit(scores, assigned, self.single_label["abstain"])
        return scores, thresholds, assigned

    def describe(self) -> dict:
        return {fit.theme_id: fit.describe() for fit in self.fits}

    def unlearned_rule(self) -> str | None:
        """How the themes with too few decisions are scored, in words (None: every theme is learned)."""
        if self.learned.all():
            return None
        if self.zero_shot_coefficients is not None:
            return ("calibrated zero-shot: one logistic regression of the decisions on the zero-shot scores, "
                    f"pooled over the {int(self.learned.sum())} learned themes, assigned at {ZERO_SHOT_CUT}")
        return (f"the zero-shot run's own scores, thresholds and assignments ({int(self.learned.sum())} "
                f"themes learned; a pooled calibration needs {self.min_pooled_themes})")

    def _note(self) -> str:
        s = self.single_label
        if s["one_per_unit"]:
            return SINGLE_LABEL_NOTE.format(one=s["one_theme"], coded=s["coded_units"])
        if not s.get("comparable", True):
            return SINGLE_LABEL_NOT_COMPARABLE.format(one=s["one_theme"], coded=s["coded_units"],
                                                      learned=int(self.learned.sum()),
                                                      needed=self.min_pooled_themes)
        return SINGLE_LABEL_NOT_CHOSEN.format(one=s["one_theme"], coded=s["coded_units"],
                                              single=f"{s['loo_kappa']['one per unit']:.2f}",
                                              each=f"{s['loo_kappa']['per theme']:.2f}")

    def settings(self) -> dict:
        """What was chosen, JSON-ready: the candidate, every candidate's figure, the pooled calibration."""
        return {
            "learner": self.candidate,
            "candidates_loo_kappa": {k: round(float(v), 4) for k, v in self.candidates.items()},
            "zero_shot_calibration": (None if self.zero_shot_coefficients is None else
                                      [round(float(c), DECIMALS) for c in self.zero_shot_coefficients]),
            "unlearned_themes": self.unlearned_rule(),
            "min_pooled_themes": self.min_pooled_themes,
            "min_learned_kappa": self.min_learned_kappa,
            "shared_texts": len(self.shared),
            "single_label": (None if self.single_label is None else
                             {**self.single_label, "note": self._note()}),
        }


def _calibrated(inputs: np.ndarray, fits: Sequence[ThemeFit], pooled, scores: np.ndarray) -> np.ndarray:
    """``scores`` with each theme's column replaced by its calibrated probability (its own calibration,
    else the pooled zero-shot one; a theme with neither keeps its column)."""
    for t, f in enumerate(fits):
        coef = f.coefficients if f.coefficients is not None else pooled
        if coef is None:  # nothing to calibrate with: the prototype score as it is
            continue
        coef = np.asarray(coef)
        x = {5: inputs[:, t, :], 2: inputs[:, t, :1], 3: inputs[:, t, 1:3]}[len(coef)]
        scores[:, t] = _sigmoid(x @ coef[:-1] + coef[-1])
    return scores


def one_per_unit(scores: np.ndarray, assigned: np.ndarray, abstain: bool) -> np.ndarray:
    """Units x themes bools, one theme per unit at most: the highest-scoring of the themes ``assigned``
    gives the unit (those that clear their thresholds); where none does, the highest-scoring theme
    (``abstain`` False) or none (``abstain`` True). Ties: the first theme.

    >>> scores = np.array([[0.2, 0.7, 0.6], [0.3, 0.1, 0.2], [0.9, 0.4, 0.1]])
    >>> assigned = np.array([[0, 1, 1], [0, 0, 0], [0, 1, 0]], dtype=bool)  # unit 2: only b clears
    >>> one_per_unit(scores, assigned, abstain=False).astype(int).tolist()
    [[0, 1, 0], [1, 0, 0], [0, 1, 0]]
    >>> one_per_unit(scores, assigned, abstain=True).astype(int).tolist()
    [[0, 1, 0], [0, 0, 0], [0, 1, 0]]
    """
    scores = np.asarray(scores, dtype=np.float64)
    assigned = np.asarray(assigned, dtype=bool)
    out = np.zeros(scores.shape, dtype=bool)
    if scores.size:
        clears = assigned.any(axis=1)
        best = np.where(clears, np.where(assigned, scores, -np.inf).argmax(axis=1), scores.argmax(axis=1))
        keep = clears | (not abstain)
        out[np.flatnonzero(keep), best[keep]] = True
    return out


def _mean_kappa(labels: np.ndarray, assigned: np.ndarray, themes: np.ndarray) -> float:
    return float(np.nanmean([kappas_at(labels[:, t], assigned[None, :, t])[0] for t in themes]))


def choose_abstain(probabilities: np.ndarray, assigned: np.ndarray, labels: np.ndarray,
                   themes: np.ndarray) -> bool:
    """Whether :func:`one_per_unit` should abstain where no theme clears its threshold: the choice with
    the higher mean kappa over ``themes`` (column indices) against ``labels``; ties: not abstaining (coders
    who give one theme per unit rarely leave one empty)."""
    def figure(abstain: bool) -> float:
        return _mean_kappa(labels, one_per_unit(probabilities, assigned, abstain), themes)

    return figure(True) > figure(False) + 1e-12


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))


def _logistic(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, tuple[float, ...]]:
    """(in-sample probabilities, coefficients then intercept) of a logistic regression of y on X.

    The objective is scikit-learn's ``LogisticRegression(C=COMBINE_C)`` (log loss summed over units plus
    ``|w|^2 / (2 C)``, intercept unpenalised), solved by Newton's method: the calibrations have one to
    four inputs, where scikit-learn's general solver costs a hundred times more per fit
    (tests/ml/test_learner.py checks the coefficients against scikit-learn's).
    """
    X = np.column_stack([np.asarray(X, dtype=np.float64), np.ones(len(y))])
    y = np.asarray(y, dtype=np.float64)
    penalty = np.full(X.shape[1], 1.0 / COMBINE_C)
    penalty[-1] = 0.0
    beta = np.zeros(X.shape[1])
    for _ in range(100):
        p = _sigmoid(X @ beta)
        gradient = X.T @ (p - y) + penalty * beta
        hessian = (X * (p * (1 - p))[:, None]).T @ X + np.diag(penalty) + 1e-10 * np.eye(X.shape[1])
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-10:
            break
    return _sigmoid(X @ beta), tuple(float(b) for b in beta)


def _held_out_kappa(X: np.ndarray, y: np.ndarray) -> float:
    """Kappa at the best threshold of a calibration's probabilities, each from a fit without its fold."""
    fold = np.arange(len(y)) % CALIBRATION_FOLDS
    held = np.zeros(len(y))
    for k in range(CALIBRATION_FOLDS):
        train = fold != k
        if y[train].all() or not y[train].any():
            held[~train] = y[train].mean()
            continue
        coef = np.asarray(_logistic(X[train], y[train])[1])
        held[~train] = _sigmoid(X[~train] @ coef[:-1] + coef[-1])
    return best_threshold(y, np.round(held, DECIMALS))[1]


def fit(vectors: np.ndarray, prototype_scores: np.ndarray, labels: np.ndarray, theme_ids: Sequence[str], *,
        known: np.ndarray | None = None, keys: Sequence[str] | None = None,
        candidates: Sequence[str] = CANDIDATES, single_label: bool | None = None,
        min_pooled_themes: int = MIN_POOLED_THEMES, min_learned_kappa: float | None = None) -> Learner:
    """Learn every theme that has enough decisions, from these training units only (rows of the arrays).

    ``vectors``: (n, d) unit features (:func:`unit_features`, or plain embeddings); ``prototype_scores``:
    (n, themes); ``labels``: (n, themes) bools; ``known``: (n, themes) bools, False where a decision says
    nothing about a theme (default: all True); ``keys``: the units' sharing keys (:func:`sharing_keys`),
    for identical-text sharing. ``candidates``: the learners to choose from by mean leave-one-out kappa
    over the learned themes (:data:`CANDIDATES`). ``single_label``: suggest one theme per unit (True),
    as many as clear their thresholds (False), or decide from the decisions (None: one per unit when at
    least :data:`SINGLE_LABEL_SHARE` of the coded units have exactly one theme). ``min_pooled_themes``:
    the fewest learned themes from which the themes with too few decisions get the pooled calibration
    (:data:`MIN_POOLED_THEMES`; the benchmarks measure others). ``min_learned_kappa``: the held-out kappa
    below which a theme with enough decisions is scored as one with too few (:data:`MIN_LEARNED_KAPPA`).
    Pure: reads nothing but its arguments.
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    prototype_scores = np.asarray(prototype_scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=bool)
    n, n_themes = labels.shape
    known = np.ones_like(labels) if known is None else np.asarray(known, dtype=bool)
    if vectors.shape[0] != n or prototype_scores.shape != (n, n_themes) or known.shape != labels.shape:
        raise ValueError("vectors, prototype_scores, labels and known must have one row per training unit")
    dim = vectors.shape[1] if vectors.ndim == 2 else 0
    positives = (labels & known).sum(axis=0)
    negatives = (~labels & known).sum(axis=0)
    learned = (positives >= MIN_POSITIVES) & (negatives >= MIN_NEGATIVES)
    mean = prototype_scores.mean(axis=0) if n else np.zeros(n_themes)
    scale = prototype_scores.std(axis=0) if n else np.ones(n_themes)
    scale = np.where(scale > 1e-9, scale, 1.0)
    weights = np.zeros((dim, n_themes))
    intercepts = np.zeros(n_themes)
    alphas = np.zeros(n_themes)
    R = np.zeros((n, n_themes))  # held-out ridge outputs: leave-one-out where known, else plain predictions
    for mask in {known[:, t].tobytes() for t in np.flatnonzero(learned)}:
        rows = np.frombuffer(mask, dtype=bool)
        themes = [t for t in np.flatnonzero(learned) if known[:, t].tobytes() == mask]
        chosen, loo, W, b = loo_ridge(vectors[rows], labels[np.ix_(rows, themes)])
        weights[:, themes], intercepts[themes], alphas[themes] = W, b, chosen
        R[np.ix_(rows, themes)] = loo
        if (~rows).any():
            R[np.ix_(~rows, themes)] = vectors[~rows] @ W + b
    # A theme whose held-out ridge outputs do not separate its decisions is scored as one with too few:
    # its threshold would otherwise be cut through noise (one learned from 5 positives of 1,000 NHS FFT
    # answers took 615 of 872 held-out answers, against the coder's 4)
    floor = MIN_LEARNED_KAPPA if min_learned_kappa is None else min_learned_kappa
    held_out = np.full(n_themes, np.nan)
    for t in np.flatnonzero(learned):
        rows = known[:, t]
        held_out[t] = best_threshold(labels[rows, t], np.round(R[rows, t], DECIMALS))[1]
    weak = learned & (held_out < floor)
    learned = learned & ~weak
    weights[:, weak], intercepts[weak] = 0.0, 0.0
    inputs = combine_inputs(R, (prototype_scores - mean) / scale, learned)
    columns = {RIDGE: [0], RIDGE_PROTOTYPE: [0, 1, 2, 3]}
    fitted: dict[str, list[ThemeFit]] = {}
    figures: dict[str, float] = {}
    for candidate in candidates:
        fits: list[ThemeFit] = []
        for t, theme_id in enumerate(theme_ids):
            if not learned[t]:
                fits.append(ThemeFit(theme_id, TOO_FEW, int(positives[t]), int(negatives[t]),
                                     training_kappa=float(held_out[t]) if weak[t] else None))
                continue
            rows = known[:, t]
            y = labels[rows, t]
            X = inputs[rows, t][:, columns[candidate]]
            probabilities, coefficients = _logistic(X, y)
            threshold, kappa = best_threshold(y, np.round(probabilities, DECIMALS))
            threshold = round(threshold, DECIMALS)  # scores are rounded so; the stored run compares the two
            if X.shape[1] > 1:  # several calibration inputs: score them held out too
                kappa = _held_out_kappa(X, y)
            fits.append(ThemeFit(theme_id, LEARNED, int(positives[t]), int(negatives[t]), threshold, kappa,
                                 float(alphas[t]), coefficients))
        fitted[candidate] = fits
        kappas = [f.training_kappa for f in fits if f.method == LEARNED]
        figures[candidate] = float(np.mean(kappas)) if kappas else float("nan")
    best = max(candidates, key=lambda c: (np.nan_to_num(figures[c], nan=-1.0), -list(candidates).index(c)))
    # Themes with too few decisions: one calibration of the prototype scores pooled over the learned themes,
    # when there are enough of them to pool (MIN_POOLED_THEMES); else they keep the zero-shot run's own
    # scores, thresholds and assignments (predict)
    pooled = None
    if learned.sum() >= min_pooled_themes and (~learned).any() and n:
        rows, cols = np.nonzero(known[:, learned])
        X = inputs[:, learned][rows, cols][:, 1:3]
        y = labels[:, learned][rows, cols]
        if y.any() and not y.all():
            pooled = _logistic(X, y)[1]
    if pooled is None:
        for fits in fitted.values():
            for f in fits:
                if f.method == TOO_FEW:
                    f.method = ZERO_SHOT_KEPT
    shared: dict = {}
    if keys is not None:
        keys = list(keys)
        groups: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            groups.setdefault(key, []).append(i)
        for key, members in groups.items():
            counts = known[members].sum(axis=0)
            hits = (labels[members] & known[members]).sum(axis=0)
            shared[key] = (hits / np.maximum(counts, 1), counts)
    one = int(((labels & known).sum(axis=1) == 1).sum())
    single = None
    if (single_label if single_label is not None else
            n >= SINGLE_LABEL_MIN_UNITS and one >= SINGLE_LABEL_SHARE * n) and learned.any():
        held = np.round(_calibrated(inputs, fitted[best], pooled, prototype_scores.copy()), DECIMALS)
        coded = labels & known
        themes = np.flatnonzero(learned)
        cuts = np.array([f.threshold if f.threshold is not None else ZERO_SHOT_CUT for f in fitted[best]])
        # the learned thresholds; thresholds cross-fitted over 5 folds of the coded units instead made the
        # choice noisier: it picked one per unit on Counsel Chat and cost 0.008 to 0.011 there
        clears = held >= cuts[None, :]
        # abstain only where the coders themselves left units without a theme
        empty = int((coded.sum(axis=1) == 0).sum())
        abstain = bool(empty) and choose_abstain(held, clears, coded, themes)
        # chosen per project, as the candidates are: one theme per unit only where it gives the coded
        # units' leave-one-out probabilities a better mean kappa than the per-theme thresholds (these
        # were fitted on the same probabilities, which favours them: a conservative choice)
        figure = {"one per unit": _mean_kappa(coded, one_per_unit(held, clears, abstain), themes),
                  "per theme": _mean_kappa(coded, clears, themes)}
        figure = {k: round(v, 4) for k, v in figure.items()}
        # below MIN_POOLED_THEMES learned themes the unlearned ones keep their zero-shot scores, which are
        # not probabilities: ranking them against the learned themes' probabilities is not asked for
        comparable = bool(pooled is not None or learned.all())
        better = figure["one per unit"] > figure["per theme"]
        single = {"coded_units": int(n), "one_theme": one, "abstain": abstain, "loo_kappa": figure,
                  "comparable": comparable, "one_per_unit": bool(single_label or comparable and better)}
    return Learner(list(theme_ids), fitted[best], weights, intercepts, mean, scale, n, best, figures, pooled,
                   shared, single, min_pooled_themes, floor)


# -- zero-shot prototype scores for a project ------------------------------------------------------------
def prototype_scores(project, units, themes, *, model=None, vectors: np.ndarray | None = None, groups=()):
    """The zero-shot run of ``units`` against ``themes`` that ``thematic suggest`` stores
    (:class:`thematic.ml.suggest.ZeroShotRun` of :func:`thematic.ml.suggest.score_and_assign`: thresholds
    from the score distribution over ``units``, the structure of ``groups``, the codebook's, and the
    non-answers): what the learner starts from."""
    from thematic.ml import suggest as S

    return S.score_and_assign(project, units, themes, groups, vectors=vectors, model=model)


# -- for the project -------------------------------------------------------------------------------------
def check_training(project, theme_ids: Sequence[str], units, *, from_coder: str = "consensus"):
    """(the coder's training labels, unit id -> row of ``units``, the rows of the labels among ``units``),
    checked: a ThematicError when the coder coded none of ``units`` or no theme has enough decisions."""
    training = training_labels(project, theme_ids, from_coder=from_coder)
    position = {u.id: i for i, u in enumerate(units)}
    rows = [k for k, unit_id in enumerate(training.unit_ids) if unit_id in position]
    if not rows:
        raise ThematicError(f"coder '{from_coder}' has coded none of these units (code some first)")
    labels, known = training.labels[rows], training.known[rows]
    positives, negatives = (labels & known).sum(axis=0), (~labels & known).sum(axis=0)
    enough = (positives >= MIN_POSITIVES) & (negatives >= MIN_NEGATIVES)
    if not enough.any():
        counts = "; ".join(f"{tid} {int(p)}+/{int(n)}-" for tid, p, n in zip(theme_ids, positives, negatives,
                                                                                strict=True))
        raise ThematicError(
            f"no theme has enough decisions from '{from_coder}' to learn from: each needs at least "
            f"{MIN_POSITIVES} units coded with it and {MIN_NEGATIVES} without it (now: {counts}) "
            "(code more units, e.g. `thematic review --order uncertain`)")
    return training, position, rows


def learned_scores(project, units, prototype_scores: np.ndarray, theme_ids: Sequence[str], *,
                   from_coder: str = "consensus", seed: int = 0, vectors: np.ndarray | None = None,
                   model=None, zero_shot_thresholds: np.ndarray | None = None,
                   zero_shot_assigned: np.ndarray | None = None, single_label: bool | None = None
                   ) -> tuple[np.ndarray, np.ndarray, dict]:
    """Scores of ``units`` (units x themes) learned from ``from_coder``'s decisions, with per-theme
    thresholds and what was done, as (scores, thresholds, info).

    Training units are the coder's coded units among ``units``. ``prototype_scores`` are the zero-shot
    scores of ``units`` (same row order); themes with too few decisions keep them, with the zero-shot
    thresholds and assignments (computed from ``prototype_scores`` when not given). ``info``: JSON-ready
    ``themes`` (per theme: method, positives, negatives, threshold, leave-one-out kappas, ...),
    ``coded_units``, ``from_coder``, ``seed``, ``method``, ``single_label`` (:func:`fit`'s argument of
    that name, and what it decided), plus ``assigned`` (a units x themes bool array; not JSON).
    """
    from thematic.ml import suggest as S
    from thematic.ml.embed import unit_vectors

    theme_ids = list(theme_ids)
    prototype_scores = np.asarray(prototype_scores, dtype=np.float64)
    if prototype_scores.shape != (len(units), len(theme_ids)):
        raise ValueError("prototype_scores must have one row per unit and one column per theme")
    training, position, rows = check_training(project, theme_ids, units, from_coder=from_coder)
    labels, known = training.labels[rows], training.known[rows]
    if vectors is None:
        vectors = unit_vectors(project, units, model=model)
    features = unit_features([u.text for u in units], vectors, [u.question_id for u in units])
    index = np.array([position[training.unit_ids[k]] for k in rows], dtype=int)
    learner = fit(features.matrix[index], prototype_scores[index], labels, theme_ids, known=known,
                  keys=[features.keys[i] for i in index], single_label=single_label)
    if zero_shot_thresholds is None:
        zero_shot_thresholds, _ = S.theme_thresholds(prototype_scores)
    if zero_shot_assigned is None:
        zero_shot_assigned = S.assign(prototype_scores, np.asarray(zero_shot_thresholds))
    scores, thresholds, assigned = learner.predict(features.matrix, prototype_scores, zero_shot_thresholds,
                                                   zero_shot_assigned, keys=features.keys)
    coded = set(index.tolist())
    shared = sum(1 for i, key in enumerate(features.keys) if key in learner.shared and i not in coded)
    info = {
        "from_coder": from_coder,
        "seed": seed,
        "method": METHOD,
        "coded_units": len(rows),
        "min_positives": MIN_POSITIVES,
        "min_negatives": MIN_NEGATIVES,
        **learner.settings(),
        "features": features.description,
        "uncoded_units_sharing_a_coded_text": shared,
        "themes": learner.describe(),
        "assigned": assigned,
    }
    return scores, thresholds, info


def suggest_learned(project, *, from_coder: str = "consensus", model=None, seed: int = 0, progress=None,
                    scope=None):
    """``thematic suggest --learn``: score every unit with what ``from_coder``'s decisions teach, and
    store it as a suggest run (its parameters say ``learn: true``, the coder, per-theme decisions,
    methods and thresholds). Returns the run's summary (:class:`thematic.ml.suggest.SuggestRun`).
    ``scope``: the codebook version and questions (``thematic.ml.suggest.run_inputs``)."""
    import time

    from thematic.clock import utc_now
    from thematic.ml.embed import model_fingerprint, model_name, unit_vectors
    from thematic.ml.suggest import run_inputs, summarise
    from thematic.store import ml as store

    started = time.perf_counter()
    version, themes, units = run_inputs(project, seed, scope)
    questions = sorted({u.question_id for u in units})
    theme_ids = [t.id for t in themes]
    check_training(project, theme_ids, units, from_coder=from_coder)  # fail early, before any embedding
    vectors = unit_vectors(project, units, model=model, progress=progress)
    if progress:
        progress("learning", 0, len(theme_ids))
    zero_shot = prototype_scores(project, units, themes, model=model, vectors=vectors,
                                 groups=version.codebook.groups)
    scores, thresholds, info = learned_scores(
        project, units, zero_shot.scores, theme_ids, from_coder=from_coder, seed=seed, vectors=vectors,
        model=model, zero_shot_thresholds=zero_shot.thresholds, zero_shot_assigned=zero_shot.assigned,
        # a codebook with exclusive groups says itself how many themes a unit takes (apply_structure)
        single_label=False if any(g.exclusive for g in version.codebook.groups) else None)
    from thematic.ml.structure import apply_structure  # exclusive groups, required, residual themes

    assigned = apply_structure(scores, thresholds, version.codebook.groups, theme_ids,
                               assigned=info.pop("assigned"))
    coded = set(training_labels(project, theme_ids, from_coder=from_coder).unit_ids)
    uncoded = np.array([i for i, u in enumerate(units) if u.id not in coded], dtype=int)
    learned = np.array([info["themes"][t]["method"] == LEARNED for t in theme_ids], dtype=bool)
    review = []
    if len(uncoded):
        picked = review_order(scores[uncoded], thresholds, vectors[uncoded], learned=learned,
                              limit=REVIEW_ORDER_LIMIT)
        review = [units[i].id for i in uncoded[picked]]
    if progress:
        progress("learning", len(theme_ids), len(theme_ids))
    fingerprint = model_fingerprint(model)
    parameters = {
        "learn": True,
        **info,
        "thresholds": {tid: float(x) for tid, x in zip(theme_ids, thresholds, strict=True)},
        "threshold_rule": "learned per theme (leave-one-out kappa on the coder's decisions); themes with too "
                          "few decisions: " + (zero_shot.rule if info["zero_shot_calibration"] is None else
                                               f"pooled zero-shot calibration, {ZERO_SHOT_CUT}"),
        "zero_shot": {
            "settings": zero_shot.settings,
            "threshold_rule": zero_shot.rule,
            "thresholds": {tid: float(x) for tid, x in zip(theme_ids, zero_shot.thresholds, strict=True)},
            "lemmatizer": zero_shot.lemmatizer,
            "theme_texts": zero_shot.theme_texts,
        },
        "model_name": model_name(model),
        "model_fingerprint": fingerprint,
        "codebook": version.name,
        "codebook_version": version.number,
        "codebook_hash": version.content_hash,
        "units": len(units),
        "questions": questions,
        # `review --order uncertain` serves these first: uncertain, spread out (review_order)
        "review_order": review,
    }
    created_at = utc_now()
    with project.transaction():
        parameters["seconds"] = round(time.perf_counter() - started, 3)
        run_id = store.insert_suggest_run(project, codebook_version=version.number, model=fingerprint,
                                          parameters=parameters, created_at=created_at, questions=questions)
        store.insert_scores(project, run_id, (
            (unit.id, theme_ids[t], scores[i, t], assigned[i, t])
            for i, unit in enumerate(units) for t in range(len(theme_ids))
        ))
    return summarise(project, run_id)


# -- active learning: which units to code next -----------------------------------------------------------
#: Within one batch of the review order, a unit this similar (cosine) to one already taken waits.
NEAR_DUPLICATE = 0.95
#: How far down a theme's queue a turn looks past near-duplicates before giving the turn away.
SCAN = 200
#: How many uncoded units a `suggest --learn` run ranks for `review --order uncertain`.
REVIEW_ORDER_LIMIT = 1000


def review_order(scores: np.ndarray, thresholds: np.ndarray, vectors: np.ndarray, *, batch: int = 50,
                 learned: np.ndarray | None = None, limit: int | None = None) -> np.ndarray:
    """Row indices in the order to code them. Themes take turns (learned themes first): each turn adds
    the unit whose probability sits nearest that theme's threshold in log-odds, among the units not yet
    taken, so rare themes get their uncertain units as often as common ones (macro kappa weighs every
    theme alike). Diversity: a unit whose embedding (``vectors``) has cosine at least
    :data:`NEAR_DUPLICATE` with one already taken in the current batch of ``batch`` is passed over
    (one batch should not spend a coder's time on ten copies of "Nothing."). ``limit``: stop there."""
    scores = np.clip(np.asarray(scores, dtype=np.float64), 1e-6, 1 - 1e-6)
    cut = np.clip(np.asarray(thresholds, dtype=np.float64), 1e-6, 1 - 1e-6)
    n, n_themes = scores.shape
    total = n if limit is None else min(limit, n)
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms > 0, norms, 1.0)
    distance = np.abs(np.log(scores / (1 - scores)) - np.log(cut / (1 - cut))[None, :])
    learned = np.ones(n_themes, dtype=bool) if learned is None else np.asarray(learned, dtype=bool)
    turns = [*np.flatnonzero(learned), *np.flatnonzero(~learned)]
    queues = {t: list(np.argsort(distance[:, t], kind="stable")) for t in turns}
    position = dict.fromkeys(turns, 0)
    taken = np.zeros(n, dtype=bool)
    order: list[int] = []
    batch_rows: list[int] = []
    while len(order) < total:
        progressed = False
        for t in turns:
            if len(order) >= total:
                break
            queue = queues[t]
            while position[t] < len(queue) and taken[queue[position[t]]]:
                position[t] += 1  # skip what is taken for good; near-duplicates stay in the queue
            for k in range(position[t], min(len(queue), position[t] + SCAN)):
                i = queue[k]
                if taken[i] or (batch_rows and (unit[batch_rows] @ unit[i]).max() >= NEAR_DUPLICATE):
                    continue
                taken[i] = True
                order.append(int(i))
                batch_rows.append(int(i))
                progressed = True
                break
            if len(batch_rows) >= batch:
                batch_rows = []
        if not progressed:  # only near-duplicates left: start a new batch, so they can be taken
            if not batch_rows:
                break
            batch_rows = []
    return np.array(order, dtype=int)
