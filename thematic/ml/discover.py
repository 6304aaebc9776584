"""Inductive discovery: cluster unit embeddings, label the clusters, and set them against the codebook.

The pieces are pure functions on arrays, so they can be tested with made-up vectors:

- :func:`cluster` groups unit vectors (L2-normalised rows) with Ward's agglomerative clustering, k-means
  or HDBSCAN, deterministically for a given ``random_state``. With ``n_clusters="auto"``, k is
  ``round(sqrt(n / 2))`` for n units, kept between 2 and ``min(30, n // 3)`` (the rule of thumb in
  Mardia, Kent & Bibby 1979, *Multivariate Analysis*, p. 365). That rule was chosen on the Counsel Chat
  train+val questions over the best silhouette, Calinski-Harabasz or Davies-Bouldin score across
  k = 2..30 (benchmarks/quality/discovery.py, docs/performance.md): on sentence embeddings the first two
  pick k = 2 and the third the largest k tried. Those rules stay available (``rule=``); they choose k on
  a random sample of 2,000 units (drawn with ``random_state``) when there are more. Fewer than 6 units
  form one cluster. HDBSCAN (min_cluster_size 5) chooses its own number of clusters and may leave
  units unclustered (cluster -1). Ward's method is exact up to 5,000 units; above that it runs on a
  random sample of 5,000 (drawn with ``random_state``) and every other unit joins the nearest centroid.
- :func:`cluster_keywords` labels clusters with class-based TF-IDF (Grootendorst 2022,
  arXiv:2203.05794) over spaCy lemmas, stop words removed; a lemma's frequency in a cluster is the
  number of the cluster's units that use it, so one long answer cannot dominate a label.
- :func:`exemplars` picks the units nearest each cluster's centroid (cosine).
- :func:`nearest_themes` matches each centroid to the nearest theme prototype (cosine similarity of
  the unit-length centroid and the prototype from :func:`thematic.ml.suggest.theme_prototypes`); below
  :data:`CANDIDATE_BELOW` = 0.34 the cluster is flagged as a candidate new theme. 0.34 is the cut-off
  with the best balanced accuracy on the Counsel Chat train+val questions, with half the topics
  removed from the codebook at random (40 draws): clusters whose topic was removed should be flagged.

:func:`discover_project` runs them on a project's units and stores the run (``discover_runs``,
``clusters``, ``cluster_members`` with 2-D map coordinates from PCA).

Clusters are numbered 1, 2, ... from the largest (ties: the cluster whose first unit comes first);
-1 holds units HDBSCAN left unclustered.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np

from thematic.errors import ThematicError

METHODS = ("agglomerative", "kmeans", "hdbscan")
# Rules for choosing k with --clusters auto. "sqrt-n": k = round(sqrt(n / 2)) (the rule of thumb in
# Mardia, Kent & Bibby 1979, Multivariate Analysis, p. 365); the others score every k and keep the best.
RULES = ("sqrt-n", "silhouette", "calinski-harabasz", "davies-bouldin")
AUTO_RULE = "sqrt-n"
AUTO_K_MIN = 2
AUTO_K_MAX = 30
MIN_UNITS_PER_CLUSTER = 3  # auto tries k up to n // 3
AUTO_SAMPLE = 2000  # above this many units, auto chooses k on a sample of this size
EXACT_WARD_LIMIT = 5000  # above this, Ward's method runs on a sample of this size (see _sampled_ward)
THREADS = 1  # BLAS and OpenMP threads while clustering (see cluster)
HDBSCAN_MIN_CLUSTER_SIZE = 5
N_KEYWORDS = 8
N_EXEMPLARS = 3
CANDIDATE_BELOW = 0.34  # cosine similarity of a cluster centroid to its nearest theme prototype
UNCLUSTERED = -1


# -- clustering --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clustering:
    """What :func:`cluster` found: one label per row (1..k, or -1 for unclustered) and how k was chosen."""

    labels: np.ndarray
    k: int
    method: str
    requested: int | str
    rule: str | None = None
    scores: dict[int, float] = field(default_factory=dict)
    sampled: int | None = None
    notes: tuple[str, ...] = ()


def check_method(method: str) -> str:
    if method not in METHODS:
        raise ThematicError(f"unknown clustering method '{method}' (choose one of: {', '.join(METHODS)})")
    return method


def parse_clusters(value: int | str, method: str = "agglomerative") -> int | str:
    """'auto' or a whole number of clusters (1 or more); hdbscan takes only 'auto'."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "auto":
            return "auto"
        try:
            value = int(text)
        except ValueError:
            raise ThematicError(f"--clusters must be 'auto' or a whole number, not '{value}' "
                                "(for example --clusters auto or --clusters 8)") from None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ThematicError(f"--clusters must be 'auto' or a whole number, not '{value}' "
                            "(for example --clusters auto or --clusters 8)")
    if method == "hdbscan":
        raise ThematicError("hdbscan chooses the number of clusters itself "
                            "(leave out --clusters, or use --method agglomerative or kmeans)")
    return value


