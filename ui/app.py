"""The browser chat (Gradio): the handlers of the page ui/page.py lays out, and `serve()`.

A chat with history; the source panel with each cited article whole (ui/article.py); a chip
for the question's time words that asks again without them; 👍/👎 and chosen sentences kept as
feedback (ui/feedback.py); the conversation as Markdown (ui/export.py); filters; the index
panel; the `ask` API.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant import Answer, Assistant, QuestionError
from assistant.settings import NewsdeskSettings
from ui.export import ExportFiles, conversation_markdown
from ui.feedback import Feedback
from ui.render import (
    CSS,
    answer_html,
    inert,
    partial_answer_html,
    sources_html,
    time_chip,
    word_count,
    words,
)
from ui.settings import ChatSettings
from ui.uploads import Uploads, max_upload_bytes

if TYPE_CHECKING:
    from index import Article

# The answer streams in about this many steps, a short pause apart: enough to read as typing,
# few and short enough that a streamed answer holds its queue slot well under a second.
STREAM_STEPS = 16
STREAM_PAUSE_S = 0.03


def tagline(assistant: Assistant) -> str:
    """The line under the title: how many articles, from when to when."""
    w = words()
    try:
        s = assistant.status()
    except Exception:  # no index yet, or a store that cannot be read: say so, do not crash
        return w["tagline_empty"]
    if not s["articles"]:
        return w["tagline_empty"]
    return w["tagline"].format(
        articles=s["articles"], first=s["first_date"] or "?", last=s["last_date"] or "?"
    )


def stats(assistant: Assistant) -> str:
    """The index panel's figures, or how to make an index."""
    w = words()
    try:
        s = assistant.status()
    except Exception:
        return w["index_missing"]
    return w["index_stats"].format(
        articles=s["articles"],
        chunks=s["chunks"],
        first=s["first_date"] or "?",
        last=s["last_date"] or "?",
        built=s["built_at"] or "?",
    )


def sources_choices(assistant: Assistant) -> list[str]:
    """The sources the filter offers."""
    try:
        return list(assistant.status()["sources"])
    except Exception:
        return []


def _date_text(value: str | None) -> str | None:
    # The assistant parses and checks the date, with the wording of prompts/extractive.toml.
    value = (value or "").strip()
    return value or None


def _plain_history(turns: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"role": t["role"], "content": t["content"]} for t in turns]


def _gradio() -> Any:
    """Gradio, imported only when a page is built (its telemetry is off in gr.Blocks)."""
    import gradio as gr

    return gr


