"""Loading every article format into raw articles, and the metadata prepare() derives from them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from conftest import (
    HTML_PAGE,
    JSON_LIST,
    JSON_OBJECT,
    JSONL_LINES,
    ROOT,
    SEED,
    SEED_TITLE,
    run_cli,
    trafilatura_error,
)

from index.articles import Article, RawArticle
from index.loaders import discover, read_articles
from index.prepare import prepare

MAX = 5 * 1024 * 1024
HEX16 = re.compile(r"^[0-9a-f]{16}$")


def load(path: Path) -> list[RawArticle]:
    """Read a file that must load without problems."""
    raws, problems = read_articles(path, MAX)
    assert problems == []
    return raws


def load_one(path: Path) -> Article:
    """Read and prepare a file holding exactly one article."""
    raws = load(path)
    assert len(raws) == 1
    return prepare(raws[0])


def test_txt_seed_title_and_inferred_date() -> None:
    article = load_one(SEED)
    assert article.title == SEED_TITLE
    # The headline line is the title, not part of the body.
    assert not article.text.startswith("Russia says forces poised")
    assert article.text.startswith("Kremlin says troops took border town of Sudzha")
    assert article.published == date(2025, 3, 13)
    assert article.date_inferred is True
    assert article.source is None and article.url is None


def test_markdown_front_matter(formats_dir: dict[str, Path]) -> None:
    article = load_one(formats_dir["md"])
    assert article.title == "Rail union agrees pay deal, calling off weekend strikes"
    # The body names later dates (July 15, 2024); the front matter's date wins and is not a guess.
    assert article.published == date(2024, 6, 3)
    assert article.date_inferred is False
    assert article.url == "https://ledger.example/rail-pay-deal"
    assert article.source == "The Ledger"
    assert article.authors == ["Clara Whitfield", "Tomasz Novak"]
    assert "title:" not in article.text and "---" not in article.text
    assert "4.5 per cent" in article.text
    # Hard-wrapped lines of one paragraph are joined back into one line.
    assert "strikes that had been planned" in article.text


def test_markdown_without_title_uses_first_heading(tmp_path: Path) -> None:
    path = tmp_path / "untitled.md"
    path.write_text(
        "---\npublished: 2023-09-01\nauthors: Ana Silva, Kofi Mensah\n---\n"
        "# Dockers vote to strike\n\nDock workers voted to strike from Monday. Talks failed.\n"
    )
    article = load_one(path)
    assert article.title == "Dockers vote to strike"
    assert article.authors == ["Ana Silva", "Kofi Mensah"]
    assert article.published == date(2023, 9, 1) and not article.date_inferred
    assert article.text.startswith("Dock workers voted")


def test_html_news_page(formats_dir: dict[str, Path]) -> None:
    reason = trafilatura_error()
    if reason:
        pytest.skip(f"trafilatura cannot be imported in this environment: {reason}")
    article = load_one(formats_dir["html"])
    # og:title, not the <title> tag with the site name appended.
    assert article.title == "Harbour council approves new flood barrier after decade of delays"
    assert article.published == date(2024, 11, 5)
    assert article.date_inferred is False
    assert article.url == "https://coastal-ledger.example/news/flood-barrier"
    assert article.source == "The Coastal Ledger"
    assert article.authors == ["Ingrid Sorensen"]
    for phrase in (
        "voted on Monday evening to approve construction",
        "by eleven votes to four",
        "about 140 million euros",
        "independent review of the tidal modelling",
        "consulted on the opening schedule of the gates",
    ):
        assert phrase in article.text
    # Navigation and footer furniture are dropped.
    for furniture in ("Subscribe to our weekly", "Sport", "Copyright", "Privacy policy", "Cookie"):
        assert furniture not in article.text
    assert "<p>" not in article.text and "<" not in article.text


def test_html_page_of_only_menus_is_skipped_with_a_reason(tmp_path: Path) -> None:
    reason = trafilatura_error()
    if reason:
        pytest.skip(f"trafilatura cannot be imported in this environment: {reason}")
    path = tmp_path / "index.html"
    path.write_text(
        "<html><head><title>Example News</title></head><body><nav><ul>"
        '<li><a href="/">Home</a></li><li><a href="/world">World</a></li>'
        '<li><a href="/sport">Sport</a></li></ul></nav>'
        "<footer>Copyright 2025 Example News</footer></body></html>"
    )
    raws, problems = read_articles(path, MAX)
    assert raws == []
    assert [(p.path, p.reason) for p in problems] == [
        (str(path), "no article text in the HTML page (only menus or link lists)")
    ]


def test_html_without_trafilatura_is_a_problem_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "page.html"
    path.write_text(HTML_PAGE)
    # A module set to None in sys.modules makes its import raise ImportError, as a broken
    # install does.
    monkeypatch.setitem(sys.modules, "trafilatura", None)
    raws, problems = read_articles(path, MAX)
    assert raws == []
    assert len(problems) == 1
    assert problems[0].path == str(path)
    assert problems[0].reason.startswith("HTML support unavailable")


def test_json_single_object_with_aliases(formats_dir: dict[str, Path]) -> None:
    path = formats_dir["json"]
    raws = load(path)
    assert len(raws) == 1
    assert raws[0].locator == "item 1"
    article = prepare(raws[0])
    assert article.article_id == JSON_OBJECT["id"]
    assert article.title == JSON_OBJECT["title"]
    assert article.text.startswith("The regional water authority fined a brewery 80,000 euros")
    assert "replaced the faulty valve" in article.text
    assert article.published == date(2024, 4, 12) and not article.date_inferred
    assert article.source == "The Ledger"
    assert article.url == JSON_OBJECT["url"]
    assert article.authors == ["Aisha Haddad", "Lucas Moreau"]


def test_json_list(formats_dir: dict[str, Path]) -> None:
    raws = load(formats_dir["json_list"])
    assert [r.locator for r in raws] == ["item 1", "item 2"]
    first, second = (prepare(r) for r in raws)
    assert first.title == JSON_LIST[0]["title"]
    assert first.text == JSON_LIST[0]["content"]
    assert first.published == date(2024, 2, 20) and not first.date_inferred
    assert HEX16.match(first.article_id)
    assert second.text == JSON_LIST[1]["text"]
    assert second.published == date(2024, 3, 9)
    assert second.article_id == "lib-reopens"


def test_jsonl_lines_with_every_alias(formats_dir: dict[str, Path]) -> None:
    raws = load(formats_dir["jsonl"])
    assert [r.locator for r in raws] == ["line 1", "line 2", "line 3", "line 4"]
    articles = [prepare(r) for r in raws]
    expected_dates = [date(2024, 5, 1), date(2024, 5, 10), date(2024, 5, 17), date(2024, 5, 24)]
    for article, line, day in zip(articles, JSONL_LINES, expected_dates, strict=True):
        body = line.get("text") or line.get("body") or line.get("content")
        assert article.text == body
        assert article.title == line["title"]
        assert article.article_id == line["id"]
        assert article.published == day and not article.date_inferred


@pytest.mark.parametrize("text_field", ["text", "body", "content"])
@pytest.mark.parametrize("date_field", ["published", "date", "publish_date", "published_at"])
def test_field_aliases(tmp_path: Path, text_field: str, date_field: str) -> None:
    path = tmp_path / "one.json"
    path.write_text(
        json.dumps(
            {
                text_field: "The bridge reopened on Sunday. Traffic was light.",
                date_field: "2022-08-07",
            }
        )
    )
    article = load_one(path)
    assert article.text == "The bridge reopened on Sunday. Traffic was light."
    assert article.published == date(2022, 8, 7) and not article.date_inferred
    # Without a title field, the first sentence stands in.
    assert article.title == "The bridge reopened on Sunday."


def test_content_hash_id_depends_on_text_only(tmp_path: Path) -> None:
    body = "Headline one\n\nThe mayor opened the new market hall on Friday. Stalls sold out.\n"
    a, b = tmp_path / "a" / "x.txt", tmp_path / "b" / "y.txt"
    for p in (a, b):
        p.parent.mkdir()
        p.write_text(body)
    other = tmp_path / "other.txt"
    other.write_text(body.replace("Friday", "Saturday"))
    id_a, id_b, id_other = (load_one(p).article_id for p in (a, b, other))
    assert HEX16.match(id_a)
    assert id_a == id_b  # same text in another file and folder: same article
    assert id_a != id_other


def test_seed_id_stable_across_processes() -> None:
    """The id is a content hash, not something salted per process (hash(), uuid, time)."""
    here = load_one(SEED).article_id
    code = (
        "from pathlib import Path; from index.loaders import read_articles; "
        "from index.prepare import prepare; "
        f"print(prepare(read_articles(Path({str(SEED)!r}), {MAX})[0][0]).article_id)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=True,
    )
    assert out.stdout.strip() == here
    assert HEX16.match(here)


def test_discover_recurses_and_filters(tmp_path: Path) -> None:
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    keep = [tmp_path / "a.txt", tmp_path / "sub" / "b.md", tmp_path / "sub" / "deeper" / "c.jsonl"]
    for p in keep:
        p.write_text("x")
    (tmp_path / "photo.png").write_text("x")
    # Hidden files and folders are left out, unreported: they hold tools' files, not articles.
    (tmp_path / ".hidden.txt").write_text("x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("x")
    files, problems = discover([tmp_path, tmp_path / "a.txt", tmp_path / "missing.txt"])
    assert sorted(files) == sorted(keep)  # a.txt named twice is listed once
    # A file of a type no loader reads is reported, in a folder as when named.
    assert [(p.path, p.reason) for p in problems] == [
        (str(tmp_path / "photo.png"), "unsupported file type '.png'"),
        (str(tmp_path / "missing.txt"), "no such file or folder"),
    ]


def test_impossible_front_matter_date_is_reported_and_the_rest_indexed(tmp_path: Path) -> None:
    """YAML reads 2025-02-30 as a date; the calendar refuses it: a problem, not a traceback."""
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: T\npublished: 2025-02-30\n---\nThe council met on Monday.\n")
    (tmp_path / "good.txt").write_text("Bridge opens\n\nThe mayor opened the bridge on Friday.\n")
    raws, problems = read_articles(bad, MAX)
    assert raws == []
    assert [(p.path, p.reason) for p in problems] == [
        (str(bad), "impossible date in the front matter: day is out of range for month")
    ]
    out = run_cli("index", str(tmp_path), "--index-dir", str(tmp_path / "idx"))
    assert out.returncode == 3, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    assert "1 added" in out.stdout and "impossible date" in out.stdout + out.stderr