def cluster(vectors: np.ndarray, method: str = "agglomerative", n_clusters: int | str = "auto", *,
            random_state: int = 0, rule: str = AUTO_RULE) -> Clustering:
    """Cluster the rows of ``vectors`` (unit-length embeddings).

    ``n_clusters`` is a number, or ``"auto"`` to choose k by ``rule`` (see the module docstring).
    Same inputs and ``random_state``, same labels.

    >>> v = np.array([[1, 0], [0.99, 0.14], [0, 1], [0.14, 0.99], [1, 0.05], [0.05, 1]], dtype=np.float32)
    >>> c = cluster(v / np.linalg.norm(v, axis=1, keepdims=True), "agglomerative", 2)
    >>> c.labels.tolist(), c.k
    ([1, 1, 2, 2, 1, 2], 2)

    It runs on :data:`THREADS` (1) BLAS and OpenMP threads: on the 2-core development machine, busy with
    other work, k-means of 5,000 units took 0.8 s on one thread and 9.3 s on two that competed for
    the cores; on an idle machine one thread costs at most the speed-up a second core would give.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(THREADS):
        return _cluster(vectors, method, n_clusters, random_state=random_state, rule=rule)


def _cluster(vectors, method, n_clusters, *, random_state: int, rule: str) -> Clustering:
    check_method(method)
    requested = parse_clusters(n_clusters, method)
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, not {rule!r}")
    x = np.asarray(vectors, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"vectors must be a 2-D array, not {x.ndim}-D")
    n = len(x)
    if n == 0:
        raise ThematicError("no units to cluster (import responses with `thematic import` first)")
    if requested != "auto" and requested > n:
        raise ThematicError(f"asked for {requested} clusters but there are only {n} units "
                            f"(pass --clusters auto or a number up to {n})")
    distinct = len(np.unique(x, axis=0))

    def one_cluster(note: str) -> Clustering:
        return Clustering(np.ones(n, dtype=int), 1, method, requested, notes=(note,))

    if n == 1:
        return one_cluster("1 unit: nothing to cluster; it forms one cluster")
    if method == "hdbscan":
        return _hdbscan(x, distinct)
    if requested == "auto":
        k_max = min(AUTO_K_MAX, min(n, AUTO_SAMPLE) // MIN_UNITS_PER_CLUSTER, distinct)
        if distinct == 1:
            return one_cluster(f"all {n} units have the same embedding; they form one cluster")
        if k_max < AUTO_K_MIN:
            return one_cluster(f"{n} units are too few to compare cluster counts (auto needs at least "
                               f"{AUTO_K_MIN * MIN_UNITS_PER_CLUSTER}); they form one cluster "
                               "(pass --clusters N to split them)")
        return _auto(x, method, k_max, random_state, rule)
    k = int(requested)
    notes: tuple[str, ...] = ()
    if k > distinct:
        notes = (f"asked for {k} clusters but only {distinct} units differ; made {distinct}",)
        k = distinct
    labels = _fit(x, method, k, random_state)
    return Clustering(_renumber(labels), int(len(set(labels.tolist()))), method, requested, notes=notes)


def _fit(x: np.ndarray, method: str, k: int, random_state: int) -> np.ndarray:
    if k == 1:
        return np.zeros(len(x), dtype=int)
    if method == "kmeans":
        from sklearn.cluster import KMeans

        return KMeans(n_clusters=k, n_init=4, random_state=random_state).fit_predict(x)
    if len(x) <= EXACT_WARD_LIMIT:
        from scipy.cluster.hierarchy import fcluster

        return fcluster(_ward_tree(x), k, criterion="maxclust")
    return _sampled_ward(x, k, random_state)


def _ward_tree(x: np.ndarray) -> np.ndarray:
    from scipy.cluster.hierarchy import linkage

    return linkage(x.astype(np.float64), method="ward")


def _sampled_ward(x: np.ndarray, k: int, random_state: int) -> np.ndarray:
    """Ward's method on a random sample of EXACT_WARD_LIMIT units (drawn with ``random_state``); every
    other unit joins the cluster whose centroid is nearest. Exact Ward needs n² / 2 distances (20,000
    units: 1.6 GB and about a minute); this keeps time and memory flat above the limit."""
    from scipy.cluster.hierarchy import fcluster

    rng = np.random.default_rng(random_state)
    sample = np.sort(rng.choice(len(x), EXACT_WARD_LIMIT, replace=False))
    sampled = fcluster(_ward_tree(x[sample]), k, criterion="maxclust")
    ids = np.unique(sampled)
    centres = np.stack([x[sample][sampled == c].mean(axis=0) for c in ids])
    distances = (centres ** 2).sum(axis=1)[None, :] - 2 * (x @ centres.T)  # + |x|², the same for each row
    labels = ids[np.argmin(distances, axis=1)]
    labels[sample] = sampled
    return labels


def _score(x: np.ndarray, labels: np.ndarray, rule: str) -> float:
    from sklearn import metrics

    if rule == "silhouette":
        return float(metrics.silhouette_score(x, labels, metric="euclidean"))
    if rule == "calinski-harabasz":
        return float(metrics.calinski_harabasz_score(x, labels))
    return -float(metrics.davies_bouldin_score(x, labels))  # lower is better: negate so higher wins


def _auto(x: np.ndarray, method: str, k_max: int, random_state: int, rule: str) -> Clustering:
    n = len(x)
    if rule == "sqrt-n":
        k = max(AUTO_K_MIN, min(k_max, round(math.sqrt(n / 2))))
        labels = _fit(x, method, k, random_state)
        return Clustering(_renumber(labels), int(len(set(labels.tolist()))), method, "auto", rule)
    sample = None
    if n > AUTO_SAMPLE:
        rng = np.random.default_rng(random_state)
        sample = np.sort(rng.choice(n, AUTO_SAMPLE, replace=False))
    xs = x if sample is None else x[sample]
    from scipy.cluster.hierarchy import fcluster

    scores: dict[int, float] = {}
    found: dict[int, np.ndarray] = {}
    tree = _ward_tree(xs) if method == "agglomerative" else None
    for k in range(AUTO_K_MIN, k_max + 1):
        if tree is not None:
            labels = fcluster(tree, k, criterion="maxclust")
        else:
            labels = _fit(xs, method, k, random_state)
        got = len(set(labels.tolist()))
        if got < 2 or got in found or got >= len(xs):
            continue
        scores[got] = round(_score(xs, labels, rule), 6)
        found[got] = labels
    if not scores:
        return Clustering(np.ones(n, dtype=int), 1, method, "auto", rule, {},
                          notes=("no split of these units could be scored; they form one cluster",))
    best = max(scores, key=lambda k: (scores[k], -k))
    labels = found[best] if sample is None else _fit(x, method, best, random_state)
    return Clustering(_renumber(labels), int(len(set(labels.tolist()))), method, "auto", rule, scores,
                      sampled=None if sample is None else len(sample))


def _hdbscan(x: np.ndarray, distinct: int) -> Clustering:
    n = len(x)
    needed = 2 * HDBSCAN_MIN_CLUSTER_SIZE
    if n < needed or distinct < 2:
        why = f"{n} units are too few for hdbscan (it needs at least {needed})" if n < needed else \
            f"all {n} units have the same embedding"
        return Clustering(np.ones(n, dtype=int), 1, "hdbscan", "auto",
                          notes=(f"{why}; they form one cluster",))
    from sklearn.cluster import HDBSCAN

    labels = HDBSCAN(min_cluster_size=HDBSCAN_MIN_CLUSTER_SIZE, metric="euclidean", copy=True).fit_predict(x)
    renumbered = _renumber(labels)
    k = len({int(v) for v in renumbered if v != UNCLUSTERED})
    notes = []
    unclustered = int((renumbered == UNCLUSTERED).sum())
    if k == 0:
        notes.append(f"hdbscan found no dense groups; all {n} units are unclustered "
                     "(try --method agglomerative)")
    elif unclustered:
        notes.append(f"hdbscan left {unclustered} of {n} units unclustered (cluster -1)")
    return Clustering(renumbered, k, "hdbscan", "auto", notes=tuple(notes))


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Number clusters 1..k by size (largest first; ties: earliest first unit); negative labels -> -1."""
    labels = np.asarray(labels)
    first: dict[int, int] = {}
    sizes: dict[int, int] = {}
    for i, label in enumerate(labels.tolist()):
        if label < 0:
            continue
        first.setdefault(label, i)
        sizes[label] = sizes.get(label, 0) + 1
    order = sorted(sizes, key=lambda c: (-sizes[c], first[c]))
    mapping = {old: new for new, old in enumerate(order, start=1)}
    return np.array([mapping.get(label, UNCLUSTERED) for label in labels.tolist()], dtype=int)


