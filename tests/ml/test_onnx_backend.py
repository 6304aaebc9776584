"""The ONNX Runtime backend: the same vectors as PyTorch, its own cache key, a clear fallback, no torch and
no network at run time."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import DEMO_CSV, REPO
from thematic.cli.output import route_core_messages
from thematic.errors import ThematicError
from thematic.ml import embed
from thematic.store import ml as store

TEXTS = [
    "I would never use a chatbot therapist.",
    "It could help with waiting lists.",
    "",
    "A machine cannot read body language, notice risk or show real empathy, and I would worry about "
    "where my data goes.",
    "ok",
]
# 176 tokens: sentence-transformers reads all of it (max_seq_length 256), while the packaged
# tokenizer.json alone would stop at 128 tokens, before the second topic.
LONG = "The weather in Spain was lovely all week. " * 14 + "Chatbots should never replace therapists. " * 6

SKIP_EXPORT = "the export took place earlier in the session"


@pytest.fixture(scope="session")
def onnx_model(thematic_cache_dir):
    """The default model on ONNX Runtime, exported once into the session's cache folder."""
    return embed.ModelChoice(backend="onnx").load()


@pytest.fixture
def fresh_state(monkeypatch):
    """No encoder loaded, no failure or warning remembered from earlier tests of this process."""
    monkeypatch.setattr(embed, "_LOADED", {k: v for k, v in embed._LOADED.items() if k[1] != "onnx"})
    monkeypatch.setattr(embed, "_ONNX_FAILED", {})
    monkeypatch.setattr(embed, "_WARNED", set())
    route_core_messages()  # the core's warnings reach stderr as the CLI prints them


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


# -- the vectors -----------------------------------------------------------------------------------------
def test_onnx_vectors_match_pytorch(onnx_model, st_model):
    texts = TEXTS + [LONG]
    got = onnx_model.encode(texts, batch_size=4, normalize_embeddings=True)
    want = st_model.encode(texts, batch_size=4, normalize_embeddings=True)
    assert got.shape == (6, 384) and got.dtype == np.float32
    assert cosines(got, want).min() >= 0.9999
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, rtol=1e-6)


def test_long_texts_are_cut_at_256_tokens_as_sentence_transformers_cuts_them(onnx_model, st_model):
    assert st_model.max_seq_length == 256
    assert len(onnx_model.tokenizer.encode("word " * 400).ids) == 256
    assert len(onnx_model.tokenizer.encode(LONG).ids) == 176
    # The same text cut at 128 tokens (what the packaged tokenizer.json does) is a different vector.
    cut = onnx_model.tokenizer.decode(onnx_model.tokenizer.encode(LONG).ids[1:127])
    full, short = onnx_model.encode([LONG, cut], normalize_embeddings=True)
    assert full @ short < 0.95


def test_order_and_batching_do_not_change_vectors(onnx_model):
    one_batch = onnx_model.encode(TEXTS, batch_size=64, normalize_embeddings=True)
    singly = np.vstack([onnx_model.encode([t], normalize_embeddings=True) for t in TEXTS])
    assert cosines(one_batch, singly).min() >= 0.99999


def test_export_is_kept_once_with_its_fingerprint(onnx_model, thematic_cache_dir):
    choice = embed.ModelChoice(backend="onnx")
    files = sorted(p.name for p in (thematic_cache_dir / "onnx").iterdir())
    name = choice.files_fingerprint.replace(":", "-") + "-fp32-v1.onnx"
    assert files == [name], "a temporary file was left"
    assert onnx_model.metadata["thematic_fingerprint"] == choice.files_fingerprint
    assert onnx_model.metadata["max_seq_length"] == "256"


