"""Repairs an indexing run makes before it writes: the live build checked (an unreadable pointer
re-pointed, a damaged store or another model's or encoder's vectors refused), vectors lost from
the collection found again in the article store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from index.articles import Article, Chunk
from index.errors import FIX_REBUILD, IndexDamagedError
from index.health import MODEL_STAMP, open_live_store, stored_backend
from index.housekeeping import recover_pointer
from index.layout import Pointer, read_pointer, write_pointer
from index.report import IndexReport
from index.settings import IndexSettings
from index.store import ArticleDB
from index.vectors import delete_ids

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection


def live_build(settings: IndexSettings, report: IndexReport, rebuild: bool) -> Pointer | None:
    """The live build to update, checked first: a damaged store is refused (only a rebuild
    from the article files can restore it), an unreadable pointer is re-pointed."""
    index_dir = settings.index_dir
    try:
        live = read_pointer(index_dir)
    except IndexDamagedError:
        live = recover_pointer(index_dir, settings.collection_prefix)
        if live is not None:
            write_pointer(index_dir, live)
            report.repaired.append(f"index pointer restored (build {live.build})")
        return live
    if live is None or rebuild:
        return live
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
    backend = stored_backend(meta)
    if backend != settings.embed_backend:
        # One encoder per index, so chunks and queries are embedded alike (int8 vectors are
        # ~0.99 of fp32 ones); torch and onnx agree but are kept apart all the same, so the
        # stored backend always names what made the vectors.
        raise IndexDamagedError(
            f"the index was embedded with the {backend} encoder, and NEWSDESK_EMBED_BACKEND "
            f"asks for {settings.embed_backend}",
            f"set NEWSDESK_EMBED_BACKEND={backend} to update it, or run "
            f"`newsdesk index --rebuild PATH...` to embed it all again with "
            f"{settings.embed_backend}",
        )
    return live


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
