"""Reading the live build of an index: its chunks, articles and entities, and searching its
vectors (Chroma) and keywords (BM25). A reader is a consistent view, reloaded on change."""

from __future__ import annotations

import contextlib
import copy
import math
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from index import chunk_table
from index.articles import Article, day_number
from index.chunk_table import ChunkInfo, ChunkTable
from index.entities import Entity
from index.errors import FIX_REINDEX, IndexDamagedError
from index.health import damaged_store, live_collection, live_pointer, open_live_store
from index.layout import Pointer
from index.settings import IndexSettings
from index.store import ArticleDB
from index.vectors import chroma_client

# A filtered dense search lists the ids of the chunks that pass, up to this many: on news-dev
# (36,011 chunks) Chroma answered 95 ids in 6.6 ms and 1,972 in 17.7 ms, against 12.1 and
# 22.5 ms for the same search as a metadata filter on the dates (same results).
DENSE_IDS_AT_MOST = 2000

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

    from index.entities import TaggerProcess
    from index.keyword import KeywordIndex


@dataclass(frozen=True)
class Filters:
    """Which articles a question may draw on."""

    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = ()
    # Articles left out (by id): bench/learn_ranker.py asks questions without their answer.
    exclude: frozenset[str] = frozenset()
    # Only these articles (by id), where set: a search inside the articles another one found.
    within: frozenset[str] | None = None

    def allows(self, chunk: ChunkInfo) -> bool:
        """Whether a chunk passes the filters."""
        if chunk.article_id in self.exclude:
            return False
        if self.within is not None and chunk.article_id not in self.within:
            return False
        if self.since and (chunk.published is None or chunk.published < self.since):
            return False
        if self.until and (chunk.published is None or chunk.published > self.until):
            return False
        return not self.sources or (chunk.source or "").casefold() in {
            s.casefold() for s in self.sources
        }

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return bool(self.since or self.until or self.sources or self.within is not None)