# -- which backend, and the cache key --------------------------------------------------------------------
def test_backend_choice():
    _, folder = embed.resolve_model_dir(None)
    assert embed.choose_backend("auto", "cpu", folder) == "onnx"
    assert embed.choose_backend(None, "cpu", folder) == "onnx"
    assert embed.choose_backend("torch", "cpu", folder) == "torch"
    assert embed.choose_backend("auto", "cuda", folder) == "torch"
    with pytest.raises(ThematicError, match=re.escape(
            "--backend onnx runs on the CPU only, not --device cuda "
            "(pass --device cpu, or --backend torch)")):
        embed.choose_backend("onnx", "cuda", folder)
    with pytest.raises(ThematicError, match=re.escape("--backend must be auto, torch or onnx, not 'tf'")):
        embed.choose_backend("tf", None, folder)


def test_a_model_without_mean_pooling_stays_on_pytorch(tmp_path):
    import shutil

    _, folder = embed.resolve_model_dir(None)
    copy = tmp_path / "cls-model"
    shutil.copytree(folder, copy)
    config = json.loads((copy / "1_Pooling" / "config.json").read_text())
    config.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    (copy / "1_Pooling" / "config.json").write_text(json.dumps(config))
    assert embed.ModelChoice(str(copy)).backend == "torch"
    with pytest.raises(ThematicError, match=re.escape(
            f"--backend onnx: the model in {copy} cannot run through ONNX Runtime: it pools with "
            "pooling_mode_cls_token, and only mean pooling is exported (pass --backend torch)")):
        embed.ModelChoice(str(copy), backend="onnx")


def test_cache_keys_differ_by_backend(project, onnx_model, st_model):
    by_onnx, by_torch = embed.ModelChoice(backend="onnx"), embed.ModelChoice(backend="torch")
    assert by_torch.fingerprint == embed.model_fingerprint(st_model)
    assert by_onnx.fingerprint == by_torch.fingerprint + "/onnx-fp32"
    a = embed.embed_texts(project, TEXTS, model=by_onnx)
    stats = embed.EmbedStats()
    b = embed.embed_texts(project, TEXTS, model=by_torch, stats=stats)
    assert stats.embedded == len(TEXTS), "PyTorch read vectors that ONNX Runtime made"
    assert store.cached_count(project, by_onnx.fingerprint) == store.cached_count(
        project, by_torch.fingerprint) == len(TEXTS)
    assert cosines(a, b).min() >= 0.9999


def test_embed_command_says_which_backend(cli, onnx_model):
    assert cli("init").exit_code == 0
    assert cli("import", DEMO_CSV, "--id", "respondent_id", "--text", "answer").exit_code == 0
    result = cli("embed", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["backend"], summary["device"], summary["embedded"]) == ("onnx", "cpu", 112)
    assert summary["fingerprint"].endswith("/onnx-fp32")
    result = cli("embed", "--backend", "torch")
    assert result.exit_code == 0, result.stderr
    assert re.fullmatch(r"112 units \(112 distinct texts\): 112 embedded, 0 already cached; model "
                        r"all-MiniLM-L6-v2 \(st:[0-9a-f]{20}\) on cpu \(PyTorch\), [0-9.]+ s\n",
                        result.stdout)
    bad = cli("embed", "--backend", "tf")
    assert (bad.exit_code, bad.stderr) == (2, "error: --backend must be auto, torch or onnx, not 'tf'\n")


# -- falling back to PyTorch -----------------------------------------------------------------------------
def test_without_onnxruntime_pytorch_embeds_after_one_warning(monkeypatch, capsys, project, st_model,
                                                              fresh_state):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if it were not installed
    capsys.readouterr()
    choice = embed.ModelChoice()
    embed.ModelChoice()
    assert choice.backend == "torch" and choice.fingerprint == embed.model_fingerprint(st_model)
    assert capsys.readouterr().err == (
        "warning: onnxruntime is not installed: embedding through PyTorch instead (slower; pip install "
        "onnxruntime, or pass --backend torch to silence this)\n")
    embed.embed_texts(project, TEXTS[:2], model=choice)
    assert store.cached_count(project, embed.model_fingerprint(st_model)) == 2
    with pytest.raises(ThematicError, match=re.escape(
            "--backend onnx: onnxruntime is not installed "
            "(pip install onnxruntime, or pass --backend torch)")):
        embed.ModelChoice(backend="onnx")


