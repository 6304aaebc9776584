"""Fixtures for the machine-coding tests: the real model (loaded once per session), a fast stand-in model,
and small projects with a codebook in use."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import DEMO_CODEBOOK, DEMO_CSV

BOW_DIM = 64


class BagOfWords:
    """A deterministic stand-in for a sentence model: hashed lower-cased words, L2-normalised.

    Counts what it is asked to encode, so tests can see that a cached run encodes nothing.
    """

    device = "cpu"
    _thematic_fingerprint = "test:bag-of-words"
    _thematic_name = "bag-of-words"

    def __init__(self):
        self.encoded: list[str] = []

    def encode(self, texts, batch_size=64, **kwargs):
        self.encoded.extend(texts)
        out = np.zeros((len(texts), BOW_DIM), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, zlib.crc32(word.encode()) % BOW_DIM] += 1.0
            out[i, BOW_DIM - 1] += 0.01
        return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture
def bow():
    return BagOfWords()


@pytest.fixture(scope="session")
def st_model():
    """The default model (all-MiniLM-L6-v2), loaded once for the whole test session."""
    from thematic.ml.embed import load_model

    return load_model(device="cpu")


def write_csv(path: Path, answers: list[str]) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["respondent_id", "answer"])
        for i, answer in enumerate(answers, start=1):
            writer.writerow([f"R{i:03d}", answer])
    return path


def write_codebook(path: Path, themes: list[dict], name: str = "test") -> Path:
    import yaml

    path.write_text(yaml.safe_dump({"codebook": name, "themes": themes}, sort_keys=False), encoding="utf-8")
    return path


ONE_THEME = [{"id": "risk", "name": "Therapeutic risk",
              "definition": "A machine could not notice risk, empathy or non-verbal cues.",
              "examples": ["It would miss the signs of suicide risk."], "keywords": ["risk", "empathy"]}]


# Vectors made by the real model in earlier tests, shared with later ones (the cache is per project file,
# and embedding the demo corpus again in every test would cost seconds each time).
_SESSION_VECTORS: dict[tuple[str, str], bytes] = {}


def prefill(project) -> None:
    """Copy the session's vectors into a project's cache."""
    with project.transaction():
        project.conn.executemany(
            "INSERT INTO embeddings (model, text_sha256, dim, vector) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (model, text_sha256) DO NOTHING",
            [(model, sha, len(blob) // 4, blob) for (model, sha), blob in _SESSION_VECTORS.items()])


def harvest(path: Path) -> None:
    """Keep the real model's vectors of a project file for later tests."""
    import sqlite3

    if not path.exists():
        return
    conn = sqlite3.connect(path)
    try:
        for model, sha, blob in conn.execute("SELECT model, text_sha256, vector FROM embeddings"):
            if model.startswith("st:"):
                _SESSION_VECTORS[(model, sha)] = blob
    except sqlite3.DatabaseError:
        pass
    finally:
        conn.close()


@pytest.fixture
def make_project(tmp_path):
    """make_project(answers, codebook=DEMO_CODEBOOK) -> an open project with those answers imported and
    the codebook in use (answers=None: the demo corpus)."""
    from thematic.codebook.load import load_codebook
    from thematic.ingest.importer import ImportOptions, import_file
    from thematic.store.codebooks import use_codebook
    from thematic.store.project import create_project

    opened = []

    def make(answers: list[str] | None = None, codebook: Path | list[dict] | None = None, name: str = "p",
             cached: bool = True):
        project, _ = create_project(tmp_path / f"{name}.db")
        opened.append(project)
        if cached:
            prefill(project)
        if answers is None:
            source = DEMO_CSV
            options = ImportOptions(id_column="respondent_id", text_columns=["answer"])
        else:
            source = write_csv(tmp_path / f"{name}.csv", answers)
            options = ImportOptions(id_column="respondent_id", text_columns=["answer"])
        if answers is None or answers:
            import_file(project, source, options)
        if isinstance(codebook, list):
            codebook = write_codebook(tmp_path / f"{name}-codebook.yaml", codebook)
        use_codebook(project, load_codebook(codebook or DEMO_CODEBOOK))
        return project

    yield make
    for project in opened:
        project.close()
        harvest(project.path)


@pytest.fixture
def demo_cli(cli, tmp_path):
    """The `cli` runner on a project holding the demo corpus, with the demo codebook in use."""
    from thematic.store.project import create_project

    project, _ = create_project(tmp_path / "thematic.db")
    prefill(project)
    project.close()
    assert cli("import", DEMO_CSV, "--id", "respondent_id", "--text", "answer").exit_code == 0
    assert cli("codebook", "use", DEMO_CODEBOOK).exit_code == 0
    yield cli
    harvest(tmp_path / "thematic.db")
