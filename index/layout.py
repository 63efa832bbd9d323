"""The on-disk layout of an index dir: which build is live, where its files are, one writer.

An index dir holds `current.json` (the live build), `builds/<build>/` (the SQLite article
store and the saved BM25 index of each build), `chroma/` (embedded Chroma's vectors),
`.lock` and `feedback.jsonl` (what chat users said about answers, index/feedback.py). This
module is the only place those names are spelled.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index.errors import FIX_REINDEX, IndexBusyError, IndexDamagedError, StoreError

POINTER = "current.json"
BUILDS = "builds"
STORE_FILE = "articles.sqlite"
CHROMA = "chroma"
LOCK = ".lock"
FEEDBACK = "feedback.jsonl"


def now_iso() -> str:
    """The current UTC time as an ISO string, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def writable(path: Path) -> bool:
    """Whether files can be created in a folder (a read-only mount says no, even to root)."""
    try:
        probe = path / f".probe-{uuid.uuid4().hex}"
        probe.touch()
        probe.unlink()
        return True
    except OSError:
        return False


@dataclass
class Pointer:
    """Which build is live: its SQLite store and its Chroma collection."""

    build: str
    collection: str


def read_pointer(index_dir: Path) -> Pointer | None:
    """The live build of an index dir, or None where nothing was ever built.

    Raises IndexDamagedError when the pointer file is there but unreadable.
    """
    path = index_dir / POINTER
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        return Pointer(str(data["build"]), str(data["collection"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexDamagedError(
            f"the index pointer {path} is unreadable ({type(exc).__name__})", FIX_REINDEX
        ) from exc


def write_pointer(index_dir: Path, pointer: Pointer) -> None:
    """Switch the live build atomically: readers see the old pointer or the new, never half."""
    tmp = index_dir / f".{POINTER}.{uuid.uuid4().hex}"
    tmp.write_text(json.dumps({"build": pointer.build, "collection": pointer.collection}))
    with open(tmp) as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / POINTER)


def new_pointer(prefix: str) -> Pointer:
    """A fresh build id and collection name."""
    build = datetime.now(UTC).strftime("%Y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:6]
    return Pointer(build, f"{prefix}_{build}")


def build_dir(index_dir: Path, build: str) -> Path:
    """The folder holding one build's SQLite store."""
    return index_dir / BUILDS / build


def store_path(index_dir: Path, build: str) -> Path:
    """The SQLite article store of one build."""
    return build_dir(index_dir, build) / STORE_FILE


def chroma_dir(index_dir: Path) -> Path:
    """Where embedded Chroma keeps the vectors of every build of an index dir."""
    return index_dir / CHROMA


def feedback_path(index_dir: Path) -> Path:
    """The JSONL file of the chat's feedback on answers (kept across builds)."""
    return index_dir / FEEDBACK


def builds(index_dir: Path) -> list[str]:
    """The ids of the builds present in an index dir (live, or left by an interrupted run)."""
    folder = index_dir / BUILDS
    return sorted(d.name for d in folder.iterdir()) if folder.is_dir() else []


def disk_usage(index_dir: Path) -> dict[str, int]:
    """Bytes on disk of an index dir's parts: vectors (embedded Chroma), builds (article stores
    and saved keyword indexes), and of those the keyword indexes alone."""

    def size(paths: Iterator[Path] | list[Path]) -> int:
        return sum(
            f.stat().st_size for p in paths if p.exists() for f in p.rglob("*") if f.is_file()
        )

    from index.keyword import FOLDER

    return {
        "chroma": size([chroma_dir(index_dir)]),
        "builds": size([index_dir / BUILDS]),
        "keyword": size((index_dir / BUILDS).glob(f"*/{FOLDER}")),
    }


@contextlib.contextmanager
def index_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index dir for one writer; a second writer is refused with a clear message."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        fh = open(index_dir / LOCK, "a+")  # noqa: SIM115 - held open for the whole lock
    except OSError as exc:
        raise StoreError(
            f"cannot write to the index dir {index_dir}: {exc.strerror or exc}"
        ) from exc
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise IndexBusyError(
                f"another indexer ({holder}) is updating {index_dir}; try again when it finishes"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        yield
    finally:
        fh.close()


def remove_build(index_dir: Path, client: Any, pointer: Pointer) -> None:
    """Delete a build that is no longer live (its collection and its SQLite store)."""
    with contextlib.suppress(Exception):
        client.delete_collection(pointer.collection)
    shutil.rmtree(build_dir(index_dir, pointer.build), ignore_errors=True)
