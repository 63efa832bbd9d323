"""The files an index holds articles from: how large each type may be, how many articles each
file gave, and taking a file's articles out on request (the chat's remove action)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

from index import chunk_table, keyword
from index.errors import StoreError
from index.health import open_live_store
from index.housekeeping import write_failure
from index.layout import index_lock, read_pointer, store_path
from index.loaders import Loader, loader_table
from index.pipeline import file_key
from index.report import IndexReport
from index.settings import IndexSettings
from index.store import ArticleDB


def max_file_bytes(loader: Loader, settings: IndexSettings) -> int | None:
    """The largest file a loader reads: its own `max_file_bytes(settings)` where it has one
    (None: no limit per file, only per record), else the article size limit."""
    own = getattr(loader, "max_file_bytes", None)
    return own(settings) if callable(own) else settings.max_article_bytes


def size_limits(settings: IndexSettings) -> dict[str, int | None]:
    """The largest file of each type (by suffix) an indexing run reads; None where a file is a
    dump read record by record, so only each record is limited."""
    return {suffix: max_file_bytes(loader, settings) for suffix, loader in loader_table().items()}


def file_articles(settings: IndexSettings, paths: Sequence[Path | str]) -> dict[Path | str, int]:
    """How many articles the live index holds from each of these files or URLs (0 for none)."""
    pointer = read_pointer(settings.index_dir)
    if pointer is None:
        return {p: 0 for p in paths}
    db = open_live_store(settings.index_dir, pointer, pragma=None)
    try:
        by_path = db.articles_by_path()
    finally:
        db.close()
    return {p: len(by_path.get(file_key(p), [])) for p in paths}


def remove_files(settings: IndexSettings, paths: Sequence[Path | str]) -> IndexReport:
    """Take the articles of these files or URLs out of the index, in one commit; the files
    themselves are neither read nor deleted."""
    try:
        return _remove(settings, [file_key(p) for p in paths])
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(write_failure(settings.index_dir, exc)) from exc
    except Exception as exc:
        if type(exc).__module__.startswith("chromadb"):
            raise StoreError(write_failure(settings.index_dir, exc)) from exc
        raise


def _remove(settings: IndexSettings, keys: list[str]) -> IndexReport:
    started = time.perf_counter()
    report = IndexReport()
    index_dir = settings.index_dir
    with index_lock(index_dir):
        pointer = read_pointer(index_dir)
        if pointer is None:
            return report
        db = ArticleDB(store_path(index_dir, pointer.build))
        try:
            by_path = db.articles_by_path()
            ids = [aid for key in keys for aid, _, _ in by_path.get(key, [])]
            stale = db.chunk_ids_of(ids)
            # As in an indexing run: the rows go in one transaction (readers see the index
            # before or after), then the vectors no row vouches for any more.
            db.replace_articles(ids, [], dict.fromkeys(keys), {})
            if stale:
                from index.vectors import chroma_client, delete_ids, writable_collection

                client = chroma_client(settings)
                delete_ids(writable_collection(client, pointer.collection, settings), stale)
            report.removed = len(ids)
            stats = db.stats()
            report.chunks, report.dense_chunks = stats["chunks"], stats["dense_chunks"]
            keyword.ensure_saved(db.path.parent, db)
            chunk_table.ensure_saved(db.path.parent, db)
        finally:
            db.close()
    report.seconds = time.perf_counter() - started
    return report
