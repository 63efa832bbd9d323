"""Is the live index whole? Checks of the pointer, the article store, the vectors and the saved
keyword index, each finding saying what is wrong and the command that fixes it.

The cheap check (every `newsdesk status`) runs SQLite's quick_check and compares counts; the
deep one (`newsdesk status --check`) runs the full integrity_check and compares chunk ids.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index import keyword
from index.embedding import MODEL_NAME, MODEL_SHA256
from index.errors import FIX_REBUILD, FIX_REINDEX, IndexDamagedError, IndexMissingError
from index.layout import Pointer, read_pointer, store_path
from index.settings import IndexSettings
from index.store import ArticleDB

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

# How the store names the model its vectors were made with.
MODEL_STAMP = f"{MODEL_NAME} sha256:{MODEL_SHA256[:12]}"
# The store's meta key for the encoder its vectors were made with (NEWSDESK_EMBED_BACKEND).
BACKEND_KEY = "embed_backend"


def stored_backend(meta: Mapping[str, str]) -> str:
    """The encoder a build's vectors were made with; builds from before it was kept: torch."""
    return meta.get(BACKEND_KEY) or "torch"


@dataclass
class Finding:
    """One thing wrong with the index, and the command that fixes it."""

    what: str
    fix: str


@dataclass
class Health:
    """What a check of the live index looked at and found."""

    checked: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # Worth knowing but harmless (the index serves as it should).
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def healthy(self) -> bool:
        """Whether nothing was found wrong."""
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form."""
        return {
            "healthy": self.healthy,
            "checked": self.checked,
            "findings": [{"what": f.what, "fix": f.fix} for f in self.findings],
            "notes": self.notes,
            "seconds": round(self.seconds, 3),
        }


def live_pointer(index_dir: Path) -> Pointer:
    """The live build's pointer; IndexMissingError where none was built, damage explained."""
    pointer = read_pointer(index_dir)
    if pointer is None:
        raise IndexMissingError(f"no index in {index_dir}")
    return pointer


def open_live_store(
    index_dir: Path, pointer: Pointer, pragma: str | None = "quick_check"
) -> ArticleDB:
    """The live build's article store, opened read-only and checked by SQLite.

    Raises IndexDamagedError naming the file when it is gone, is not a database or fails the
    check (pragma: "quick_check", "integrity_check", or None for none: a reader loading for
    questions meets damage in its own queries and says so there).
    """
    path = store_path(index_dir, pointer.build)
    if not path.is_file():
        raise IndexDamagedError(
            f"the article store of the live build is missing ({path})", FIX_REBUILD
        )
    db = ArticleDB(path, readonly=True)
    try:
        if pragma:
            verdict = [r[0] for r in db.conn.execute(f"PRAGMA {pragma}")]
            if verdict != ["ok"]:
                raise sqlite3.DatabaseError("; ".join(verdict[:3]))
        db.revision()
    except sqlite3.DatabaseError as exc:
        db.close()
        raise damaged_store(path, exc) from exc
    return db


def damaged_store(path: Path, exc: sqlite3.DatabaseError) -> IndexDamagedError:
    """The error for an article store SQLite finds damaged, naming the file and the fix."""
    return IndexDamagedError(f"the article store {path} is damaged ({exc})", FIX_REBUILD)


def live_collection(client: Any, pointer: Pointer) -> Collection:
    """The live build's Chroma collection; IndexDamagedError when it is gone."""
    try:
        return client.get_collection(pointer.collection, embedding_function=None)
    except Exception as exc:
        if type(exc).__name__ != "NotFoundError" and "does not exist" not in str(exc):
            raise
        raise IndexDamagedError(
            f"the vectors of the live build are missing (no Chroma collection "
            f"{pointer.collection})",
            FIX_REINDEX,
        ) from exc


def check(settings: IndexSettings, deep: bool = False) -> Health:
    """Check the live index; deep also compares every chunk id and runs integrity_check."""
    from index.vectors import chroma_client

    started = time.perf_counter()
    health = Health()
    health.checked.append("pointer")
    try:
        pointer = live_pointer(settings.index_dir)
        db = open_live_store(
            settings.index_dir, pointer, "integrity_check" if deep else "quick_check"
        )
    except IndexDamagedError as exc:
        health.findings.append(Finding(exc.what, exc.fix))
        health.seconds = time.perf_counter() - started
        return health
    try:
        health.checked.append(
            "article store (integrity_check)" if deep else "article store (quick_check)"
        )
        model = db.meta().get("model")
        if model and model != MODEL_STAMP:
            health.findings.append(
                Finding(f"the vectors were made with {model}, not {MODEL_STAMP}", FIX_REBUILD)
            )
        ids = sorted(db.chunk_ids())
        dense_ids = sorted(db.chunk_ids(dense=True))
        revision = db.revision()
    finally:
        db.close()
    try:
        collection = live_collection(chroma_client(settings, for_reading=True), pointer)
        health.checked.append("vectors (ids)" if deep else "vectors (count)")
        _check_vectors(collection, dense_ids, deep, health)
    except IndexDamagedError as exc:
        health.findings.append(Finding(exc.what, exc.fix))
    health.checked.append("keyword index (loads)" if deep else "keyword index")
    build = store_path(settings.index_dir, pointer.build).parent
    saved = keyword.is_saved(build, revision, ids)
    if deep and saved:
        # Its files can be cut short under a whole meta file: only loading it tells.
        saved = keyword.load(build, revision, ids) is not None
    if ids and not saved:
        health.findings.append(
            Finding("the saved keyword (BM25) index does not match the article store", FIX_REINDEX)
        )
    health.seconds = time.perf_counter() - started
    return health


def _check_vectors(collection: Collection, ids: list[str], deep: bool, health: Health) -> None:
    count = collection.count()
    if not deep:
        if count < len(ids):
            health.findings.append(
                Finding(
                    f"{len(ids) - count} of {len(ids)} embedded chunks have no vector", FIX_REINDEX
                )
            )
        return
    present = set(collection.get(include=[])["ids"])
    missing = len(set(ids) - present)
    if missing:
        health.findings.append(
            Finding(f"{missing} of {len(ids)} embedded chunks have no vector", FIX_REINDEX)
        )
    extra = len(present - set(ids))
    if extra:
        # Left by an interrupted or running indexer: readers ignore them and the next run
        # adopts or deletes them, so they are no damage.
        health.notes.append(
            f"{extra} vectors belong to no chunk yet (an interrupted or running index run)"
        )
