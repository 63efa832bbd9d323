"""Keeping an index current (`newsdesk watch`): its files, folders and URLs are indexed once, then
files again as they change (watchfiles), URLs (feeds) again every interval.

Each run is an ordinary incremental `Indexer.run` of what changed: unchanged articles are not
re-embedded, a deleted file's articles leave, and readers (a running chat) see the new revision
on their next question. A busy index (another indexer holds it) is tried again a few seconds
later, not given up on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from index.articles import Problem
from index.errors import IndexBusyError
from index.fetch import is_url
from index.loaders import suffix_of
from index.pipeline import Indexer
from index.report import IndexReport
from index.settings import IndexSettings

# Changes are grouped into one run: it starts once the files have been quiet for QUIET_MS (an
# editor's save, a copy of several files), or DEBOUNCE_MS after the first change at the latest.
QUIET_MS = 300
DEBOUNCE_MS = 1600
# How often the loop looks up from waiting for changes: for URLs come due, a retry, a stop.
TICK_MS = 1000
# A busy index is tried again this long after.
RETRY_S = 5.0

Changes = set[tuple[object, str]]
RunFn = Callable[[IndexReport, list[Problem]], None]
BusyFn = Callable[[str], None]


class Watcher:
    """Indexes its inputs once, then again as watched files change and as URLs come due."""

    def __init__(
        self,
        settings: IndexSettings,
        inputs: list[Path | str],
        interval_s: float = 300.0,
        on_run: RunFn | None = None,
        on_busy: BusyFn | None = None,
        indexer: Indexer | None = None,
    ) -> None:
        self.settings = settings
        self.urls = list(dict.fromkeys(i for i in inputs if isinstance(i, str) and is_url(i)))
        self.paths = list(dict.fromkeys(Path(i) for i in inputs if not is_url(i)))
        self.interval_s = interval_s
        self.on_run = on_run
        self.on_busy = on_busy
        self.indexer = indexer or Indexer(settings)
        # Changes are matched on resolved paths (watchfiles reports them so); runs index the
        # paths as given, which is how the index names their files.
        self._roots = [(p, p.resolve(), p.is_dir()) for p in self.paths]
        self._index_dir = settings.index_dir.resolve()
        # Problems already reported, so a log says each once while it lasts.
        self._reported: set[tuple[str, str]] = set()

    def run(self, stop: threading.Event | None = None) -> None:
        """Index everything now, then what changes, until `stop` is set (or Ctrl-C)."""
        stop = stop or threading.Event()
        due: set[Path] = set(self.paths)
        urls_due = bool(self.urls)
        next_poll = 0.0
        retry_at = 0.0
        busy = False
        for changes in self._changes(stop):
            due |= self.affected(changes)
            now = time.monotonic()
            urls_due = urls_due or bool(self.urls and now >= next_poll)
            if not (due or urls_due) or now < retry_at:
                continue
            try:
                self._index([p for p in self.paths if p in due], self.urls if urls_due else [])
            except IndexBusyError as exc:
                if not busy and self.on_busy:
                    self.on_busy(str(exc))
                busy, retry_at = True, now + RETRY_S
                continue
            busy = False
            due = set()
            if urls_due:
                urls_due = False
                # From the end of the run: a slow feed does not make runs follow back to back.
                next_poll = time.monotonic() + self.interval_s

    def _index(self, paths: list[Path], urls: list[str]) -> None:
        inputs: list[Path | str] = [*paths, *urls]
        report = self.indexer.run(inputs, progress=False)
        found = {(p.path, p.reason) for p in report.problems}
        fresh = [p for p in report.problems if (p.path, p.reason) not in self._reported]
        # A problem of these inputs that is gone is forgotten, and said again if it comes back.
        mine = tuple(str(i) for i in inputs)
        self._reported = {p for p in self._reported if not p[0].startswith(mine)} | found
        if self.on_run:
            self.on_run(report, fresh)

    def affected(self, changes: Changes) -> set[Path]:
        """The watched paths (as given) that these changes fall under."""
        out: set[Path] = set()
        for _, name in changes:
            changed = Path(name)
            for path, resolved, is_dir in self._roots:
                if changed == resolved or (is_dir and changed.is_relative_to(resolved)):
                    out.add(path)
        return out

    def relevant(self, change: object, name: str) -> bool:
        """Whether a change can alter what is indexed (watchfiles' filter)."""
        from watchfiles import Change

        path = Path(name)
        if path.is_relative_to(self._index_dir):
            return False  # the index's own writes, where it lies inside a watched folder
        base = next((r for _, r, d in self._roots if d and path.is_relative_to(r)), path.parent)
        # Hidden files and folders (.git, an editor's .swp) are never indexed.
        if any(part.startswith(".") for part in path.relative_to(base).parts):
            return False
        if suffix_of(path, self.indexer.loaders) is not None:
            return True
        # A folder moved in, or one deleted (nothing says what a deleted path was).
        return change == Change.deleted or path.is_dir()

    def _changes(self, stop: threading.Event) -> Iterator[Changes]:
        """Sets of changes as they come; an empty set every tick, to look up from waiting."""
        if not self.paths:
            while not stop.is_set():
                yield set()
                stop.wait(TICK_MS / 1000)
            return
        from watchfiles import watch

        # Files are watched through their folders: a file replaced by a rename (as editors
        # save) is a new file, which a watch on the old one would miss.
        folders = {r if d else r.parent for _, r, d in self._roots}
        yield from watch(
            *sorted(folders),
            watch_filter=self.relevant,
            debounce=DEBOUNCE_MS,
            step=QUIET_MS,
            stop_event=stop,
            rust_timeout=TICK_MS,
            yield_on_timeout=True,
        )
