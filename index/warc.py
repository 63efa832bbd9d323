"""Web archives (WARC, .warc or .warc.gz, as Common Crawl's CC-NEWS ships them) as articles.

The archive is read as a stream, one record at a time, so its size does not matter. Each HTML
page a server answered with 200 is extracted with trafilatura (as a saved page is) and cited by
its WARC-Target-URI; its date is the page's own, else the day it was crawled (WARC-Date).
Records of other kinds (requests, metadata) are passed over; responses that are not HTML, not
200 or hold no article text are counted in one line of the report. A file cut off part way
(an interrupted download) keeps the articles read before the cut, and the cut is reported.
"""

from __future__ import annotations

import gzip
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit

from index.articles import ArticleError, Problem, RawArticle
from index.fetch import media_type
from index.formats import _html_file
from index.web import html_text, page_date

if TYPE_CHECKING:
    from index.settings import IndexSettings

Read = Iterator[RawArticle | Problem]

HTML_TYPES = ("text/html", "application/xhtml+xml")
# The order the skipped responses are counted in, in the report's line.
SKIP_KINDS = ("non-HTML", "non-200", "without article text", "too large")


class _Cut(Exception):
    """The compressed data stops short: the file was cut off."""


class _Gunzip:
    """A .warc.gz as the WARC it holds, one gzip member after another.

    warcio decompresses by itself, but takes a member cut short for the end of the file, so a
    truncated download would look whole. gzip raises EOFError there, turned into _Cut (warcio
    takes EOFError for the end, too).
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self._gz = gzip.GzipFile(fileobj=raw, mode="rb")

    def read(self, size: int = -1) -> bytes:
        """Up to size bytes of the WARC; raises _Cut where the file stops short."""
        try:
            # read1: what one step decompresses, so the data before a cut is returned first.
            return self._gz.read1(size if size > 0 else 1 << 16)
        except (EOFError, OSError, zlib.error) as exc:
            raise _Cut(str(exc) or type(exc).__name__) from None


class WarcLoader:
    """A .warc or .warc.gz file: each HTML page served with status 200 is an article."""

    suffixes = (".warc", ".warc.gz")

    def max_file_bytes(self, settings: IndexSettings) -> int | None:
        """No limit per file: the size limit applies to each record."""
        return None

    def read(self, path: Path, max_bytes: int) -> Read:
        """Each page of the archive as an article, as it is read; skipped ones are counted."""
        from warcio.archiveiterator import ArchiveIterator

        name = str(path)
        skipped: Counter[str] = Counter()
        kept = 0
        with path.open("rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            records = ArchiveIterator(_Gunzip(raw) if gzipped else raw)
            try:
                for record in _records(records):
                    if record.rec_type != "response":
                        _read_rest(record)  # requests, metadata: no page in them
                        continue
                    item = _response(record, name, max_bytes)
                    if isinstance(item, str):
                        skipped[item] += 1
                    else:
                        kept += 1
                        yield item
                # A plain WARC cut inside a record's header ends warcio's reading silently.
                left = 0 if gzipped else path.stat().st_size - records.offset
                if left > 0:
                    raise _Cut(f"{left:,} bytes after the last whole record")
                if records.err_count:
                    # warcio only warns (on stderr) when a record's length is wrong.
                    raise _Cut(f"{_count(records.err_count, 'record')} of the wrong length")
            except _Cut as exc:
                yield Problem(
                    name, f"truncated or damaged WARC ({exc}); pages before it kept: {kept}"
                )
        if skipped:
            counts = ", ".join(f"{skipped[k]} {k}" for k in SKIP_KINDS if skipped[k])
            # Reading the file again would not change these, so it is not read again while it
            # stays the same (a CC-NEWS file always has some).
            total = _count(sum(skipped.values()), "record")
            yield Problem(name, f"{total} skipped: {counts}", retry=False)


def _records(records: Iterator[Any]) -> Iterator[Any]:
    """warcio's records one by one; where the file is cut or damaged, _Cut is raised."""
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except _Cut:
            raise
        except Exception as exc:
            # warcio meets a record header cut off part way with ArchiveLoadFailed, or on some
            # cuts with an AttributeError of its own.
            raise _Cut(f"{type(exc).__name__}: {exc}") from None
        yield record


def _response(record: Any, name: str, max_bytes: int) -> RawArticle | str:
    """A response record's article, or why it is skipped (raises _Cut if it is cut off)."""
    http = record.http_headers
    status = http.get_statuscode() if http else None
    kind, charset = media_type(http.get_header("Content-Type") or "") if http else ("", None)
    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
    why = "non-200" if status != "200" else "non-HTML" if kind not in HTML_TYPES else ""
    # The payload with its transfer and content encodings undone, one byte past the cap.
    body = b"" if why else record.content_stream().read(max_bytes + 1)
    _read_rest(record)
    if why:
        return why
    if len(body) > max_bytes:
        return "too large"
    html = html_text(body, charset)
    try:
        raw = _html_file(html, name)
    except ArticleError:
        return "without article text"
    raw.url = uri or raw.url
    raw.locator = uri
    # A page that does not name its site (og:site_name) is known by its host.
    raw.source = raw.source or urlsplit(uri).hostname
    # The date the page's markup gives; else the crawl's day, close after publication for news.
    raw.published = page_date(html) or record.rec_headers.get_header("WARC-Date")
    return raw


def _read_rest(record: Any) -> None:
    """Read what is left of a record; raises _Cut if the file ends before the record does."""
    stream = record.raw_stream
    while stream.read(1 << 16):
        pass
    left = getattr(stream, "limit", 0)
    if left > 0:
        uri = record.rec_headers.get_header("WARC-Target-URI") or "a record"
        raise _Cut(f"the record of {uri} stops {left:,} bytes short")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