def test_a_failed_export_falls_back_to_pytorch(monkeypatch, capsys, tmp_path, project, st_model,
                                              fresh_state):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("THEMATIC_CACHE_DIR", str(blocker))
    choice = embed.ModelChoice()
    assert choice.backend == "onnx"
    capsys.readouterr()
    stats = embed.EmbedStats()
    vectors = embed.embed_texts(project, TEXTS[:2], model=choice, stats=stats)
    err = capsys.readouterr().err
    assert err == (f"warning: cannot write the ONNX export under {blocker}/onnx (Not a directory; set "
                   "THEMATIC_CACHE_DIR to a writable folder); embedding through PyTorch instead (pass "
                   "--backend torch to skip the export)\n")
    assert (choice.backend, stats.backend, choice.fingerprint) == (
        "torch", "torch", embed.model_fingerprint(st_model))
    assert store.cached_count(project, choice.fingerprint) == 2
    np.testing.assert_allclose(vectors, st_model.encode(TEXTS[:2], normalize_embeddings=True), atol=1e-6)
    # The rest of the process stays on PyTorch without trying again.
    assert embed.ModelChoice().backend == "torch" and capsys.readouterr().err == ""


def test_export_without_the_onnx_package(monkeypatch, tmp_path, fresh_state):
    monkeypatch.setitem(sys.modules, "onnx", None)
    monkeypatch.setenv("THEMATIC_CACHE_DIR", str(tmp_path))
    with pytest.raises(ThematicError, match=re.escape(
            "--backend onnx: exporting the model to ONNX needs the 'onnx' package, which is not installed "
            "(pass --backend torch)")):
        embed.ModelChoice(backend="onnx").load()
    assert not (tmp_path / "onnx").exists() or not any((tmp_path / "onnx").iterdir())


# -- light and offline -----------------------------------------------------------------------------------
CHILD = """
import json, socket, sys

def no_network(*args, **kwargs):
    raise OSError("network use during an offline test")

socket.socket.connect = no_network
socket.create_connection = no_network
from thematic.cli.app import main
code = main(sys.argv[1:])
heavy = [m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules]
print(json.dumps({"code": code, "heavy": heavy}), file=sys.stderr)
"""


def run_child(args, cwd, cache):
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env.update(THEMATIC_CACHE_DIR=str(cache), PYTHONPATH=str(REPO), HOME=str(cwd))
    done = subprocess.run([sys.executable, "-c", CHILD, *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=env)
    return json.loads(done.stderr.strip().splitlines()[-1]), done


def test_onnx_embedding_imports_no_torch_and_writes_nothing_in_home(tmp_path, onnx_model, thematic_cache_dir):
    for args in (["init"], ["import", DEMO_CSV, "--id", "respondent_id", "--text", "answer"]):
        assert run_child(["--project", "p.db", *args], tmp_path, thematic_cache_dir)[0]["code"] == 0
    outcome, done = run_child(["--project", "p.db", "embed"], tmp_path, thematic_cache_dir)
    assert outcome == {"code": 0, "heavy": []}, done.stderr
    assert "(ONNX Runtime)" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.db"], "something was written in HOME"


@pytest.mark.slow
def test_the_export_is_made_offline(tmp_path):
    cache = tmp_path / "cache"
    for args in (["init"], ["import", DEMO_CSV, "--id", "respondent_id", "--text", "answer"]):
        assert run_child(["--project", "p.db", *args], tmp_path, cache)[0]["code"] == 0
    outcome, done = run_child(["--project", "p.db", "embed", "--backend", "onnx"], tmp_path, cache)
    assert outcome["code"] == 0, done.stderr
    assert "preparing the model for ONNX Runtime" in done.stderr and "(ONNX Runtime)" in done.stdout
    assert len(list((cache / "onnx").glob("*.onnx"))) == 1
