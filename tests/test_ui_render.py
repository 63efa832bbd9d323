"""The chat's HTML and its streaming handler, without a server or a model (a stub assistant)."""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from assistant import Answer, Citation, QuestionError, Related
from assistant.settings import NewsdeskSettings
from ui.app import ChatApp
from ui.render import answer_html, inert, partial_answer_html, sources_html, word_count, words

CONTEXT = "Earlier news. President <b>Putin</b> visited Kursk on Wednesday. Later news."
QUOTE = "President <b>Putin</b> visited Kursk on Wednesday."
TEXT = (
    "**Vladimir Putin** visited Kursk on **Wednesday, March 12, 2025** [1].\n\n"
    f"> {QUOTE} [1]\n\n"
    "“on Wednesday” is read against the publication date of [1]."
)


def citation(**update: Any) -> Citation:
    """One citation whose quote sits inside its paragraph, as the assistant gives them."""
    start = 100 + CONTEXT.index(QUOTE)
    fields = {
        "n": 1,
        "article_id": "a1",
        "title": "Kursk <script>alert(1)</script> visit",
        "source": "Wire & Co",
        "url": "https://example.org/kursk?a=1&b=2",
        "published": "2025-03-13",
        "quote": QUOTE,
        "start": start,
        "end": start + len(QUOTE),
        "date_inferred": True,
        "context": CONTEXT,
        "context_start": 100,
    }
    return Citation(**{**fields, **update})


def test_inert_text_cannot_become_html_or_markdown() -> None:
    raw = """<img src=x onerror="x()"> [click](javascript:x()) **b** `c` don't &amp;"""
    shown = inert(raw)
    for ch in "<>\"'[]()*`":
        assert ch not in shown
    # Every character comes back as itself once the browser decodes the entities.
    assert html.unescape(shown) == raw


def test_answer_links_each_marker_to_its_source_and_escapes_the_rest() -> None:
    html = answer_html(TEXT)
    assert html.count('<a class="cite" href="#src-1"') == 3
    assert "<strong>Vladimir Putin</strong>" in html
    assert "<blockquote>" in html
    assert "<b>" not in html and inert("<b>Putin</b>") in html


def test_partial_answers_grow_and_never_show_half_markup() -> None:
    total = word_count(TEXT)
    shown = [partial_answer_html(TEXT, n) for n in range(1, total + 1)]
    assert shown[-1] == answer_html(TEXT)
    # A bold phrase cut in half is closed, so no literal ** flashes up.
    assert shown[0] == "<p><strong>Vladimir</strong></p>"
    assert all("&#42;" not in s for s in shown)
    assert all(len(a) <= len(b) for a, b in itertools.pairwise(shown))


def test_source_panel_marks_the_quote_inside_its_paragraph() -> None:
    panel = sources_html(Answer("q", TEXT, True, [citation()]))
    assert 'id="src-1"' in panel
    assert f"<mark>{inert(QUOTE)}</mark>" in panel
    assert "Earlier news. <mark>" in panel and "</mark> Later news." in panel
    assert inert("Kursk <script>alert(1)</script> visit") in panel
    assert "<script>" not in panel
    assert words()["inferred"] in panel
    assert 'href="https://example.org/kursk?a=1&amp;b=2"' in panel


def test_source_panel_links_only_http_urls() -> None:
    for url in ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "ftp://x/y"]:
        panel = sources_html(Answer("q", TEXT, True, [citation(url=url, date_inferred=False)]))
        assert "<a " not in panel, url
        assert words()["inferred"] not in panel


def test_declined_answer_shows_related_passages_as_not_an_answer() -> None:
    rel = Related("a1", "Title <i>x</i>", None, "2025-03-13", "Putin <i>visited</i>.", 0, 20)
    panel = sources_html(Answer("q", "The indexed articles don't say.", False, [], [rel]))
    assert words()["related_title"] in panel
    assert inert("Putin <i>visited</i>.") in panel and "<i>" not in panel


