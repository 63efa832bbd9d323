"""Tagging the heads of a run's articles while the run reads and embeds the rest.

spaCy's NER runs on one core. An indexing run read its files (one core), embedded (both
cores) and only then tagged (one core again), so for two of its three stages the second core
sat idle. A bulk run now tags in a child process from the moment enough articles are read.
"""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import threading
import time
from typing import TYPE_CHECKING, Any

from index.entities import STALL_SECONDS, Entity, shared_tagger, start_tag_worker

if TYPE_CHECKING:
    from index.articles import Article

# Articles per request to the child, and how many a run must have to tag before a child is
# worth its start (~2 s of one core to load spaCy there, which at 64 heads tagging takes about
# as long): a run of a few articles (a watched file saved, an upload) tags them here, in the
# tagger a long-lived process keeps loaded. Past that a child gains even where this process
# has spaCy loaded already, since it tags beside the reading and the embedding.
BATCH = 64
START_AT = BATCH


class HeadTagging:
    """Entities of each article's head (text[:end]), tagged as articles are added.

    A child process (`python -m index.tag_worker`, the tagger `newsdesk ask` also starts)
    tags once START_AT articles wait; until then, and for whatever the child fails to tag,
    they are tagged here in result(). A plain child rather than multiprocessing's: spawn
    re-imports the caller's main script in the child, which would run a user's unguarded
    script (one that indexes at its top level) a second time.
    """

    def __init__(self) -> None:
        self._waiting: list[tuple[str, str]] = []  # (article id, head text)
        self._sent: list[list[tuple[str, str]]] = []  # the batches given to the child, in order
        self._child: subprocess.Popen[str] | None = None
        self._refused = False
        # Requests go out and answers come back on threads of their own: a batch can be
        # larger than a pipe's buffer, and this thread must go on reading and embedding
        # while the child is busy.
        self._outbox: queue.Queue[list[str] | None] = queue.Queue()
        self._answers: list[list[list[Any]]] = []
        self._threads: list[threading.Thread] = []
        self._reader: threading.Thread | None = None

    def add(self, articles: list[tuple[Article, int]]) -> None:
        """Articles to tag, each with where its head ends in its text."""
        self._waiting += [(a.article_id, a.text[:end]) for a, end in articles]
        if self._child is None and not self._refused and len(self._waiting) >= START_AT:
            self._start()
        if self._child is not None:
            while len(self._waiting) >= BATCH:
                batch, self._waiting = self._waiting[:BATCH], self._waiting[BATCH:]
                self._sent.append(batch)
                self._outbox.put([text for _, text in batch])

    def _start(self) -> None:
        try:
            child = start_tag_worker()
        except OSError:
            self._refused = True  # no child here: everything is tagged in this process
            return
        self._child = child
        for target in (self._write, self._read):
            thread = threading.Thread(target=target, args=(child,), daemon=True)
            thread.start()
            self._threads.append(thread)
        self._reader = self._threads[-1]

    def _write(self, child: subprocess.Popen[str]) -> None:
        assert child.stdin is not None
        with contextlib.suppress(OSError, ValueError):  # the child is gone: result() sees it
            while (texts := self._outbox.get()) is not None:
                child.stdin.write(json.dumps(texts) + "\n")
                child.stdin.flush()
            child.stdin.close()  # the child ends at the end of its input

    def _read(self, child: subprocess.Popen[str]) -> None:
        assert child.stdout is not None
        with contextlib.suppress(OSError, ValueError):
            if not json.loads(child.stdout.readline() or "{}").get("ready"):
                return
            for line in child.stdout:
                self._answers.append(json.loads(line))

    def result(self) -> tuple[dict[str, list[Entity]], float]:
        """Every added article's entities, and the seconds this call waited or tagged."""
        started = time.perf_counter()
        found: dict[str, list[Entity]] = {}
        here = list(self._waiting)
        if self._child is not None:
            self._outbox.put(None)
            self._await_child()
            self.close()  # its pipes close with it, which ends both threads
            for thread in self._threads:
                thread.join()
            for n, batch in enumerate(self._sent):
                if n >= len(self._answers):  # the child died first: tagged here instead
                    here += batch
                    continue
                for (aid, _), ents in zip(batch, self._answers[n], strict=True):
                    found[aid] = [Entity(s, e, label) for s, e, label in ents]
        if here:
            tagged = shared_tagger().tag([text for _, text in here])
            found.update({aid: ents for (aid, _), ents in zip(here, tagged, strict=True)})
        self._waiting, self._sent, self._answers = [], [], []
        return found, time.perf_counter() - started

    def _await_child(self) -> None:
        """Wait for the child's answers until it ends, or until it goes STALL_SECONDS
        without one (it is stuck: what it has not answered is tagged here)."""
        reader = self._reader
        assert reader is not None
        answered, since = len(self._answers), time.monotonic()
        while reader.is_alive():
            reader.join(timeout=min(1.0, STALL_SECONDS))
            if len(self._answers) != answered:
                answered, since = len(self._answers), time.monotonic()
            elif time.monotonic() - since >= STALL_SECONDS:
                return

    def close(self) -> None:
        """End the child, if one was started (what it had not tagged is dropped)."""
        child, self._child = self._child, None
        if child is not None:
            self._outbox.put(None)
            with contextlib.suppress(OSError):
                child.kill()
            child.wait()
