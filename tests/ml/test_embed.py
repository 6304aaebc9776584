"""Embeddings: the cache, model choice, devices, and the vectors themselves."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import DEMO_CSV
from thematic.errors import ThematicError
from thematic.ml import embed
from thematic.store import ml as store


def test_second_embed_embeds_nothing(project, bow):
    texts = ["It could help with waiting lists.", "A machine cannot read body language.", "n/a"]
    first_stats, second_stats = embed.EmbedStats(), embed.EmbedStats()
    first = embed.embed_texts(project, texts, model=bow, stats=first_stats)
    assert len(bow.encoded) == 3 and first_stats.embedded == 3 and first_stats.cached == 0
    second = embed.embed_texts(project, texts, model=bow, stats=second_stats)
    assert len(bow.encoded) == 3, "the second run encoded something"
    assert second_stats.embedded == 0 and second_stats.cached == 3
    np.testing.assert_array_equal(first, second)
    assert store.cached_count(project, bow._thematic_fingerprint) == 3


def test_only_missing_texts_are_embedded_and_duplicates_once(project, bow):
    embed.embed_texts(project, ["one answer", "two answers"], model=bow)
    bow.encoded.clear()
    vectors = embed.embed_texts(project, ["two answers", "three", "three", "one answer"], model=bow)
    assert bow.encoded == ["three"]
    assert vectors.shape == (4, 64)
    np.testing.assert_array_equal(vectors[1], vectors[2])


def test_vectors_are_float32_unit_length_in_order(project, bow):
    texts = ["short", "a much longer answer about therapy and machines", "short again"]
    vectors = embed.embed_texts(project, texts, model=bow)
    assert vectors.dtype == np.float32 and vectors.flags.writeable
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(vectors, bow.encode(texts), rtol=1e-6)


def test_empty_input(project, bow):
    assert embed.embed_texts(project, [], model=bow).shape == (0, 0)
    assert bow.encoded == []


def test_many_texts_use_the_background_writer(project, bow):
    texts = [f"answer number {i}" for i in range(embed.CHUNK * 2 + 5)]
    vectors = embed.embed_texts(project, texts, model=bow)
    assert store.cached_count(project, bow._thematic_fingerprint) == len(texts)
    bow.encoded.clear()
    np.testing.assert_array_equal(embed.embed_texts(project, texts, model=bow), vectors)
    assert bow.encoded == []


def test_embedding_inside_a_transaction_writes_through_it(project, bow):
    texts = [f"answer {i}" for i in range(embed.CHUNK + 3)]
    with project.transaction():
        embed.embed_texts(project, texts, model=bow)
    assert store.cached_count(project, bow._thematic_fingerprint) == len(texts)


def test_unit_vectors_follow_the_units(demo_project, bow):
    from thematic.store.corpus import list_units

    units = list_units(demo_project)[:5]
    reversed_vectors = embed.unit_vectors(demo_project, units[::-1], model=bow)
    vectors = embed.unit_vectors(demo_project, units, model=bow)
    np.testing.assert_array_equal(vectors[::-1], reversed_vectors)


def test_cached_run_does_not_load_the_model(project, st_model):
    texts = ["Nothing to add.", "I'd worry about confidentiality."]
    first = embed.embed_texts(project, texts, model=st_model)

    class Unloadable(embed.ModelChoice):
        def load(self):
            raise AssertionError("the model was loaded although every text was cached")

    np.testing.assert_array_equal(embed.embed_texts(project, texts, model=Unloadable(backend="torch")), first)


# -- the real model -------------------------------------------------------------------------------------
@pytest.mark.slow
def test_default_model_embeds_similar_texts_close(project, st_model):
    vectors = embed.embed_texts(project, ["I would never use a chatbot therapist.",
                                          "I refuse to use AI for therapy.",
                                          "The weather was lovely in Spain."], model=st_model)
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_fingerprint_comes_from_the_files(st_model):
    assert embed.model_fingerprint(st_model) == embed.ModelChoice(backend="torch").fingerprint
    assert embed.model_fingerprint(st_model) == embed.ModelChoice().files_fingerprint
    assert embed.model_fingerprint(None) == embed.model_fingerprint(embed.DEFAULT_MODEL)
    assert re.fullmatch(r"st:[0-9a-f]{20}", embed.model_fingerprint(st_model))


def test_fingerprint_of_a_model_built_in_memory():
    torch = pytest.importorskip("torch")

    class Tiny(torch.nn.Module):
        def __init__(self, value: float):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.full((3,), value))

    assert embed.model_fingerprint(Tiny(1.0)) == embed.model_fingerprint(Tiny(1.0))
    assert embed.model_fingerprint(Tiny(1.0)) != embed.model_fingerprint(Tiny(2.0))


def test_a_copied_model_folder_shares_the_cache(tmp_path, st_model):
    import shutil

    _, folder = embed.resolve_model_dir(None)
    copy = tmp_path / "my-model"
    shutil.copytree(folder, copy)
    (copy / "README.md").write_text("my notes", encoding="utf-8")
    assert embed.ModelChoice(str(copy), backend="torch").fingerprint == embed.model_fingerprint(st_model)
    assert embed.ModelChoice(str(copy)).fingerprint == embed.ModelChoice().fingerprint
    assert embed.ModelChoice(str(copy)).name == "my-model"


def test_default_model_aliases():
    name, folder = embed.resolve_model_dir("sentence-transformers/all-MiniLM-L6-v2")
    assert name == embed.DEFAULT_MODEL and (folder / "modules.json").is_file()


# -- model choice errors --------------------------------------------------------------------------------
def test_unknown_model_is_a_clear_error():
    with pytest.raises(ThematicError, match=re.escape(
        "model 'no-such-model' is not installed and is not a folder (thematic never downloads models: pass "
        "--model with the folder of a sentence-transformers model, or leave out --model for all-MiniLM-L6-v2)"
    )):
        embed.load_model("no-such-model")


def test_a_folder_without_a_model(tmp_path):
    with pytest.raises(ThematicError, match=re.escape(
        f"{tmp_path} is not a sentence-transformers model folder (it has no modules.json or config.json; "
        "pass --model with the folder that holds the model files)"
    )):
        embed.ModelChoice(str(tmp_path))


def test_a_file_is_not_a_model(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"\0")
    with pytest.raises(ThematicError, match="is not a sentence-transformers model folder"):
        embed.resolve_model_dir(str(path))


def test_bad_batch_size(project, bow):
    with pytest.raises(ThematicError, match=re.escape("--batch-size must be at least 1, not 0")):
        embed.embed_texts(project, ["x"], model=bow, batch_size=0)


# -- devices --------------------------------------------------------------------------------------------
def test_device_choice():
    import torch

    assert embed.choose_device("cpu") == "cpu"
    assert embed.choose_device(None) == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ThematicError,
                       match=re.escape("--device must be cpu, cuda, cuda:N or mps, not 'tpu'")):
        embed.choose_device("tpu")


def test_cuda_asked_for_without_a_gpu():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ThematicError, match=re.escape(
            "--device cuda: no CUDA device is available here (leave out --device, or pass cpu)")):
        embed.choose_device("cuda")


# -- the command ------------------------------------------------------------------------------------------
def test_embed_command_then_cached(cli, tmp_path):
    assert cli("init").exit_code == 0
    assert cli("import", DEMO_CSV, "--id", "respondent_id", "--text", "answer").exit_code == 0
    result = cli("embed", "--json")
    assert result.exit_code == 0, result.stderr
    import json

    first = json.loads(result.stdout)
    assert (first["units"], first["embedded"], first["cached"]) == (112, 112, 0)
    result = cli("embed")
    assert result.exit_code == 0
    assert result.stdout.startswith("112 units (112 distinct texts): 0 embedded, 112 already cached; "
                                    "model all-MiniLM-L6-v2 (st:")


def test_embed_command_errors(cli, tmp_path: Path):
    assert cli("init").exit_code == 0
    result = cli("embed")
    assert (result.exit_code, result.stderr) == (
        2, "error: the project has no units to embed (import responses first: thematic import FILE --text "
           "COLUMN)\n")
    result = cli("embed", "--model", "no-such-model")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: model 'no-such-model' is not installed and is not a folder")
    result = cli("embed", "--device", "tpu")
    assert (result.exit_code, result.stderr) == (
        2, "error: --device must be cpu, cuda, cuda:N or mps, not 'tpu'\n")
