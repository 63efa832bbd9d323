"""Feeds (RSS 2.0, Atom) and web pages as articles, from a feed file or from a URL.

An entry that carries its full text is an article as it stands. One that carries only a summary
has its linked page fetched, and the page's main text (trafilatura, as for saved pages) replaces
the summary. When that page cannot be read the entry is skipped and reported, not indexed as a
teaser: the feed is then read again on the next run, and the entry comes in once its page can
be read. Web pages are extracted the same way, each cited by the URL it was fetched from.
"""

from __future__ import annotations

import hashlib
import io
import xml.sax
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from index.articles import ArticleError, Problem, RawArticle
from index.fetch import Fetcher, FetchError, Page, active
from index.formats import _html_file
from index.loaders import _authors
from index.settings import IndexSettings

Read = Iterator[RawArticle | Problem]

# An entry with less text than this is taken for a summary, and its page is fetched: feeds that
# carry whole articles carry far more, teasers far less (a sentence or two).
FULL_TEXT_CHARS = 500


class FeedLoader:
    """An RSS or Atom feed saved as a file; an .xml file that is not a feed is reported."""

    suffixes = (".rss", ".atom", ".xml")

    def max_file_bytes(self, settings: IndexSettings) -> int:
        """A feed file is read whole, as a fetched feed is: up to NEWSDESK_FETCH_MAX_BYTES."""
        return settings.fetch_max_bytes

    def read(self, path: Path, max_bytes: int) -> Read:
        """Each entry of the feed as an article (summary-only entries with their page's text)."""
        fetcher = active()
        own = fetcher is None
        if fetcher is None:
            # Read outside an indexing run (a test, a preview): a fetcher of its own.
            fetcher = Fetcher(IndexSettings())
        try:
            size = path.stat().st_size
            if size > fetcher.max_bytes:
                raise ArticleError(
                    f"feed over NEWSDESK_FETCH_MAX_BYTES ({fetcher.max_bytes:,} bytes): {size:,}"
                )
            yield from feed_articles(path.read_bytes(), str(path), fetcher, max_bytes)
        finally:
            if own:
                fetcher.close()


def url_articles(
    url: str, page: Page, fetcher: Fetcher, max_bytes: int, known: Collection[str] = ()
) -> Read:
    """What a URL served: one web page, or each entry of a feed; what fails is a Problem.

    `known` are the entries (by locator) indexed from this URL before: a summary-only one among
    them is not fetched again.
    """
    try:
        if page.is_html and not _looks_like_feed(page.body):
            yield _sized(page_article(page, _article_id(url)), max_bytes)
        else:
            kind = page.content_type or "no content type"
            yield from feed_articles(page.body, url, fetcher, max_bytes, known, kind)
    except ArticleError as exc:
        yield Problem(url, str(exc))


def page_article(page: Page, article_id: str | None = None) -> RawArticle:
    """The article of a fetched web page, cited by the URL it was found at (raises ArticleError)."""
    if not page.is_html:
        raise ArticleError(f"not a web page (content type {page.content_type or 'none given'})")
    html = html_text(page.body, page.charset)
    raw = _html_file(html, page.url)
    raw.url = page.url
    raw.published = page_date(html)
    raw.source = raw.source or urlsplit(page.url).hostname
    raw.article_id = article_id
    return raw


def page_date(html: str) -> str | None:
    """The publication date a page's markup gives (meta tags, <time>, JSON-LD), if any.

    Never one guessed from its text, as trafilatura's does ("closed in 2019" dated a 2025 page
    2019-01-01): a page without one is dated by newsdesk's own inference, which says so.
    """
    from htmldate import find_date
    from trafilatura.utils import load_html

    # A parsed tree, not the text: given a string that looks like a URL, htmldate fetches it.
    tree = load_html(html)
    return find_date(tree, extensive_search=False, original_date=True) if tree is not None else None


def html_text(body: bytes, charset: str | None) -> str:
    """A page's bytes as text: in the charset its server declared, else as trafilatura guesses."""
    if charset:
        try:
            return body.decode(charset, errors="replace")
        except LookupError:  # a charset Python does not know
            pass
    from trafilatura.utils import decode_file

    return decode_file(body, max_size=len(body))


