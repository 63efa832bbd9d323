"""The Chroma side of an index: the client (embedded or a server) and a build's collection."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.articles import Article, Chunk, day_number
from index.errors import StoreError
from index.layout import chroma_dir, writable
from index.settings import IndexSettings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection


def _readonly_copy(path: Path) -> Path:
    """A private writable copy of a Chroma store kept on a read-only disk, for queries."""
    import tempfile

    copy = Path(tempfile.mkdtemp(prefix="newsdesk-ro-chroma-"))
    shutil.copytree(path, copy, dirs_exist_ok=True)
    return copy


def _forget_system(path: Path) -> None:
    """Make the next client of an embedded store load it afresh from disk.

    Chroma keeps one system per store and process, whose vector index holds what was on disk
    when it loaded and what this process added since; what another process (`newsdesk index`,
    `newsdesk watch`) added is never searched by it. A new system replays the store's log on
    load. Clients made before keep the old one until they are dropped. Chroma has no public
    call for this; its cache is keyed by the store's path.
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient._identifier_to_system.pop(str(path), None)


def chroma_client(
    settings: IndexSettings, for_reading: bool = False, fresh: bool = False
) -> ClientAPI:
    """A Chroma client: a server when NEWSDESK_CHROMA_HOST is set, else embedded in the index dir
    (fresh: loaded anew from disk, with what other processes have written since)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if settings.uses_server:
            return chromadb.HttpClient(
                host=settings.chroma_host,
                port=settings.chroma_port or 8000,
                settings=chroma_settings,
            )
        path = chroma_dir(settings.index_dir)
        if for_reading and path.is_dir() and not writable(path):
            # Embedded Chroma opens its SQLite file for writing even to query it; an index on
            # a read-only disk is queried from a private copy instead.
            path = _readonly_copy(path)
        path.mkdir(parents=True, exist_ok=True)
        if fresh:
            _forget_system(path)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:  # chromadb raises plain Exception/ValueError for connection errors
        where = (
            f"Chroma server at {settings.chroma_host}:{settings.chroma_port or 8000}"
            if settings.uses_server
            else f"Chroma store in {chroma_dir(settings.index_dir)}"
        )
        raise StoreError(f"cannot open the {where}: {exc}") from exc


def writable_collection(client: ClientAPI, name: str, settings: IndexSettings) -> Collection:
    """The build's Chroma collection, created with the HNSW settings retrieval was tuned on."""
    hnsw = {"ef_search": settings.hnsw_ef_search}
    collection = client.get_or_create_collection(
        name,
        # Cosine, so a query's similarity is exp(-distance) on the evidence thresholds' scale.
        configuration={
            "hnsw": {"space": "cosine", "ef_construction": settings.hnsw_ef_construction, **hnsw}
        },
        embedding_function=None,
    )
    # A collection made before these settings keeps its graph; its search depth can change.
    # configuration_json: the parsed .configuration warns about the "legacy" embedding function
    # that embedding_function=None records.
    current = (collection.configuration_json or {}).get("hnsw") or {}
    if current.get("ef_search") != settings.hnsw_ef_search:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "legacy embedding function config")
            collection.modify(configuration={"hnsw": hnsw})
    return collection


def chunk_metadata(article: Article, chunk: Chunk) -> dict[str, Any]:
    """The flat metadata stored beside a chunk's vector (filters and citations use it)."""
    return {
        "article_id": article.article_id,
        "title": article.title,
        "source": article.source or "",
        "url": article.url or "",
        "published": article.published.isoformat() if article.published else "",
        "published_int": day_number(article.published),
        "date_inferred": article.date_inferred,
        "start": chunk.start,
        "end": chunk.end,
    }


def embed_groups(
    pending: list[tuple[Article, list[Chunk], str]], size: int
) -> list[list[tuple[Article, list[Chunk], str]]]:
    """Articles in groups of about `size` chunks to embed, each embedded and added to Chroma at
    once."""
    groups: list[list[tuple[Article, list[Chunk], str]]] = []
    count = size
    for item in pending:
        if count >= size:
            groups.append([])
            count = 0
        groups[-1].append(item)
        count += sum(c.dense for c in item[1])
    return groups


# Chroma refuses very large id lists in one call; a thousand at a time stays well inside.
ID_BATCH = 1000


def present_ids(collection: Any, ids: list[str]) -> set[str]:
    """Which of these ids the collection already holds."""
    found: set[str] = set()
    for i in range(0, len(ids), ID_BATCH):
        found.update(collection.get(ids=ids[i : i + ID_BATCH], include=[])["ids"])
    return found


def delete_ids(collection: Any, ids: list[str]) -> None:
    """Delete these vectors from the collection."""
    for i in range(0, len(ids), ID_BATCH):
        collection.delete(ids=ids[i : i + ID_BATCH])
