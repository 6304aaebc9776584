"""Sentence embeddings through ONNX Runtime: the same vectors as sentence-transformers, without torch.

A sentence-transformers model made of a Transformer, mean pooling and (optionally) normalisation is
exported once to ONNX from its own weights (offline, with torch: :func:`export`), and from then on runs
on ONNX Runtime with the model's own ``tokenizer.json`` (the ``tokenizers`` library) and numpy: no
``import torch``, a start in a fraction of a second, and about twice the speed of PyTorch on a CPU
(docs/performance.md).

Three things keep the vectors those of sentence-transformers (cosine >= 0.9999, checked when the export is
made and in tests/ml/test_embed.py):

- texts are cut at the model's ``max_seq_length`` (256 tokens for all-MiniLM-L6-v2, from
  ``sentence_bert_config.json``), not at the 128 tokens to which the packaged ``tokenizer.json`` truncates
  and pads every text;
- the graph ends with the same mean pooling over the attention mask; the caller normalises;
- every export is compared with ``SentenceTransformer.encode`` on probe texts (padding, truncation, an
  empty text) before it is kept.

Texts are encoded in batches of similar token length (sorted, so padding costs almost nothing) of at most
``batch_size`` texts and :data:`TOKENS_PER_CALL` tokens, on as many threads as the process may use.

Where the export lives: ``$THEMATIC_CACHE_DIR``, else ``$XDG_CACHE_HOME/thematic``, else
``~/.cache/thematic``, in ``onnx/<fingerprint>-<recipe>.onnx``. The name carries the fingerprint of the
model's files, so a changed model is exported again, and the recipe, so a change here is too. It is
written to a temporary file in the same folder and renamed into place, so processes exporting at the same
time never read half a file.

ONNX Runtime's telemetry, which would keep a device id and an event queue under
``~/.cache/Microsoft/DeveloperTools/.onnxruntime``, is switched off (``ORT_DISABLE_TELEMETRY=1``) before
``onnxruntime`` is imported, unless the environment already sets that variable.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

RECIPE = "fp32-v1"
BACKEND = "onnx"
PRECISION = "fp32"
OPSET = 17
# Tokens (texts x padded length) per ONNX Runtime call at most: a batch of long texts is split into
# smaller calls. On the 2-core development machine, batches of 24-token texts ran at about 210 texts/s in
# calls of 16 or 32 texts, 150 in calls of 64 and 138 in calls of 128 (activations that fit the cache).
TOKENS_PER_CALL = 1024
# Cosine to SentenceTransformer.encode that an export must reach on every probe text to be kept.
MIN_COSINE = 0.9999
PROBES = [
    "I would never use a chatbot therapist.",
    "It could help with waiting lists, but a machine cannot read body language or notice risk.",
    "",
    "ok",
    " ".join(["Long answers are cut at the model's limit, as sentence-transformers cuts them."] * 30),
]


class OnnxUnavailable(Exception):
    """The ONNX Runtime backend cannot serve this model here; the message says why (and what to do)."""


def cache_dir() -> Path:
    """thematic's per-user cache folder (the ONNX exports live in its ``onnx/`` subfolder)."""
    if os.environ.get("THEMATIC_CACHE_DIR"):
        return Path(os.environ["THEMATIC_CACHE_DIR"]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "thematic"
    return Path.home() / ".cache" / "thematic"


def export_path(fingerprint: str) -> Path:
    """Where the export of the model with this fingerprint is kept.

    >>> export_path("st:0123456789abcdef0123").name
    'st-0123456789abcdef0123-fp32-v1.onnx'
    """
    return cache_dir() / "onnx" / f"{fingerprint.replace(':', '-')}-{RECIPE}.onnx"


def available_threads() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells, else every core)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - macOS and Windows have no sched_getaffinity
        return max(1, os.cpu_count() or 1)


# -- which models can go through ONNX ----------------------------------------------------------------------
def _read_json(path: Path) -> dict | list | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def unsupported_reason(folder: Path) -> str | None:
    """None when the model in ``folder`` can run through ONNX Runtime, else why not (for a message).

    It can when its modules are a Transformer, mean pooling and at most a Normalize, and it has a
    ``tokenizer.json``. Decided from the folder's files, without importing anything.
    """
    modules = _read_json(folder / "modules.json")
    if not isinstance(modules, list) or not modules:
        return "it has no modules.json listing a Transformer and a Pooling module"
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules if isinstance(m, dict)]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        return f"its modules are {' + '.join(kinds) or 'unknown'}, not Transformer + Pooling (+ Normalize)"
    if modules[0].get("path", "") not in ("", "."):
        return "its Transformer is not stored at the top of the model folder"
    pooling = _read_json(folder / modules[1].get("path", "1_Pooling") / "config.json")
    if not isinstance(pooling, dict):
        return "its pooling configuration is missing"
    modes = sorted(k for k, v in pooling.items() if k.startswith("pooling_mode_") and v is True)
    if modes != ["pooling_mode_mean_tokens"]:
        return f"it pools with {', '.join(modes) or 'no mode'}, and only mean pooling is exported"
    if not (folder / "tokenizer.json").is_file():
        return "it has no tokenizer.json (a fast tokenizer file)"
    return None


