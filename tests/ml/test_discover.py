"""Discovery's pure functions: clustering, auto rules, keywords, exemplars, theme matching, the 2-D map."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from thematic.errors import ThematicError
from thematic.ml import discover as D


def blobs(n_per: int = 20, centres: int = 3, dim: int = 16, spread: float = 0.15, seed: int = 0):
    """Unit-length vectors in well-separated groups; returns (vectors, true group per row)."""
    rng = np.random.default_rng(seed)
    means = np.eye(dim)[:centres] * 3
    truth = np.repeat(np.arange(centres), n_per)
    x = means[truth] + rng.normal(scale=spread, size=(len(truth), dim))
    order = rng.permutation(len(truth))
    x, truth = x[order], truth[order]
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), truth


def same_partition(a, b) -> bool:
    from sklearn.metrics import adjusted_rand_score

    return adjusted_rand_score(a, b) == 1.0


# -- clustering --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["agglomerative", "kmeans"])
def test_given_k_recovers_separated_groups(method):
    x, truth = blobs()
    found = D.cluster(x, method, 3, random_state=0)
    assert found.k == 3 and found.requested == 3
    assert same_partition(found.labels, truth)


def test_hdbscan_finds_the_groups_itself():
    x, truth = blobs(n_per=25)
    found = D.cluster(x, "hdbscan")
    assert found.k == 3
    assert same_partition(found.labels, truth)


def test_hdbscan_marks_outliers_unclustered():
    x, _ = blobs(n_per=25)
    far = np.zeros((1, x.shape[1]), dtype=np.float32)
    far[0, -1] = 1.0
    found = D.cluster(np.vstack([x, far]), "hdbscan")
    assert found.labels[-1] == D.UNCLUSTERED
    assert found.notes == ("hdbscan left 1 of 76 units unclustered (cluster -1)",)


def test_clusters_are_numbered_by_size_from_one():
    x, truth = blobs(n_per=10, centres=2)
    x = np.vstack([x, blobs(n_per=15, centres=1, seed=3)[0] @ np.roll(np.eye(16), 5, axis=1)])
    labels = D.cluster(x, "agglomerative", 3).labels
    sizes = [int((labels == c).sum()) for c in (1, 2, 3)]
    assert sizes == sorted(sizes, reverse=True) and set(labels.tolist()) == {1, 2, 3}


@pytest.mark.parametrize("method", ["agglomerative", "kmeans", "hdbscan"])
def test_same_inputs_same_labels(method):
    x, _ = blobs(n_per=30, spread=0.6, seed=1)
    a = D.cluster(x, method, "auto", random_state=7)
    b = D.cluster(x.copy(), method, "auto", random_state=7)
    assert a.labels.tolist() == b.labels.tolist() and a.k == b.k and a.scores == b.scores


def test_auto_uses_the_square_root_rule():
    x, _ = blobs(n_per=40, centres=5, spread=0.8)  # 200 units: k = round(sqrt(100)) = 10
    found = D.cluster(x, "agglomerative", "auto")
    assert (found.k, found.rule, found.requested) == (10, "sqrt-n", "auto")
    assert D.AUTO_RULE == "sqrt-n"


def test_auto_k_is_capped():
    x, _ = blobs(n_per=600, centres=5, spread=0.8)  # 3,000 units: sqrt(1500) = 39, capped at 30
    found = D.cluster(x, "kmeans", "auto")
    assert found.k == D.AUTO_K_MAX == 30


@pytest.mark.parametrize("rule", ["silhouette", "calinski-harabasz", "davies-bouldin"])
def test_scoring_rules_find_clear_groups(rule):
    x, truth = blobs(n_per=15, centres=4)
    found = D.cluster(x, "agglomerative", "auto", rule=rule)
    assert found.k == 4 and found.rule == rule
    assert set(found.scores) == set(range(2, 21))  # k from 2 to n // 3 = 20
    assert same_partition(found.labels, truth)


def test_scoring_rule_on_many_units_chooses_k_on_a_sample():
    x, truth = blobs(n_per=700, centres=3, dim=8)  # 2,100 units
    found = D.cluster(x, "kmeans", "auto", rule="silhouette", random_state=0)
    assert found.sampled == D.AUTO_SAMPLE and found.k == 3
    assert same_partition(found.labels, truth)


def test_large_projects_use_ward_on_a_sample(monkeypatch):
    monkeypatch.setattr(D, "EXACT_WARD_LIMIT", 30)
    x, truth = blobs(n_per=20)
    found = D.cluster(x, "agglomerative", 3, random_state=4)
    assert same_partition(found.labels, truth)
    assert found.labels.tolist() == D.cluster(x, "agglomerative", 3, random_state=4).labels.tolist()


# -- tiny and degenerate inputs ----------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["agglomerative", "kmeans", "hdbscan"])
def test_no_units_is_a_clear_error(method):
    with pytest.raises(ThematicError, match=re.escape(
            "no units to cluster (import responses with `thematic import` first)")):
        D.cluster(np.zeros((0, 4), dtype=np.float32), method)


@pytest.mark.parametrize("n", [1, 2, 3, 5])
@pytest.mark.parametrize("method", ["agglomerative", "kmeans"])
def test_tiny_auto_makes_one_cluster(n, method):
    x, _ = blobs(n_per=3, centres=2)
    found = D.cluster(x[:n], method, "auto")
    assert found.k == 1 and found.labels.tolist() == [1] * n
    expected = ("1 unit: nothing to cluster; it forms one cluster" if n == 1 else
                f"{n} units are too few to compare cluster counts (auto needs at least 6); they form one "
                "cluster (pass --clusters N to split them)")
    assert found.notes == (expected,)


def test_six_units_are_enough_for_two_clusters():
    x, truth = blobs(n_per=3, centres=2)
    found = D.cluster(x, "agglomerative", "auto")
    assert found.k == 2 and same_partition(found.labels, truth)


@pytest.mark.parametrize("n", [2, 9])
def test_tiny_hdbscan_makes_one_cluster(n):
    x, _ = blobs(n_per=5, centres=2)
    found = D.cluster(x[:n], "hdbscan")
    assert found.k == 1
    assert found.notes == (
        f"{n} units are too few for hdbscan (it needs at least 10); they form one cluster",)


def test_given_k_on_two_units():
    x, _ = blobs(n_per=1, centres=2)
    assert D.cluster(x, "agglomerative", 2).labels.tolist() == [1, 2]
    assert D.cluster(x, "kmeans", 1).labels.tolist() == [1, 1]


def test_identical_vectors_form_one_cluster():
    x = np.tile(blobs(n_per=1, centres=1)[0], (8, 1))
    found = D.cluster(x, "agglomerative", "auto")
    assert found.k == 1 and found.notes == ("all 8 units have the same embedding; they form one cluster",)
    found = D.cluster(x, "kmeans", 3)
    assert found.k == 1 and found.notes == ("asked for 3 clusters but only 1 units differ; made 1",)


def test_more_clusters_than_units_is_refused():
    x, _ = blobs(n_per=2, centres=2)
    with pytest.raises(ThematicError, match=re.escape(
            "asked for 5 clusters but there are only 4 units (pass --clusters auto or a number up to 4)")):
        D.cluster(x, "agglomerative", 5)


@pytest.mark.parametrize("value", ["many", "0", "-2", "2.5"])
def test_bad_cluster_counts(value):
    with pytest.raises(ThematicError, match=re.escape(
            f"--clusters must be 'auto' or a whole number, not '{value}' (for example --clusters auto or "
            "--clusters 8)")):
        D.parse_clusters(value)


def test_cluster_count_words():
    assert D.parse_clusters(" AUTO ") == "auto"
    assert D.parse_clusters("12") == 12
    with pytest.raises(ThematicError, match=re.escape(
            "hdbscan chooses the number of clusters itself (leave out --clusters, or use --method "
            "agglomerative or kmeans)")):
        D.parse_clusters("4", "hdbscan")


def test_unknown_method():
    with pytest.raises(ThematicError, match=re.escape(
            "unknown clustering method 'spectral' (choose one of: agglomerative, kmeans, hdbscan)")):
        D.cluster(blobs()[0], "spectral")


# -- keywords ---------------------------------------------------------------------------------------------
def test_class_based_tf_idf_by_hand():
    lemmas = [["anxiety", "sleep"], ["anxiety", "work"], ["anxiety", "anxiety", "anxiety"],
              ["family", "work"]]
    got = D.cluster_keywords(["", "", "", ""], [1, 1, 2, 2], top=5, lemmas=lemmas)
    # per-unit counts: cluster 1 {anxiety 2, sleep 1, work 1} (total 4); cluster 2 {anxiety 1 (one unit),
    # family 1, work 1} (total 3); A = 3.5; f: anxiety 3, work 2, sleep 1, family 1
    w1 = {"anxiety": 2 / 4 * math.log(1 + 3.5 / 3), "sleep": 1 / 4 * math.log(1 + 3.5),
          "work": 1 / 4 * math.log(2.75)}
    w2 = {"anxiety": 1 / 3 * math.log(1 + 3.5 / 3), "family": 1 / 3 * math.log(4.5),
          "work": 1 / 3 * math.log(2.75)}
    assert got[1] == sorted(w1, key=lambda w: -w1[w])
    assert got[2] == sorted(w2, key=lambda w: -w2[w])
    assert got[2][0] == "family"  # repeating a word in one answer does not make it the label


def test_keywords_use_lemmas_without_stop_words():
    texts = ["The clients were worrying about their sessions.", "A client worries before each session.",
             "I won't use machines; they can't listen.", "Machines don't listen to anyone."]
    got = D.cluster_keywords(texts, [1, 1, 2, 2], top=3)
    assert set(got[1]) == {"client", "worry", "session"}
    assert set(got[2][:2]) == {"machine", "listen"}


def test_lemmas_of_survey_words():
    """Words spaCy's lookup table got wrong ("crew" -> "crow", "data" -> "datum", "better" -> "well")."""
    import simplemma

    name, lemmas = D.lemmatizer()
    assert name == f"simplemma {simplemma.__version__}"
    got = lemmas(["The ambulance crews were amazing", "Better data, quicker appointments",
                  "The crew arrived", "", "!!! 42"])
    assert got == [["ambulance", "crew", "amazing"], ["good", "data", "quick", "appointment"],
                   ["crew", "arrive"], [], []]


