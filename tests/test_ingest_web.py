"""Feeds and web pages, indexed from a real loopback HTTP server and answered with citations.

The site (tests/web_site.py) serves RSS feeds (entries with their full text and entries with
only a summary, whose pages are fetched), pages, robots.txt and bad answers (404, a page slower
than the fetch timeout, pages over the size cap, a malformed feed, a redirect loop). The real
embedding model and Chroma index them. Nothing leaves the loopback interface.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from conftest import open_live_db, run_cli
from llm_servers import free_port
from web_site import (
    OBSERVATORY,
    Entry,
    Site,
    articles_by_url,
    ask,
    page,
    paragraphs,
    rss,
    settings,
)

from index import Indexer

SLOW_S = 3.0  # past the tests' one-second fetch timeout


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    """The loopback site, with its robots.txt (which keeps agents out of /private/)."""
    s = Site()
    s.serve("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    yield s
    s.close()


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
