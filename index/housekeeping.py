"""Keeping an index dir tidy and safe to write: free space, leftovers of interrupted runs."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from index.errors import StoreError
from index.layout import BUILDS, Pointer, remove_build
from index.store import ArticleDB


def present_ids(collection: Any, ids: list[str]) -> set[str]:
    """Which of these ids the collection already holds."""
    found: set[str] = set()
    for i in range(0, len(ids), 1000):
        found.update(collection.get(ids=ids[i : i + 1000], include=[])["ids"])
    return found


# What one chunk costs on disk in Chroma (vector, HNSW links, metadata, log) and SQLite,
# measured on the seed and the bench corpus (~8 KB), with room to spare.
BYTES_PER_CHUNK = 16 * 1024
SPARE_BYTES = 64 * 1024 * 1024


def check_free_space(index_dir: Path, chunks: int) -> None:
    """Refuse a run the disk cannot hold before writing anything.

    Embedded Chroma must compact its log before it can answer a query, so a store whose disk
    filled up mid-run stops answering until space is freed; refusing up front keeps the
    previous index answering.
    """
    free = shutil.disk_usage(index_dir).free
    needed = chunks * BYTES_PER_CHUNK + SPARE_BYTES
    if chunks and free < needed:
        raise StoreError(
            f"not enough disk space in {index_dir}: {chunks} chunks need about "
            f"{needed // 2**20} MB, {free // 2**20} MB free. Nothing was written; "
            "the previous index is unchanged."
        )


def write_failure(index_dir: Path, exc: BaseException) -> str:
    """Say why an indexing run stopped, and that the live index was left as it was."""
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return (
        f"indexing stopped: cannot write to {index_dir}: {reason}. "
        "The previous index is unchanged and still answers questions."
    )


def drop_orphans(collection: Any, db: ArticleDB) -> None:
    """Delete vectors that no store row vouches for (left by an interrupted run)."""
    known = db.chunk_ids()
    ids = collection.get(include=[])["ids"]
    orphans = [i for i in ids if i not in known]
    for i in range(0, len(orphans), 1000):
        collection.delete(ids=orphans[i : i + 1000])


def remove_stale_builds(index_dir: Path, client: Any, live: Pointer, shared: bool) -> None:
    """Clear builds an interrupted rebuild left behind (never the live one)."""
    builds = index_dir / BUILDS
    if builds.is_dir():
        for d in builds.iterdir():
            if d.name != live.build:
                remove_build(
                    index_dir,
                    client,
                    Pointer(d.name, f"{live.collection.rsplit('_', 1)[0]}_{d.name}"),
                )
    if shared:
        # A server also holds the collections of other index dirs under the same prefix; only
        # those with a build folder here are known to be ours.
        return
    try:
        names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
    except Exception:
        return
    prefix = live.collection.rsplit("_", 1)[0] + "_"
    for name in names:
        if name.startswith(prefix) and name != live.collection:
            build = name[len(prefix) :]
            if not (builds / build).is_dir():
                remove_build(index_dir, client, Pointer(build, name))
