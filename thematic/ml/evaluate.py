"""Machine-vs-human agreement that never uses a unit the model trained on (``thematic evaluate``).

How the figures are made:

1. The coder's coded units are split into ``folds`` folds **by respondent** (all units of one
   respondent fall in one fold, so sentences of one answer never sit on both sides), the respondents
   shuffled with ``seed``.
2. For each fold, :func:`thematic.ml.learner.fit` learns from the decisions on the other folds' units
   only, and codes the fold's units (:meth:`Learner.predict`). Every unit is coded once, by a model
   that never saw it. Zero-shot scores and thresholds use no decisions, so they are shared.
3. Per theme, on the pooled held-out codings: Cohen's kappa and Gwet's AC1 between machine and coder,
   precision and recall of the machine against the coder, each with a percentile bootstrap interval
   over units (:func:`thematic.agreement.bootstrap_ci`). The intervals leave out the variation from
   refitting on other decisions, so they are somewhat narrow. The zero-shot run's kappa on the same
   units is shown beside it.
4. Learning curve: the same cross-validation, with each fold's model fitted on a random subset of
   ``n`` of its training units (seeded), for growing ``n``; the macro mean kappa over the themes at each
   ``n``, against zero-shot on the same units.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from thematic.errors import ThematicError
from thematic.ml import learner as L
from thematic.ml.structure import apply_structure

#: Themes with fewer coded positives than this are counted apart in ``macro_kappa_enough_positives``
#: (a kappa on a handful of positives swings with one decision).
MIN_THEME_POSITIVES = 10
CURVE_SIZES = (20, 50, 100, 200, 400, 800, 1600, 3200)
N_BOOT = 1000


# -- folds and cross-validation (pure) ------------------------------------------------------------------
def assign_folds(groups: Sequence[str], folds: int, *, seed: int = 0) -> np.ndarray:
    """Fold number (0 .. folds-1) of each unit: whole groups (respondents) per fold, groups shuffled
    with ``seed`` and dealt out so fold sizes in units stay close.

    >>> assign_folds(["a", "a", "b", "c", "d"], 2, seed=0).tolist()
    [1, 1, 0, 0, 0]
    """
    groups = list(groups)
    distinct = sorted(set(groups))
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ThematicError(f"--folds must be a whole number of at least 2, not '{folds}'")
    if folds > len(distinct):
        raise ThematicError(f"--folds {folds} is more than the {len(distinct)} respondents with coded units "
                            "(use fewer folds, or code more units)")
    order = np.random.default_rng(seed).permutation(len(distinct))
    sizes = {g: 0 for g in distinct}
    for g in groups:
        sizes[g] += 1
    load = np.zeros(folds, dtype=int)
    fold_of_group: dict[str, int] = {}
    for k in order:  # the next group goes to the fold with fewest units so far (lowest number on ties)
        group = distinct[k]
        target = int(np.argmin(load))
        fold_of_group[group] = target
        load[target] += sizes[group]
    return np.array([fold_of_group[g] for g in groups], dtype=int)


@dataclass
class CrossValidation:
    """Held-out codings of every unit, and the splits that made them."""

    scores: np.ndarray  # (n, themes)
    assigned: np.ndarray  # (n, themes) bool
    splits: list[tuple[np.ndarray, np.ndarray]]  # (training rows, scored rows) per fold
    learned_folds: np.ndarray  # per theme: in how many folds it was learned (not left zero-shot)
    seconds: float = 0.0


def cross_validate(vectors: np.ndarray, prototype_scores: np.ndarray, labels: np.ndarray,
                   theme_ids: Sequence[str], fold_of: np.ndarray, zero_shot_thresholds: np.ndarray,
                   zero_shot_assigned: np.ndarray, *, known: np.ndarray | None = None,
                   train_size: int | None = None, seed: int = 0,
                   fit: Callable | None = None, keys: Sequence[str] | None = None,
                   groups: Sequence = ()) -> CrossValidation:
    """Code each fold's units with a learner fitted on the other folds' units (all of them, or a random
    ``train_size`` of them). Rows of every array are the coded units; pure. ``fit``: the learner
    (default :func:`thematic.ml.learner.fit`), called as ``fit(vectors, prototype_scores, labels,
    theme_ids, known=...)`` with training rows only, returning an object with ``predict`` and
    ``learned``. ``keys``: the units' sharing keys (:func:`thematic.ml.learner.sharing_keys`), so that
    a held-out unit whose text a training unit has gets the coders' decisions on it, as in
    ``suggest --learn``. ``groups``: the codebook's groups, whose rules (exclusive, required, residual)
    the assignments then follow, as ``suggest --learn``'s do (:mod:`thematic.ml.structure`)."""
    import time

    started = time.perf_counter()
    import inspect

    fit = L.fit if fit is None else fit
    # a codebook with exclusive groups says itself how many themes a unit takes, as in suggest --learn
    structured = ({"single_label": False} if any(g.exclusive for g in groups)
                  and "single_label" in inspect.signature(fit).parameters else {})
    labels = np.asarray(labels, dtype=bool)
    known = np.ones_like(labels) if known is None else np.asarray(known, dtype=bool)
    n, n_themes = labels.shape
    scores = np.zeros((n, n_themes))
    assigned = np.zeros((n, n_themes), dtype=bool)
    learned = np.zeros(n_themes, dtype=int)
    splits = []
    for k in sorted(set(np.asarray(fold_of).tolist())):
        test = np.flatnonzero(fold_of == k)
        train = np.flatnonzero(fold_of != k)
        if train_size is not None and train_size < len(train):
            rng = np.random.default_rng([seed, int(k), int(train_size)])
            train = np.sort(rng.choice(train, size=train_size, replace=False))
        extra = {} if keys is None else {"keys": [keys[i] for i in train]}
        model = fit(vectors[train], prototype_scores[train], labels[train], theme_ids, known=known[train],
                    **extra, **structured)
        extra = {} if keys is None else {"keys": [keys[i] for i in test]}
        s, t, a = model.predict(vectors[test], prototype_scores[test], zero_shot_thresholds,
                                zero_shot_assigned[test], **extra)
        if groups:
            a = apply_structure(s, t, groups, theme_ids, assigned=a)
        scores[test], assigned[test] = s, a
        learned += model.learned.astype(int)
        splits.append((train, test))
    return CrossValidation(scores, assigned, splits, learned, time.perf_counter() - started)


