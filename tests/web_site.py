"""A loopback web site for the feed, page and web-archive tests, and what it serves.

A ThreadingHTTPServer on 127.0.0.1 (a free port) whose routes a test sets: pages, RSS feeds,
robots.txt, and bad answers (errors, slow or endless bodies, redirects). It records each
request, so a test can tell what was fetched and with which User-Agent.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

from conftest import open_live_db

from assistant import Answer, Assistant
from assistant.settings import NewsdeskSettings
from index import Article

# Small limits keep the bad cases fast: a slow page fails after a second, a big one at 64 KiB.
LIMITS = {"fetch_timeout_s": 1.0, "fetch_max_bytes": 64 * 1024}


@dataclass
class Route:
    """What the server answers for one path."""

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    delay: float = 0.0
    length: bool = True  # without Content-Length the body runs until the connection closes
    location: str = ""


class Site:
    """A loopback web site whose routes a test sets, recording each request it gets."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[tuple[str, str]] = []  # (path, User-Agent)
        handler = type("Handler", (_Handler,), {"site": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False  # a sleeping handler must not hold up the teardown
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def serve(self, path: str, body: bytes | str, **kw: object) -> str:
        """Answer GET path with this body (see Route); returns the path's URL."""
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = Route(data, **kw)  # type: ignore[arg-type]
        return self.url + path

    def count(self, path: str) -> int:
        """How many times path was requested."""
        return sum(1 for p, _ in self.hits if p == path)

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    site: Site

    def do_GET(self) -> None:
        self.site.hits.append((self.path, self.headers.get("User-Agent", "")))
        route = self.site.routes.get(self.path) or Route(
            b"<html><body>Not here</body></html>", status=404
        )
        time.sleep(route.delay)
        try:
            self.send_response(route.status)
            if route.location:
                self.send_header("Location", route.location)
            self.send_header("Content-Type", route.content_type)
            if route.length:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timed out, or stopped reading past its size cap)

    def log_message(self, format: str, *args: object) -> None:
        pass


def settings(tmp_path: Path) -> NewsdeskSettings:
    """Settings for an index under tmp_path, with the test's small fetch limits."""
    return NewsdeskSettings(index_dir=tmp_path / "index", **LIMITS)


# -- what the site serves -------------------------------------------------------------------


def page(title: str, *paragraphs: str, published: str | None = None) -> str:
    """A news page as a site serves it: navigation, the article, a footer."""
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>{meta}</head>"
        "<body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article><h1>{title}</h1>\n{body}\n</article>"
        "<footer>Copyright The Harbour Courier</footer></body></html>"
    )


@dataclass
class Entry:
    """One item of an RSS feed."""

    guid: str
    title: str
    link: str
    published: str
    summary: str
    content: str = ""  # the full text, as content:encoded; empty for a summary-only entry


def rss(title: str, entries: list[Entry]) -> str:
    """An RSS 2.0 feed."""
    items = "".join(
        f"<item><title>{escape(e.title)}</title><link>{e.link}</link>"
        f'<guid isPermaLink="false">{e.guid}</guid><pubDate>{e.published}</pubDate>'
        f"<dc:creator>Mara Quint</dc:creator><description>{escape(e.summary)}</description>"
        + (f"<content:encoded><![CDATA[{e.content}]]></content:encoded>" if e.content else "")
        + "</item>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{title}</title><link>http://127.0.0.1/</link><description>News</description>"
        f"{items}</channel></rss>"
    )


def paragraphs(*texts: str) -> str:
    """An entry's full text as feeds carry it: HTML paragraphs."""
    return "".join(f"<p>{t}</p>" for t in texts)


def articles_by_url(index_dir: Path) -> dict[str | None, Article]:
    """Every article of the live index, by its URL."""
    db = open_live_db(index_dir)
    try:
        return {a.url: a for a in db.all_articles()}
    finally:
        db.close()


def ask(s: NewsdeskSettings, question: str) -> Answer:
    """Ask the index a question; the answer must cite something."""
    answer = Assistant(s).ask(question)
    assert answer.answered and answer.citations, answer.text
    return answer


# An article both the web and the watch tests serve from a feed.
OBSERVATORY = paragraphs(
    "The hill observatory at Brenner Ridge installed a new two-metre telescope mirror on "
    "Wednesday, lifting it through the dome with a crane borrowed from the shipyard.",
    "The mirror was ground in Jena over eighteen months and travelled to the ridge on a "
    "specially sprung lorry that never exceeded thirty kilometres an hour.",
    "Astronomers said the first images would be taken in April, once the mirror has been "
    "aligned and coated with a fresh layer of aluminium.",
    "The old mirror, in use since 1961, will be shown in the visitor centre at the foot of the "
    "ridge from the summer.",
)
