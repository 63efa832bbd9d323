"""Turning articles into a searchable index, and reading it: the public surface of `index`.

Writing: `Indexer(settings).run(paths)` loads, cleans, chunks, embeds and stores articles and
returns an `IndexReport`. Reading: `IndexReader(settings)` is a consistent view of the live
build (chunks, articles, entities, dense and keyword search). Nothing outside this package
names a file inside an index dir. Names load on first use, so `import index` costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# name -> module that defines it
_EXPORTS = {
    "Article": "index.articles",
    "Chunk": "index.articles",
    "Problem": "index.articles",
    "RawArticle": "index.articles",
    "Entity": "index.entities",
    "IndexMissingError": "index.errors",
    "IndexBusyError": "index.errors",
    "StoreError": "index.errors",
    "IndexSettings": "index.settings",
    "Indexer": "index.pipeline",
    "IndexReport": "index.report",
    "IndexReader": "index.reader",
    "ChunkInfo": "index.reader",
    "Filters": "index.reader",
    "index_status": "index.status",
    "disk_usage": "index.layout",
    "TextEncoder": "index.embedding",
    "Embedder": "index.embedding",
    "shared_embedder": "index.embedding",
    "query_encoder": "index.encoders",
    "set_offline_env": "index.offline",
}

__all__ = [
    "Article",
    "Chunk",
    "ChunkInfo",
    "Embedder",
    "Entity",
    "Filters",
    "IndexBusyError",
    "IndexMissingError",
    "IndexReader",
    "IndexReport",
    "IndexSettings",
    "Indexer",
    "Problem",
    "RawArticle",
    "StoreError",
    "TextEncoder",
    "disk_usage",
    "index_status",
    "query_encoder",
    "set_offline_env",
    "shared_embedder",
]

if TYPE_CHECKING:
    from index.articles import Article, Chunk, Problem, RawArticle
    from index.embedding import Embedder, TextEncoder, shared_embedder
    from index.encoders import query_encoder
    from index.entities import Entity
    from index.errors import IndexBusyError, IndexMissingError, StoreError
    from index.layout import disk_usage
    from index.offline import set_offline_env
    from index.pipeline import Indexer
    from index.reader import ChunkInfo, Filters, IndexReader
    from index.report import IndexReport
    from index.settings import IndexSettings
    from index.status import index_status


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'index' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
