"""Web archives (WARC) written with warcio's WARCWriter, indexed and answered with citations.

Each archive is written as a crawler writes it (warcinfo, then a request and a response for
each page; one gzip member a record in .warc.gz), with pages, a non-HTML and a non-200
response, and cut off part way as an interrupted download is. The real embedding model and
Chroma index them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from web_site import articles_by_url, ask, page, settings

from index import Indexer


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
