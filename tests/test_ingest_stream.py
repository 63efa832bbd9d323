"""Dumps as scrapers hand them over (JSON Lines, gzipped, news-please and trafilatura fields),
read as streams with the size limit per article; every input of a folder accounted for; progress
that shows in a log. Real files, the real model and real Chroma."""

from __future__ import annotations

import gzip
import io
import json
import re
import tracemalloc
from datetime import date
from pathlib import Path

import pytest
from conftest import (
    MD_ARTICLE,
    collection_ids,
    make_article,
    open_live_db,
    run_cli,
    settings_for,
)

from index import Indexer
from index.formats import JsonLinesLoader
from index.loaders import read_articles
from index.prepare import prepare
from index.progress import Progress

MAX = 5 * 1024 * 1024


def _row(i: int, paragraphs: int = 2, **extra: object) -> dict[str, object]:
    text = make_article(i, paragraphs)
    title, body = text.split("\n", 1)
    return {"id": f"s-{i}", "title": title, "text": body.strip(), "date": "2024-03-01", **extra}


def _jsonl(rows: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


# -- reading: fields, gzip, limits per record, memory ----------------------------------------


def test_news_please_fields(tmp_path: Path) -> None:
    path = tmp_path / "np.json"
    path.write_text(
        json.dumps(
            {
                "title": "Port strike ends after pay deal",
                "maintext": "Dock workers returned on Friday. The union backed the offer.",
                "description": "The strike is over.",
                "date_publish": "2024-05-03 09:15:00",
                "date_download": "2024-05-04 00:00:00",
                "url": "https://harbour.example/strike-ends",
                "source_domain": "harbour.example",
                "authors": ["Mia Costa", "Jon Berg"],
                "language": "en",
            }
        )
    )
    raws, problems = read_articles(path, MAX)
    assert problems == []
    article = prepare(raws[0])
    assert article.title == "Port strike ends after pay deal"
    assert article.text.startswith("Dock workers returned on Friday.")
    assert article.published == date(2024, 5, 3) and not article.date_inferred
    assert article.url == "https://harbour.example/strike-ends"
    assert article.source == "harbour.example"
    assert article.authors == ["Mia Costa", "Jon Berg"]


def test_trafilatura_json_fields(tmp_path: Path) -> None:
    # trafilatura's JSON output: "source" is the page's URL, the site is "source-hostname".
    path = tmp_path / "traf.jsonl"
    doc = {
        "title": "Museum reopens its east wing",
        "author": "Lena Ortiz; Sam Reed",
        "hostname": "citypaper.example",
        "date": "2023-10-14",
        "raw_text": "The museum reopened its east wing on Saturday. Queues formed early.",
        "source": "https://citypaper.example/museum",
        "source-hostname": "The City Paper",
        "excerpt": "Reopened.",
    }
    path.write_text(json.dumps(doc) + "\n" + json.dumps({**doc, "source-hostname": None}) + "\n")
    raws, problems = read_articles(path, MAX)
    assert problems == []
    first, second = (prepare(r) for r in raws)
    assert first.text == doc["raw_text"]
    assert first.url == "https://citypaper.example/museum"
    assert first.source == "The City Paper"
    assert first.authors == ["Lena Ortiz", "Sam Reed"]
    assert first.published == date(2023, 10, 14)
    assert second.source == "citypaper.example"  # the hostname when the site is not named


def test_gzipped_jsonl_and_json_read_as_the_plain_ones(tmp_path: Path) -> None:
    rows = [_row(i) for i in range(5)]
    plain = tmp_path / "d.jsonl"
    plain.write_text(_jsonl(rows))
    packed = tmp_path / "d.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    listed = tmp_path / "l.json.gz"
    listed.write_bytes(gzip.compress(json.dumps(rows).encode()))
    want = [(r["id"], r["text"]) for r in rows]
    for path in (plain, packed, listed):
        raws, problems = read_articles(path, MAX)
        assert problems == [], path
        assert [(r.article_id, r.text) for r in raws] == want, path


def test_damaged_dumps_keep_what_came_before_the_damage(tmp_path: Path) -> None:
    rows = [_row(i) for i in range(400)]
    data = gzip.compress(_jsonl(rows).encode())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])
    raws, problems = read_articles(cut, MAX)
    assert 0 < len(raws) < 400
    assert [p.path for p in problems] == [f"{cut} (line {len(raws) + 1})"]
    assert problems[0].reason.startswith("damaged or truncated gzip data")

    array = tmp_path / "cut.json"
    array.write_text(json.dumps(rows[:3])[:-40])
    raws, problems = read_articles(array, MAX)
    assert [r.locator for r in raws] == ["item 1", "item 2"]
    assert [(p.path, p.reason) for p in problems] == [
        (f"{array} (item 3)", "invalid JSON: parse error: premature EOF")
    ]


