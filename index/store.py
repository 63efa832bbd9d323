"""Where an index lives: a SQLite article store per build, vectors in Chroma, a pointer to the live build."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sqlite3
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from index.articles import Article, Chunk
from index.entities import Entity
from index.settings import NewsdeskSettings

POINTER = "current.json"
SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    article_id TEXT PRIMARY KEY, path TEXT NOT NULL, locator TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL, published TEXT,
    date_inferred INTEGER NOT NULL, source TEXT, url TEXT, authors TEXT NOT NULL,
    sentences TEXT NOT NULL, indexed_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS articles_path ON articles(path);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, article_id TEXT NOT NULL, start INTEGER NOT NULL,
    "end" INTEGER NOT NULL, first_sentence INTEGER NOT NULL, last_sentence INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, file_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entities (
    article_id TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, label TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS entities_article ON entities(article_id);
CREATE TABLE IF NOT EXISTS tagged (article_id TEXT PRIMARY KEY, tagger TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class IndexMissingError(RuntimeError):
    """There is no index yet in the index dir."""


class IndexBusyError(RuntimeError):
    """Another indexer holds the index dir."""


class StoreError(RuntimeError):
    """The index store cannot be read or written (disk full, read-only, server down)."""


def now_iso() -> str:
    """The current UTC time as an ISO string, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _readonly_copy(path: Path) -> Path:
    """A private writable copy of a Chroma store kept on a read-only disk, for queries."""
    import tempfile

    copy = Path(tempfile.mkdtemp(prefix="newsdesk-ro-chroma-"))
    shutil.copytree(path, copy, dirs_exist_ok=True)
    return copy


def writable(path: Path) -> bool:
    """Whether files can be created in a folder (a read-only mount says no, even to root)."""
    try:
        probe = path / f".probe-{uuid.uuid4().hex}"
        probe.touch()
        probe.unlink()
        return True
    except OSError:
        return False


def chroma_client(settings: NewsdeskSettings, for_reading: bool = False):
    """A Chroma client: a server when NEWSDESK_CHROMA_HOST is set, else embedded in the index dir."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
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
        path = settings.index_dir / "chroma"
        if for_reading and path.is_dir() and not writable(path):
            # Embedded Chroma opens its SQLite file for writing even to query it; an index on
            # a read-only disk is queried from a private copy instead.
            path = _readonly_copy(path)
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:  # chromadb raises plain Exception/ValueError for connection errors
        where = (
            f"Chroma server at {settings.chroma_host}:{settings.chroma_port or 8000}"
            if settings.uses_server
            else f"Chroma store in {settings.index_dir / 'chroma'}"
        )
        raise StoreError(f"cannot open the {where}: {exc}") from exc


def writable_collection(client: Any, name: str, settings: NewsdeskSettings) -> Any:
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


@dataclass
class Pointer:
    """Which build is live: its SQLite store and its Chroma collection."""

    build: str
    collection: str


def read_pointer(index_dir: Path) -> Pointer | None:
    """The live build of an index dir, or None where nothing was ever built."""
    path = index_dir / POINTER
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    return Pointer(data["build"], data["collection"])


def write_pointer(index_dir: Path, pointer: Pointer) -> None:
    """Switch the live build atomically: readers see the old pointer or the new, never half."""
    tmp = index_dir / f".{POINTER}.{uuid.uuid4().hex}"
    tmp.write_text(json.dumps({"build": pointer.build, "collection": pointer.collection}))
    with open(tmp) as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / POINTER)


def new_pointer(settings: NewsdeskSettings) -> Pointer:
    """A fresh build id and collection name."""
    build = datetime.now(UTC).strftime("%Y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:6]
    return Pointer(build, f"{settings.collection_prefix}_{build}")


def build_dir(index_dir: Path, build: str) -> Path:
    """The folder holding one build's SQLite store."""
    return index_dir / "builds" / build


@contextlib.contextmanager
def index_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index dir for one writer; a second writer is refused with a clear message."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        fh = open(index_dir / ".lock", "a+")  # noqa: SIM115 - held open for the whole lock
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


