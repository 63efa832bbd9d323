"""Reading dumps of any size with constant memory: plain or gzipped files, UTF-8 or UTF-16/32
with a byte order mark, line by line with a limit per line, bytes read reported as progress."""

from __future__ import annotations

import codecs
import gzip
import io
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from index.loaders import bom_encoding
from index.progress import advance_bytes

BUFFER = 1 << 16
# Bytes read are reported in steps, not per read: a call per line would cost more than it tells.
REPORT_EVERY = 1 << 18
# What a damaged .gz raises part way (earlier records have been read by then).
GZIP_ERRORS: tuple[type[Exception], ...] = (gzip.BadGzipFile, EOFError, zlib.error)


class _Counted(io.RawIOBase):
    """A file's bytes, with the number read reported to the indexing run's progress."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._unreported = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        if n:
            self._unreported += n
            if self._unreported >= REPORT_EVERY:
                advance_bytes(self._unreported)
                self._unreported = 0
        return n or 0


class _Transcoded(io.RawIOBase):
    """UTF-16 or UTF-32 text as UTF-8 bytes, so one parser reads every encoding."""

    def __init__(self, stream: IO[bytes], encoding: str) -> None:
        # The codec eats the byte order mark; a bad code unit raises UnicodeDecodeError.
        self._text = io.TextIOWrapper(stream, encoding=encoding, newline="")  # type: ignore[type-var]
        self._rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._rest:
            text = self._text.read(BUFFER // 4)
            if not text:
                return 0
            self._rest = text.encode("utf-8")
        n = min(len(buffer), len(self._rest))
        buffer[:n] = self._rest[:n]
        self._rest = self._rest[n:]
        return n


@contextmanager
def open_input(path: Path) -> Iterator[io.BufferedIOBase]:
    """A file's content as UTF-8 bytes (gunzipped when its name ends in .gz, transcoded when it
    starts with a UTF-16/32 byte order mark); opening a damaged .gz raises a GZIP_ERRORS one."""
    with open(path, "rb", buffering=0) as raw:
        stream: io.BufferedIOBase = io.BufferedReader(_Counted(raw), BUFFER)
        if path.name.lower().endswith(".gz"):
            stream = gzip.GzipFile(fileobj=stream, mode="rb")
        encoding = bom_encoding(stream.peek(4)[:4])  # type: ignore[attr-defined]
        if encoding:
            stream = io.BufferedReader(_Transcoded(stream, encoding), BUFFER)
        elif stream.peek(3)[:3] == codecs.BOM_UTF8:  # type: ignore[attr-defined]
            stream.read(3)
        yield stream


def head(stream: io.BufferedIOBase, n: int = 8192) -> bytes:
    """Up to n bytes of what comes next, without consuming them."""
    return stream.peek(n)[:n]  # type: ignore[attr-defined]


def numbered_lines(stream: io.BufferedIOBase, limit: int) -> Iterator[tuple[int, bytes | int]]:
    """Each line with its number from 1; a line longer than limit bytes is passed over without
    being held in memory, and given as its length instead of its bytes."""
    readline: Callable[[int], bytes] = stream.readline
    lineno = 0
    while line := readline(limit + 1):
        lineno += 1
        if len(line) <= limit or line.endswith(b"\n"):
            yield lineno, line
            continue
        size = len(line)
        while (more := readline(BUFFER)) and not more.endswith(b"\n"):
            size += len(more)
        yield lineno, size + len(more.rstrip(b"\r\n"))
