"""Which encoder makes the vectors: resolve_backend decides it for every run (indexing,
repair, uploads, watch, status, queries) from NEWSDESK_EMBED_BACKEND and the backend stored
with the live index; the indexer's encoder and the query encoder follow its answer."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

from index.embedding import TextEncoder, shared_embedder
from index.errors import IndexDamagedError, StoreError
from index.health import open_live_store, stored_backend
from index.layout import Pointer, read_pointer
from index.onnx_encoder import OnnxEncoder
from index.onnx_model import ensure_model, int8_path, onnx_path
from index.settings import EmbedBackend, IndexSettings

if TYPE_CHECKING:
    import numpy as np

# A lone query is encoded quicker with two threads than with one (what indexing uses).
QUERY_THREADS = 2

# The encoder of a new index when NEWSDESK_EMBED_BACKEND is unset: on the real-news tier int8
# indexed at 2.80x the plain llama-index pipeline's articles/s against torch's 2.04x, ask()
# accuracy 0.595 against 0.585 (bench/RESULTS.md). An existing index keeps the one it was made
# with: switching would make its next update be refused.
DEFAULT_BACKEND: EmbedBackend = "int8"

# What a run does with the live index: add to it, replace it, or search it.
Purpose = Literal["update", "rebuild", "query"]


def resolve_backend(
    settings: IndexSettings, meta: Mapping[str, str] | None, purpose: Purpose = "update"
) -> EmbedBackend:
    """The encoder a run embeds with, from NEWSDESK_EMBED_BACKEND and the live build's meta
    (None: no index yet, or none that can be read); a set one that differs from the stored
    one is refused for an update."""
    setting = settings.embed_backend
    if meta is None:
        return setting or DEFAULT_BACKEND
    stored = cast(EmbedBackend, stored_backend(meta))
    # Queries must meet the vectors whatever the setting says. Unset, every run keeps the
    # index's encoder, a rebuild too: one run to repair a store or to apply a chunking
    # setting should not change the index's vectors (and answers) unasked. Only a brand new
    # index gets the default.
    if purpose == "query" or setting is None or setting == stored:
        return stored
    if purpose == "update":
        # One encoder per index, so chunks and queries are embedded alike (int8 vectors are
        # ~0.99 of fp32 ones); torch and onnx agree but are kept apart all the same, so the
        # stored backend always names what made the vectors.
        raise IndexDamagedError(
            f"the index was embedded with the {stored} encoder, and NEWSDESK_EMBED_BACKEND "
            f"asks for {setting}",
            f"unset NEWSDESK_EMBED_BACKEND (or set NEWSDESK_EMBED_BACKEND={stored}) to update "
            f"it with its own encoder, or run "
            f"`newsdesk index --rebuild PATH...` to embed it all again with {setting}",
        )
    return setting


@lru_cache(maxsize=4)
def shared_onnx_encoder(cache_dir: Path, variant: str, threads: int = 1) -> OnnxEncoder:
    """One ONNX encoder per process, model variant and threads per run (a session loads once):
    indexing runs one-threaded texts side by side, a query runs alone on QUERY_THREADS."""
    return OnnxEncoder(cache_dir, variant, threads=threads)


def index_encoder(settings: IndexSettings, backend: EmbedBackend) -> TextEncoder:
    """The encoder an indexing run embeds chunks with, for the backend it resolved."""
    if backend == "torch":
        return shared_embedder(settings.embed_batch_size)
    return shared_onnx_encoder(settings.model_cache_dir, backend)


def query_variant(backend: str) -> str:
    """The ONNX copy that embeds queries for an index of a backend: torch and fp32 ONNX
    vectors are the same (cosine 1.0), so both query with fp32; an int8 index with int8."""
    return "int8" if backend == "int8" else "onnx"


def prepare_query_model(settings: IndexSettings, backend: EmbedBackend) -> Path:
    """Make the ONNX copy queries of an index of this backend embed with (once per machine)."""
    return ensure_model(settings.model_cache_dir, query_variant(backend))


def build_meta(settings: IndexSettings, pointer: Pointer) -> dict[str, str] | None:
    """A build's meta, or None where its store cannot be read (the readers and checks that
    need it whole report that damage themselves)."""
    try:
        db = open_live_store(settings.index_dir, pointer, pragma=None)
    except StoreError:
        return None
    try:
        return db.meta()
    except sqlite3.Error:
        return None
    finally:
        db.close()


def live_backend(
    settings: IndexSettings, purpose: Purpose = "query"
) -> tuple[str | None, EmbedBackend]:
    """The live build's id and resolve_backend's encoder for it; no build yet (or none that
    can be read, then with no id so the next look tries again): a new index's encoder."""
    try:
        pointer = read_pointer(settings.index_dir)
    except IndexDamagedError:
        pointer = None
    meta = build_meta(settings, pointer) if pointer else None
    if pointer is None or meta is None:
        return None, resolve_backend(settings, None, purpose)
    return pointer.build, resolve_backend(settings, meta, purpose)


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


def query_model_ready(settings: IndexSettings) -> bool:
    """Whether the live build's queries embed with an ONNX copy already on this machine, so
    a question never imports torch (or makes the copy) on its way."""
    variant = query_variant(live_backend(settings)[1])
    cache = settings.model_cache_dir
    return (int8_path(cache) if variant == "int8" else onnx_path(cache)).is_file()


def query_encoder(settings: IndexSettings) -> TextEncoder:
    """The query encoder of the index in settings.index_dir: it follows the stored backend."""
    return LiveIndexEncoder(settings)