# -- keywords ----------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def lemmatizer() -> tuple[str, Callable[[Sequence[str]], list[list[str]]]]:
    """The offline English lemmatizer: (its name, a function texts -> lemma lists).

    spaCy's English tokenizer splits the words; simplemma (its data ships inside the package) gives each
    distinct lower-cased word its lemma, once. simplemma was right on more of 50 frequent survey words
    than spaCy's lookup table, which turns "crew" into "crow" and "data" into "datum"
    (benchmarks/quality/lemmatizers.py). Stop words (spaCy's English list), numbers, punctuation and
    one-letter tokens are dropped; a piece of a contraction ("wo" of "won't") becomes its word ("will").
    """
    import importlib.metadata

    import simplemma
    import spacy

    name = f"simplemma {importlib.metadata.version('simplemma')}"
    nlp = spacy.blank("en")
    seen: dict[str, str] = {}

    def keep(word: str) -> bool:
        return len(word) > 1 and word.isalpha() and word not in nlp.Defaults.stop_words

    def one(doc) -> list[str]:
        words = []
        for token in doc:
            if not token.is_alpha or token.is_stop:
                continue
            if token.norm_ != token.lower_:  # a piece of a contraction: "wo" of "won't" is "will"
                word = token.norm_.lower()
            else:
                word = seen.get(token.lower_)
                if word is None:
                    word = seen[token.lower_] = simplemma.lemmatize(token.lower_, lang="en").lower()
            if keep(word):
                words.append(word)
        return words

    def lemmas(texts: Sequence[str]) -> list[list[str]]:
        distinct = list(dict.fromkeys(t.lower() for t in texts))  # repeated answers are read once
        docs = nlp.tokenizer.pipe(distinct, batch_size=256)
        found = {text: one(doc) for text, doc in zip(distinct, docs, strict=True)}
        return [list(found[t.lower()]) for t in texts]

    return name, lemmas


