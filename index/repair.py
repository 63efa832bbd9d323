"""Repairs an indexing run makes before it writes: the live build checked (an unreadable pointer
re-pointed, a damaged store or another model's or encoder's vectors refused), vectors lost from
the collection found again in the article store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from index.articles import Article, Chunk
from index.encoders import build_meta, resolve_backend
from index.errors import FIX_REBUILD, IndexDamagedError
from index.health import MODEL_STAMP, open_live_store
from index.housekeeping import recover_pointer
from index.layout import Pointer, read_pointer, write_pointer
from index.report import IndexReport
from index.settings import EmbedBackend, IndexSettings
from index.store import ArticleDB
from index.vectors import delete_ids

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection


def live_build(
    settings: IndexSettings, report: IndexReport, rebuild: bool
) -> tuple[Pointer | None, EmbedBackend]:
    """The live build to update and the encoder the run embeds with (resolve_backend's),
    checked first: a damaged store is refused (only a rebuild from the article files can
    restore it), as are another model's vectors and an update with another encoder; an
    unreadable pointer is re-pointed."""
    index_dir = settings.index_dir
    try:
        live = read_pointer(index_dir)
    except IndexDamagedError:
        live = recover_pointer(index_dir, settings.collection_prefix)
        if live is not None:
            write_pointer(index_dir, live)
            report.repaired.append(f"index pointer restored (build {live.build})")
    if live is None:
        return None, resolve_backend(settings, None)
    if rebuild:
        # Everything is embedded again, so only the encoder is wanted: a store that cannot
        # be read (what a rebuild repairs) has none to keep, and the new one gets the default.
        return live, resolve_backend(settings, build_meta(settings, live), "rebuild")
    db = open_live_store(index_dir, live)
    try:
        meta = db.meta()
    finally:
        db.close()
    model = meta.get("model")
    if model and model != MODEL_STAMP:
        raise IndexDamagedError(
            f"the index was embedded with {model}; this newsdesk embeds with {MODEL_STAMP}",
            FIX_REBUILD,
        )
    return live, resolve_backend(settings, meta, "update")


def missing_vectors(
    db: ArticleDB, collection: Collection
) -> list[tuple[Article, list[Chunk], str]]:
    """Delete the vectors no store row vouches for, and return the store's chunks that have no
    vector, with their articles, to embed again from the store's own text (no article is read
    again)."""
    known = db.chunk_ids(dense=True)
    present = set(collection.get(include=[])["ids"])
    delete_ids(collection, sorted(present - known))
    missing = known - present
    if not missing:
        return []
    articles: dict[str, tuple[Article, list[Chunk], str]] = {}
    for row in db.chunk_rows(with_text=True):
        if row["chunk_id"] not in missing:
            continue
        aid = row["article_id"]
        if aid not in articles:
            article = db.article(aid)
            if article is None:
                continue
            articles[aid] = (article, [], "")
        articles[aid][1].append(
            Chunk(
                row["chunk_id"],
                aid,
                row["text"],
                row["start"],
                row["end"],
                row["first_sentence"],
                row["last_sentence"],
            )
        )
    return list(articles.values())
