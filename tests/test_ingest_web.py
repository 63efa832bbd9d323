"""Feeds, web pages and web archives, indexed from a real loopback HTTP server and real files.

A ThreadingHTTPServer on 127.0.0.1 serves RSS feeds (entries with their full text and entries
with only a summary, whose pages are fetched), pages, robots.txt and bad answers (404, a page
slower than the fetch timeout, pages over the size cap, a malformed feed, a redirect loop).
WARC files are written with warcio's WARCWriter. The real embedding model and Chroma index
them, and questions are answered with citations. Nothing leaves the loopback interface.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from conftest import open_live_db, run_cli
from llm_servers import free_port

from assistant import Answer, Assistant
from assistant.settings import NewsdeskSettings
from index import Article, Indexer

# Small limits keep the bad cases fast: a slow page fails after a second, a big one at 64 KiB.
LIMITS = {"fetch_timeout_s": 1.0, "fetch_max_bytes": 64 * 1024}
SLOW_S = 3.0


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


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    """The loopback site, with its robots.txt (which keeps agents out of /private/)."""
    s = Site()
    s.serve("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    yield s
    s.close()


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


GLASSWORKS = paragraphs(
    "The Harlow glassworks will shut its last furnace in May after 140 years of production, "
    "its owners told the 85 remaining workers on Tuesday.",
    "The company blamed the price of gas, which it said had tripled in two years, and the loss "
    "of its largest customer, a bottling plant that moved abroad last autumn.",
    "Union officials said they would ask the regional council to help find a buyer for the site "
    "and its equipment before the furnace is allowed to cool.",
    "The glassworks made the green bottles of the town's mineral water from 1885 until 1990, "
    "and still supplies the lamp glass of the harbour lighthouse.",
)
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
TRAM = paragraphs(
    "Tram drivers in the harbour city voted on Friday to accept a new rota that ends split "
    "shifts on the waterfront line, calling off a strike planned for next week.",
    "The transport authority said services would run to the normal timetable over the "
    "weekend and that the new rota starts on the first Monday of April.",
    "Drivers had complained for years that split shifts left them waiting four hours unpaid "
    "between the morning and evening peaks, the union's branch secretary said.",
    "The waterfront line carries about 40,000 passengers on a weekday, most of them between the "
    "ferry terminal and the university.",
)
LIGHTHOUSE = paragraphs(
    "The lighthouse on Gull Rock was switched back on on Monday night after its keepers "
    "replaced the lamp's clockwork with an electric motor built by the harbour school.",
    "The light had been dark for six weeks, and pilots had asked ships to keep two miles "
    "off the rock at night until it was repaired, the harbour master said.",
    "The school's apprentices will service the motor every spring as part of their course, "
    "and the old clockwork will go to the maritime museum in the town hall.",
    "The keepers said the new motor turns the lens more evenly than the clockwork did.",
)
FERRY_PAGE = page(
    "Island ferry runs aground off Kettle Point",
    "The island ferry Marisol ran aground on a sandbank off Kettle Point on Sunday morning, "
    "the coastguard said, and its 212 passengers were taken ashore by lifeboat.",
    "Nobody was hurt. The ferry's operator said the vessel had left the marked channel in "
    "thick fog and that divers would inspect the hull at the next high tide.",
    published="2025-03-09T11:00:00Z",
)
ORCHARD_PAGE = page(
    "Cider makers replant the old abbey orchard",
    "Volunteers from the cider cooperative planted 300 young apple trees in the old abbey "
    "orchard on Saturday, restoring varieties that had not been grown there for a century.",
    "The cooperative said the first harvest from the new trees would be pressed in four years, "
    "and that it had saved grafts from the last surviving Abbot's Russet tree.",
)
BRIDGE_PAGE = page(
    "Swing bridge over the canal reopens",
    "The old swing bridge over the Wexley canal reopened to traffic on Thursday after a "
    "nine-month restoration that replaced its turning gear and timber deck.",
    "The council said the bridge would swing open for boats four times a day in summer, and "
    "that the restoration had cost 3.4 million euros, under the budget it set last year.",
    published="2025-03-13T08:00:00Z",
)


def harbour_entries(site: Site, base: str) -> list[Entry]:
    """Two entries with their full text, two with a summary whose page the site serves."""
    ferry = site.serve(f"{base}/news/ferry.html", FERRY_PAGE)
    orchard = site.serve(f"{base}/news/orchard.html", ORCHARD_PAGE)
    return [
        Entry(
            "hc-1",
            "Glassworks to close after 140 years",
            f"{site.url}{base}/news/glass.html",
            "Tue, 11 Mar 2025 09:00:00 GMT",
            "The glassworks will close.",
            GLASSWORKS,
        ),
        Entry(
            "hc-2",
            "Observatory installs new mirror",
            f"{site.url}{base}/news/mirror.html",
            "Wed, 12 Mar 2025 10:30:00 GMT",
            "A new mirror for the observatory.",
            OBSERVATORY,
        ),
        Entry(
            "hc-3",
            "Ferry aground off Kettle Point",
            ferry,
            "Sun, 09 Mar 2025 12:00:00 GMT",
            "An island ferry ran aground in fog; nobody was hurt.",
        ),
        Entry(
            "hc-4",
            "Abbey orchard replanted",
            orchard,
            "Sat, 08 Mar 2025 16:00:00 GMT",
            "Volunteers planted young apple trees.",
        ),
    ]


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


# -- feeds and pages at URLs ----------------------------------------------------------------


def test_a_feed_url_is_indexed_with_the_pages_of_its_summary_only_entries(
    site: Site, tmp_path: Path
) -> None:
    entries = harbour_entries(site, "/a")
    feed = site.serve(
        "/a/feed.xml", rss("The Harbour Courier", entries), content_type="application/rss+xml"
    )
    s = settings(tmp_path)
    report = Indexer(s).run([feed])
    assert (report.added, report.problems) == (4, []), report.problems
    found = articles_by_url(s.index_dir)
    assert set(found) == {e.link for e in entries}
    assert {a.source for a in found.values()} == {"The Harbour Courier"}
    assert {tuple(a.authors) for a in found.values()} == {("Mara Quint",)}
    # The summary-only entry's article is its page's text, not the one-line summary.
    ferry = found[entries[2].link]
    assert "212 passengers" in ferry.text and ferry.title == "Ferry aground off Kettle Point"
    assert ferry.published is not None and ferry.published.isoformat() == "2025-03-09"
    assert {a.path for a in found.values()} == {feed}
    # robots.txt is read once for the whole run, and every request names newsdesk.
    assert site.count("/robots.txt") == 1
    assert all(agent.startswith("newsdesk/") for _, agent in site.hits)

    answer = ask(s, "Where did the ferry Marisol run aground?")
    cited = answer.citations[0]
    assert cited.url == entries[2].link and cited.source == "The Harbour Courier"
    assert "Kettle Point" in cited.quote


def test_running_again_adds_only_the_new_entry_and_keeps_those_that_left_the_feed(
    site: Site, tmp_path: Path
) -> None:
    entries = harbour_entries(site, "/b")
    s = settings(tmp_path)
    # Served as text/html, as some sites serve their feeds: it is still read as a feed.
    feed = site.serve("/b/feed.xml", rss("The Harbour Courier", entries))
    first = Indexer(s).run([feed])
    assert (first.added, first.problems) == (4, [])
    pages_fetched = site.count("/b/news/ferry.html"), site.count("/b/news/orchard.html")

    # The next edition: a new entry on top, the oldest (the glassworks) gone from the feed.
    tram = Entry(
        "hc-5",
        "Tram drivers accept new rota",
        f"{site.url}/b/news/tram.html",
        "Fri, 14 Mar 2025 18:00:00 GMT",
        "Tram strike called off.",
        TRAM,
    )
    site.serve("/b/feed.xml", rss("The Harbour Courier", [tram, *entries[1:]]))
    second = Indexer(s).run([feed])
    assert (second.added, second.updated, second.removed) == (1, 0, 0), second.summary()
    assert second.unchanged == 4 and second.problems == []
    tram_id = articles_by_url(s.index_dir)[tram.link].article_id
    db = open_live_db(s.index_dir)
    try:
        rows = db.chunk_rows(with_text=False)
    finally:
        db.close()
    assert second.embedded == sum(r["article_id"] == tram_id for r in rows) > 0  # only the new one
    # The pages of entries indexed before are not fetched again.
    assert (site.count("/b/news/ferry.html"), site.count("/b/news/orchard.html")) == pages_fetched
    assert entries[0].link in articles_by_url(s.index_dir)  # the glassworks story stays

    third = Indexer(s).run([feed])
    assert (third.added, third.unchanged, third.embedded) == (0, 5, 0)
    assert "nothing changed" in third.summary()
    assert "Tram" in ask(s, "What did the tram drivers vote to accept?").citations[0].title


def test_a_web_page_url_is_indexed_and_cited_by_the_url_it_was_found_at(
    site: Site, tmp_path: Path
) -> None:
    bridge = site.serve("/c/news/bridge.html", BRIDGE_PAGE)
    # An old address that redirects to the page: the citation names where the page is.
    old = site.serve("/c/bridge", "", status=301, location="/c/news/bridge.html")
    s = settings(tmp_path)
    report = Indexer(s).run([old])
    assert (report.added, report.problems) == (1, [])
    article = articles_by_url(s.index_dir)[bridge]
    assert article.path == old and article.title == "Swing bridge over the canal reopens"
    assert article.published is not None and article.published.isoformat() == "2025-03-13"
    answer = ask(s, "How much did the restoration of the swing bridge cost?")
    assert answer.citations[0].url == bridge and "3.4 million" in answer.citations[0].quote
    assert Indexer(s).run([old]).summary().endswith("nothing changed, nothing embedded")


def test_bad_urls_are_reported_and_skipped_while_the_rest_index(site: Site, tmp_path: Path) -> None:
    good = site.serve("/d/news/bridge.html", BRIDGE_PAGE)
    day = "Tue, 11 Mar 2025 09:00:00 GMT"
    light = Entry("d-1", "Gull Rock light back on", f"{site.url}/d/news/light.html", day,
                  "The light is back.", LIGHTHOUSE)  # fmt: skip
    gone = f"{site.url}/d/news/gone.html"  # a summary-only entry whose page answers 404
    feed = site.serve("/d/feed.xml", rss("The Harbour Courier", [
        light, Entry("d-2", "A story whose page is gone", gone, day, "Its page is gone.")
    ]))  # fmt: skip
    huge = site.serve("/d/huge.html", "<p>word</p>" * 20_000, length=False)
    broken = site.serve("/d/broken.xml", '<rss version="2.0"><channel><title>Broken',
                        content_type="application/rss+xml")  # fmt: skip
    notes = site.serve("/d/notes.txt", "just notes", content_type="text/plain")
    bad = {
        f"{site.url}/d/news/missing.html": "HTTP 404",
        site.serve("/d/slow.html", BRIDGE_PAGE, delay=SLOW_S): "timed out after 1 s",
        huge: "larger than the 65,536 bytes NEWSDESK_FETCH_MAX_BYTES allows",
        site.serve("/d/huge-declared.html", "x" * 100_000): "declares 100,000",
        broken: "malformed feed",
        notes: "neither a web page nor an RSS/Atom feed (text/plain)",
        site.serve("/d/loop", "", status=302, location="/d/loop"): "more than 5 redirects",
        f"{site.url}/private/memo.html": "disallowed by",
        "ftp://127.0.0.1/feed.xml": "only http:// and https:// URLs are fetched, not ftp:",
        "file:///etc/hostname": "only http:// and https:// URLs are fetched, not file:",
        f"http://127.0.0.1:{free_port()}/nothing": "cannot connect",
    }
    s = settings(tmp_path)
    started = time.monotonic()
    report = Indexer(s).run([good, feed, *bad])
    assert time.monotonic() - started < 60
    assert report.added == 2  # the page, and the feed's entry that carries its text
    assert set(articles_by_url(s.index_dir)) == {good, f"{site.url}/d/news/light.html"}
    reasons = {p.path: p.reason for p in report.problems}
    for url, reason in bad.items():
        assert reason in reasons.get(url, ""), (url, reasons.get(url))
    assert "HTTP 404" in reasons[gone] and "summary-only entry" in reasons[gone]
    assert len(report.problems) == len(bad) + 1
    assert site.count("/private/memo.html") == 0  # robots.txt kept it from being asked for


def test_the_command_line_takes_urls_and_says_which_were_skipped(
    site: Site, tmp_path: Path
) -> None:
    good = site.serve("/e/news/bridge.html", BRIDGE_PAGE)
    missing = f"{site.url}/e/news/missing.html"
    done = run_cli("index", good, missing, "--index-dir", str(tmp_path / "index"))
    assert done.returncode == 3, done.stderr
    assert f"skipped {missing}: HTTP 404" in done.stderr
    assert "1 added" in done.stdout and "Traceback" not in done.stderr


# -- feed files -----------------------------------------------------------------------------

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Valley Gazette</title><id>urn:valley-gazette</id><updated>2025-03-14T09:00:00Z</updated>
  <entry>
    <title>Abbey orchard replanted</title><id>urn:valley-gazette:orchard</id>
    <link href="{orchard}"/><updated>2025-03-08T16:00:00Z</updated>
    <author><name>Ines Berg</name></author>
    <summary>Volunteers planted young apple trees.</summary>
  </entry>
  <entry>
    <title>Tram drivers accept new rota</title><id>urn:valley-gazette:tram</id>
    <link href="{tram}"/><updated>2025-03-14T18:00:00Z</updated>
    <content type="html">{content}</content>
  </entry>
</feed>
"""