class ArticleDB:
    """The SQLite store of one build: articles with clean text and sentences, chunks, files."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        if readonly:
            if not path.is_file():
                raise IndexMissingError(f"no article store at {path}")
            # On a read-only disk SQLite cannot keep its WAL index; the file cannot change
            # there, so it is opened as immutable.
            flags = "mode=ro" if writable(path.parent) else "mode=ro&immutable=1"
            self.conn = sqlite3.connect(f"file:{path}?{flags}", uri=True, check_same_thread=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(path, check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.executescript(SCHEMA)
        self.conn.row_factory = sqlite3.Row

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    # -- reads ---------------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        """Key/value facts about the build (model, built_at, revision...)."""
        return {r["key"]: r["value"] for r in self.conn.execute("SELECT key, value FROM meta")}

    def revision(self) -> int:
        """A counter bumped by every committed change to articles or chunks (readers reload on it)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key='revision'").fetchone()
        return int(row["value"]) if row else 0

    def file_hashes(self) -> dict[str, str]:
        """The content hash of every indexed file, by path."""
        return {r["path"]: r["file_hash"] for r in self.conn.execute("SELECT * FROM files")}

    def articles_by_path(self) -> dict[str, list[tuple[str, str, str]]]:
        """(article_id, locator, content_hash) of the articles of each file."""
        out: dict[str, list[tuple[str, str, str]]] = {}
        for r in self.conn.execute("SELECT article_id, path, locator, content_hash FROM articles"):
            out.setdefault(r["path"], []).append((r["article_id"], r["locator"], r["content_hash"]))
        return out

    def article(self, article_id: str) -> Article | None:
        """One article, with its clean text and sentence offsets."""
        row = self.conn.execute(
            "SELECT * FROM articles WHERE article_id=?", (article_id,)
        ).fetchone()
        return _row_to_article(row) if row else None

    def all_articles(self) -> Iterator[Article]:
        """Every article of the build."""
        for row in self.conn.execute("SELECT * FROM articles ORDER BY published, article_id"):
            yield _row_to_article(row)

    def chunk_rows(self, with_text: bool = True) -> list[sqlite3.Row]:
        """Every chunk with the article fields retrieval needs (and its text, if asked)."""
        # SQLite's substr counts characters from 1, as Python's slices count from 0; the slice
        # is cut here so a chunk row does not carry its whole article. Without it the rows
        # load in about half the time, which a process with a saved BM25 index does not need.
        text = ', substr(a.text, c.start + 1, c."end" - c.start) AS text' if with_text else ""
        return self.conn.execute(
            'SELECT c.chunk_id, c.article_id, c.start, c."end", c.first_sentence, '
            f"c.last_sentence, a.title, a.published, a.source{text} "
            "FROM chunks c JOIN articles a USING (article_id) ORDER BY c.chunk_id"
        ).fetchall()

    def entities(self, article_id: str) -> list[Entity] | None:
        """The named entities of an article, or None where it was never tagged."""
        try:
            tagged = self.conn.execute(
                "SELECT 1 FROM tagged WHERE article_id=?", (article_id,)
            ).fetchone()
        except sqlite3.OperationalError:
            return None  # a store written before entities were kept
        if tagged is None:
            return None
        return [
            Entity(r[0], r[1], r[2])
            for r in self.conn.execute(
                'SELECT start, "end", label FROM entities WHERE article_id=? ORDER BY start',
                (article_id,),
            )
        ]

    def untagged(self, tagger: str) -> list[str]:
        """Ids of articles without entities from this tagger (new, or tagged by an older one)."""
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT a.article_id FROM articles a LEFT JOIN tagged t USING (article_id) "
                "WHERE t.tagger IS NULL OR t.tagger != ? ORDER BY a.article_id",
                (tagger,),
            )
        ]

    def chunk_ids(self) -> set[str]:
        """Ids of every chunk the store vouches for."""
        return {r[0] for r in self.conn.execute("SELECT chunk_id FROM chunks")}

    def stats(self) -> dict[str, Any]:
        """Counts and date range of what the build holds."""
        a = self.conn.execute(
            "SELECT COUNT(*) n, MIN(published) lo, MAX(published) hi FROM articles"
        ).fetchone()
        c = self.conn.execute("SELECT COUNT(*) n FROM chunks").fetchone()
        sources = [
            r[0]
            for r in self.conn.execute(
                "SELECT DISTINCT source FROM articles WHERE source IS NOT NULL ORDER BY source"
            )
        ]
        return {
            "articles": a["n"],
            "chunks": c["n"],
            "first_date": a["lo"],
            "last_date": a["hi"],
            "sources": sources,
        }

    # -- writes --------------------------------------------------------------------------
    def _put_entities(self, article_id: str, entities: list[Entity], tagger: str) -> None:
        self.conn.execute("DELETE FROM entities WHERE article_id=?", (article_id,))
        self.conn.executemany(
            "INSERT INTO entities VALUES (?,?,?,?)",
            [(article_id, e.start, e.end, e.label) for e in entities],
        )
        self.conn.execute("INSERT OR REPLACE INTO tagged VALUES (?,?)", (article_id, tagger))

    def set_entities(self, tagged: dict[str, list[Entity]], tagger: str) -> None:
        """Store the entities of already indexed articles, in one transaction."""
        with self.conn:
            for article_id, entities in tagged.items():
                self._put_entities(article_id, entities, tagger)

    def replace_articles(
        self,
        remove_ids: list[str],
        add: list[tuple[Article, list[Chunk], str]],
        files: dict[str, str | None],
        meta: dict[str, str],
        entities: dict[str, list[Entity]] | None = None,
        tagger: str = "",
    ) -> None:
        """In one transaction: drop articles, add articles with chunks and entities, record files."""
        stamp = now_iso()
        with self.conn:
            for aid in remove_ids:
                for table in ("chunks", "articles", "entities", "tagged"):
                    self.conn.execute(f"DELETE FROM {table} WHERE article_id=?", (aid,))
            for article, chunks, locator in add:
                self.conn.execute("DELETE FROM chunks WHERE article_id=?", (article.article_id,))
                self.conn.execute(
                    "INSERT OR REPLACE INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        article.article_id,
                        article.path,
                        locator,
                        article.content_hash,
                        article.title,
                        article.text,
                        article.published.isoformat() if article.published else None,
                        int(article.date_inferred),
                        article.source,
                        article.url,
                        json.dumps(article.authors),
                        json.dumps(article.sentences),
                        stamp,
                    ),
                )
                self.conn.executemany(
                    "INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?,?)",
                    [
                        (
                            c.chunk_id,
                            c.article_id,
                            c.start,
                            c.end,
                            c.first_sentence,
                            c.last_sentence,
                        )
                        for c in chunks
                    ],
                )
                if entities is not None and article.article_id in entities:
                    self._put_entities(article.article_id, entities[article.article_id], tagger)
            for path, file_hash in files.items():
                if file_hash is None:
                    self.conn.execute("DELETE FROM files WHERE path=?", (path,))
                else:
                    self.conn.execute(
                        "INSERT OR REPLACE INTO files VALUES (?,?)", (path, file_hash)
                    )
            if remove_ids or add:
                # Only a change to articles or chunks is a new revision: readers reload and
                # the keyword index is rebuilt per revision, which an unchanged run must not
                # cost them.
                meta = {**meta, "revision": str(self.revision() + 1), "updated_at": stamp}
            for key, value in meta.items():
                self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, value))


def _row_to_article(row: sqlite3.Row) -> Article:
    return Article(
        article_id=row["article_id"],
        title=row["title"],
        text=row["text"],
        published=date.fromisoformat(row["published"]) if row["published"] else None,
        date_inferred=bool(row["date_inferred"]),
        source=row["source"],
        url=row["url"],
        authors=json.loads(row["authors"]),
        path=row["path"],
        content_hash=row["content_hash"],
        sentences=[tuple(s) for s in json.loads(row["sentences"])],
    )


def remove_build(index_dir: Path, client: Any, pointer: Pointer) -> None:
    """Delete a build that is no longer live (its collection and its SQLite store)."""
    with contextlib.suppress(Exception):
        client.delete_collection(pointer.collection)
    shutil.rmtree(build_dir(index_dir, pointer.build), ignore_errors=True)