def test_bad_lines_are_reported_by_number_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    lines = [
        json.dumps(_row(1)),
        '{"id": "broken", "text": "no closing brace"',
        json.dumps(_row(3, date="2025-02-30")),
        json.dumps(_row(4, date="not a date")),
        json.dumps({"title": "no text"}),
        "",
        json.dumps(_row(7)),
    ]
    path.write_bytes("\n".join(lines).encode() + b"\n" + b'{"text": "caf\xe9"}\n')
    raws, problems = read_articles(path, MAX)
    assert [r.locator for r in raws] == ["line 1", "line 7"]
    assert [(p.path, p.reason) for p in problems] == [
        (f"{path} (line 2)", "invalid JSON: Expecting ',' delimiter (column 44)"),
        (f"{path} (line 3)", "unreadable date in field 'date': '2025-02-30'"),
        (f"{path} (line 4)", "unreadable date in field 'date': 'not a date'"),
        (
            f"{path} (line 5)",
            "missing text field (one of text, body, content, maintext, raw_text)",
        ),
        (f"{path} (line 8)", "undecodable text: not UTF-8 (byte 0xe9 at column 14)"),
    ]


def test_size_limit_is_per_article_not_per_file(tmp_path: Path) -> None:
    # 60 articles of ~800 bytes in a file over the limit, and one article over it.
    rows = [_row(i) for i in range(60)]
    rows.insert(30, _row(999, paragraphs=80))
    path = tmp_path / "dump.jsonl"
    path.write_text(_jsonl(rows))
    limit = 20_000
    assert path.stat().st_size > limit
    raws, problems = read_articles(path, limit)
    assert len(raws) == 60
    big = len(json.dumps(rows[30]))
    assert [(p.path, p.reason) for p in problems] == [
        (f"{path} (line 31)", f"article over 20,000 bytes ({big:,} bytes)")
    ]


def test_reading_a_dump_takes_constant_memory(tmp_path: Path) -> None:
    # About 6 MB of articles and one 8 MB line: the reader holds far less than either.
    path = tmp_path / "big.jsonl"
    row = json.dumps(_row(1, paragraphs=4)) + "\n"
    with path.open("w") as fh:
        fh.write(row * 4000)
        fh.write(json.dumps({"text": "x" * 8_000_000}) + "\n")
        fh.write(row)
    assert path.stat().st_size > 14_000_000
    tracemalloc.start()
    try:
        count = problems = 0
        for item in JsonLinesLoader().read(path, 1_000_000):
            count += 1
            problems += not hasattr(item, "text")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (count, problems) == (4002, 1)
    assert peak < 4_000_000, f"peak {peak:,} bytes"


