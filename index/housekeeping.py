"""Keeping an index dir tidy and safe to write: free space, leftovers of interrupted runs."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from index.errors import StoreError
from index.layout import BUILDS, Pointer, builds, remove_build

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
    """Say why an indexing run stopped, and what state the live index was left in."""
    from index.errors import IndexDamagedError, IndexMissingError
    from index.health import live_pointer, open_live_store

    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    line = f"indexing stopped: cannot write to {index_dir}: {reason}."
    try:
        open_live_store(index_dir, live_pointer(index_dir)).close()
    except IndexMissingError:
        return line + " Nothing was indexed."
    except (IndexDamagedError, OSError) as damage:
        return f"{line} The live index is damaged too: {damage}"
    return line + " The previous index is unchanged and still answers questions."


def recover_pointer(index_dir: Path, prefix: str) -> Pointer | None:
    """The newest build whose article store is whole, to point at again when the pointer file
    is unreadable; None if there is none (the next run builds afresh)."""
    from index.health import open_live_store

    for build in sorted(builds(index_dir), reverse=True):
        pointer = Pointer(build, f"{prefix}_{build}")
        try:
            db = open_live_store(index_dir, pointer)
        except StoreError:
            continue
        try:
            # Only a build that was completed says which build it is (a rebuild writes it last).
            if db.meta().get("build") == build:
                return pointer
        finally:
            db.close()
    return None


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