class ChatApp:
    """The handlers of the page, around one shared, warm Assistant."""

    def __init__(self, settings: NewsdeskSettings, assistant: Assistant | None = None) -> None:
        self.settings = settings
        self.assistant = assistant or Assistant(settings)
        # Uploads are kept in the index dir and indexed or removed there (ui/uploads.py).
        self.uploads = Uploads(settings, self.assistant)
        self.feedback = Feedback(settings.index_dir)
        self.exports = ExportFiles()

    def answer(self, question: str, turns: list[dict[str, str]], *options: Any) -> Answer | str:
        """The final Answer of stream() (which takes the same options), or a friendly message
        for a question that cannot be asked."""
        result: Answer | str = ""
        for kind, value in self.stream(question, turns, *options):
            if kind != "text":
                result = value
        return result

    def stream(
        self,
        question: str,
        turns: list[dict[str, str]],
        since: str | None = None,
        until: str | None = None,
        sources: list[str] | None = None,
        as_of: str | None = None,
        ignore_time_words: bool = False,
    ) -> Iterator[tuple[str, str | Answer]]:
        """("text", answer so far) as an LLM writes it, then ("answer", Answer) or ("error", msg)."""
        text = ""
        options: dict[str, Any] = {
            "history": _plain_history(turns),
            "since": _date_text(since),
            "until": _date_text(until),
            "sources": sources or None,
            "as_of": _date_text(as_of),
        }
        if ignore_time_words:
            options["ignore_time_words"] = True
        try:
            for event in self.assistant.ask_stream(question, **options):
                if isinstance(event, str):
                    text += event
                    yield "text", text
                else:
                    yield "answer", event
        except QuestionError as exc:
            yield "error", str(exc)
        except Exception as exc:  # an index missing or a store gone: a message, not a trace
            yield "error", words()["error"].format(error=exc)

    def respond(
        self,
        question: str,
        chat: list[dict[str, str]] | None,
        turns: list[dict[str, str]] | None,
        since: str | None,
        until: str | None,
        sources: list[str] | None,
        as_of: str | None = None,
        log: list[dict[str, Any]] | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Show the question at once, stream the answer in word by word, then its sources.

        Yields (chat, turns, source panel, question box, send button, log, time chip, download,
        Markdown); the send button is off while an answer streams, as a second question sent
        meanwhile would be dropped.
        """
        asked = {"since": since, "until": until, "sources": sources or [], "as_of": as_of}
        yield from self._reply(question, chat, turns, log, asked)

    def without_time_words(
        self,
        chat: list[dict[str, str]] | None,
        turns: list[dict[str, str]] | None,
        log: list[dict[str, Any]] | None,
    ) -> Iterator[tuple[Any, ...]]:
        """The time chip removed: the latest question asked again without its time words, its
        answer in place of the one before (yields as respond does)."""
        gr = _gradio()
        chat, turns, log = list(chat or []), list(turns or []), list(log or [])
        if not log or log[-1]["index"] != len(chat) - 1:
            # The chip belongs to the latest answer only; anything else is stale.
            yield (gr.skip(),) * 6 + (gr.update(visible=False), gr.skip(), gr.skip())
            return
        entry = log[-1]
        asked = {k: entry[k] for k in ("since", "until", "sources", "as_of")}
        asked["ignore_time_words"] = True
        yield from self._reply(
            entry["question"], chat[:-2], turns[:-2], log[:-1], asked, entry.get("export")
        )

    def _articles(self, answer: Answer) -> dict[str, Article]:
        """The cited articles, whole, to open beside the answer."""
        found: dict[str, Article] = {}
        reader = getattr(self.assistant, "reader", None)
        for c in answer.citations:
            if reader is None or c.article_id in found:
                continue
            try:
                found[c.article_id] = reader.article(c.article_id)
            except Exception:  # gone in a re-index since: the source still shows its paragraph
                continue
        return found

    def _reply(
        self,
        question: str,
        chat: list[dict[str, str]] | None,
        turns: list[dict[str, str]] | None,
        log: list[dict[str, Any]] | None,
        asked: dict[str, Any],
        replaces: str | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """respond's work; `replaces`: the export file of an answer asked again in place."""
        gr = _gradio()
        w = words()
        chat = [*(chat or []), {"role": "user", "content": inert(question or "")}]
        turns, log = list(turns or []), list(log or [])
        busy, idle = gr.update(interactive=False), gr.update(interactive=True)
        hidden, skip = gr.update(visible=False), gr.skip()
        rest = (skip, skip, skip)
        thinking = [*chat, {"role": "assistant", "content": w["thinking"]}]
        yield thinking, turns, skip, "", busy, skip, hidden, skip, skip
        ignore = bool(asked.get("ignore_time_words"))
        args = (asked["since"], asked["until"], asked["sources"], asked["as_of"], ignore)
        if self.assistant.answerer.streams:
            # An LLM writes the answer: show its verified sentences as they arrive.
            result: Answer | str = ""
            for kind, value in self.stream(question, turns, *args):
                if kind == "text":
                    partial = [*chat, {"role": "assistant", "content": answer_html(value)}]
                    yield partial, turns, skip, "", skip, *rest, skip
                else:
                    result = value
        else:
            result = self.answer(question, turns, *args)
        if isinstance(result, str):
            chat.append({"role": "assistant", "content": inert(result)})
            yield chat, turns, sources_html(None), "", idle, log, hidden, skip, skip
            return
        entry = {
            **asked,
            "id": uuid.uuid4().hex,
            "question": question,
            "answer": result,
            "history": _plain_history(turns),
            # The day "this week" was read against, so feedback can ask it again that day.
            "as_of": _date_text(asked["as_of"]) or date.today().isoformat(),
        }
        panel_html = sources_html(result, self._articles(result), entry["id"])
        # Without an LLM the answer is whole at once; pacing it out reads as typing. An LLM's
        # answer has streamed already.
        total = 0 if self.assistant.answerer.streams else word_count(result.text)
        step = max(1, total // STREAM_STEPS)
        panel: Any = panel_html
        for n in range(step, total, step):
            partial = [*chat, {"role": "assistant", "content": partial_answer_html(result.text, n)}]
            yield partial, turns, panel, "", skip, *rest, skip
            # The panel is sent once; later steps only grow the answer.
            panel = skip
            time.sleep(STREAM_PAUSE_S)
        chat.append({"role": "assistant", "content": answer_html(result.text)})
        turns += [
            {"role": "user", "content": result.question},
            {"role": "assistant", "content": result.text},
        ]
        entry["index"] = len(chat) - 1
        previous = replaces or (log[-1].get("export") if log else None)
        log.append(entry)
        markdown = conversation_markdown(log)
        entry["export"] = self.exports.write(markdown, previous)
        window = result.time_window
        chip = gr.update(visible=bool(window), value=time_chip(window))
        yield chat, turns, panel_html, "", idle, log, chip, entry["export"], markdown

    def api_ask(self, question: str) -> dict[str, Any]:
        """The `ask` API: a question in, Answer.to_dict() out (or an error message)."""
        result = self.answer(question, [])
        if isinstance(result, str):
            return {"question": question, "error": result}
        return result.to_dict()

    def add_files(
        self, files: list[str] | None, progress: Callable[..., Any] | None = None
    ) -> tuple[str, str, str, Any]:
        """Keep the uploads in the index dir, each under a name of its own, and index them (or
        say why not); returns (report, stats, tagline, sources filter)."""
        gr = _gradio()
        w = words()
        if not files:
            return w["index_none"], stats(self.assistant), tagline(self.assistant), gr.skip()

        def on_progress(done: int, total: int) -> None:
            if progress is not None and total:
                progress(done / total, desc=w["index_progress"])

        report = self.uploads.add([Path(f) for f in files], on_progress)
        return (
            report,
            stats(self.assistant),
            tagline(self.assistant),
            gr.update(choices=sources_choices(self.assistant)),
        )

    def remove_uploads(self, names: list[str] | None) -> tuple[str, str, str, Any, Any]:
        """Take chosen uploads out of the index and delete them; returns (report, stats,
        tagline, sources filter, uploads list)."""
        gr = _gradio()
        report = self.uploads.remove(names)
        return (
            report,
            stats(self.assistant),
            tagline(self.assistant),
            gr.update(choices=sources_choices(self.assistant)),
            self.uploaded(),
        )

    def uploaded(self) -> Any:
        """The index panel's list of uploaded files, as it is now, none chosen."""
        return _gradio().update(choices=self.uploads.names(), value=[])


def build(settings: NewsdeskSettings, assistant: Assistant | None = None) -> Any:
    """The Gradio Blocks of the chat page (laid out in ui/page.py)."""
    from ui.page import page

    return page(ChatApp(settings, assistant))


def serve(settings: ChatSettings, host: str = "127.0.0.1", port: int = 7860) -> int:
    """Serve the chat until interrupted; the model and index load once, before the first page."""
    from ui.api import api_mount

    assistant = Assistant(settings)
    try:
        assistant.warm()
    except Exception as exc:  # an empty index dir still serves, with the upload panel
        print(f"newsdesk: {exc}")
    demo = build(settings, assistant)
    auth = (
        (settings.ui_user, settings.ui_password)
        if settings.ui_user and settings.ui_password
        else None
    )
    demo.queue(default_concurrency_limit=settings.ui_concurrency)
    print(f"newsdesk: serving on http://{host}:{port}", flush=True)
    demo.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        share=False,
        show_error=False,
        ssr_mode=False,
        css=CSS,
        footer_links=["api"],
        quiet=True,
        # Larger uploads are refused before they are written; each type's own limit is checked
        # before an upload is kept (ui/uploads.py).
        max_file_size=max_upload_bytes(settings),
        # The OpenAI-compatible API at /v1 (ui/api.py), behind the same login, on this server.
        app_kwargs={"routes": [api_mount(settings, assistant)]},
    )
    return 0