def test_utf16_and_bom_files_decode(tmp_path: Path) -> None:
    text = "Ferry resumes service\n\nThe island ferry resumed service on Monday. Café owners cheered.\n"
    for name, data in {
        "le.txt": text.encode("utf-16"),
        "be.txt": b"\xfe\xff" + text.encode("utf-16-be"),
        "bom8.txt": b"\xef\xbb\xbf" + text.encode(),
        "front.md": MD_ARTICLE.encode("utf-16"),
        "lines.jsonl": _jsonl([_row(1), _row(2)]).encode("utf-16"),
    }.items():
        (tmp_path / name).write_bytes(data)
        raws, problems = read_articles(tmp_path / name, MAX)
        assert problems == [], name
        assert raws and all(not r.text.startswith("\ufeff") for r in raws), name
    raws, _ = read_articles(tmp_path / "le.txt", MAX)
    assert raws[0].title == "Ferry resumes service" and "Café owners" in raws[0].text


# -- progress ---------------------------------------------------------------------------------


def test_progress_in_a_log_reports_bytes_of_a_big_dump_as_they_are_read(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_text(_jsonl([_row(i) for i in range(3000)]))  # about 3 MB
    log = io.StringIO()
    shown = Progress(stream=log, every_s=0)
    shown.start_reading([path])
    shown.next_file(path)
    seen = []
    for _ in JsonLinesLoader().read(path, MAX):
        seen.append(shown.bytes)
    shown.end_reading()
    assert 0 < seen[len(seen) // 2] < path.stat().st_size, "bytes counted while reading"
    lines = log.getvalue().splitlines()
    size = r"\d\.\d MB"
    assert re.fullmatch(
        f"indexing: reading 0 bytes of {size} · 0 bytes/s · 0/1 files · 0 articles · "
        "time left unknown",
        lines[0],
    ), lines[0]
    middle = f"indexing: reading {size} of {size} · .+/s · 0/1 files · 0 articles · .+ left"
    assert any(re.fullmatch(middle, line) for line in lines[1:-1]), lines
    last = f"indexing: reading ({size}) of \\1 · .+/s · 1/1 files · 0 articles · done"
    assert re.fullmatch(last, lines[-1]), lines[-1]
    shown.start_embedding(40)
    shown.embedded(10)
    shown.end_embedding()
    embedding = [line for line in log.getvalue().splitlines() if "embedding 10/40" in line]
    assert embedding and embedding[0].startswith("indexing: embedding 10/40 chunks · ")
    assert " chunks/s · 1/1 files · 0 articles · " in embedding[0]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_a_bar_on_a_terminal_and_nothing_when_off(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(_jsonl([_row(1)]))
    for stream, show in ((_Terminal(), None), (io.StringIO(), False)):
        shown = Progress(show, stream=stream, every_s=0)
        shown.start_reading([path])
        shown.next_file(path)
        shown.end_reading()
        shown.start_embedding(3)
        shown.embedded(3)
        shown.end_embedding()
        if show is None:
            assert "reading" in stream.getvalue() and "embedding" in stream.getvalue()
            assert "3/3 [" in stream.getvalue() and "indexing:" not in stream.getvalue()
        else:
            assert stream.getvalue() == ""


# -- end to end -------------------------------------------------------------------------------


def test_a_jsonl_dump_over_the_file_limit_indexes_with_one_oversize_article_reported(
    tmp_path: Path,
) -> None:
    rows = [_row(i) for i in range(12)]
    rows.insert(5, _row(500, paragraphs=80))
    path = tmp_path / "dump.jsonl.gz"
    path.write_bytes(gzip.compress(_jsonl(rows).encode()))
    settings = settings_for(tmp_path / "index", max_article_bytes=20_000)
    report = Indexer(settings).run([path], progress=False)
    assert report.added == 12
    assert [(p.path, p.reason.split(" (")[0]) for p in report.problems] == [
        (f"{path} (line 6)", "article over 20,000 bytes")
    ]
    db = open_live_db(settings.index_dir)
    try:
        assert {a.article_id for a in db.all_articles()} == {f"s-{i}" for i in range(12)}
    finally:
        db.close()


def test_a_folder_of_good_broken_and_unsupported_files_is_accounted_for(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    (folder / "sub").mkdir(parents=True)
    good = {
        "plain.txt": make_article(1, 2).encode(),
        "front.md": MD_ARTICLE.encode(),
        "utf16.txt": make_article(2, 2).encode("utf-16"),  # with a byte order mark
        "one.json": json.dumps(_row(3)).encode(),
        "sub/dump.jsonl.gz": gzip.compress(_jsonl([_row(4), _row(5)]).encode()),
    }
    broken = {
        "impossible.md": b"---\ntitle: T\npublished: 2025-02-30\n---\nThe council met on Monday.\n",
        "bad-yaml.md": b"---\ntitle: [unclosed\n---\nThe council met on Monday.\n",
        "not-a-date.json": json.dumps(_row(6, date="next Tuesday-ish")).encode(),
        "truncated.json": json.dumps(_row(7))[:-25].encode(),
        "utf16-no-bom.txt": make_article(8, 2).encode("utf-16-le"),
    }
    unsupported = {"photo.png": b"\x89PNG\r\n", "sub/slides.pptx": b"PK\x03\x04", "Makefile": b"x"}
    # A list cut off part way: its first item indexes, the cut one is reported.
    partial = json.dumps([_row(9), _row(10)])[:-30].encode()
    for name, data in {**good, **broken, **unsupported, "partial.json": partial}.items():
        (folder / name).write_bytes(data)
    (folder / ".draft.txt").write_text(make_article(11, 2))  # hidden: left out, unreported

    out = run_cli("index", str(folder), "--index-dir", str(tmp_path / "index"), "--json")
    assert out.returncode == 3, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    report = json.loads(out.stdout)
    assert (
        report["added"] == 7
    )  # five good files (one of them two articles) and partial.json's first
    skipped = {Path(s["path"].split(" (")[0]).name: s["reason"] for s in report["skipped"]}
    assert set(skipped) == {Path(n).name for n in {*broken, *unsupported, "partial.json"}}
    assert skipped["impossible.md"].startswith("impossible date in the front matter")
    assert skipped["bad-yaml.md"].startswith("invalid YAML front matter")
    assert skipped["not-a-date.json"] == "unreadable date in field 'date': 'next Tuesday-ish'"
    assert skipped["truncated.json"].startswith("invalid JSON at line 1")
    assert skipped["utf16-no-bom.txt"] == "binary file (contains NUL bytes), not text"
    assert skipped["photo.png"] == "unsupported file type '.png'"
    assert skipped["slides.pptx"] == "unsupported file type '.pptx'"
    assert skipped["Makefile"] == "unsupported file type '(none)'"
    assert skipped["partial.json"].startswith("invalid JSON")
    for s in report["skipped"]:
        assert f"skipped {s['path']}: {s['reason']}" in out.stderr
    # Not a terminal: plain progress lines, no bar drawn with carriage returns.
    assert "indexing: reading " in out.stderr and "indexing: embedding " in out.stderr
    assert "\r" not in out.stderr
    db = open_live_db(tmp_path / "index")
    try:
        paths = {Path(a.path).name for a in db.all_articles()}
    finally:
        db.close()
    assert paths == {Path(n).name for n in good} | {"partial.json"}


@pytest.mark.slow
def test_a_6_mb_jsonl_of_2000_articles_indexes_whole(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_text(_jsonl([_row(i, paragraphs=7) for i in range(2000)]))
    assert path.stat().st_size > 5 * 1024 * 1024  # over the 5 MB that once refused it whole
    settings = settings_for(tmp_path / "index")
    report = Indexer(settings).run([path], progress=False)
    assert (report.added, report.problems) == (2000, [])
    db = open_live_db(settings.index_dir)
    try:
        assert {a.article_id for a in db.all_articles()} == {f"s-{i}" for i in range(2000)}
        assert db.chunk_ids(dense=True) == collection_ids(
            settings
        )  # every embedded chunk has its vector
    finally:
        db.close()