def test_keywords_of_non_english_text():
    texts = ["la thérapie est humaine", "la thérapie en ligne", "治疗 很 好"]
    got = D.cluster_keywords(texts, [1, 1, 2], top=2)
    assert set(got[1]) == {"la", "thérapie"}  # the stop-word list is English: "la" stays
    assert isinstance(got[2], list)


# -- exemplars, themes, map --------------------------------------------------------------------------------
def test_exemplars_are_nearest_the_centroid_and_distinct():
    x = np.array([[1, 0], [0.8, 0.6], [0.6, 0.8], [0.98, 0.2], [0.98, 0.2]], dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    labels = np.array([1, 1, 1, 1, 1])
    texts = ["a", "b", "c", "d", "D"]
    assert D.exemplars(x, labels, texts, n=3)[1] == [3, 1, 0]  # "D" repeats "d"; b is nearer than c
    assert D.exemplars(x, labels, n=2)[1] == [3, 4]


def test_nearest_theme_and_candidates():
    centres = {1: np.array([1.0, 0.0]), 2: np.array([0.0, 1.0]), -1: np.array([0.7, 0.7])}
    protos = np.array([[0.96, 0.28], [0.6, -0.8]])
    got = D.nearest_themes(centres, protos, ["near", "far"], cutoff=0.4)
    assert got[1] == ("near", 0.96, False)
    assert got[2] == ("near", 0.28, True)
    assert got[-1] == (None, None, False)
    assert D.nearest_themes(centres, np.zeros((0, 0)), [])[1] == (None, None, True)


@pytest.mark.parametrize("n", [1, 2, 5])
def test_map_coordinates_for_any_size(n):
    x, _ = blobs(n_per=5, centres=1)
    xy, extra = D.project_2d(x[:n], x[:2])
    assert xy.shape == (n, 2) and extra.shape == (2, 2)
    again, _ = D.project_2d(x[:n].copy())
    assert np.array_equal(xy, again)