def cluster_keywords(texts: Sequence[str], labels: Sequence[int], *, top: int = N_KEYWORDS,
                     lemmas: Sequence[Sequence[str]] | None = None) -> dict[int, list[str]]:
    """The ``top`` keywords of each cluster by class-based TF-IDF.

    For lemma t and cluster c: ``w(t, c) = tf(t, c) * log(1 + A / f(t))``, where tf(t, c) is the number
    of c's units that use t divided by the total of such counts in c, f(t) the number of units
    that use t across all clusters, and A the mean, over clusters, of those per-cluster totals
    (Grootendorst 2022, eq. 1). Ties go alphabetically. ``lemmas`` (one list per text) skips the
    lemmatizer.

    >>> cluster_keywords(["cats purr", "a cat purrs", "dogs bark", "the dog barks"], [1, 1, 2, 2],
    ...                  top=2, lemmas=[["cat", "purr"], ["cat", "purr"], ["dog", "bark"], ["dog", "bark"]])
    {1: ['cat', 'purr'], 2: ['bark', 'dog']}
    """
    labels = [int(v) for v in labels]
    if len(labels) != len(texts):
        raise ValueError("texts and labels must have the same length")
    if lemmas is None:
        lemmas = lemmatizer()[1](list(texts))
    classes = sorted(set(labels))
    per_class: dict[int, dict[str, int]] = {c: {} for c in classes}
    for words, c in zip(lemmas, labels, strict=True):
        bag = per_class[c]
        for word in set(words):
            bag[word] = bag.get(word, 0) + 1
    totals = {c: sum(bag.values()) for c, bag in per_class.items()}
    overall: dict[str, int] = {}
    for bag in per_class.values():
        for word, count in bag.items():
            overall[word] = overall.get(word, 0) + count
    mean_total = sum(totals.values()) / len(classes) if classes else 0.0
    result = {}
    for c, bag in per_class.items():
        if not bag:
            result[c] = []
            continue
        weights = {w: (count / totals[c]) * math.log(1 + mean_total / overall[w]) for w, count in bag.items()}
        result[c] = sorted(weights, key=lambda w: (-round(weights[w], 12), w))[:top]
    return result


