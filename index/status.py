"""What the live index holds, for `newsdesk status` and the chat's header."""

from __future__ import annotations

from typing import Any

from index.errors import IndexMissingError
from index.layout import read_pointer, store_path
from index.settings import IndexSettings
from index.store import ArticleDB


def index_status(settings: IndexSettings) -> dict[str, Any]:
    """What the live index holds: counts, date range, model, build times."""
    pointer = read_pointer(settings.index_dir)
    if pointer is None:
        raise IndexMissingError(f"no index in {settings.index_dir}")
    db = ArticleDB(store_path(settings.index_dir, pointer.build), readonly=True)
    try:
        meta = db.meta()
        stats = db.stats()
        titles = (
            [
                {
                    "title": a.title,
                    "published": a.published.isoformat() if a.published else None,
                    "date_inferred": a.date_inferred,
                    "source": a.source,
                }
                for a in db.all_articles()
            ]
            if stats["articles"] <= 20
            else []
        )
    finally:
        db.close()
    return {
        "index_dir": str(settings.index_dir),
        "backend": (
            f"chroma server {settings.chroma_host}:{settings.chroma_port or 8000}"
            if settings.uses_server
            else "chroma embedded"
        ),
        "collection": pointer.collection,
        **stats,
        "model": meta.get("model"),
        "built_at": meta.get("built_at"),
        "updated_at": meta.get("updated_at"),
        "articles_list": titles,
    }
