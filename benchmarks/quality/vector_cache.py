"""Sentence vectors for the quality benchmarks, cached on disk so a rerun embeds nothing.

The cache is one ``.npz`` per model fingerprint under ``benchmarks/quality/.cache/`` (gitignored;
``VECTOR_CACHE=FOLDER`` names another): the sha256 of each text and its L2-normalised float32 vector.
Texts missing from it are embedded with thematic's own model loader (:func:`thematic.ml.embed.load_model`,
CPU unless a GPU is there) and appended. ``VECTOR_MODEL=NAME_OR_FOLDER`` embeds with another model (what
``thematic suggest --model`` accepts; its own ``.npz``), for measuring a model against the default.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# VECTOR_CACHE=FOLDER: another folder (e.g. a copy of the shared cache, so that a run adds to the copy)
CACHE = Path(os.environ.get("VECTOR_CACHE") or Path(__file__).resolve().parent / ".cache")


def vectors_for(texts: list[str], *, model_name: str | None = None, batch_size: int = 64) -> np.ndarray:
    """(len(texts), d) float32 vectors of ``texts``, from the cache where there."""
    model_name = model_name or os.environ.get("VECTOR_MODEL") or None
    from thematic.ml.embed import folder_fingerprint, load_model, resolve_model_dir, text_sha256

    _, folder = resolve_model_dir(model_name)
    fingerprint = folder_fingerprint(folder)
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"vectors-{fingerprint.split(':')[-1][:16]}.npz"
    known: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path, allow_pickle=False) as stored:
            known = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))
    keys = [text_sha256(t) for t in texts]
    missing = sorted({t for t, k in zip(texts, keys, strict=True) if k not in known})
    if missing:
        model = load_model(model_name)
        new = np.asarray(model.encode(missing, batch_size=batch_size, normalize_embeddings=True,
                                      show_progress_bar=False), dtype=np.float32)
        known.update(zip((text_sha256(t) for t in missing), new, strict=True))
        partial = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")  # then renamed: readers never see half
        np.savez(partial, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
        os.replace(partial, path)
    return np.stack([known[k] for k in keys]) if texts else np.zeros((0, 384), dtype=np.float32)