# -- exemplars and themes ------------------------------------------------------------------------------------


def centroids(vectors: np.ndarray, labels: np.ndarray) -> dict[int, np.ndarray]:
    """Unit-length mean vector of each cluster (UNCLUSTERED included)."""
    out = {}
    for c in sorted(set(np.asarray(labels).tolist())):
        mean = vectors[np.asarray(labels) == c].mean(axis=0)
        norm = float(np.linalg.norm(mean))
        out[c] = mean / norm if norm > 0 else mean
    return out


def exemplars(vectors: np.ndarray, labels: np.ndarray, texts: Sequence[str] | None = None, *,
              n: int = N_EXEMPLARS) -> dict[int, list[int]]:
    """Row indices of the ``n`` units nearest each cluster's centroid (cosine; ties: earlier row).

    With ``texts``, a text already chosen is not chosen again (repeated answers are shown once).
    """
    labels = np.asarray(labels)
    result = {}
    for c, centre in centroids(vectors, labels).items():
        rows = np.flatnonzero(labels == c)
        sims = vectors[rows] @ centre
        order = sorted(range(len(rows)), key=lambda i: (-round(float(sims[i]), 6), int(rows[i])))
        chosen, seen = [], set()
        for i in order:
            row = int(rows[i])
            key = texts[row].strip().lower() if texts is not None else row
            if key in seen:
                continue
            seen.add(key)
            chosen.append(row)
            if len(chosen) == n:
                break
        result[c] = chosen
    return result


def nearest_themes(centres: dict[int, np.ndarray], prototypes: np.ndarray, theme_ids: Sequence[str], *,
                   cutoff: float = CANDIDATE_BELOW) -> dict[int, tuple[str | None, float | None, bool]]:
    """For each cluster: (nearest theme id, cosine similarity, is a candidate new theme).

    A cluster is a candidate when no theme prototype reaches ``cutoff``; with no themes, every
    cluster is a candidate. Unclustered units (-1) get (None, None, False).
    """
    result = {}
    protos = np.asarray(prototypes, dtype=np.float32).reshape(len(theme_ids), -1) if len(theme_ids) else None
    for c, centre in centres.items():
        if c == UNCLUSTERED:
            result[c] = (None, None, False)
        elif protos is None:
            result[c] = (None, None, True)
        else:
            sims = protos @ centre
            best = int(np.argmax(sims))
            sim = round(float(sims[best]), 4)
            result[c] = (theme_ids[best], sim, sim < cutoff)
    return result


