"""discover_project on real projects (with a stand-in embedding, so no model loads), the stored run, the
draft codebook and the map."""

from __future__ import annotations

import re
import zlib

import numpy as np
import pytest

from tests.conftest import DEMO_CODEBOOK
from thematic.errors import ThematicError
from thematic.ml import discover as D

DIM = 64


def bag_of_words(texts) -> np.ndarray:
    """A deterministic stand-in for a sentence model: hashed lower-cased words, L2-normalised."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in re.findall(r"\w+", text.lower()):
            out[i, zlib.crc32(word.encode()) % DIM] += 1.0
        out[i, DIM - 1] += 0.01  # no zero rows
    return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture
def fake_embeddings(monkeypatch):
    """unit_vectors and embed_texts answer with bag_of_words; records how often they were asked."""
    from thematic.ml import embed

    calls = []

    def embed_texts(project, texts, *, model=None, **kwargs):
        calls.append(("texts", len(texts)))
        return bag_of_words(list(texts)) if texts else np.zeros((0, 0), dtype=np.float32)

    def unit_vectors(project, units, *, model=None, progress=None):
        calls.append(("units", len(units)))
        return bag_of_words([u.text for u in units])

    monkeypatch.setattr(embed, "embed_texts", embed_texts)
    monkeypatch.setattr(embed, "unit_vectors", unit_vectors)
    return calls


def add_units(project, texts: list[str]) -> None:
    """Import a small CSV of answers."""
    import csv
    import tempfile
    from pathlib import Path

    from thematic.ingest.importer import ImportOptions, import_file

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "answers.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "answer"])
            writer.writerows([f"R{i:03d}", t] for i, t in enumerate(texts))
        import_file(project, path, ImportOptions(id_column="id", text_columns=["answer"]))


def use_demo_codebook(project):
    from thematic.codebook.load import load_codebook
    from thematic.store.codebooks import use_codebook

    return use_codebook(project, load_codebook(DEMO_CODEBOOK))


def comparable(run) -> dict:
    d = run.to_dict()
    d.pop("run"), d.pop("created_at")
    return {**d, "members": [(m.unit_id, m.cluster, m.x, m.y) for m in run.members]}


def test_a_run_is_stored_whole(demo_project, fake_embeddings):
    run = D.discover_project(demo_project)
    units = demo_project.scalar("SELECT COUNT(*) FROM units")
    k = round((units / 2) ** 0.5)
    assert run.k == k == len(run.clusters) and run.method == "agglomerative" and run.random_state == 0
    assert sum(c.size for c in run.clusters) == units == len(run.members)
    assert [c.cluster for c in run.clusters] == list(range(1, k + 1))
    assert all(len(c.exemplars) == 3 and c.keywords for c in run.clusters)
    assert all(m.x is not None and m.y is not None for m in run.members)
    stored = demo_project.query("SELECT model, parameters, codebook_version_id FROM discover_runs")
    assert len(stored) == 1 and stored[0][2] is None
    assert '"random_state": 0' in stored[0][1] and '"rule": "sqrt-n"' in stored[0][1]
    assert demo_project.scalar("SELECT COUNT(*) FROM cluster_members WHERE run_id = ?", (run.id,)) == units
    assert all(c.nearest_theme is None and c.is_candidate for c in run.clusters)  # no codebook in use


def test_same_inputs_same_run(demo_project, fake_embeddings):
    use_demo_codebook(demo_project)
    for method in ("agglomerative", "kmeans", "hdbscan"):
        first = D.discover_project(demo_project, method=method, random_state=3)
        second = D.discover_project(demo_project, method=method, random_state=3)
        assert second.id == first.id + 1
        assert comparable(first) == comparable(second)
    assert D.load_run(demo_project, first.id).parameters["random_state"] == 3


def test_runs_are_matched_to_the_codebook(demo_project, fake_embeddings):
    version = use_demo_codebook(demo_project)
    run = D.discover_project(demo_project, clusters=4)
    ids = set(version.codebook.ids())
    assert run.codebook_version == version.number and run.k == 4
    for c in run.clusters:
        assert c.nearest_theme in ids and -1 <= c.similarity <= 1
        assert c.is_candidate == (c.similarity < D.CANDIDATE_BELOW)
    assert {p.theme_id for p in run.theme_points} == ids
    assert run.parameters["candidate_below"] == D.CANDIDATE_BELOW


def test_load_run_reads_back_what_was_returned(demo_project, fake_embeddings):
    run = D.discover_project(demo_project, clusters=3, method="kmeans", random_state=5)
    again = D.load_run(demo_project)
    assert comparable(again) == comparable(run) and again.id == run.id
    texts = dict(demo_project.query("SELECT id, text FROM units"))
    assert all(e.text == texts[e.unit_id] for c in again.clusters for e in c.exemplars)


def test_no_run_yet(project):
    with pytest.raises(ThematicError, match=re.escape(
            "no discovery run yet (run `thematic discover` first)")):
        D.load_run(project)
    with pytest.raises(ThematicError, match=re.escape(
            "discovery run 4 not found (run `thematic discover` to make one)")):
        D.load_run(project, 4)


def test_empty_project(project, fake_embeddings):
    with pytest.raises(ThematicError, match=re.escape(
            "no units to cluster (import responses with `thematic import` first)")):
        D.discover_project(project)
    assert fake_embeddings == [] and project.scalar("SELECT COUNT(*) FROM discover_runs") == 0


@pytest.mark.parametrize("n", [1, 2, 3])
def test_tiny_projects_make_one_cluster(project, fake_embeddings, n):
    add_units(project, ["I would never use it.", "It could help with waiting lists.", "No."][:n])
    run = D.discover_project(project)
    assert run.k == 1 and [c.size for c in run.clusters] == [n]
    assert len(run.notes) == 1 and "one cluster" in run.notes[0]
    assert len(run.members) == n


def test_more_clusters_than_units_changes_nothing(project, fake_embeddings):
    add_units(project, ["Yes.", "No."])
    with pytest.raises(ThematicError, match=re.escape(
            "asked for 3 clusters but there are only 2 units (pass --clusters auto or a number up to 2)")):
        D.discover_project(project, clusters=3)
    assert fake_embeddings == [] and project.scalar("SELECT COUNT(*) FROM discover_runs") == 0


@pytest.mark.parametrize("seed", [-1, True, 1.5])
def test_bad_seed(project, seed):
    with pytest.raises(ThematicError, match=re.escape(
            f"--seed must be a whole number 0 or more, not '{seed}' (for example --seed 0)")):
        D.discover_project(project, random_state=seed)


def test_hdbscan_noise_is_listed_last(project, fake_embeddings):
    add_units(project, [f"waiting list support number {i}" for i in range(8)]
              + [f"human connection empathy matters {i}" for i in range(8)] + ["Completely unrelated zebra."])
    run = D.discover_project(project, method="hdbscan")
    assert run.clusters[-1].cluster == -1 and run.clusters[-1].nearest_theme is None
    assert not run.clusters[-1].is_candidate


# -- draft codebook ---------------------------------------------------------------------------------------
def test_draft_codebook_loads(demo_project, fake_embeddings):
    load = pytest.importorskip("thematic.codebook.load")
    from thematic.ml.draft import MAX_EXAMPLE_CHARS, _one_line, draft_codebook

    use_demo_codebook(demo_project)
    run = D.discover_project(demo_project)
    text = draft_codebook(run)
    codebook = load.parse_codebook(text, "draft.yaml")
    assert codebook.codebook == "draft" and len(codebook.themes) == run.k
    assert len(set(codebook.ids())) == run.k
    first = codebook.themes[0]
    assert first.keywords == tuple(run.clusters[0].keywords)
    assert list(first.examples) == [_one_line(e.text, MAX_EXAMPLE_CHARS) for e in run.clusters[0].exemplars]
    assert all(len(e) <= MAX_EXAMPLE_CHARS for t in codebook.themes for e in t.examples)
    assert first.definition.startswith(f"Draft from discovery run {run.id}, cluster 1 ")
    assert text.startswith("# Draft codebook written by `thematic discover --draft-codebook`")


def test_draft_codebook_of_odd_clusters():
    load = pytest.importorskip("thematic.codebook.load")
    from thematic.ml.draft import draft_codebook

    run = D.DiscoverRun(
        id=7, created_at="", model="st:x", codebook_version=None, parameters={"method": "kmeans", "k": 3},
        clusters=[
            D.ClusterRow(1, 3, ["治疗", "好"], [D.Exemplar("u1", "治疗\x07 很好\n第二行")], None, None, True),
            D.ClusterRow(2, 1, [], [], None, None, True),
            D.ClusterRow(3, 2, ["café", "naïve"], [D.Exemplar("u2", "x" * 500)], "t", 0.91, False),
            D.ClusterRow(4, 2, ["café", "naïve"], [], "t", 0.1, True),
            D.ClusterRow(-1, 5, ["noise"], [], None, None, False),
        ],
        members=[])
    codebook = load.parse_codebook(draft_codebook(run), "draft.yaml")
    assert codebook.ids() == ["cluster-1", "cluster-2", "cafe-naive", "cafe-naive-4"]
    assert codebook.themes[0].examples == ("治疗 很好 第二行",)
    assert len(codebook.themes[2].examples[0]) == 300
    assert codebook.themes[1].name == "Cluster 2"


def test_no_clusters_no_draft():
    from thematic.ml.draft import draft_codebook

    run = D.DiscoverRun(7, "", "st:x", None, {}, [D.ClusterRow(-1, 5, [], [], None, None, False)], [])
    with pytest.raises(ThematicError, match=re.escape(
            "the run has no clusters to draft a codebook from "
            "(rerun with --method agglomerative or kmeans)")):
        draft_codebook(run)


# -- map --------------------------------------------------------------------------------------------------
def test_map_is_a_png(demo_project, fake_embeddings, tmp_path):
    from thematic.ml.mapplot import render_map

    use_demo_codebook(demo_project)
    run = D.discover_project(demo_project)
    path = render_map(run, tmp_path / "map.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_map_of_a_one_unit_project(project, fake_embeddings, tmp_path):
    from thematic.ml.mapplot import render_map

    add_units(project, ["Only one answer, costing $5 a month."])
    path = render_map(D.discover_project(project), tmp_path / "one.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