# -- agreement figures ----------------------------------------------------------------------------------
def _pairs(matrix) -> tuple[np.ndarray, np.ndarray]:
    m = np.asarray(matrix, dtype=float)
    return m[:, 0] == 1, m[:, 1] == 1


def precision(matrix) -> float:
    """Share of the machine's assignments (column 1) that the coder (column 0) made too; nan if none."""
    human, machine = _pairs(matrix)
    return float((human & machine).sum() / machine.sum()) if machine.any() else float("nan")


def recall(matrix) -> float:
    """Share of the coder's assignments (column 0) that the machine (column 1) made too; nan if none."""
    human, machine = _pairs(matrix)
    return float((human & machine).sum() / human.sum()) if human.any() else float("nan")


@dataclass
class Figure:
    """A coefficient with its percentile bootstrap interval."""

    estimate: float
    low: float
    high: float

    def to_dict(self) -> dict:
        return {k: (None if v != v else round(v, 4)) for k, v in asdict(self).items()}


def _figure(func, matrix, *, n_boot: int, seed: int) -> Figure:
    from thematic.agreement import bootstrap_ci

    result = bootstrap_ci(func, matrix, n_boot=n_boot, seed=seed)
    return Figure(result.estimate, result.low, result.high)


@dataclass
class ThemeAgreement:
    theme_id: str
    units: int  # coded units that count for this theme
    positives: int  # of which the coder gave the theme
    machine_positives: int
    learned_folds: int
    kappa: Figure
    ac1: Figure
    precision: Figure
    recall: Figure
    zero_shot_kappa: Figure

    def to_dict(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if not isinstance(getattr(self, k), Figure)}
        for name in ("kappa", "ac1", "precision", "recall", "zero_shot_kappa"):
            out[name] = getattr(self, name).to_dict()
        return out


def theme_agreement(theme_id: str, human: np.ndarray, machine: np.ndarray, zero_shot: np.ndarray, *,
                    learned_folds: int = 0, n_boot: int = N_BOOT, seed: int = 0) -> ThemeAgreement:
    """Kappa, AC1, precision and recall (with intervals) of ``machine`` against ``human`` (bools)."""
    from thematic.agreement import cohen_kappa, gwet_ac1

    matrix = np.column_stack([human, machine]).astype(float)
    zero = np.column_stack([human, zero_shot]).astype(float)
    ac1 = functools.partial(gwet_ac1, categories=[0.0, 1.0])
    return ThemeAgreement(
        theme_id=theme_id, units=int(len(human)), positives=int(np.sum(human)),
        machine_positives=int(np.sum(machine)), learned_folds=int(learned_folds),
        kappa=_figure(cohen_kappa, matrix, n_boot=n_boot, seed=seed),
        ac1=_figure(ac1, matrix, n_boot=n_boot, seed=seed),
        precision=_figure(precision, matrix, n_boot=n_boot, seed=seed),
        recall=_figure(recall, matrix, n_boot=n_boot, seed=seed),
        zero_shot_kappa=_figure(cohen_kappa, zero, n_boot=n_boot, seed=seed),
    )