def project_2d(vectors: np.ndarray, extra: np.ndarray | None = None, *,
               random_state: int = 0) -> tuple[np.ndarray, np.ndarray | None]:
    """2-D coordinates by PCA fitted on ``vectors``; ``extra`` rows (theme prototypes) use the same axes."""
    n = len(vectors)
    if n < 2:  # one point (or none) has no axes: it sits at the origin, and so does everything else
        return np.zeros((n, 2)), None if extra is None or not len(extra) else np.zeros((len(extra), 2))
    from sklearn.decomposition import PCA
    from threadpoolctl import threadpool_limits

    components = min(2, n, vectors.shape[1])
    # "covariance_eigh": the d x d covariance, not an SVD of all n rows (exact; 20,000 units in a blink)
    with threadpool_limits(THREADS):
        pca = PCA(n_components=components, svd_solver="covariance_eigh", random_state=random_state)
        pca.fit(vectors)

    def place(rows: np.ndarray) -> np.ndarray:
        xy = pca.transform(rows)
        if components < 2:
            xy = np.hstack([xy, np.zeros((len(rows), 2 - components))])
        return np.round(xy, 6)

    return place(vectors), None if extra is None or not len(extra) else place(extra)


# -- a project's run -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exemplar:
    unit_id: str
    text: str


@dataclass(frozen=True)
class ClusterRow:
    cluster: int
    size: int
    keywords: list[str]
    exemplars: list[Exemplar]
    nearest_theme: str | None
    similarity: float | None
    is_candidate: bool


@dataclass(frozen=True)
class Member:
    unit_id: str
    cluster: int
    x: float | None
    y: float | None


@dataclass(frozen=True)
class ThemePoint:
    theme_id: str
    name: str
    x: float
    y: float


@dataclass
class DiscoverRun:
    """A stored discovery run: its parameters, its clusters (display order) and every unit's cluster."""

    id: int
    created_at: str
    model: str
    codebook_version: int | None
    parameters: dict
    clusters: list[ClusterRow]
    members: list[Member]
    theme_points: list[ThemePoint] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def method(self) -> str:
        return self.parameters["method"]

    @property
    def k(self) -> int:
        return self.parameters["k"]

    @property
    def random_state(self) -> int:
        return self.parameters["random_state"]

    def to_dict(self) -> dict:
        return {
            "run": self.id, "created_at": self.created_at, "model": self.model,
            "codebook_version": self.codebook_version, "parameters": self.parameters,
            "clusters": [asdict(c) for c in self.clusters], "notes": self.notes,
        }


def discover_project(project, *, clusters: int | str = "auto", method: str = "agglomerative", model=None,
                     random_state: int = 0, progress=None, question: str | None = None) -> DiscoverRun:
    """Cluster every unit of ``project`` (of ``question``, when given), label and match the clusters, and
    store the run.

    Embeddings come from :func:`thematic.ml.embed.unit_vectors` (cached); theme prototypes from the
    codebooks in view (``thematic.review.codings.books_in_view``): the question's codebook, or each
    codebook in use, its themes named ``codebook/theme`` when the questions have different codebooks.
    """
    from thematic.clock import utc_now
    from thematic.store import corpus
    from thematic.store import discover as store

    check_method(method)
    requested = parse_clusters(clusters, method)
    if isinstance(random_state, bool) or not isinstance(random_state, int) or random_state < 0:
        raise ThematicError(f"--seed must be a whole number 0 or more, not '{random_state}' "
                            "(for example --seed 0)")
    corpus.check_question(project, question)
    units = corpus.list_units(project, question_id=question)
    if not units:
        raise ThematicError("no units to cluster (import responses with `thematic import` first)")
    if requested != "auto" and requested > len(units):
        raise ThematicError(f"asked for {requested} clusters but there are only {len(units)} units "
                            f"(pass --clusters auto or a number up to {len(units)})")

    from thematic.ml import embed

    vectors = np.asarray(embed.unit_vectors(project, units, model=model, progress=progress), dtype=np.float32)
    texts = [u.text for u in units]
    found = cluster(vectors, method, requested, random_state=random_state)
    labels = found.labels
    lemmatizer_name, lemmatize = lemmatizer()
    keywords = cluster_keywords(texts, labels, lemmas=lemmatize(texts))
    picks = exemplars(vectors, labels, texts)
    centres = centroids(vectors, labels)

    version, themes, prototypes, books = _theme_prototypes(project, model, question)
    matches = nearest_themes(centres, prototypes, [t.id for t in themes])
    xy, theme_xy = project_2d(vectors, prototypes if len(themes) else None, random_state=random_state)
    sizes = {c: int((labels == c).sum()) for c in centres}
    order = sorted(centres, key=lambda c: (c == UNCLUSTERED, c))

    fingerprint = embed.model_fingerprint(model)
    parameters = {
        "model_name": embed.model_name(model), "model_fingerprint": fingerprint,
        "method": method, "clusters": requested, "k": found.k, "random_state": random_state,
        "rule": found.rule, "k_range": [AUTO_K_MIN, AUTO_K_MAX] if requested == "auto" else None,
        "scores": {str(k): v for k, v in found.scores.items()}, "sampled": found.sampled,
        "units": len(units),
        "question": question,
        "codebooks": [{"name": b.name, "version": b.version.number, "questions": list(b.questions)}
                      for b in books],
        "keywords": {"method": "c-TF-IDF", "lemmatizer": lemmatizer_name, "top": N_KEYWORDS},
        "candidate_below": CANDIDATE_BELOW, "projection": "pca",
        "theme_points": [[t.id, t.name, float(p[0]), float(p[1])] for t, p in
                         zip(themes, theme_xy if theme_xy is not None else [], strict=False)],
    }
    if method == "hdbscan":
        parameters["min_cluster_size"] = HDBSCAN_MIN_CLUSTER_SIZE
    rows = [
        {"cluster": c, "size": sizes[c], "keywords": keywords.get(c, []),
         "exemplars": [units[i].id for i in picks[c]], "nearest_theme": matches[c][0],
         "similarity": matches[c][1], "is_candidate": matches[c][2]}
        for c in order
    ]
    created_at = utc_now()
    with project.transaction():
        run_id = store.insert_run(project, codebook_version_id=version, model=fingerprint,
                                  parameters=parameters, created_at=created_at)
        store.insert_clusters(project, run_id, rows)
        store.insert_members(project, run_id, (
            (u.id, int(c), float(p[0]), float(p[1]))
            for u, c, p in zip(units, labels.tolist(), xy, strict=True)
        ))
    run = load_run(project, run_id)
    run.notes = list(found.notes)
    return run


