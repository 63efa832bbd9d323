"""Fetching feeds and web pages to index: http(s) only, robots.txt obeyed, every fetch bounded.

A Fetcher lives for one indexing run (`fetching`): it reads each site's robots.txt once and
keeps one connection pool. Every failure (refused, timed out, HTTP error, too large, disallowed)
is a FetchError whose message says why; callers turn it into a Problem naming the URL.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from email.message import Message
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from index.settings import IndexSettings

if TYPE_CHECKING:
    import httpx

MAX_REDIRECTS = 5
# "scheme://...": an input that names a URL rather than a path (any scheme, so that ftp:// and
# file:// are refused with a reason instead of being looked for as files).
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_ACTIVE: ContextVar[Fetcher | None] = ContextVar("newsdesk_fetcher", default=None)


def is_url(value: object) -> bool:
    """Whether an input names a URL ("https://...", also "ftp://...") rather than a path."""
    return isinstance(value, str) and bool(_URL.match(value))


def media_type(content_type: str) -> tuple[str, str | None]:
    """The media type ("text/html") and charset of a Content-Type header value."""
    if not content_type.strip():
        return "", None
    message = Message()
    message["content-type"] = content_type
    return message.get_content_type(), message.get_content_charset()


class FetchError(Exception):
    """A URL that could not be fetched; the message says why."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class Page:
    """What a URL served: its bytes and their type, and where it was found after redirects."""

    url: str
    body: bytes
    content_type: str
    charset: str | None

    @property
    def is_html(self) -> bool:
        """Whether the server says it is a web page."""
        return self.content_type in ("text/html", "application/xhtml+xml")

    def text(self) -> str:
        """The body as text, in its declared charset, else UTF-8 (bad bytes replaced)."""
        try:
            return self.body.decode(self.charset or "utf-8", errors="replace")
        except LookupError:  # a charset Python does not know
            return self.body.decode("utf-8", errors="replace")


def _size(n: int) -> str:
    return f"{n // 2**20} MB" if n >= 2**20 else f"{n:,} bytes"


class Fetcher:
    """Fetches URLs for one indexing run, politely and within the run's limits."""

    def __init__(self, settings: IndexSettings) -> None:
        self.timeout = settings.fetch_timeout_s
        self.max_bytes = settings.fetch_max_bytes
        self.user_agent = settings.fetch_user_agent
        # robots.txt groups are matched on the product token, not the whole header.
        self.agent = self.user_agent.split("/")[0].split()[0] if self.user_agent.strip() else "*"
        self._client: httpx.Client | None = None
        # Per site (scheme://host:port): its parsed robots.txt, or why nothing there is fetched.
        self._robots: dict[str, RobotFileParser | str] = {}

    def fetch(self, url: str) -> Page:
        """The page at a URL, following up to MAX_REDIRECTS redirects; raises FetchError."""
        return self._fetch(url, obey_robots=True)

    def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def _fetch(self, url: str, obey_robots: bool) -> Page:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                parts = urlsplit(url)
            except ValueError as exc:  # "http://[::1": an unclosed IPv6 address
                raise FetchError(f"invalid URL: {exc}") from None
            if parts.scheme.lower() not in ("http", "https"):
                scheme = f"{parts.scheme}:" if parts.scheme else "a URL without a scheme"
                raise FetchError(f"only http:// and https:// URLs are fetched, not {scheme}")
            if not parts.hostname:
                raise FetchError("no host in the URL")
            if obey_robots:
                self._check_robots(f"{parts.scheme.lower()}://{parts.netloc.lower()}", url)
            page, location = self._get(url)
            if page is not None:
                return page
            url = location
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")

    def _check_robots(self, site: str, url: str) -> None:
        if site not in self._robots:
            self._robots[site] = self._read_robots(site)
        rules = self._robots[site]
        if isinstance(rules, str):
            raise FetchError(rules)
        if not rules.can_fetch(self.agent, url):
            raise FetchError(f"disallowed by {site}/robots.txt")

    def _read_robots(self, site: str) -> RobotFileParser | str:
        """A site's robots.txt rules, or why nothing on the site may be fetched (RFC 9309)."""
        rules = RobotFileParser(f"{site}/robots.txt")
        try:
            page = self._fetch(f"{site}/robots.txt", obey_robots=False)
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                rules.allow_all = True  # no robots.txt: everything is allowed
                return rules
            if exc.status is None:
                return f"{exc} (asking for {site}/robots.txt)"
            # A failing robots.txt means "assume complete disallow" (RFC 9309).
            return f"{site}/robots.txt answered {exc}, so nothing there is fetched"
        rules.parse(page.text().splitlines())
        return rules

    def _get(self, url: str) -> tuple[Page | None, str]:
        """One request: the page, or (None, where it redirects to)."""
        import httpx

        if self._client is None:
            self._client = httpx.Client(
                timeout=httpx.Timeout(self.timeout),
                headers={"User-Agent": self.user_agent},
                # Redirects are followed here, one at a time, so each hop is checked against
                # the scheme rule and its own site's robots.txt.
                follow_redirects=False,
            )
        deadline = time.monotonic() + self.timeout
        try:
            with self._client.stream("GET", url) as response:
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    if not location:
                        raise FetchError(f"HTTP {response.status_code} without a Location")
                    return None, urljoin(url, location)
                if not 200 <= response.status_code < 300 or response.status_code == 204:
                    raise FetchError(
                        f"HTTP {response.status_code} {response.reason_phrase}".strip(),
                        status=response.status_code,
                    )
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    raise FetchError(self._too_large(f"it declares {int(declared):,}"))
                body = bytearray()
                for piece in response.iter_bytes():
                    body += piece
                    # Stop reading as soon as the cap is passed, whatever the server claimed.
                    if len(body) > self.max_bytes:
                        raise FetchError(self._too_large("reading stopped at the limit"))
                    if time.monotonic() > deadline:
                        raise FetchError(f"timed out after {self.timeout:g} s")
                kind, charset = media_type(response.headers.get("content-type", ""))
                return Page(str(response.url), bytes(body), kind, charset), ""
        except httpx.TimeoutException:
            raise FetchError(f"timed out after {self.timeout:g} s") from None
        except httpx.ConnectError as exc:
            raise FetchError(f"cannot connect: {exc}") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{type(exc).__name__}: {exc}") from None
        except (httpx.InvalidURL, ValueError) as exc:  # a host or port httpx cannot use
            raise FetchError(f"invalid URL: {exc}") from None

    def _too_large(self, detail: str) -> str:
        return f"larger than the {_size(self.max_bytes)} NEWSDESK_FETCH_MAX_BYTES allows ({detail})"


@contextmanager
def fetching(settings: IndexSettings) -> Iterator[Fetcher]:
    """A fetcher for one indexing run, which loaders reading feeds find with `active()`."""
    fetcher = Fetcher(settings)
    token = _ACTIVE.set(fetcher)
    try:
        yield fetcher
    finally:
        _ACTIVE.reset(token)
        fetcher.close()


def active() -> Fetcher | None:
    """The fetcher of the indexing run in progress, if any."""
    return _ACTIVE.get()
