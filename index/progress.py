"""How far an indexing run has got: a live bar on a terminal, a plain line every few seconds in
a log (CI, cron, `> log`), with the same figures: files, articles, bytes read, chunks embedded,
rate and time left.

The pipeline drives one Progress through two phases, reading (by bytes) and embedding (by
chunks). A loader that streams a big file reports the bytes it has read with advance_bytes(),
and each article prepared is counted with advance_articles(), as it comes: neither needs a
reference to the run, since a Progress that is reading makes itself the current one.
"""

from __future__ import annotations

import sys
import time
from contextvars import ContextVar, Token
from pathlib import Path
from typing import Any, TextIO

# A line in a log every this many seconds; the first comes when a phase starts.
LINE_EVERY_S = 5.0

_current: ContextVar[Progress | None] = ContextVar("newsdesk_progress", default=None)


def advance_bytes(n: int) -> None:
    """Count n more bytes read of the file being read (no-op outside an indexing run)."""
    shown = _current.get()
    if shown is not None:
        shown.read_bytes(n)


def advance_articles(n: int = 1) -> None:
    """Count n more articles read and prepared (no-op outside an indexing run)."""
    shown = _current.get()
    if shown is not None:
        shown.add_articles(n)


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def _bytes(n: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n:,.0f} bytes"


class Progress:
    """Reports one indexing run's progress to stderr (or the stream given)."""

    def __init__(
        self,
        show: bool | None = None,
        stream: TextIO | None = None,
        every_s: float = LINE_EVERY_S,
    ) -> None:
        self.stream = stream or sys.stderr
        # None and True both show progress; how depends on where it goes.
        tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.mode = "off" if show is False else ("bar" if tty else "lines")
        self.every_s = every_s
        self.files = self.files_total = self.articles = 0
        self.bytes = self.bytes_total = 0
        self.chunks = self.chunks_total = 0
        self.phase = ""
        self._phase_started = self._last_line = 0.0
        self._file_size = self._file_streamed = 0
        self._in_file = False
        self._printed = ""
        self._bar: Any = None
        self._token: Token[Progress | None] | None = None

    # -- reading ---------------------------------------------------------------------------

    def start_reading(self, files: list[Path]) -> None:
        """Begin reading these files (their sizes are the total)."""
        self.files_total = len(files)
        self.bytes_total = sum(_size(f) for f in files)
        self._start("reading")
        self._token = _current.set(self)
        if self.mode == "bar" and files:
            from tqdm import tqdm

            # No "done/total [" in this bar: tests and scripts read that pattern as the
            # embedding bar's count of vectors added.
            self._bar = tqdm(
                total=self.bytes_total,
                unit="B",
                unit_scale=True,
                desc="reading",
                file=self.stream,
                leave=False,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}B of {total_fmt}B "
                "· {postfix} · {rate_fmt} · {remaining} left",
            )

    def next_file(self, path: Path) -> None:
        """The previous file is done; this one is read next."""
        self._finish_file()
        self._file_size, self._file_streamed, self._in_file = _size(path), 0, True

    def read_bytes(self, n: int) -> None:
        """n more bytes of the current file were read."""
        # A file that grew while read is counted at the size it had when the run began.
        n = max(0, min(n, self._file_size - self._file_streamed))
        self._file_streamed += n
        self._add_bytes(n)

    def add_articles(self, n: int) -> None:
        """n more articles were read and prepared."""
        self.articles += n
        self._tick()

    def end_reading(self) -> None:
        """Every file is read."""
        self._finish_file()
        if self._token is not None:
            _current.reset(self._token)
            self._token = None
        self._end()

    # -- embedding -------------------------------------------------------------------------

    def start_embedding(self, total: int) -> None:
        """Begin embedding this many chunks."""
        self.chunks_total, self.chunks = total, 0
        self._start("embedding")
        if self.mode == "bar":
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="chunk", desc="embedding", file=self.stream)
            self._bar.set_postfix_str(self._counts(), refresh=False)

    def embedded(self, n: int) -> None:
        """n more chunks were embedded and stored."""
        self.chunks += n
        if self._bar is not None:
            self._bar.update(n)
        self._tick()

    def end_embedding(self) -> None:
        """Every chunk is embedded."""
        self._end()

    # -- output ----------------------------------------------------------------------------

    def line(self) -> str:
        """The figures of the phase under way, as one line of a log."""
        elapsed = max(time.monotonic() - self._phase_started, 1e-9)
        if self.phase == "embedding":
            done, total, rate = self.chunks, self.chunks_total, self.chunks / elapsed
            head = f"embedding {done:,}/{total:,} chunks · {rate:,.1f} chunks/s"
        else:
            done, total, rate = self.bytes, self.bytes_total, self.bytes / elapsed
            head = f"reading {_bytes(done)} of {_bytes(total)} · {_bytes(rate)}/s"
        if done >= total:
            left = "done"
        else:
            left = f"{_clock((total - done) / rate)} left" if rate > 0 else "time left unknown"
        counts = self._counts()
        return f"indexing: {head}{' · ' + counts if counts else ''} · {left}"

    def _counts(self) -> str:
        if not self.files_total:  # a run that only re-embeds from the store reads no file
            return ""
        return f"{self.files:,}/{self.files_total:,} files · {self.articles:,} articles"

    def _start(self, phase: str) -> None:
        self.phase = phase
        self._phase_started = time.monotonic()
        if self.mode == "lines":
            self._print()

    def _end(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.mode == "lines" and self.phase:
            self._print()
        self.phase = ""

    def _finish_file(self) -> None:
        if self._in_file:
            # What the loader did not report as it went (a file read whole) counts now.
            self.files += 1
            self._add_bytes(self._file_size - self._file_streamed)
            self._file_size = self._file_streamed = 0
            self._in_file = False

    def _add_bytes(self, n: int) -> None:
        self.bytes += n
        if self._bar is not None and self.phase == "reading":
            self._bar.update(n)
        self._tick()

    def _tick(self) -> None:
        if self.mode == "lines" and time.monotonic() - self._last_line >= self.every_s:
            self._print()
        elif self._bar is not None and self.phase == "reading":
            self._bar.set_postfix_str(self._counts(), refresh=False)

    def _print(self) -> None:
        self._last_line = time.monotonic()
        line = self.line()
        if line != self._printed:  # the end of a phase may repeat the last tick's figures
            print(line, file=self.stream, flush=True)
            self._printed = line


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