def macro_kappa(labels: np.ndarray, assigned: np.ndarray, known: np.ndarray | None = None) -> float:
    """Mean over themes of Cohen's kappa (themes where it is undefined are left out); nan if none."""
    labels = np.asarray(labels, dtype=bool)
    known = np.ones_like(labels) if known is None else known
    values = [L.kappas_at(labels[known[:, t], t], np.asarray(assigned)[known[:, t], t][None, :])[0]
              for t in range(labels.shape[1]) if known[:, t].any()]
    values = [v for v in values if v == v]
    return float(np.mean(values)) if values else float("nan")


@dataclass
class CurvePoint:
    coded_units: int  # training units per fold
    macro_kappa: float
    zero_shot_macro_kappa: float
    themes_learned: float  # mean over folds of the themes learned
    seconds: float

    def to_dict(self) -> dict:
        out = asdict(self)
        for k in ("macro_kappa", "zero_shot_macro_kappa", "themes_learned", "seconds"):
            out[k] = None if out[k] != out[k] else round(out[k], 4)
        return out


def curve_sizes(max_train: int, sizes: Sequence[int] = CURVE_SIZES) -> list[int]:
    """The learning-curve sizes below ``max_train``, then ``max_train`` itself.

    >>> curve_sizes(96)
    [20, 50, 96]
    """
    return [s for s in sizes if s < max_train] + [int(max_train)]


@dataclass
class Evaluation:
    """What ``thematic evaluate`` reports."""

    from_coder: str
    folds: int
    seed: int
    coded_units: int
    respondents: int
    codebook: str
    codebook_version: int
    model: str
    themes: list[ThemeAgreement]
    macro_kappa: float
    zero_shot_macro_kappa: float
    curve: list[CurvePoint]
    method: str
    n_boot: int
    seconds: float
    fold_of: dict[str, int] = field(default_factory=dict, repr=False)
    structure: object = None  # thematic.agreement.structured.StructuredFigures: the headline
    # held-out units whose normalised text (under the same question) no training fold had
    unseen_units: int = 0
    unseen_macro_kappa: float = float("nan")
    # macro kappa over the themes with at least MIN_THEME_POSITIVES coded positives, and how many
    themes_with_enough_positives: int = 0
    macro_kappa_enough_positives: float = float("nan")

    def to_dict(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if k not in ("themes", "curve", "fold_of", "structure")}
        out["headline"] = None if self.structure is None else self.structure.to_dict()
        for k in ("macro_kappa", "zero_shot_macro_kappa", "seconds", "unseen_macro_kappa",
                  "macro_kappa_enough_positives"):
            out[k] = None if out[k] != out[k] else round(out[k], 4)
        out["themes"] = [t.to_dict() for t in self.themes]
        out["curve"] = [p.to_dict() for p in self.curve]
        return out


def describe_method(coder: str, folds: int, units: int, respondents: int, seed: int, n_boot: int) -> str:
    return (
        f"{folds}-fold cross-validation over the {units} units coded by {coder} ({respondents} respondents; "
        f"folds by respondent, shuffled with seed {seed}). Each unit was coded by a model fitted only on "
        "the other folds' decisions, so no figure uses a unit the model trained on. Kappa, AC1, precision "
        f"and recall compare those held-out codings with {coder}'s; intervals: 95% percentile bootstrap "
        f"over units ({n_boot} resamples), not counting the variation from refitting. Zero-shot: the "
        "prototype scores and thresholds of `thematic suggest` on the same units. Learning curve: the same "
        "folds, each model fitted on a random subset of its training units.")


