"""What the live index holds, for `newsdesk status` and the chat's header."""

from __future__ import annotations

import sqlite3
from typing import Any

from index.encoders import resolve_backend
from index.errors import IndexDamagedError
from index.health import damaged_store, live_pointer, open_live_store
from index.settings import IndexSettings


def index_status(settings: IndexSettings) -> dict[str, Any]:
    """What the live index holds: counts, date range, model and encoder, build times."""
    pointer = live_pointer(settings.index_dir)
    db = open_live_store(settings.index_dir, pointer)
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
    except sqlite3.DatabaseError as exc:
        raise damaged_store(db.path, exc) from exc
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
        # The index's encoder (updates, uploads and watch keep it), the one a new index
        # would get, and why an update would be refused (NEWSDESK_EMBED_BACKEND set to another).
        "embed_backend": resolve_backend(settings, meta, "query"),
        "new_index_backend": resolve_backend(settings, None),
        "embed_backend_conflict": _backend_conflict(settings, meta),
        "built_at": meta.get("built_at"),
        "updated_at": meta.get("updated_at"),
        "articles_list": titles,
    }


def _backend_conflict(settings: IndexSettings, meta: dict[str, str]) -> str | None:
    try:
        resolve_backend(settings, meta, "update")
    except IndexDamagedError as exc:
        return str(exc)
    return None
