"""The records that flow through indexing: raw articles, clean articles, chunks, problems."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date


def day_number(day: date | None) -> int:
    """A date as the integer Chroma's metadata filters compare (2025-03-12 -> 20250312; none: 0)."""
    # Arithmetic, not strftime: the reader converts every chunk's date at load (0.3 s at
    # 10k articles with strftime).
    return day.year * 10000 + day.month * 100 + day.day if day else 0


@dataclass
class RawArticle:
    """An article as a loader found it, before cleaning."""

    text: str
    path: str
    title: str | None = None
    published: str | None = None
    url: str | None = None
    source: str | None = None
    authors: list[str] = field(default_factory=list)
    article_id: str | None = None
    # Where inside the file it came from (line of a .jsonl, item of a .json list).
    locator: str = ""
    # For formats with fixed pages (PDF): the offset in text where page 1, 2, ... begins.
    page_starts: list[int] | None = None


@dataclass
class Article:
    """A cleaned article with the metadata the index keeps about it."""

    article_id: str
    title: str
    text: str
    published: date | None
    date_inferred: bool
    source: str | None
    url: str | None
    authors: list[str]
    path: str
    content_hash: str
    sentences: list[tuple[int, int]]
    # (offset in text, page number) where each page begins, for formats with fixed pages (PDF);
    # None for the others.
    pages: list[tuple[int, int]] | None = None

    def sentence_text(self, i: int) -> str:
        """The verbatim text of sentence i."""
        start, end = self.sentences[i]
        return self.text[start:end]

    def page_at(self, offset: int) -> int | None:
        """The page number the character at offset is on, or None where there are no pages."""
        if not self.pages:
            return None
        i = bisect.bisect_right(self.pages, offset, key=lambda p: p[0]) - 1
        return self.pages[max(i, 0)][1]


@dataclass
class Chunk:
    """A run of whole sentences of one article, small enough for the embedding window."""

    chunk_id: str
    article_id: str
    text: str
    start: int
    end: int
    first_sentence: int
    last_sentence: int
    # Whether it is in the article's head (IndexSettings.head_chunks): embedded and tagged.
    dense: bool = True


@dataclass
class Problem:
    """A file (or part of one) that was skipped, and why."""

    path: str
    reason: str
    # False for what reading the same file again cannot change (a web archive's non-HTML
    # records): the file is then taken as read and not read again while it stays the same.
    retry: bool = True

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class ArticleError(ValueError):
    """An article that cannot be indexed; the message says why."""