def evaluate(project, *, from_coder: str = "consensus", folds: int = 5, seed: int = 0, model=None,
             progress=None, sizes: Sequence[int] | None = None, n_boot: int = N_BOOT,
             question: str | None = None, book=None) -> Evaluation:
    """Cross-validated machine-vs-human agreement per theme, and a learning curve (see the module
    docstring). ``sizes``: the learning-curve sizes (default :func:`curve_sizes`; empty: no curve).
    ``question``: its units, under its codebook; ``book`` (a :class:`thematic.review.codings.Book`): the
    units of its questions, under its codebook version."""
    import time

    from thematic.ml.embed import model_name, unit_vectors
    from thematic.ml.suggest import NO_UNITS
    from thematic.store import corpus
    from thematic.store.codebooks import require_current

    started = time.perf_counter()
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ThematicError(f"--seed must be a whole number 0 or more, not '{seed}'")
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ThematicError(f"--folds must be a whole number of at least 2, not '{folds}'")
    if book is not None:
        version = book.version
    else:
        version = require_current(project, question=question)  # question: its units, under its codebook
    themes = list(version.codebook.themes)
    if not themes:
        raise ThematicError(f"codebook {version.name} has no themes (add themes to the codebook, then "
                            "`thematic codebook use FILE`)")
    theme_ids = [t.id for t in themes]
    if book is not None:
        units = [u for u in corpus.list_units(project) if u.question_id in set(book.questions)]
    else:
        units = corpus.list_units(project, question_id=question)
    if not units:
        raise ThematicError(NO_UNITS)
    training = L.training_labels(project, theme_ids, from_coder=from_coder)
    position = {u.id: i for i, u in enumerate(units)}
    keep = [k for k, unit_id in enumerate(training.unit_ids) if unit_id in position]
    index = np.array([position[training.unit_ids[k]] for k in keep], dtype=int)
    labels, known = training.labels[keep], training.known[keep]
    groups = [units[i].respondent_id for i in index]
    fold_of = assign_folds(groups, folds, seed=seed)

    vectors = unit_vectors(project, units, model=model, progress=progress)
    zero_shot = L.prototype_scores(project, units, themes, model=model, vectors=vectors,
                                   groups=version.codebook.groups)
    features = L.unit_features([u.text for u in units], vectors, [u.question_id for u in units])
    V, P, Z = features.matrix[index], zero_shot.scores[index], zero_shot.assigned[index]
    keys = [features.keys[i] for i in index]
    total_steps = 1 + len(sizes if sizes is not None else curve_sizes(len(index)))
    if progress:
        progress("cross-validating", 0, total_steps)
    main = cross_validate(V, P, labels, theme_ids, fold_of, zero_shot.thresholds, Z, known=known, seed=seed,
                          groups=version.codebook.groups,
                          keys=keys)
    unseen = np.zeros(len(index), dtype=bool)
    for train, test in main.splits:
        seen = {keys[i] for i in train}
        unseen[test] = [keys[i] not in seen for i in test]
    enough = (labels & known).sum(axis=0) >= MIN_THEME_POSITIVES
    rows = []
    for t, theme_id in enumerate(theme_ids):
        k = known[:, t]
        if not k.any():  # every decision predates the theme: nothing to compare
            none = Figure(float("nan"), float("nan"), float("nan"))
            rows.append(ThemeAgreement(theme_id, 0, 0, 0, 0, none, none, none, none, none))
            continue
        rows.append(theme_agreement(theme_id, labels[k, t], main.assigned[k, t], Z[k, t],
                                    learned_folds=int(main.learned_folds[t]), n_boot=n_boot, seed=seed))
    if progress:
        progress("cross-validating", 1, total_steps)
    zero_macro = macro_kappa(labels, Z, known)
    max_train = min(len(train) for train, _ in main.splits)
    curve = []
    for step, size in enumerate(curve_sizes(max_train) if sizes is None else sizes, start=2):
        if size >= max_train:
            result = main
        else:
            result = cross_validate(V, P, labels, theme_ids, fold_of, zero_shot.thresholds, Z, known=known,
                                    groups=version.codebook.groups,
                                    train_size=int(size), seed=seed, keys=keys)
        curve.append(CurvePoint(int(min(size, max_train)), macro_kappa(labels, result.assigned, known),
                                zero_macro, float(result.learned_folds.sum() / folds), result.seconds))
        if progress:
            progress("cross-validating", step, total_steps)
    respondents = len(set(groups))
    from thematic.agreement.structured import structured_figures  # the headline, in the codebook's shape

    headline = structured_figures(version.codebook, theme_ids, labels, main.assigned, known, n_boot=n_boot,
                                  seed=seed, theme_kappas={r.theme_id: r.kappa.estimate for r in rows})
    return Evaluation(
        from_coder=from_coder, folds=folds, seed=seed, coded_units=len(index), respondents=respondents,
        codebook=version.name, codebook_version=version.number, model=model_name(model), themes=rows,
        macro_kappa=macro_kappa(labels, main.assigned, known), zero_shot_macro_kappa=zero_macro, curve=curve,
        method=describe_method(from_coder, folds, len(index), respondents, seed, n_boot), n_boot=n_boot,
        seconds=time.perf_counter() - started,
        unseen_units=int(unseen.sum()),
        unseen_macro_kappa=macro_kappa(labels[unseen], main.assigned[unseen], known[unseen]),
        themes_with_enough_positives=int(enough.sum()),
        macro_kappa_enough_positives=macro_kappa(labels[:, enough], main.assigned[:, enough],
                                                 known[:, enough]),
        fold_of={units[i].id: int(f) for i, f in zip(index, fold_of, strict=True)}, structure=headline,
    )