def load_run(project, run_id: int | None = None) -> DiscoverRun:
    """A stored run (the latest when ``run_id`` is None)."""
    from thematic.store import discover as store

    if run_id is None:
        run_id = store.latest_run_id(project)
        if run_id is None:
            raise ThematicError("no discovery run yet (run `thematic discover` first)")
    row = store.get_run(project, run_id)
    if row is None:
        raise ThematicError(f"discovery run {run_id} not found (run `thematic discover` to make one)")
    cluster_rows = store.run_clusters(project, run_id)
    texts = store.unit_texts(project, (u for r in cluster_rows for u in r["exemplars"]))
    clusters = [
        ClusterRow(r["cluster"], r["size"], r["keywords"],
                   [Exemplar(u, texts.get(u, "")) for u in r["exemplars"]],
                   r["nearest_theme"], r["similarity"], r["is_candidate"])
        for r in cluster_rows
    ]
    members = [Member(*m) for m in store.run_members(project, run_id)]
    points = [ThemePoint(*p) for p in row["parameters"].get("theme_points", [])]
    return DiscoverRun(row["id"], row["created_at"], row["model"], row["codebook_version_id"],
                       row["parameters"], clusters, members, points)


def _theme_prototypes(project, model, question: str | None = None
                      ) -> tuple[int | None, list, np.ndarray, list]:
    """(the codebook version number when one codebook is in view, the themes in view depth first as
    ``thematic.review.codings.ViewTheme`` records (named ``codebook/theme`` when several codebooks are in
    view), their unit-length prototype vectors, the codebooks in view)."""
    from thematic.ml.suggest import theme_prototypes
    from thematic.review.codings import books_in_view, view_catalogue

    books = books_in_view(project, question)
    number = books[0].version.number if len(books) == 1 else None
    viewed = view_catalogue(books)  # every theme, sub-themes included, depth first, per codebook
    if not viewed:
        return number, [], np.zeros((0, 0), dtype=np.float32), books
    protos = np.asarray(theme_prototypes(project, [v.theme for v in viewed], model=model), dtype=np.float32)
    norms = np.linalg.norm(protos, axis=1, keepdims=True)
    return number, viewed, protos / np.where(norms > 0, norms, 1), books
