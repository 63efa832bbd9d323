"""The chat in a real headless Chromium against a real `newsdesk ui` on loopback."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from ui_server import CHROMIUM, CHROMIUM_ARGS, NEWSDESK, require_chromium, running_ui

from assistant.settings import NewsdeskSettings
from index import Indexer

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
SEED_TITLE = (
    "Russia says forces poised to complete recapture of Kursk region as Witkoff heads to Moscow"
)
HOSTILE = """\
Harbor sign <script>window.__pwned=1</script> puzzles visitors

Harbor master Lena Frost said the sign read <img src=x onerror="window.__pwned=2"> on Monday.

The notice also showed <script>window.__pwned=1</script> in red letters, Frost said.

Visitors were told to [click here](javascript:window.__pwned=3) for details.
"""


@pytest.fixture(scope="module")
def ui_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the seed and one hostile article."""
    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copy(ROOT / "seeds" / "000_f6cdbc7b12bc632a.txt", corpus)
    (corpus / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("index")
    report = Indexer(NewsdeskSettings(index_dir=index_dir)).run([corpus], progress=False)
    assert report.added == 2 and not report.problems
    return index_dir


@pytest.fixture(scope="module")
def ui_url(ui_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`newsdesk ui` over that index, served for the module."""
    with running_ui(ui_index, tmp_path_factory.mktemp("log") / "ui.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _last_answer(page) -> str:
    return page.locator("#chat .message-row").last.inner_text()


def _rows(page) -> int:
    return page.locator("#chat .message-row").count()


def _answered(page, rows: int) -> None:
    """Wait until a reply beyond `rows` chat rows has streamed in (the send button is back)."""
    page.wait_for_function(
        """([rows]) => document.querySelectorAll('#chat .message-row').length >= rows + 2
            && !document.querySelector('#send[disabled]')""",
        arg=[rows],
        timeout=60_000,
    )


def _ask(page, question: str, expect: str) -> None:
    rows = _rows(page)
    page.locator("#question textarea").fill(question)
    page.locator("#question textarea").press("Enter")
    _answered(page, rows)
    assert expect in _last_answer(page)


def test_kursk_example_answer_sources_and_follow_up(ui_url: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(ui_url)
    page.get_by_role("button", name="Who visited Kursk and when?").click()
    _answered(page, 0)
    chat = page.locator("#chat").inner_text()
    assert "Vladimir Putin" in chat and "March 12, 2025" in chat
    sources = page.locator("#sources")
    assert SEED_TITLE in sources.inner_text()
    mark = sources.locator("mark").first.inner_text()
    assert "visited Kursk on Wednesday" in mark
    # The [1] marker links to the first source in the panel.
    assert page.locator("#chat a.cite").first.get_attribute("href") == "#src-1"
    assert page.locator("#src-1").count() == 1
    # Following the marker stays on the page and brings its source into view.
    page.locator("#chat a.cite").first.click()
    page.wait_for_function("location.hash === '#src-1'")
    assert len(page.context.pages) == 1
    assert page.locator("#src-1").is_visible()
    _ask(page, "What did he order?", "ordered his commanders")
    assert "Putin" in _last_answer(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-kursk.png"), full_page=True)
    narrow = browser.new_page(viewport={"width": 400, "height": 900})
    narrow.goto(ui_url)
    narrow.get_by_role("button", name="Who visited Kursk and when?").click()
    _answered(narrow, 0)
    # At phone width the source panel stacks under the chat instead of squeezing beside it.
    chat_box = narrow.locator("#chat").bounding_box()
    src_box = narrow.locator("#sources").bounding_box()
    assert src_box["y"] >= chat_box["y"] + chat_box["height"] - 1
    narrow.screenshot(path=str(ARTIFACTS / "chat-phone.png"), full_page=True)


def test_article_html_and_scripts_are_shown_as_text(ui_url: str, browser) -> None:
    page = browser.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if "//127.0.0.1:" not in r.url else None)
    page.goto(ui_url)
    _ask(page, "What did Lena Frost say the sign read?", "Lena Frost")
    _ask(page, "What did the notice show in red letters?", "red letters")
    # The answer itself quotes the markdown link: the chat shows it as text, not as a link.
    _ask(page, "What were visitors told to click?", "[click here](javascript:window.__pwned=3)")
    assert "[click here](javascript:" in page.locator("#sources").inner_text()
    _ask(page, 'Who is <img src=x onerror="window.__pwned=4"> here?', "onerror")
    assert page.evaluate("window.__pwned") is None
    text = page.locator("body").inner_text()
    assert '<img src=x onerror="window.__pwned=2">' in text
    assert "<script>window.__pwned=1</script>" in text
    assert page.locator("#chat img, #sources img, #chat script, #sources script").count() == 0
    # No link anywhere on the page leads to javascript:.
    hrefs = page.eval_on_selector_all("a", "as => as.map(a => a.getAttribute('href') || '')")
    assert not [h for h in hrefs if h.strip().lower().startswith("javascript:")]
    assert page.evaluate("window.__pwned") is None
    # The page fetches nothing from outside the machine (fonts, analytics, CDNs).
    assert outside == []


def test_filters_decline_and_bad_dates(ui_url: str, browser) -> None:
    page = browser.new_page()
    page.goto(ui_url)
    _ask(page, "What is the population of Kursk?", "don't say")
    assert "Related — not an answer" in page.locator("#sources").inner_text()
    page.get_by_text("Filters (apply to the next question)").click()
    since = page.locator("#since textarea, #since input").first
    since.fill("2025-13-45")
    _ask(page, "Who visited Kursk and when?", "Not a date")
    assert "Traceback" not in page.locator("body").inner_text()
    since.fill("2025-04-01")
    _ask(page, "Who visited Kursk and when?", "among the articles from 2025-04-01")
    since.fill("2025-03-01")
    _ask(page, "Who visited Kursk and when?", "March 12, 2025")


def test_upload_indexes_files_and_reports_skipped_ones(
    ui_url: str, browser, tmp_path: Path
) -> None:
    good = tmp_path / "ferry.md"
    good.write_text(
        "---\ntitle: Ferry operator orders two electric vessels\npublished: 2024-02-20\n"
        "source: The Ledger\n---\nThe ferry operator ordered two battery-electric vessels "
        "for its island routes on Tuesday. The ships are due in service in 2027.\n",
        encoding="utf-8",
    )
    bad = tmp_path / "broken.json"
    bad.write_text("{not json", encoding="utf-8")
    page = browser.new_page()
    page.goto(ui_url)
    page.get_by_text("Index", exact=True).click()
    stats = page.locator("#index-stats")
    assert "**" not in stats.inner_text() and "2" in stats.inner_text()
    page.locator("#upload input[type=file]").set_input_files([str(good), str(bad)])
    page.get_by_role("button", name="Index the files").click()
    page.wait_for_function(
        "document.querySelector('#index-report').innerText.includes('Indexed')", timeout=120_000
    )
    report = page.locator("#index-report").inner_text()
    assert "1 added" in report
    assert "Skipped broken.json" in report
    assert stats.inner_text().startswith("3 articles")
    _ask(page, "How many electric vessels did the ferry operator order?", "two")
    assert "Ferry operator orders two electric vessels" in page.locator("#sources").inner_text()


def _replied(page, text: str) -> None:
    """Wait until the last chat message holds `text` and the send button is back."""
    page.wait_for_function(
        """([text]) => {
            const rows = document.querySelectorAll('#chat .message-row');
            return rows.length && rows[rows.length - 1].innerText.includes(text)
                && !document.querySelector('#send[disabled]');
        }""",
        arg=[text],
        timeout=60_000,
    )


def _note(page, text: str) -> None:
    """Wait until the feedback line under the question box says `text`."""
    page.wait_for_function(
        "([t]) => document.querySelector('#feedback-note').innerText.includes(t)",
        arg=[text],
        timeout=30_000,
    )


def test_a_citation_opens_its_article_with_the_sentence_highlighted(ui_url: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(ui_url)
    _ask(page, "Who visited Kursk and when?", "Vladimir Putin")
    page.locator("#chat a.cite").first.click()
    page.wait_for_function("document.querySelector('#src-1').classList.contains('open')")
    card = page.locator("#src-1")
    focus = card.locator("mark.focus")
    assert focus.inner_text().startswith("President Vladimir Putin, donning combat fatigues")
    assert card.locator(".article-title").inner_text() == SEED_TITLE
    assert "inferred" in card.locator(".article .src-meta").inner_text()
    # The whole article, not the paragraph: its first and last lines are there.
    text = card.locator(".article-text").inner_text()
    assert text.startswith("Kremlin says troops took border town") and len(text) > 3000
    # The sentence is in sight within the panel, and the page did not scroll off the chat.
    panel, mark = page.locator("#sources .sources").bounding_box(), focus.bounding_box()
    assert panel["y"] <= mark["y"] and mark["y"] + mark["height"] <= panel["y"] + panel["height"]
    assert page.evaluate("window.scrollY") == 0
    # The answer's other sentences from this article are marked too; other sources step aside.
    assert card.locator(".article mark.cited").count() >= 1
    assert not page.locator("#src-2").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-desktop-article.png"))
    card.locator("a.close").click()
    assert page.locator("#src-2").is_visible() and not focus.is_visible()
    # A source's title opens its article as well.
    page.locator("#src-2 a.open").click()
    assert page.locator("#src-2 mark.focus").is_visible()


def test_the_time_chip_shows_the_dates_and_removing_it_asks_again(ui_url: str, browser) -> None:
    page = browser.new_page()
    page.goto(ui_url)
    _ask(page, "Who visited Kursk in March 2024?", "don't say")
    chip = page.locator("#time-chip")
    assert chip.is_visible() and "articles 2024-03-01 to 2024-03-31" in chip.inner_text()
    assert "in March 2024" in chip.inner_text()
    rows = _rows(page)
    chip.click()
    _replied(page, "Vladimir Putin")
    # Asked again in place of the answer it replaces, without the dates, and no chip now.
    assert _rows(page) == rows and "March 12, 2025" in _last_answer(page)
    assert not page.locator("#time-chip").is_visible()


def test_feedback_becomes_a_question_set_and_the_chat_exports_as_markdown(
    ui_url: str, ui_index: Path, browser, tmp_path: Path
) -> None:
    from index import read_feedback

    context = browser.new_context(accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(ui_url)
    _ask(page, "Who visited Kursk and when?", "Vladimir Putin")
    page.locator("#chat button[aria-label='Dislike']").last.click()
    _note(page, "👎 saved")
    # "This is the sentence that answers it", on the first source.
    page.locator("#src-1 button.choose").click()
    _note(page, "It becomes a test case")
    records = read_feedback(ui_index).records
    assert [(r["kind"], r["verdict"]) for r in records] == [("verdict", "down"), ("sentence", None)]
    assert {r["question"] for r in records} == {"Who visited Kursk and when?"}
    sentence = records[1]["chosen"]["quote"]
    assert sentence.startswith("President Vladimir Putin, donning combat fatigues")

    cases = tmp_path / "cases.jsonl"
    export = subprocess.run(
        [NEWSDESK, "feedback", "export", "--index-dir", ui_index, "--out", cases],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert export.returncode == 0, export.stderr
    (case,) = [json.loads(line) for line in cases.read_text().splitlines()]
    assert case["question"] == "Who visited Kursk and when?" and case["expect"] == [sentence]
    run = subprocess.run(
        [NEWSDESK, "eval", cases, "--index-dir", ui_index, "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert len(report["results"]) == 1 and report["accuracy"] == 1.0

    with page.expect_download() as download:
        page.locator("#export-download").click()
    assert download.value.suggested_filename == "newsdesk-conversation.md"
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    assert "## Who visited Kursk and when?" in markdown
    assert "**President Vladimir Putin**, on **Wednesday, March 12, 2025** [1]." in markdown
    assert f"Sources:\n\n1. **{SEED_TITLE}** — 2025-03-13" in markdown
    page.locator("#export-copy").click()
    _note(page, "Copied")
    assert page.evaluate("navigator.clipboard.readText()").strip() == markdown.strip()
    context.close()


def test_at_phone_width_everything_fits_and_the_article_opens(ui_url: str, browser) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 812})
    page.goto(ui_url)
    _ask(page, "Who visited Kursk in March 2024?", "don't say")
    for selector in ["#time-chip", "#send", "#export-download", "#export-copy", "#clear"]:
        box = page.locator(selector).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375, selector
    page.locator("#time-chip").click()
    _replied(page, "Vladimir Putin")
    # Nothing is wider than the screen; the source panel stacks under the chat.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    chat_box = page.locator("#chat").bounding_box()
    src_box = page.locator("#sources").bounding_box()
    assert src_box["y"] >= chat_box["y"] + chat_box["height"] - 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-375.png"), full_page=True)
    page.locator("#chat a.cite").first.click()
    focus = page.locator("#src-1 mark.focus")
    focus.wait_for(state="visible")
    box = focus.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 812
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(ARTIFACTS / "chat-375-article.png"))


def test_an_open_question_gets_a_dated_cited_brief(ui_url: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(ui_url)
    page.locator("#question textarea").fill("What happened in Kursk?")
    page.locator("#question textarea").press("Enter")
    _answered(page, 0)
    bullets = page.locator("#chat .message-row").last.locator("ul.brief li")
    assert bullets.count() >= 3
    texts = [bullets.nth(i).inner_text() for i in range(bullets.count())]
    assert len(set(texts)) == len(texts)
    cites = [bullets.nth(i).locator("a.cite").inner_text() for i in range(bullets.count())]
    assert cites == [f"[{n}]" for n in range(1, len(texts) + 1)]
    # Each bullet opens with its day in bold, oldest first.
    days = [bullets.nth(i).locator("strong").first.inner_text() for i in range(len(texts))]
    assert all(", 2025" in day for day in days)
    sources = page.locator("#sources").inner_text()
    assert sources.count(SEED_TITLE) >= 3


LIGHTHOUSE = (
    "Lighthouse keeper retires after forty years\n\n"
    "Keeper Ilse Brandt switched off the Skarv lighthouse lamp for the last time on Friday, "
    "after forty years of service.\n\nThe light is now run from the mainland.\n"
)


def test_an_upload_is_removed_from_the_index_panel(ui_url: str, browser, tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    story.write_text(LIGHTHOUSE, encoding="utf-8")
    page = browser.new_page()
    page.goto(ui_url)
    page.get_by_text("Index", exact=True).click()
    page.locator("#upload input[type=file]").set_input_files([str(story)])
    page.get_by_role("button", name="Index the files").click()
    report = page.locator("#index-report")
    page.wait_for_function(
        "document.querySelector('#index-report').innerText.includes('Indexed')", timeout=120_000
    )
    assert "1 added" in report.inner_text()
    question = "Who switched off the Skarv lighthouse lamp?"
    _ask(page, question, "Ilse Brandt")

    # The uploaded files list offers it under its kept name; removing it takes it away.
    page.locator("#uploaded input").click()
    page.locator("#uploaded [role=option]", has_text="story-").first.click()
    page.get_by_role("button", name="Remove from the index").click()
    page.wait_for_function(
        "document.querySelector('#index-report').innerText.startsWith('Removed')",
        timeout=60_000,
    )
    assert "1 articles taken out" in report.inner_text()
    rows = _rows(page)
    page.locator("#question textarea").fill(question)
    page.locator("#question textarea").press("Enter")
    _answered(page, rows)
    assert "Ilse Brandt" not in _last_answer(page)
    assert "Lighthouse keeper" not in page.locator("#sources").inner_text()


def test_the_running_chat_answers_from_articles_another_process_indexed(
    ui_url: str, ui_index: Path, browser, tmp_path: Path
) -> None:
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "lighthouse.txt").write_text(LIGHTHOUSE, encoding="utf-8")
    # `newsdesk index` (as `newsdesk watch` runs it) in a process of its own, while the chat runs.
    done = subprocess.run(
        [str(NEWSDESK), "index", str(tmp_path / "news"), "--index-dir", str(ui_index)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and "1 added" in done.stdout, done.stderr
    page = browser.new_page()
    page.goto(ui_url)
    _ask(page, "Who switched off the Skarv lighthouse lamp?", "Ilse Brandt")
    assert "Lighthouse keeper retires" in page.locator("#sources").inner_text()
