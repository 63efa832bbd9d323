"""The article view, the time chip, feedback and the Markdown export, without a server or model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from assistant import Answer, Citation, Related
from assistant.settings import NewsdeskSettings
from index import Article, read_feedback
from ui.app import ChatApp
from ui.article import SHOWN_CHARS, article_html
from ui.export import FILE_NAME, ExportFiles, conversation_markdown
from ui.feedback import Feedback
from ui.render import inert, sources_html, time_chip, words

TEXT = (
    "Kremlin says troops took Sudzha.\n\n"
    "President Putin <b>visited</b> Kursk on Wednesday. He ordered a push.\n\n"
    "Peskov said the region would be liberated soon."
)
Q1 = "President Putin <b>visited</b> Kursk on Wednesday."
Q2 = "Peskov said the region would be liberated soon."
WINDOW = {"kind": "range", "since": "2024-03-01", "until": "2024-03-31", "words": "in March 2024"}


def article(text: str = TEXT) -> Article:
    """One indexed article, as the reader gives it."""
    return Article(
        "a1", "Kursk <i>visit</i>", text, date(2025, 3, 13), True, "Wire", "https://e.org/k",
        [], "k.txt", "h", [],
    )  # fmt: skip


def cite(n: int, quote: str, text: str = TEXT, article_id: str = "a1") -> Citation:
    """A citation of `quote`, an exact slice of `text`."""
    start = text.index(quote)
    return Citation(
        n, article_id, "Kursk <i>visit</i>", "Wire", "https://e.org/k", "2025-03-13", quote,
        start, start + len(quote), True, quote, start,
    )  # fmt: skip


def answer(**update: Any) -> Answer:
    """An answer citing two sentences of the article."""
    fields: dict[str, Any] = {
        "question": "Who visited Kursk?",
        "text": f"**Putin** visited [1].\n\n> {Q1} [1]\n\n> {Q2} [2]",
        "answered": True,
        "citations": [cite(1, Q1), cite(2, Q2)],
    }
    return Answer(**{**fields, **update})


def test_the_article_view_marks_the_quote_and_the_answers_other_sentences() -> None:
    first, second = answer().citations
    view = article_html(article(), first, [first, second])
    assert f'<mark class="focus">{inert(Q1)}</mark>' in view
    assert f'<mark class="cited">{inert(Q2)}</mark>' in view
    assert "<b>" not in view and "<i>" not in view and inert("Kursk <i>visit</i>") in view
    assert inert("Kremlin says troops took Sudzha.") in view and words()["inferred"] in view
    assert 'href="#sources-top"' in view and 'href="https://e.org/k"' in view
    # A citation of another article is not marked in this one.
    other = cite(3, Q2, article_id="b2")
    assert 'class="cited"' not in article_html(article(), first, [first, other])
    # Re-indexed since the answer: no stale highlight at the wrong place.
    assert article_html(article(TEXT.replace("Putin", "Medvedev")), first, [first]) == ""


def test_a_long_article_is_shown_around_its_quote() -> None:
    filler = "Other news of the day. " * 4000
    text = f"{filler}\n{Q1}\n{filler}"
    view = article_html(article(text), cite(1, Q1, text), [])
    assert inert(Q1) in view and words()["article_cut"] in view
    assert len(view) < SHOWN_CHARS * 2


def test_the_panel_opens_articles_and_offers_to_choose_a_sentence() -> None:
    panel = sources_html(answer(), {"a1": article()}, "abc123")
    assert panel.count('class="article"') == 2 and 'class="open" href="#src-1"' in panel
    assert 'data-answer="abc123" data-kind="cite" data-i="1"' in panel
    related = Related("a1", "T", None, None, "A passage.", 0, 10)
    declined = answer(answered=False, citations=[], related=[related])
    assert 'data-kind="related" data-i="0"' in sources_html(declined, {}, "abc123")
    # Without an id (the API's panel) or the article, only the paragraph, no buttons.
    plain = sources_html(answer())
    assert "choose" not in plain and 'class="article"' not in plain and "a.open" not in plain


def test_the_time_chip_names_the_dates_and_the_words() -> None:
    assert time_chip(None) == ""
    assert "articles 2024-03-01 to 2024-03-31" in time_chip(WINDOW)
    assert "in March 2024" in time_chip(WINDOW) and time_chip(WINDOW).endswith("✕")
    assert "preferring" in time_chip({**WINDOW, "kind": "window", "words": "this week"})
    year = {"kind": "range", "since": "2022-01-01", "until": "2022-12-31", "naming": "2022"}
    assert "articles 2022-01-01 to 2022-12-31 or naming 2022" in time_chip(year)


def test_the_conversation_exports_as_markdown_with_each_answers_sources() -> None:
    related = Related("b2", "Sudzha | rescue", "Wire", "2025-03-14", "120 were rescued.", 0, 9)
    declined = answer(question="How many?", text="The articles don't say.", answered=False,
                      citations=[], related=[related], time_window=WINDOW)  # fmt: skip
    entries = [{"answer": answer(), "as_of": "2025-03-14"}, {"answer": declined}]
    md = conversation_markdown(entries, when=datetime(2025, 3, 14, 9, 30))
    assert md.startswith("# newsdesk conversation\n\nExported 2025-03-14 09:30.")
    assert "## Who visited Kursk?\n\n*Asked as of 2025-03-14.*\n\n**Putin** visited [1]." in md
    assert "1. **Kursk <i>visit</i>** — Wire, 2025-03-13 (date inferred from the text)" in md
    assert f"   > “{Q1}” (chars " in md and "2. **Kursk" in md
    assert "## How many?\n\n*Articles 2024-03-01 to 2024-03-31 (“in March 2024”).*" in md
    assert "- **Sudzha | rescue** — Wire, 2025-03-14\n  > “120 were rescued.”" in md
    assert "No answers yet." in conversation_markdown([])


def test_export_files_replace_the_conversations_previous_copy() -> None:
    files = ExportFiles()
    first = files.write("one")
    second = files.write("two", previous=first)
    assert Path(second).name == FILE_NAME and Path(second).read_text() == "two"
    assert not Path(first).exists()


def entry(**update: Any) -> dict[str, Any]:
    """The chat's record of one answer shown (ui/app.py)."""
    base = {
        "id": "abc",
        "index": 1,
        "question": "Who visited Kursk?",
        "answer": answer(),
        "history": [],
        "as_of": "2025-03-14",
        "since": None,
        "until": None,
        "sources": [],
    }
    return {**base, **update}  # fmt: skip


