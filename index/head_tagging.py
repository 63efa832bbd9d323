"""Tagging the heads of a run's articles while the run reads and embeds the rest.

spaCy's NER runs on one core. An indexing run read its files (one core), embedded (both
cores) and only then tagged (one core again), so for two of its three stages the second core
sat idle. A bulk run now tags in a child process from the moment enough articles are read.
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING

from index.entities import Entity, shared_tagger

if TYPE_CHECKING:
    from index.articles import Article

# Articles per request to the child, and how many a run must have to tag before a child is
# worth its start (~2 s of one core to load spaCy there, which at 64 heads tagging takes about
# as long): a run of a few articles (a watched file saved, an upload) tags them here, in the
# tagger a long-lived process keeps loaded. Past that a child gains even where this process
# has spaCy loaded already, since it tags beside the reading and the embedding.
BATCH = 64
START_AT = BATCH


def tag_texts(texts: list[str]) -> list[list[tuple[int, int, str]]]:
    """The child's work: entities of each text as plain tuples (they cross a pipe)."""
    return [[(e.start, e.end, e.label) for e in ents] for ents in shared_tagger().tag(texts)]


class HeadTagging:
    """Entities of each article's head (text[:end]), tagged as articles are added.

    A child process tags once START_AT articles wait; until then, and for whatever the child
    fails to tag, they are tagged here in result().
    """

    def __init__(self) -> None:
        self._waiting: list[tuple[str, str]] = []  # (article id, head text)
        self._sent: list[tuple[list[str], list[str], Future[list[list[tuple[int, int, str]]]]]] = []
        self._pool: ProcessPoolExecutor | None = None
        self._refused = False

    def add(self, articles: list[tuple[Article, int]]) -> None:
        """Articles to tag, each with where its head ends in its text."""
        self._waiting += [(a.article_id, a.text[:end]) for a, end in articles]
        if self._pool is None and not self._refused and len(self._waiting) >= START_AT:
            self._start()
        if self._pool is not None:
            while len(self._waiting) >= BATCH:
                self._send(self._waiting[:BATCH])
                del self._waiting[:BATCH]

    def _start(self) -> None:
        try:
            # spawn, not fork: this process may hold ONNX runtime's and Chroma's threads.
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        except (OSError, RuntimeError):
            self._refused = True

    def _send(self, items: list[tuple[str, str]]) -> None:
        assert self._pool is not None
        ids, texts = [i for i, _ in items], [t for _, t in items]
        try:
            self._sent.append((ids, texts, self._pool.submit(tag_texts, texts)))
        except RuntimeError:  # the pool broke: the rest is tagged here
            self._waiting += items
            self.close()
            self._refused = True

    def result(self) -> tuple[dict[str, list[Entity]], float]:
        """Every added article's entities, and the seconds this call waited or tagged."""
        started = time.perf_counter()
        found: dict[str, list[Entity]] = {}
        here: list[tuple[str, str]] = list(self._waiting)
        for ids, texts, future in self._sent:
            try:
                tagged = future.result()
            except Exception:  # the child died or failed: these are tagged here instead
                here += list(zip(ids, texts, strict=True))
                continue
            for aid, ents in zip(ids, tagged, strict=True):
                found[aid] = [Entity(s, e, label) for s, e, label in ents]
        self.close(wait=True)
        if here:
            tagged_here = shared_tagger().tag([t for _, t in here])
            found.update({aid: ents for (aid, _), ents in zip(here, tagged_here, strict=True)})
        self._waiting, self._sent = [], []
        return found, time.perf_counter() - started

    def close(self, wait: bool = False) -> None:
        """End the child, if one was started (what it had not tagged is dropped)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)