def feed_articles(
    data: bytes,
    name: str,
    fetcher: Fetcher,
    max_bytes: int,
    known: Collection[str] = (),
    content_type: str = "",
) -> Read:
    """Each entry of an RSS or Atom document as an article (raises ArticleError if not a feed)."""
    import feedparser

    try:
        # A stream, never bytes or str: given a string, feedparser opens it as a path or URL.
        parsed = feedparser.parse(io.BytesIO(data))
    except (ValueError, LookupError) as exc:
        # feedparser means never to raise, but a garbled encoding="..." can make it.
        raise ArticleError(f"malformed feed: {type(exc).__name__}: {exc}") from None
    error = parsed.get("bozo_exception")
    broken = bool(parsed.bozo) and isinstance(error, xml.sax.SAXException)
    if not parsed.entries:
        # "Malformed" only for what claims to be a feed; other text is simply not one.
        if broken and (_looks_like_feed(data) or "xml" in content_type):
            raise ArticleError(f"malformed feed: {error}")
        if not parsed.version and content_type:
            raise ArticleError(f"neither a web page nor an RSS/Atom feed ({content_type})")
        if not parsed.version:
            raise ArticleError("not an RSS or Atom feed")
        return  # a feed with no entries yet
    if broken:
        # Other bozo reasons (a wrong declared encoding) are common and harmless.
        yield Problem(name, f"malformed feed ({error}); its entries before the error are read")
    source = parsed.feed.get("title") or None
    for i, entry in enumerate(parsed.entries, start=1):
        yield from _entry(entry, i, name, source, fetcher, max_bytes, known)


def _entry(
    entry: Any,
    i: int,
    name: str,
    source: str | None,
    fetcher: Fetcher,
    max_bytes: int,
    known: Collection[str],
) -> Read:
    link = entry.get("link") or None
    key = entry.get("id") or link
    # The entry's guid (else its link) names it across runs, so an unchanged entry is
    # recognised and never embedded again.
    locator = key or f"entry {i}"
    text = _entry_text(entry)
    page: RawArticle | None = None
    if len(text) < FULL_TEXT_CHARS and link:
        if locator in known:
            return  # its page was read on an earlier run
        try:
            page = page_article(fetcher.fetch(link))
        except (FetchError, ArticleError) as exc:
            yield Problem(link, f"{exc} (the page of a summary-only entry of {name}; skipped)")
            return
        text = page.text
    if not text.strip():
        yield Problem(f"{name} ({locator})", "feed entry has no text")
        return
    # What the feed says about the entry comes first; the page fills in what it leaves out.
    found = page or RawArticle(text="", path=name)
    names = [a.get("name") for a in entry.get("authors", []) if a.get("name")]
    raw = RawArticle(
        text=text,
        path=name,
        title=entry.get("title") or found.title,
        published=entry.get("published") or entry.get("updated") or found.published,
        url=found.url or link,
        source=source or found.source,
        authors=_authors(names) or found.authors,
        article_id=_article_id(key) if key else None,
        locator=locator,
    )
    try:
        yield _sized(raw, max_bytes)
    except ArticleError as exc:
        yield Problem(f"{name} ({locator})", str(exc))


def _entry_text(entry: Any) -> str:
    """An entry's text: the longest of its content and summary, HTML turned into paragraphs."""
    bodies = [c.get("value") or "" for c in entry.get("content", [])]
    body = max([*bodies, entry.get("summary") or ""], key=len)
    if "<" not in body:
        return body.strip()
    import trafilatura

    # A fragment, not a page: wrapped so that trafilatura keeps all of it, paragraph by
    # paragraph (html2txt, its fallback, runs the paragraphs together).
    wrapped = f"<html><body>{body}</body></html>"
    return (
        trafilatura.extract(wrapped, fast=True, favor_recall=True)
        or trafilatura.html2txt(wrapped)
        or ""
    ).strip()


def _looks_like_feed(body: bytes) -> bool:
    """Whether a body served as HTML starts like a feed (some sites serve feeds as text/html)."""
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<rss", b"<feed", b"<rdf")):
        return True
    return head.startswith(b"<?xml") and b"<html" not in head


def _article_id(key: str) -> str:
    """A stable article id from a URL or feed guid (the same entry keeps it run after run)."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _sized(raw: RawArticle, max_bytes: int) -> RawArticle:
    size = len(raw.text.encode())
    if size > max_bytes:
        raise ArticleError(f"article text over NEWSDESK_MAX_ARTICLE_BYTES ({size:,} bytes)")
    return raw