def test_feedback_records_verdicts_and_chosen_sentences(tmp_path: Path) -> None:
    feedback = Feedback(tmp_path / "index")
    assert "👍" in feedback.rate([entry()], 1, True)
    assert "👎" in feedback.rate([entry()], 1, False)
    assert feedback.rate([entry()], 1, None) == words()["feedback_undone"]
    assert feedback.rate([entry()], 5, True) == words()["feedback_gone"]
    assert inert(Q2) in feedback.choose([entry()], "abc", "cite", 1)
    assert feedback.choose([entry()], "abc", "cite", 9) == words()["feedback_gone"]
    records = read_feedback(tmp_path / "index").records
    assert [r["verdict"] for r in records] == ["up", "down", None, None]
    last = records[-1]
    assert last["kind"] == "sentence" and last["chosen"]["quote"] == Q2
    assert last["as_of"] == "2025-03-14" and last["citations"][1]["quote"] == Q2
    assert "context" not in last["citations"][0]
    json.dumps(records)  # every field is plain JSON


def test_feedback_that_cannot_be_saved_says_so(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    notice = Feedback(blocked).rate([entry()], 1, True)
    assert notice.startswith(words()["feedback_failed"].split("{")[0])


class WindowAssistant:
    """Answers with a time window unless asked to ignore time words; records each call."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.answerer = SimpleNamespace(streams=False)

    def ask_stream(self, question: str, **kwargs: Any) -> Iterator[Answer]:
        """One Answer, as the extractive answerer streams it."""
        self.calls.append({"question": question, **kwargs})
        ignore = kwargs.get("ignore_time_words", False)
        yield answer(question=question, time_window=None if ignore else WINDOW)


def test_removing_the_chip_asks_again_in_place_without_time_words(tmp_path: Path) -> None:
    stub = WindowAssistant()
    app = ChatApp(NewsdeskSettings(index_dir=tmp_path), stub)  # type: ignore[arg-type]
    args = {"since": "", "until": "", "sources": [], "as_of": "2025-03-14"}
    first = list(app.respond("Hello?", [], [], **args))[-1]
    chat, turns, _panel, _box, _send, log, chip, download, markdown = list(
        app.respond("Who visited Kursk in March 2024?", first[0], first[1], log=first[5], **args)
    )[-1]
    assert chip["visible"] is True and "2024-03-01" in chip["value"]
    assert len(log) == 2 and log[-1]["index"] == len(chat) - 1 == 3
    assert Path(download).read_text() == markdown and "## Hello?" in markdown
    again = list(app.without_time_words(chat, turns, log))[-1]
    assert stub.calls[-1]["ignore_time_words"] is True
    assert stub.calls[-1]["history"] == turns[:2] and stub.calls[-1]["as_of"] == "2025-03-14"
    new_chat, new_turns, _p, _b, _s, new_log, new_chip, _d, _m = again
    assert len(new_chat) == len(chat) and len(new_turns) == len(turns) and len(new_log) == 2
    assert new_chip["visible"] is False and new_log[-1]["ignore_time_words"] is True
    assert new_log[-1]["id"] != log[-1]["id"]
    assert not Path(download).exists()
