"""The chunks of one build as columns, for the reader: what retrieval needs to know of each
chunk (its article, span, sentences, date and source) without a Python object per chunk.

The columns are saved per revision in the build folder, as the keyword index is: reading
~73k rows from the store and ordering them was ~0.5 s of a cold `newsdesk ask` at 10k
articles, and loading the save takes a tenth of that. The save is a cache: a missing, stale
or unreadable one is read again from the store.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import os
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index import saves
from index.articles import day_number

if TYPE_CHECKING:
    from index.store import ArticleDB

FOLDER = "chunk_table"
# Bumped when what a save holds changes, so an older save is read as stale (2: which rows
# have a vector).
FORMAT = 2

# One chunk row as the store gives it: chunk id, article id, start, end, first sentence,
# last sentence, dense (whether it has a vector).
ChunkRow = tuple[str, str, int, int, int, int, int]


@dataclass(frozen=True)
class ChunkInfo:
    """What the store says about one chunk."""

    chunk_id: str
    article_id: str
    start: int
    end: int
    first_sentence: int
    last_sentence: int
    published: date | None
    source: str | None


class ChunkTable(Mapping[str, ChunkInfo]):
    """Chunk id -> ChunkInfo, in chunk id order (the BM25 index's row order).

    A ChunkInfo is made when first asked for: a 10k-article index holds ~73k chunks, and
    making every one of them as the build loaded was about a second of a cold `newsdesk ask`
    that then looks at a few dozen.
    """

    def __init__(
        self, rows: list[ChunkRow], articles: dict[str, tuple[str | None, str | None]]
    ) -> None:
        # Sorted here rather than by SQL: SQLite orders through the primary key's index, one
        # table lookup per row, which took longer than reading the rows and sorting them.
        rows.sort()
        cols = list(zip(*rows, strict=True)) if rows else [()] * 7
        names = list(dict.fromkeys(cols[1]))
        number = {aid: i for i, aid in enumerate(names)}
        self._set(
            list(cols[0]),
            names,
            np.array([number[a] for a in cols[1]], dtype=np.int32),
            np.array(cols[2:6], dtype=np.int64).reshape(4, len(rows)).T,
            np.array(cols[6], dtype=bool),
            articles,
        )

    def _set(
        self,
        ids: list[str],
        names: list[str],
        article_of: np.ndarray,
        spans: np.ndarray,
        has_vector: np.ndarray,
        articles: dict[str, tuple[str | None, str | None]],
    ) -> None:
        """Take the columns: ids in order, each row's article (a number into names), spans,
        whether it has a vector."""
        self.ids = ids
        self._names = names
        self._article_of = article_of
        self._spans = spans
        # Which rows have a vector in Chroma: a filtered dense search asks for those by id.
        self.has_vector = has_vector
        self.dense_count = int(has_vector.sum())
        self._facts = articles
        self._published = {
            aid: date.fromisoformat(pub) if pub else None for aid, (pub, _) in articles.items()
        }
        self._source = {aid: src for aid, (_, src) in articles.items()}
        # Per-row columns for masking BM25's scores by date and source.
        days = np.array([day_number(self._published.get(a)) for a in names], dtype=np.int64)
        sources = np.array([(self._source.get(a) or "").casefold() for a in names], dtype=object)
        self.published_days = days[article_of]
        self.sources = sources[article_of]
        self._made: dict[str, ChunkInfo] = {}
        self._rows_of: dict[str, list[int]] | None = None

    def _row(self, chunk_id: str) -> int | None:
        # The ids are sorted: a bisection instead of a dict of ~73k ids, built at every load.
        row = bisect.bisect_left(self.ids, chunk_id)
        return row if row < len(self.ids) and self.ids[row] == chunk_id else None

    def __getitem__(self, chunk_id: str) -> ChunkInfo:
        info = self._made.get(chunk_id)
        if info is None:
            row = self._row(chunk_id)
            if row is None:
                raise KeyError(chunk_id)
            aid = self._names[self._article_of[row]]
            start, end, first, last = (int(x) for x in self._spans[row])
            info = ChunkInfo(
                chunk_id,
                aid,
                start,
                end,
                first,
                last,
                self._published.get(aid),
                self._source.get(aid),
            )
            self._made[chunk_id] = info
        return info

    def __contains__(self, chunk_id: object) -> bool:
        return isinstance(chunk_id, str) and self._row(chunk_id) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def article_count(self) -> int:
        """How many articles the chunks come from."""
        return len(self._names)

    def articles_passing(self, rows: np.ndarray, also: frozenset[str] = frozenset()) -> int:
        """How many articles have a row in the mask, counting those in `also` too."""
        numbers = np.unique(self._article_of[rows])
        if not also:
            return int(numbers.size)
        return len({self._names[n] for n in numbers.tolist()} | also)

    def rows_of(self, article_id: str) -> list[int]:
        """The rows (BM25 index positions) of an article's chunks."""
        if self._rows_of is None:
            rows_of: dict[str, list[int]] = {}
            for row, number in enumerate(self._article_of.tolist()):
                rows_of.setdefault(self._names[number], []).append(row)
            self._rows_of = rows_of
        return self._rows_of.get(article_id, [])

    def articles_of(self, rows: Iterable[int]) -> frozenset[str]:
        """The articles the given rows (BM25 index positions) belong to."""
        return frozenset(self._names[self._article_of[int(r)]] for r in rows)

    def firsts(self) -> Iterator[ChunkInfo]:
        """The first chunk of each article: one look at each article's date and source."""
        seen: set[str] = set()
        for row, number in enumerate(self._article_of.tolist()):
            aid = self._names[number]
            if aid not in seen:
                seen.add(aid)
                yield self[self.ids[row]]


# What reading a save that is missing or damaged raises (JSON and UTF-8 errors are ValueErrors).
_DAMAGE = (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile)


def _blob(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _text(blob: np.ndarray) -> str:
    return blob.tobytes().decode("utf-8")


def _meta(revision: int, chunks: int, dense: int) -> dict[str, int]:
    return {"format": FORMAT, "revision": revision, "chunks": chunks, "dense": dense}


def save(table: ChunkTable, build_path: Path, revision: int) -> None:
    """Save the table for this revision of the build's store (atomically); drop older saves."""
    folder = build_path / FOLDER
    folder.mkdir(exist_ok=True)
    final = _path(build_path, revision)
    tmp = saves.tmp_path(folder, ".npz")
    try:
        with tmp.open("wb") as f:
            np.savez(
                f,
                meta=_blob(json.dumps(_meta(revision, len(table), table.dense_count))),
                ids=_blob("\n".join(table.ids)),
                names=_blob("\n".join(table._names)),
                article_of=table._article_of,
                spans=table._spans,
                has_vector=table.has_vector,
                facts=_blob(json.dumps(table._facts)),
            )
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    saves.drop_superseded(folder, revision)


def _path(build_path: Path, revision: int) -> Path:
    return build_path / FOLDER / f"r{revision}.npz"


def is_saved(build_path: Path, revision: int, chunks: int, dense: int) -> bool:
    """Whether a save for this revision and these counts is there (its meta alone is read)."""
    try:
        # An .npz reads a member only when it is asked for.
        with np.load(_path(build_path, revision), allow_pickle=False) as saved:
            return json.loads(_text(saved["meta"])) == _meta(revision, chunks, dense)
    except _DAMAGE:
        return False


def load(build_path: Path, revision: int, chunks: int, dense: int) -> ChunkTable | None:
    """The saved table for this revision with these counts of chunks, or None."""
    try:
        with np.load(_path(build_path, revision), allow_pickle=False) as saved:
            if json.loads(_text(saved["meta"])) != _meta(revision, chunks, dense):
                return None
            ids = _text(saved["ids"]).split("\n") if chunks else []
            names = _text(saved["names"]).split("\n") if chunks else []
            article_of, spans = saved["article_of"], saved["spans"]
            has_vector = saved["has_vector"]
            facts = {a: (p, s) for a, (p, s) in json.loads(_text(saved["facts"])).items()}
    except _DAMAGE:
        return None
    # A save cut short or written wrong does not line up with its own counts.
    if len(ids) != chunks or article_of.shape != (chunks,) or spans.shape != (chunks, 4):
        return None
    if has_vector.dtype != bool or has_vector.shape != (chunks,) or has_vector.sum() != dense:
        return None
    if chunks and not (article_of.min() >= 0 and article_of.max() < len(names)):
        return None
    table = ChunkTable.__new__(ChunkTable)
    table._set(ids, names, article_of, spans, has_vector, facts)
    return table


def load_or_read(
    build_path: Path, db: ArticleDB, revision: int, counts: tuple[int, int]
) -> ChunkTable:
    """The table of the store's chunks at this revision: the save, else read (and saved).

    counts: the store's chunks and those with vectors (ArticleDB.chunk_counts), which a save
    must match.
    """
    table = load(build_path, revision, *counts)
    if table is None:
        table = ChunkTable(db.chunk_table_rows(), db.article_facts())
        # A read-only or full disk only costs the next process the same read.
        with contextlib.suppress(OSError):
            save(table, build_path, revision)
    return table


def ensure_saved(build_path: Path, db: ArticleDB) -> None:
    """Save the table for the store's current revision, so the first question need not read it."""
    revision, counts = db.revision(), db.chunk_counts()
    # The meta is enough here, as for the keyword index: a save damaged since is caught and
    # replaced by the reader that loads it.
    if not is_saved(build_path, revision, *counts):
        load_or_read(build_path, db, revision, counts)
