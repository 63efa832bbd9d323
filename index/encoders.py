"""Which encoder makes the vectors: the indexer's (NEWSDESK_EMBED_BACKEND) and the query
encoder, which follows the backend stored with the live index."""

from __future__ import annotations

import sqlite3
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from index.embedding import TextEncoder, shared_embedder
from index.errors import IndexDamagedError, StoreError
from index.health import open_live_store, stored_backend
from index.layout import read_pointer
from index.onnx_encoder import OnnxEncoder
from index.onnx_model import ensure_model, onnx_path
from index.settings import IndexSettings

if TYPE_CHECKING:
    import numpy as np

# A lone query is encoded quicker with two threads than with one (what indexing uses).
QUERY_THREADS = 2


@lru_cache(maxsize=4)
def shared_onnx_encoder(cache_dir: Path, variant: str, threads: int = 1) -> OnnxEncoder:
    """One ONNX encoder per process, model variant and threads per run (a session loads once):
    indexing runs one-threaded texts side by side, a query runs alone on QUERY_THREADS."""
    return OnnxEncoder(cache_dir, variant, threads=threads)


def index_encoder(settings: IndexSettings) -> TextEncoder:
    """The encoder an indexing run embeds chunks with: NEWSDESK_EMBED_BACKEND's."""
    if settings.embed_backend == "torch":
        return shared_embedder(settings.embed_batch_size)
    return shared_onnx_encoder(settings.model_cache_dir, settings.embed_backend)


def query_variant(backend: str) -> str:
    """The ONNX copy that embeds queries for an index of a backend: torch and fp32 ONNX
    vectors are the same (cosine 1.0), so both query with fp32; an int8 index with int8."""
    return "int8" if backend == "int8" else "onnx"


def prepare_query_model(settings: IndexSettings) -> Path:
    """Make the ONNX copy queries of an index of this backend embed with (once per machine)."""
    return ensure_model(settings.model_cache_dir, query_variant(settings.embed_backend))


def live_backend(settings: IndexSettings) -> tuple[str | None, str]:
    """The live build's id and the backend its vectors were made with (torch where no
    index is built yet or its store cannot be read: the reader reports the damage)."""
    try:
        pointer = read_pointer(settings.index_dir)
    except IndexDamagedError:
        return None, "torch"
    if pointer is None:
        return None, "torch"
    try:
        db = open_live_store(settings.index_dir, pointer, pragma=None)
    except StoreError:
        return pointer.build, "torch"
    try:
        return pointer.build, stored_backend(db.meta())
    except sqlite3.Error:
        return pointer.build, "torch"
    finally:
        db.close()


class LiveIndexEncoder:
    """Embeds queries with the encoder of the live build's vectors, looked up again when a
    new build goes live (a rebuild may change the backend under a running chat)."""

    def __init__(self, settings: IndexSettings) -> None:
        self.settings = settings
        self.batch_size = settings.embed_batch_size
        self._build: str | None = None
        self._encoder: TextEncoder | None = None
        self._lock = threading.Lock()

    @property
    def encoder(self) -> TextEncoder:
        """The encoder of the live build (the pointer is read on each use: a small file)."""
        try:
            pointer = read_pointer(self.settings.index_dir)
        except IndexDamagedError:
            pointer = None
        build = pointer.build if pointer else None
        with self._lock:
            if self._encoder is None or build != self._build:
                self._build, backend = live_backend(self.settings)
                self._encoder = _query_model(self.settings, query_variant(backend))
            return self._encoder

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Unit vectors for texts, from the live build's encoder."""
        return self.encoder.embed(texts, progress)

    def embed_query(self, text: str) -> list[float]:
        """Embed one query with the live build's encoder."""
        return self.encoder.embed_query(text)


def _query_model(settings: IndexSettings, variant: str) -> TextEncoder:
    # fp32 queries fall back to the torch model (same vectors) where the indexer has not
    # exported the ONNX copy on this machine; an int8 index needs its own int8 copy, made
    # here when missing (quantized from the fp32 copy, which needs torch once).
    if variant == "onnx" and not onnx_path(settings.model_cache_dir).is_file():
        return shared_embedder(settings.embed_batch_size)
    return shared_onnx_encoder(settings.model_cache_dir, variant, QUERY_THREADS)


def query_encoder(settings: IndexSettings) -> TextEncoder:
    """The query encoder of the index in settings.index_dir: it follows the stored backend."""
    return LiveIndexEncoder(settings)