def max_seq_length(folder: Path) -> int:
    """Tokens per text, as sentence-transformers counts them: ``max_seq_length`` of
    ``sentence_bert_config.json``, capped by the model's position embeddings (512 when neither says)."""
    config = _read_json(folder / "config.json") or {}
    positions = config.get("max_position_embeddings") if isinstance(config, dict) else None
    st_config = _read_json(folder / "sentence_bert_config.json") or {}
    length = st_config.get("max_seq_length") if isinstance(st_config, dict) else None
    length = int(length or positions or 512)
    return min(length, int(positions)) if positions else length


def lower_case(folder: Path) -> bool:
    st_config = _read_json(folder / "sentence_bert_config.json") or {}
    return bool(isinstance(st_config, dict) and st_config.get("do_lower_case"))


def load_tokenizer(folder: Path):
    """The model's fast tokenizer, truncating at :func:`max_seq_length` and not padding (the packaged
    ``tokenizer.json`` truncates and pads every text to 128 tokens: both overridden); returns
    (tokenizer, pad id, pad type id)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    padding = tokenizer.padding or {}
    pad_id = padding.get("pad_id")
    if pad_id is None:
        pad_id = tokenizer.token_to_id(padding.get("pad_token") or "[PAD]") or 0
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_seq_length(folder))
    return tokenizer, int(pad_id), int(padding.get("pad_type_id", 0))


# -- running an export ---------------------------------------------------------------------------------------
def import_onnxruntime():
    """``onnxruntime``, imported with its telemetry off (no files under ~/.cache/Microsoft)."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    try:
        import onnxruntime
    except ImportError as exc:
        raise OnnxUnavailable(f"onnxruntime is not installed ({exc})") from exc
    return onnxruntime