class StubAssistant:
    """Answers every question with TEXT, or raises what it is told to."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.calls: list[dict[str, Any]] = []
        # No LLM configured: the chat paces out the extractive answer itself.
        self.answerer = SimpleNamespace(streams=False)

    def ask(self, question: str, **kwargs: Any) -> Answer:
        """Record the call; answer or raise."""
        self.calls.append({"question": question, **kwargs})
        if self.error:
            raise self.error
        return Answer(question, TEXT, True, [citation()])

    def ask_stream(self, question: str, **kwargs: Any) -> Iterator[Answer]:
        """The answer as a stream of one event, as the extractive answerer gives it."""
        yield self.ask(question, **kwargs)


def run(app: ChatApp, question: str, **kw: Any) -> list[tuple[Any, ...]]:
    """Every update the chat handler streams for one question."""
    args = {"chat": [], "turns": [], "since": "", "until": "", "sources": [], **kw}
    return list(app.respond(question, **args))


def test_answer_streams_in_and_history_is_passed_on(tmp_path: Path) -> None:
    stub = StubAssistant()
    app = ChatApp(NewsdeskSettings(index_dir=tmp_path), stub)  # type: ignore[arg-type]
    steps = run(app, "Who <b>visited</b>?", since=" 2025-03-01 ", sources=["Wire & Co"])
    assert steps[0][0][0] == {"role": "user", "content": inert("Who <b>visited</b>?")}
    assert steps[0][0][1]["content"] == words()["thinking"]
    answers = [s[0][-1]["content"] for s in steps[1:]]
    assert len(answers) > 5
    assert all(len(a) < len(b) for a, b in itertools.pairwise(answers))
    chat, turns, panel, box, send, *_ = steps[-1]
    assert chat[-1]["content"] == answer_html(TEXT)
    assert 'id="src-1"' in panel and box == ""
    # The send button is off while the answer streams, and on again at the end.
    assert steps[0][4]["interactive"] is False and send["interactive"] is True
    assert turns == [
        {"role": "user", "content": "Who <b>visited</b>?"},
        {"role": "assistant", "content": TEXT},
    ]
    assert stub.calls[0]["since"] == "2025-03-01" and stub.calls[0]["until"] is None
    assert stub.calls[0]["sources"] == ["Wire & Co"]
    run(app, "What did he order?", chat=chat, turns=turns)
    assert stub.calls[1]["history"] == turns


def test_errors_are_friendly_messages_not_tracebacks(tmp_path: Path) -> None:
    settings = NewsdeskSettings(index_dir=tmp_path)
    for error, expected in [
        (QuestionError("Please type a question: it was empty."), "Please type a question"),
        (RuntimeError("store <gone>"), inert("store <gone>")),
    ]:
        app = ChatApp(settings, StubAssistant(error))  # type: ignore[arg-type]
        chat, turns, _panel, _box, send, *_ = run(app, "x")[-1]
        assert send["interactive"] is True
        assert expected in chat[-1]["content"] and "Traceback" not in chat[-1]["content"]
        assert turns == []
        assert "error" in app.api_ask("x")


class FailingIndexer(StubAssistant):
    """An index that cannot be written (another run holds it, say)."""

    def add_articles(self, paths: list[Path], on_progress: Any = None) -> Any:
        """Fail the way a locked index does."""
        raise RuntimeError("the index <dir> is locked by another run")

    def status(self) -> dict[str, Any]:
        """Nothing indexed yet."""
        raise RuntimeError("no index")


def test_upload_that_cannot_be_indexed_reports_it_and_keeps_nothing(tmp_path: Path) -> None:
    upload = tmp_path / "in" / "story.txt"
    upload.parent.mkdir()
    upload.write_text("Headline\n\nBody.", encoding="utf-8")
    app = ChatApp(NewsdeskSettings(index_dir=tmp_path / "ix"), FailingIndexer())  # type: ignore[arg-type]
    report, stats, tagline, _sources = app.add_files([str(upload)])
    assert inert("the index <dir> is locked by another run") in report
    # Not left behind unindexed: the user adds it again once the index can be written.
    assert words()["upload_not_kept"] in report and app.uploads.names() == []
    assert stats == words()["index_missing"] and tagline == words()["tagline_empty"]
    assert app.add_files([])[0] == words()["index_none"]