def test_feed_files_are_read_and_an_xml_file_that_is_not_a_feed_is_reported(
    site: Site, tmp_path: Path
) -> None:
    orchard = site.serve("/f/news/orchard.html", ORCHARD_PAGE)
    tram = f"{site.url}/f/news/tram.html"
    folder = tmp_path / "feeds"
    folder.mkdir()
    (folder / "valley.atom").write_text(
        ATOM.format(orchard=orchard, tram=tram, content=escape(TRAM))
    )
    (folder / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset><url><loc>http://127.0.0.1/</loc></url></urlset>'
    )
    (folder / "broken.rss").write_text('<?xml version="1.0"?><rss version="2.0"><channel><ti')
    s = settings(tmp_path)
    report = Indexer(s).run([folder])
    assert report.added == 2
    found = articles_by_url(s.index_dir)
    assert set(found) == {orchard, tram}
    assert found[orchard].authors == ["Ines Berg"] and found[orchard].source == "Valley Gazette"
    assert "300 young apple trees" in found[orchard].text  # the page's text, not the summary
    assert found[tram].path == str(folder / "valley.atom")
    reasons = {Path(p.path).name: p.reason for p in report.problems}
    assert reasons == {
        "sitemap.xml": "not an RSS or Atom feed",
        "broken.rss": reasons["broken.rss"],
    }
    assert reasons["broken.rss"].startswith("malformed feed")


