"""The chunks of one build as columns, for the reader: what retrieval needs to know of each
chunk (its article, span, sentences, date and source) without a Python object per chunk."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np

from index.articles import day_number

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
        self.ids: list[str] = list(cols[0])
        self._article_ids: tuple[str, ...] = cols[1]
        self._spans = cols[2:6]
        self.dense_count = int(sum(cols[6]))
        self._row = dict(zip(self.ids, range(len(self.ids)), strict=True))
        self._published = {
            aid: date.fromisoformat(pub) if pub else None for aid, (pub, _) in articles.items()
        }
        self._source = {aid: src for aid, (_, src) in articles.items()}
        day = {aid: day_number(pub) for aid, pub in self._published.items()}
        # Per-row columns for masking BM25's scores by date and source.
        self.published_days = np.array([day.get(a, 0) for a in self._article_ids])
        self.sources = np.array(
            [(self._source.get(a) or "").casefold() for a in self._article_ids], dtype=object
        )
        self._made: dict[str, ChunkInfo] = {}
        self._rows_of: dict[str, list[int]] | None = None

    def __getitem__(self, chunk_id: str) -> ChunkInfo:
        info = self._made.get(chunk_id)
        if info is None:
            row = self._row[chunk_id]
            aid = self._article_ids[row]
            start, end, first, last = (col[row] for col in self._spans)
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
        return chunk_id in self._row

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def rows_of(self, article_id: str) -> list[int]:
        """The rows (BM25 index positions) of an article's chunks."""
        if self._rows_of is None:
            rows_of: dict[str, list[int]] = {}
            for row, aid in enumerate(self._article_ids):
                rows_of.setdefault(aid, []).append(row)
            self._rows_of = rows_of
        return self._rows_of.get(article_id, [])

    def articles_of(self, rows: Iterable[int]) -> frozenset[str]:
        """The articles the given rows (BM25 index positions) belong to."""
        return frozenset(self._article_ids[int(r)] for r in rows)

    def firsts(self) -> Iterator[ChunkInfo]:
        """The first chunk of each article: one look at each article's date and source."""
        seen: set[str] = set()
        for row, aid in enumerate(self._article_ids):
            if aid not in seen:
                seen.add(aid)
                yield self[self.ids[row]]