class _Background:
    """A call run on its own thread; result() waits for it and raises what it raised."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self._call = call
        self._out: tuple[bool, object] | None = None
        self._thread = threading.Thread(target=self._run, name="newsdesk-load", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._out = (True, self._call())
        except BaseException as exc:  # handed to the caller of result()
            self._out = (False, exc)

    def result(self) -> Any:
        """What the call returned (waits for it)."""
        self._thread.join()
        assert self._out is not None
        ok, value = self._out
        if not ok:
            raise value  # type: ignore[misc]
        return value


# spaCy's pipeline is not made to be run by two threads at once.
_TAGGING = threading.Lock()


class IndexReader:
    """A consistent, read-only view of the live build, reloaded when an indexer changes it."""

    def __init__(self, settings: IndexSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._pointer: Pointer | None = None
        self._revision = -1
        self._db: ArticleDB | None = None
        # A connection outside the snapshot's transaction, to see an indexer's new revision.
        self._probe: ArticleDB | None = None
        self.missing_vectors = 0
        self.dense_chunks = 0
        self.doc_freq: dict[str, int] = {}
        self._tagger: TaggerProcess | None = None
        # The last search of each kind, by its arguments (see _same_search).
        self._last_search: dict[str, tuple[tuple[object, ...], list[tuple[str, float]]]] = {}

    # -- loading -------------------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        """Reload if the live build or its revision changed since the last look."""
        pointer = live_pointer(self.settings.index_dir)
        with self._lock:
            same = pointer == self._pointer and self._probe is not None
            if not force and same and self._probe.revision() == self._revision:
                return
            self._load(pointer)

    def snapshot(self) -> IndexReader:
        """A frozen copy of the view as loaded now, which a later reload leaves untouched."""
        with self._lock:
            # One question reads its chunks and then their articles; another thread's reload in
            # between must not swap the store under it.
            view = copy.copy(self)
        # The search memo serves one question's retrievers; a shallow copy would share it
        # across questions and threads, so a question could reuse an earlier one's hits and
        # never reach a store that has since gone away.
        view._last_search = {}
        return view

    def _load(self, pointer: Pointer) -> None:
        from index import keyword

        db = open_live_store(self.settings.index_dir, pointer, pragma=None)
        path = db.path
        # Chroma's client takes ~0.9 s to import and open and its first count ~0.3 s, most of
        # it outside the GIL: it opens beside the store's read instead of after it.
        vectors = _Background(lambda: self._open_vectors(pointer))
        try:
            # One read transaction for the life of this load: articles read later, on demand,
            # come from the same committed state as the chunks, even if an indexer commits.
            db.conn.execute("BEGIN")
            revision = db.revision()
            stats = db.stats()
            counts = (stats["chunks"], stats["dense_chunks"])
            chunks = chunk_table.load_or_read(path.parent, db, revision, counts)
        except sqlite3.DatabaseError as exc:
            db.close()
            with contextlib.suppress(Exception):
                vectors.result()  # not left opening beside the error
            raise damaged_store(path, exc) from exc
        try:
            bm25 = keyword.load_or_build(path.parent, revision, chunks.ids, db.chunk_rows)
            collection, count = vectors.result()
        except BaseException:
            db.close()
            raise
        # Chunks whose vectors are gone are found by keywords only; the CLI warns about them.
        dense = chunks.dense_count
        if dense and count == 0:
            db.close()
            raise IndexDamagedError(
                f"the vectors of the live build are gone (Chroma collection "
                f"{pointer.collection} is empty)",
                FIX_REINDEX,
            )
        probe = ArticleDB(path, readonly=True)
        old_probe, self._probe = self._probe, probe
        # The previous store stays open for snapshots still answering from it; it closes when
        # the last of them is gone.
        self._db = db
        self._pointer = pointer
        self._revision = revision
        self.dense_chunks = dense
        self.missing_vectors = max(0, dense - count)
        self.chunks: ChunkTable = chunks
        self.chunk_order = chunks.ids
        self.collection: Collection = collection
        self.bm25: KeywordIndex | None = bm25
        self.doc_freq = bm25.doc_freq() if bm25 is not None else {}
        self._articles: dict[str, Article] = {}
        self._last_search = {}
        self._entities: dict[str, list[Entity] | None] = {}
        # Entities tagged at question time past an article's head (tag_sentences), by
        # article and sentence, kept for the life of this load and shared by its snapshots.
        self._late: dict[str, dict[int, list[Entity]]] = {}
        self._tagged_until: dict[str, int] = {}
        self.stats = stats
        if old_probe is not None:
            old_probe.close()

    def _open_vectors(self, pointer: Pointer) -> tuple[Collection, int]:
        # Fresh: a revision another process wrote is in the store's log, not yet in the vector
        # index this process loaded before (index/vectors.py).
        client = chroma_client(self.settings, for_reading=True, fresh=True)
        collection = live_collection(client, pointer)
        return collection, collection.count()

    # -- reads ---------------------------------------------------------------------------
    def article_count(
        self, filters: Filters | None = None, also: frozenset[str] = frozenset()
    ) -> int:
        """How many articles the index holds, or those that pass the filters together with
        the articles in `also` (a search admits them besides)."""
        passing = self._passing(filters) if filters is not None else None
        if passing is None:
            return self.chunks.article_count
        return self.chunks.articles_passing(passing, also)

    def article(self, article_id: str) -> Article:
        """An article of the live build (cached)."""
        art = self._articles.get(article_id)
        if art is None:
            assert self._db is not None
            with self._lock, self._damage_explained():
                art = self._db.article(article_id)
            if art is None:
                raise KeyError(article_id)
            self._articles[article_id] = art
        return art

    def entities(
        self, article_id: str, sentences: Collection[int] | None = None
    ) -> list[Entity] | None:
        """The named entities of an article: those the indexer stored for its head and those
        tag_sentences found since (None: none of it was ever tagged).

        sentences: of the latter, only those of these sentences. A question names the
        sentences it had tagged, so that what earlier questions had tagged (kept, to tag
        nothing twice) does not change its answer.
        """
        stored = self._stored_entities(article_id)
        by_sentence = self._late.get(article_id, {})
        # A copy of the keys: another question may be tagging into this article meanwhile.
        wanted = tuple(by_sentence) if sentences is None else set(sentences)
        late = [e for i in wanted for e in by_sentence.get(i, ())]
        if not late:
            return stored
        return sorted([*(stored or []), *late], key=lambda e: e.start)

    def _stored_entities(self, article_id: str) -> list[Entity] | None:
        if article_id not in self._entities:
            assert self._db is not None
            with self._lock, self._damage_explained():
                self._entities[article_id] = self._db.entities(article_id)
        return self._entities[article_id]

    def _tagged_end(self, article_id: str) -> int:
        """Where the entities stored for an article end in its text (its head; 0: untagged)."""
        if article_id not in self._tagged_until:
            end = 0
            if self._stored_entities(article_id) is not None:
                assert self._db is not None
                with self._lock, self._damage_explained():
                    end = self._db.head_ends([article_id]).get(article_id, 0)
            self._tagged_until[article_id] = end
        return self._tagged_until[article_id]

    def load_tagger(self) -> None:
        """Load the entity tagger now rather than when tag_sentences first needs it."""
        from index.entities import shared_tagger

        with _TAGGING:
            shared_tagger().tag(["warm up"])

    def tag_in_child(self) -> None:
        """Start loading the entity tagger in a child process, which tags from then on: for a
        fresh process's first question, where the load then runs beside the index's."""
        from index.entities import TaggerProcess

        self._tagger = TaggerProcess()

    def _tag(self, texts: list[str]) -> list[list[Entity]]:
        if self._tagger is not None:
            return self._tagger.tag(texts)
        from index.entities import shared_tagger

        return shared_tagger().tag(texts)

    def tag_sentences(self, wanted: dict[str, list[int]]) -> bool:
        """Tag the sentences asked for (article id -> sentence indices) that lie past their
        article's stored entities (the indexer tags only the head, or nothing), unless an
        earlier call did; whether any lie there. One tagger call for all of them."""
        past: list[tuple[str, int]] = []
        with _TAGGING:
            for article_id, indices in wanted.items():
                art = self.article(article_id)
                until = self._tagged_end(article_id)
                past += [
                    (article_id, i) for i in dict.fromkeys(indices) if art.sentences[i][0] >= until
                ]
            todo = [(aid, i) for aid, i in past if i not in self._late.get(aid, {})]
            texts = [self.article(aid).sentence_text(i) for aid, i in todo]
            for (aid, i), ents in zip(todo, self._tag(texts) if todo else [], strict=True):
                start = self.article(aid).sentences[i][0]
                self._late.setdefault(aid, {})[i] = [
                    Entity(start + e.start, start + e.end, e.label) for e in ents
                ]
        return bool(past)

    @contextlib.contextmanager
    def _damage_explained(self) -> Iterator[None]:
        """A store that breaks under a question is reported as damage, not as a traceback."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            path = self._db.path if self._db else self.settings.index_dir
            raise damaged_store(path, exc) from exc

    def rarity(self, stem: str) -> float:
        """How much a word tells apart passages: 0.5 for one in every chunk, 1.5 for the rarest.

        BM25's own document frequencies (same Snowball stems) give the inverse document
        frequency, so "turnout" outweighs "election" when both are asked about.
        """
        n = len(self.chunk_order)
        if n == 0:
            return 1.0
        df = self.doc_freq.get(stem, 1)

        def idf(d: int) -> float:
            return math.log(1 + (n - d + 0.5) / (d + 0.5))

        return 0.5 + idf(min(df, n)) / idf(1)

    def articles_naming(self, word: str) -> frozenset[str]:
        """The articles with a chunk that holds a word ("2022"), as the keyword index reads it."""
        if self.bm25 is None:
            return frozenset()
        return self.chunks.articles_of(self.bm25.rows_with(word))

    def chunk_text(self, chunk_id: str) -> str:
        """The clean text of one chunk, cut from its article."""
        info = self.chunks[chunk_id]
        return self.article(info.article_id).text[info.start : info.end]

    def dense(self, vector: list[float], k: int, filters: Filters) -> list[tuple[str, float]]:
        """The k chunks nearest a query vector that pass the filters: (chunk id, similarity)."""
        key = (tuple(vector), k, filters)
        return self._same_search("dense", key, lambda: self._dense(vector, k, filters))

    def _same_search(
        self,
        kind: str,
        key: tuple[object, ...],
        search: Callable[[], list[tuple[str, float]]],
    ) -> list[tuple[str, float]]:
        # Two retrievers of one question ask the same search (assistant.retrieval); the second
        # gets the first's answer. Each snapshot (one question) has its own memo.
        last = self._last_search.get(kind)
        if last is None or last[0] != key:
            last = (key, search())
            self._last_search[kind] = last
        return list(last[1])

    def _dense(self, vector: list[float], k: int, filters: Filters) -> list[tuple[str, float]]:
        passing = self._passing(filters)
        if passing is not None and not passing.any():
            # No chunk is dated inside the filters (the recent days of an archive not updated
            # lately): Chroma's filtered query would cost as much as a real one to find nothing.
            return []
        # Chroma is queried directly, not through llama-index's vector store: importing
        # llama-index costs about 1 s of a cold `newsdesk ask`, and the query is one call.
        res = None
        if passing is not None and not self.missing_vectors:
            res = self._dense_among(vector, k, np.flatnonzero(passing & self.chunks.has_vector))
        if res is None:
            res = self._dense_where(vector, k, filters)
        out = []
        for cid, distance in zip(res["ids"][0], res["distances"][0], strict=True):
            info = self.chunks.get(cid)
            # Vectors the store does not vouch for are leftovers of an interrupted run.
            if info is not None and filters.allows(info):
                # The similarity llama-index's Chroma store reports, which the evidence
                # thresholds were calibrated on.
                out.append((info.chunk_id, math.exp(-distance)))
        return out

    def _dense_among(self, vector: list[float], k: int, rows: np.ndarray) -> Any | None:
        """Chroma's nearest of the chunks in these rows, asked for by id; None when there
        are too many ids to list or Chroma lacks one of them (then ask with a filter)."""
        if len(rows) > DENSE_IDS_AT_MOST:
            return None
        if not len(rows):
            return {"ids": [[]], "distances": [[]]}
        from chromadb.errors import ChromaError

        try:
            return self.collection.query(
                query_embeddings=[vector],
                ids=[self.chunk_order[r] for r in rows.tolist()],
                n_results=min(k, len(rows)),
                include=["distances"],
            )
        except ChromaError:
            # A row the store says has a vector that Chroma lacks ("Error finding id"): the
            # metadata filter (_dense_where) finds the rest.
            return None

    def _dense_where(self, vector: list[float], k: int, filters: Filters) -> Any:
        """Chroma's nearest chunks that pass its metadata filter for the dates."""
        bounds = []
        if filters.since:
            bounds.append({"published_int": {"$gte": day_number(filters.since)}})
        if filters.until:
            bounds.append({"published_int": {"$lte": day_number(filters.until)}})
        where = {"$and": bounds} if len(bounds) > 1 else (bounds[0] if bounds else None)
        return self.collection.query(
            query_embeddings=[vector],
            n_results=min(k, max(1, len(self.chunks))),
            where=where,
            include=["distances"],
        )

    def _passing(self, filters: Filters) -> np.ndarray | None:
        """Which chunk rows pass the filters, by their columns (None: no filter is set)."""
        if not filters.active:
            return None
        keep = np.ones(len(self.chunk_order), dtype=bool)
        days = self.chunks.published_days
        if filters.since:
            keep &= days >= day_number(filters.since)
        if filters.until:
            keep &= (days <= day_number(filters.until)) & (days > 0)
        if filters.sources:
            keep &= np.isin(self.chunks.sources, [s.casefold() for s in filters.sources])
        if filters.within is not None:
            inside = np.zeros(len(self.chunk_order), dtype=bool)
            for aid in filters.within:
                inside[self.chunks.rows_of(aid)] = True
            keep &= inside
        return keep

    def keyword(self, query: str, k: int, filters: Filters) -> list[tuple[str, float]]:
        """The k chunks BM25 scores highest for the query's words that pass the filters."""
        key = (query, k, filters)
        return self._same_search("keyword", key, lambda: self._keyword(query, k, filters))

    def _keyword(self, query: str, k: int, filters: Filters) -> list[tuple[str, float]]:
        if self.bm25 is None:
            return []
        passing = self._passing(filters)
        if passing is not None and not passing.any():
            return []
        mask = None if passing is None else passing.astype(int)
        out = []
        for row, score in self.bm25.search(query, k, mask):
            info = self.chunks.get(self.chunk_order[row])
            if info is not None and filters.allows(info):
                out.append((info.chunk_id, score))
        return out