def open_session(path: Path, threads: int | None = None):
    ort = import_onnxruntime()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or available_threads()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Threads that wait for work sleep rather than spin: on a machine shared with other work, spinning
    # threads steal the cores the model needs (on the shared 2-core development machine, one check:
    # 8.0 s against 8.8 s for the demo corpus's answers).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxEncoder:
    """An exported model on ONNX Runtime, encoding like ``SentenceTransformer.encode`` (mean pooled; the
    vectors are normalised when ``normalize_embeddings`` is true)."""

    backend = BACKEND
    precision = PRECISION
    device = "cpu"

    def __init__(self, folder: Path, path: Path, *, threads: int | None = None):
        self.folder = Path(folder)
        self.path = Path(path)
        self.session = open_session(self.path, threads)
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.tokenizer, self.pad_id, self.pad_type_id = load_tokenizer(self.folder)
        self.lower_case = lower_case(self.folder)
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)

    def _run(self, encodings) -> np.ndarray:
        """Mean-pooled vectors of one batch of (unpadded) encodings, padded here to the longest."""
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        types = np.full((len(encodings), width), self.pad_type_id, dtype=np.int64)
        for row, encoding in enumerate(encodings):
            n = len(encoding.ids)
            ids[row, :n] = encoding.ids
            mask[row, :n] = 1
            types[row, :n] = encoding.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        return self.session.run(None, {name: feeds[name] for name in self.inputs})[0]

    def encode(self, texts: Sequence[str], batch_size: int = 64, *, normalize_embeddings: bool = False,
               **_ignored) -> np.ndarray:
        """Vectors of ``texts`` in order, float32; batches of at most ``batch_size`` texts of similar length
        and at most :data:`TOKENS_PER_CALL` tokens (a long text is always embedded, alone if need be)."""
        texts = [str(t).strip() for t in texts]
        if self.lower_case:
            texts = [t.lower() for t in texts]
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        out: np.ndarray | None = None
        start = 0
        while start < len(order):
            # Longest first, so the first text of a batch sets its width.
            width = len(encodings[order[start]].ids)
            rows = order[start: start + max(1, min(batch_size, TOKENS_PER_CALL // width))]
            start += len(rows)
            vectors = self._run([encodings[i] for i in rows])
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        assert out is not None
        if normalize_embeddings:
            out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


# -- making an export ---------------------------------------------------------------------------------------
def export(folder: Path, fingerprint: str, *, note: Callable[[str], None] | None = None) -> Path:
    """Export the model in ``folder`` to ONNX (float32) into :func:`export_path`, check it against
    ``SentenceTransformer.encode`` and return its path. Needs torch and the ``onnx`` package; reads only
    the model's own files. Raises :class:`OnnxUnavailable` when it cannot be done."""
    reason = unsupported_reason(folder)
    if reason:
        raise OnnxUnavailable(f"the model cannot be exported to ONNX: {reason}")
    import importlib.util

    for package in ("onnx", "torch", "sentence_transformers"):
        if importlib.util.find_spec(package) is None:
            raise OnnxUnavailable(f"exporting the model to ONNX needs the '{package}' package, which is "
                                  "not installed")
    import_onnxruntime()
    target = export_path(fingerprint)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp_name = tempfile.mkstemp(prefix=target.stem + ".", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OnnxUnavailable(f"cannot write the ONNX export under {target.parent} ({exc.strerror or exc}; "
                              "set THEMATIC_CACHE_DIR to a writable folder)") from exc
    os.close(handle)
    tmp = Path(tmp_name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; the export holds nothing secret
    started = time.perf_counter()
    if note:
        note(f"preparing the model for ONNX Runtime (once per model, about 10-30 s: {target})")
    try:
        reference = _export_to(folder, fingerprint, tmp)
        encoder = OnnxEncoder(folder, tmp)
        got = encoder.encode(PROBES, batch_size=len(PROBES), normalize_embeddings=True)
        cosines = (got * reference).sum(axis=1)
        if not np.all(cosines >= MIN_COSINE):
            raise OnnxUnavailable(f"the ONNX export does not match PyTorch (cosine {cosines.min():.6f} on a "
                                  f"probe text, below {MIN_COSINE})")
        del encoder
        os.replace(tmp, target)
    except OnnxUnavailable:
        raise
    except Exception as exc:
        raise OnnxUnavailable(f"exporting the model to ONNX failed: {type(exc).__name__}: {exc}") from exc
    finally:
        if tmp.exists():
            tmp.unlink()
    if note:
        note(f"ONNX export ready in {time.perf_counter() - started:.0f} s")
    return target


def _export_to(folder: Path, fingerprint: str, path: Path) -> np.ndarray:
    """Write the ONNX graph of the model to ``path``; return the reference vectors of :data:`PROBES`."""
    import inspect
    import warnings

    import torch

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    from thematic.ml.embed import _quiet_transformers

    _quiet_transformers()
    # Eager attention traces into plain MatMul/Softmax, which ONNX Runtime fuses into its own Attention.
    st = SentenceTransformer(str(folder), device="cpu", local_files_only=True,
                             model_kwargs={"attn_implementation": "eager"})
    st.float().eval()
    reference = st.encode(PROBES, batch_size=len(PROBES), convert_to_numpy=True, normalize_embeddings=True,
                          show_progress_bar=False)
    transformer = st[0].auto_model
    names = ["input_ids", "attention_mask"]
    if "token_type_ids" in inspect.signature(transformer.forward).parameters:
        names.append("token_type_ids")

    class MeanPooled(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
            if token_type_ids is not None:
                kwargs["token_type_ids"] = token_type_ids
            hidden = self.model(**kwargs).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / torch.clamp(mask.sum(1), min=1e-9)

    # A batch with padding, so that nothing about the mask is traced as a constant.
    ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102], [101, 2023, 102, 0, 0, 0]], dtype=torch.long)
    example = [ids, (ids > 0).long()] + ([torch.zeros_like(ids)] if len(names) == 3 else [])
    axes = {name: {0: "batch", 1: "tokens"} for name in names}
    axes["sentence_embedding"] = {0: "batch"}
    raw = path.with_suffix(".raw")
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(MeanPooled(transformer).eval(), tuple(example), str(raw), input_names=names,
                              output_names=["sentence_embedding"], dynamic_axes=axes, opset_version=OPSET,
                              dynamo=False)
        model = _fuse(raw, transformer.config)
        import onnx

        if model is None:
            model = onnx.load(str(raw))
        meta = {"thematic_fingerprint": fingerprint, "thematic_recipe": RECIPE,
                "max_seq_length": str(max_seq_length(folder)), "torch": torch.__version__,
                "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        for key, value in meta.items():
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.save(model, str(path))
    finally:
        if raw.exists():
            raw.unlink()
    return np.asarray(reference, dtype=np.float32)


def _fuse(raw: Path, config):
    """The graph with BERT's attention, layer norms and GELU fused into ONNX Runtime's own operators
    (about 15% faster on a CPU), or None where the fusion tool does not know the architecture."""
    if getattr(config, "model_type", None) != "bert":
        return None
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        optimized = optimize_model(str(raw), model_type="bert", num_heads=config.num_attention_heads,
                                   hidden_size=config.hidden_size, opt_level=1)
        return optimized.model
    except Exception:  # the unfused graph gives the same vectors; the check after the export decides
        return None
