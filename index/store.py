"""The SQLite article store of one build: articles with clean text and sentences, chunks, files,
named entities and the build's facts (meta)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from index.articles import Article, Chunk
from index.entities import Entity
from index.errors import IndexMissingError
from index.layout import now_iso, writable

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    article_id TEXT PRIMARY KEY, path TEXT NOT NULL, locator TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL, published TEXT,
    date_inferred INTEGER NOT NULL, source TEXT, url TEXT, authors TEXT NOT NULL,
    sentences TEXT NOT NULL, indexed_at TEXT NOT NULL, pages TEXT);
CREATE INDEX IF NOT EXISTS articles_path ON articles(path);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, article_id TEXT NOT NULL, start INTEGER NOT NULL,
    "end" INTEGER NOT NULL, first_sentence INTEGER NOT NULL, last_sentence INTEGER NOT NULL,
    dense INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, file_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entities (
    article_id TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, label TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS entities_article ON entities(article_id);
CREATE TABLE IF NOT EXISTS tagged (article_id TEXT PRIMARY KEY, tagger TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


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
            _migrate(self.conn)
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
            f"c.last_sentence, {self._dense_column}, a.title, a.published, a.source{text} "
            "FROM chunks c JOIN articles a USING (article_id) ORDER BY c.chunk_id"
        ).fetchall()

    def chunk_table_rows(self) -> list[tuple[str, str, int, int, int, int, int]]:
        """Every chunk as a plain tuple, in no order: id, article id, start, end, first and
        last sentence, dense (whether it has a vector)."""
        cur = self.conn.cursor()
        # Tuples, not sqlite3.Row: a 10k-article index has ~73k chunks, read by every
        # process that answers questions.
        cur.row_factory = None
        return cur.execute(
            'SELECT c.chunk_id, c.article_id, c.start, c."end", c.first_sentence, '
            f"c.last_sentence, {self._dense_column} FROM chunks c"
        ).fetchall()

    def chunk_counts(self) -> tuple[int, int]:
        """How many chunks the store holds, and how many of them have vectors."""
        n, dense = self.conn.execute(
            f"SELECT COUNT(*), {'SUM(dense)' if self._has_dense else 'COUNT(*)'} FROM chunks"
        ).fetchone()
        return n, dense or 0

    def article_facts(self) -> dict[str, tuple[str | None, str | None]]:
        """Article id -> (published as ISO text, source) for every article."""
        cur = self.conn.cursor()
        cur.row_factory = None
        return {
            aid: (published, source)
            for aid, published, source in cur.execute(
                "SELECT article_id, published, source FROM articles"
            )
        }

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

    def chunk_ids_of(self, article_ids: list[str]) -> list[str]:
        """Ids of the chunks of these articles."""
        ids: list[str] = []
        # SQLite caps the parameters of one statement; 500 at a time stays well under.
        for i in range(0, len(article_ids), 500):
            part = article_ids[i : i + 500]
            marks = ",".join("?" * len(part))
            ids += [
                r[0]
                for r in self.conn.execute(
                    f"SELECT chunk_id FROM chunks WHERE article_id IN ({marks})", part
                )
            ]
        return ids

    @property
    def _has_dense(self) -> bool:
        # A store opened read-only is not migrated: one made before heads had every chunk
        # embedded, and no column to say so.
        return "dense" in {r[1] for r in self.conn.execute("PRAGMA table_info(chunks)")}

    @property
    def _dense_column(self) -> str:
        return "c.dense" if self._has_dense else "1 AS dense"

    def chunk_ids(self, dense: bool = False) -> set[str]:
        """Ids of every chunk the store vouches for (dense: only those that have a vector)."""
        where = " WHERE dense=1" if dense and self._has_dense else ""
        return {r[0] for r in self.conn.execute(f"SELECT chunk_id FROM chunks{where}")}

    def head_ends(self, article_ids: list[str]) -> dict[str, int]:
        """Where each article's head (its chunks with vectors) ends in its clean text."""
        out: dict[str, int] = {}
        for i in range(0, len(article_ids), 500):
            part = article_ids[i : i + 500]
            marks = ",".join("?" * len(part))
            where = " AND c.dense=1" if self._has_dense else ""
            out.update(
                self.conn.execute(
                    f'SELECT c.article_id, MAX(c."end") FROM chunks c '
                    f"WHERE c.article_id IN ({marks}){where} GROUP BY c.article_id",
                    part,
                ).fetchall()
            )
        return out

    def stats(self) -> dict[str, Any]:
        """Counts and date range of what the build holds."""
        a = self.conn.execute(
            "SELECT COUNT(*) n, MIN(published) lo, MAX(published) hi FROM articles"
        ).fetchone()
        chunks, dense = self.chunk_counts()
        sources = [
            r[0]
            for r in self.conn.execute(
                "SELECT DISTINCT source FROM articles WHERE source IS NOT NULL ORDER BY source"
            )
        ]
        return {
            "articles": a["n"],
            "chunks": chunks,
            "dense_chunks": dense,
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
                    "INSERT OR REPLACE INTO articles (article_id, path, locator, content_hash, "
                    "title, text, published, date_inferred, source, url, authors, sentences, "
                    "indexed_at, pages) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
                        json.dumps(article.pages) if article.pages is not None else None,
                    ),
                )
                self.conn.executemany(
                    "INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?,?,?)",
                    [
                        (
                            c.chunk_id,
                            c.article_id,
                            c.start,
                            c.end,
                            c.first_sentence,
                            c.last_sentence,
                            int(c.dense),
                        )
                        for c in chunks
                    ],
                )
                if entities is not None and article.article_id in entities:
                    self._put_entities(article.article_id, entities[article.article_id], tagger)
                else:
                    # An earlier version's entities would point into other text.
                    for table in ("entities", "tagged"):
                        self.conn.execute(
                            f"DELETE FROM {table} WHERE article_id=?", (article.article_id,)
                        )
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


def _migrate(conn: sqlite3.Connection) -> None:
    """Add the columns newer builds write to a store made before them."""
    # CREATE TABLE IF NOT EXISTS leaves an older table as it was, without the new columns.
    columns = {r[1] for r in conn.execute("PRAGMA table_info(articles)")}
    if "pages" not in columns:
        with conn:
            conn.execute("ALTER TABLE articles ADD COLUMN pages TEXT")
    if "dense" not in {r[1] for r in conn.execute("PRAGMA table_info(chunks)")}:
        with conn:
            # Stores made before heads embedded every chunk.
            conn.execute("ALTER TABLE chunks ADD COLUMN dense INTEGER NOT NULL DEFAULT 1")


def _row_to_article(row: sqlite3.Row) -> Article:
    # A store opened read-only is not migrated: one made before pages were kept has no column.
    # (`in row` would look among a Row's values, not its column names.)
    pages = row["pages"] if "pages" in row.keys() else None  # noqa: SIM118
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
        pages=[tuple(p) for p in json.loads(pages)] if pages else None,
    )
