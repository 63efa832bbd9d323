"""Turning articles into a searchable index, and reading it: the public surface of `index`.

Writing: `Indexer(settings).run(paths)` loads, cleans, chunks, embeds and stores articles and
returns an `IndexReport`; `remove_files(settings, paths)` takes files' articles out again.
Reading: `IndexReader(settings)` is a consistent view of the live build (chunks, articles,
entities, dense and keyword search). Nothing outside this package names a file inside an
index dir. Names load on first use, so `import index` costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from index.lazy import lazy_exports

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
    "ChunkInfo": "index.chunk_table",
    "Filters": "index.reader",
    "index_status": "index.status",
    "disk_usage": "index.layout",
    "loader_table": "index.loaders",
    "TextEncoder": "index.embedding",
    "Embedder": "index.embedding",
    "shared_embedder": "index.embedding",
    "MODEL_NAME": "index.embedding",
    "MODEL_SHA256": "index.embedding",
    "shared_tagger": "index.entities",
    "read_articles": "index.loaders",
    "clean_text": "index.cleaning",
    "split_sentences": "index.sentences",
    "query_encoder": "index.encoders",
    "query_model_ready": "index.encoders",
    "set_offline_env": "index.offline",
    "FeedbackLog": "index.feedback",
    "read_feedback": "index.feedback",
    "record_feedback": "index.feedback",
    "file_articles": "index.files",
    "remove_files": "index.files",
    "size_limits": "index.files",
}

__all__ = [
    "MODEL_NAME",
    "MODEL_SHA256",
    "Article",
    "Chunk",
    "ChunkInfo",
    "Embedder",
    "Entity",
    "FeedbackLog",
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
    "clean_text",
    "disk_usage",
    "file_articles",
    "index_status",
    "loader_table",
    "query_encoder",
    "query_model_ready",
    "read_articles",
    "read_feedback",
    "record_feedback",
    "remove_files",
    "set_offline_env",
    "shared_embedder",
    "shared_tagger",
    "size_limits",
    "split_sentences",
]

if TYPE_CHECKING:
    from index.articles import Article, Chunk, Problem, RawArticle
    from index.chunk_table import ChunkInfo
    from index.cleaning import clean_text
    from index.embedding import MODEL_NAME, MODEL_SHA256, Embedder, TextEncoder, shared_embedder
    from index.encoders import query_encoder
    from index.entities import Entity, shared_tagger
    from index.errors import IndexBusyError, IndexMissingError, StoreError
    from index.feedback import FeedbackLog, read_feedback, record_feedback
    from index.files import file_articles, remove_files, size_limits
    from index.layout import disk_usage
    from index.loaders import loader_table, read_articles
    from index.offline import set_offline_env
    from index.pipeline import Indexer
    from index.reader import Filters, IndexReader
    from index.report import IndexReport
    from index.sentences import split_sentences
    from index.settings import IndexSettings
    from index.status import index_status

__getattr__ = lazy_exports("index", _EXPORTS)