# -- web archives ---------------------------------------------------------------------------


@dataclass
class Capture:
    """One response in a WARC: the page's address, HTTP status and type, body, crawl time."""

    uri: str
    body: str | bytes
    status: str = "200 OK"
    content_type: str = "text/html; charset=utf-8"
    date: str = "2025-02-20T07:15:00Z"


def write_warc(path: Path, captures: list[Capture]) -> list[int]:
    """Write a WARC as a crawler does (a warcinfo record, then a request and a response for each
    page; .warc.gz: one gzip member a record); returns where each response ends in the file."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    ends = []
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=path.suffix == ".gz")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "tests"}))
        for c in captures:
            request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "x")], is_http_request=True)
            writer.write_record(writer.create_warc_record(c.uri, "request", http_headers=request))
            body = c.body.encode() if isinstance(c.body, str) else c.body
            response = StatusAndHeaders(c.status, [("Content-Type", c.content_type)], "HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(
                    c.uri,
                    "response",
                    payload=io.BytesIO(body),
                    http_headers=response,
                    warc_headers_dict={"WARC-Date": c.date},
                )
            )
            ends.append(fh.tell())
    return ends


CINEMA = page(
    "Council buys the old Roxy cinema",
    "The town council bought the old Roxy cinema on Market Street for 1.2 million euros on "
    "Tuesday and plans to reopen it as a concert hall and public library.",
    "The cinema closed in 2019 and its owners had applied to turn it into flats, which "
    "neighbours opposed in a petition signed by four thousand residents.",
)  # no date of its own: the crawl's day stands for it
DREDGING = page(
    "Harbour dredging to start in April",
    "Dredgers will deepen the harbour's main channel to eleven metres from April so that the "
    "new container ships can berth at any tide, the port authority said on Monday.",
    "The work will take five months and the channel will stay open to the fishing fleet.",
    published="2025-02-17T10:00:00Z",
)


def test_a_warc_is_indexed_by_page_and_other_records_are_counted(tmp_path: Path) -> None:
    crawl = tmp_path / "CC-NEWS-20250220.warc.gz"
    cinema = "https://town-news.example/local/roxy-cinema-bought"
    write_warc(
        crawl,
        [
            Capture(cinema, CINEMA),
            Capture("https://port-news.example/dredging", DREDGING, date="2025-02-19T12:00:00Z"),
            Capture(
                "https://town-news.example/logo.png", b"\x89PNG\r\n\x1a\n", content_type="image/png"
            ),
            Capture(
                "https://town-news.example/gone", page("Gone", "Not here."), status="404 Not Found"
            ),
        ],
    )
    s = settings(tmp_path)
    report = Indexer(s).run([crawl])
    assert report.added == 2
    assert [(p.path, p.reason) for p in report.problems] == [
        (str(crawl), "2 records skipped: 1 non-HTML, 1 non-200")
    ]
    found = articles_by_url(s.index_dir)
    assert set(found) == {cinema, "https://port-news.example/dredging"}
    # A page's own date wins; a page without one is dated by its crawl.
    assert found[cinema].published is not None
    assert found[cinema].published.isoformat() == "2025-02-20"
    dredging = found["https://port-news.example/dredging"].published
    assert dredging is not None and dredging.isoformat() == "2025-02-17"

    answer = ask(s, "How much did the council pay for the Roxy cinema?")
    assert any(c.url == cinema and "1.2 million" in c.quote for c in answer.citations)
    assert {c.source for c in answer.citations} == {"town-news.example"}  # the site, by name

    # The skipped records are for good: the unchanged archive is not read again.
    again = Indexer(s).run([crawl])
    assert (again.unchanged, again.problems, again.embedded) == (2, [], 0)


def test_a_truncated_warc_keeps_the_pages_before_the_cut(tmp_path: Path) -> None:
    swim = page(
        "River swim race returns after ten years",
        "The river swim race from the weir to the old mill returned on Sunday after ten years, "
        "and 340 swimmers finished the two-kilometre course in cold but calm water.",
    )
    choir = page(
        "Miners' choir sings its last concert",
        "The miners' choir of Eastfield sang its last concert on Saturday, seventy years after "
        "it was founded by the men of the Number Four pit.",
    )
    gz, plain = tmp_path / "cut.warc.gz", tmp_path / "cut.warc"
    for path, first in ((gz, swim), (plain, choir)):
        ends = write_warc(
            path,
            [
                Capture(f"https://news.example/{path.name}/first", first),
                Capture(f"https://news.example/{path.name}/second", DREDGING),
            ],
        )
        # An interrupted download: the file stops 100 bytes before the end of the second page.
        path.write_bytes(path.read_bytes()[: ends[1] - 100])
    s = settings(tmp_path)
    report = Indexer(s).run([gz, plain])
    assert report.added == 2
    assert set(articles_by_url(s.index_dir)) == {
        "https://news.example/cut.warc.gz/first",
        "https://news.example/cut.warc/first",
    }
    reasons = {p.path: p.reason for p in report.problems}
    assert set(reasons) == {str(gz), str(plain)}
    assert all(r.startswith("truncated or damaged WARC") for r in reasons.values()), reasons
    assert "ended before the end-of-stream marker" in reasons[str(gz)]
    assert "the record of https://news.example/cut.warc/second stops" in reasons[str(plain)]
    assert all(r.endswith("pages before it kept: 1") for r in reasons.values())
