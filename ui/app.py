"""The browser chat (Gradio): chat with history, source panel, filters, index panel, `ask` API."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from assistant import Answer, Assistant, QuestionError
from assistant.settings import NewsdeskSettings
from ui.render import (
    CSS,
    answer_html,
    inert,
    partial_answer_html,
    sources_html,
    word_count,
    words,
)
from ui.settings import ChatSettings

# The answer streams in about this many steps, a short pause apart: enough to read as typing,
# few and short enough that a streamed answer holds its queue slot well under a second.
STREAM_STEPS = 16
STREAM_PAUSE_S = 0.03


def _tagline(assistant: Assistant) -> str:
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


def _stats(assistant: Assistant) -> str:
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


def _sources(assistant: Assistant) -> list[str]:
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
        self._index_lock = threading.Lock()

    def answer(
        self,
        question: str,
        turns: list[dict[str, str]],
        since: str | None = None,
        until: str | None = None,
        sources: list[str] | None = None,
        as_of: str | None = None,
    ) -> Answer | str:
        """The final Answer, or a friendly message for a question that cannot be asked."""
        result: Answer | str = ""
        for kind, value in self.stream(question, turns, since, until, sources, as_of):
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
    ) -> Iterator[tuple[str, str | Answer]]:
        """("text", answer so far) as an LLM writes it, then ("answer", Answer) or ("error", msg)."""
        text = ""
        try:
            for event in self.assistant.ask_stream(
                question,
                history=_plain_history(turns),
                since=_date_text(since),
                until=_date_text(until),
                sources=sources or None,
                as_of=_date_text(as_of),
            ):
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
    ) -> Iterator[tuple[Any, ...]]:
        """Show the question at once, stream the answer in word by word, then its sources.

        Yields (chat, turns, source panel, question box, send button); the send button is off
        while an answer streams, as a second question sent meanwhile would be dropped.
        """
        gr = _gradio()
        w = words()
        chat = [*(chat or []), {"role": "user", "content": inert(question or "")}]
        turns = list(turns or [])
        busy, idle = gr.update(interactive=False), gr.update(interactive=True)
        yield [*chat, {"role": "assistant", "content": w["thinking"]}], turns, gr.skip(), "", busy
        if self.assistant.answerer.streams:
            # An LLM writes the answer: show its verified sentences as they arrive.
            result: Answer | str = ""
            for kind, value in self.stream(question, turns, since, until, sources, as_of):
                if kind == "text":
                    partial = [*chat, {"role": "assistant", "content": answer_html(value)}]
                    yield partial, turns, gr.skip(), "", gr.skip()
                else:
                    result = value
        else:
            result = self.answer(question, turns, since, until, sources, as_of)
        if isinstance(result, str):
            chat.append({"role": "assistant", "content": inert(result)})
            yield chat, turns, sources_html(None), "", idle
            return
        # Without an LLM the answer is whole at once; pacing it out reads as typing. An LLM's
        # answer has streamed already.
        total = 0 if self.assistant.answerer.streams else word_count(result.text)
        step = max(1, total // STREAM_STEPS)
        panel: Any = sources_html(result)
        for n in range(step, total, step):
            yield (
                [*chat, {"role": "assistant", "content": partial_answer_html(result.text, n)}],
                turns,
                panel,
                "",
                gr.skip(),
            )
            # The panel is sent once; later steps only grow the answer.
            panel = gr.skip()
            time.sleep(STREAM_PAUSE_S)
        chat.append({"role": "assistant", "content": answer_html(result.text)})
        turns += [
            {"role": "user", "content": result.question},
            {"role": "assistant", "content": result.text},
        ]
        yield chat, turns, sources_html(result), "", idle

    def api_ask(self, question: str) -> dict[str, Any]:
        """The `ask` API: a question in, Answer.to_dict() out (or an error message)."""
        result = self.answer(question, [])
        if isinstance(result, str):
            return {"question": question, "error": result}
        return result.to_dict()

    def add_files(
        self, files: list[str] | None, progress: Callable[..., Any] | None = None
    ) -> tuple[str, str, str, Any]:
        """Copy uploads into the index dir and index them incrementally."""
        gr = _gradio()
        w = words()
        if not files:
            return w["index_none"], _stats(self.assistant), _tagline(self.assistant), gr.skip()
        uploads = self.settings.index_dir / "uploads"
        uploads.mkdir(parents=True, exist_ok=True)
        for f in files:
            src = Path(f)
            # Only the base name is kept, so an upload cannot land outside uploads/.
            shutil.copyfile(src, uploads / src.name)

        def on_progress(done: int, total: int) -> None:
            if progress is not None and total:
                progress(done / total, desc=w["index_progress"])

        try:
            # One indexing run at a time from this page; the indexer also locks the index dir.
            with self._index_lock:
                report = self.assistant.add_articles([uploads], on_progress=on_progress)
        except Exception as exc:  # a locked or unwritable index: say so in the panel
            return (
                w["index_failed"].format(error=inert(str(exc))),
                _stats(self.assistant),
                _tagline(self.assistant),
                gr.skip(),
            )
        lines = [w["index_done"].format(summary=inert(report.summary()))]
        lines += [
            w["index_skipped"].format(path=inert(Path(p.path).name), reason=inert(p.reason))
            for p in report.problems
        ]
        return (
            "\n\n".join(lines),
            _stats(self.assistant),
            _tagline(self.assistant),
            gr.update(choices=_sources(self.assistant)),
        )


def build(settings: NewsdeskSettings, assistant: Assistant | None = None) -> Any:
    """The Gradio Blocks of the chat page."""
    gr = _gradio()

    app = ChatApp(settings, assistant)
    w = words()
    with gr.Blocks(title=w["title"], analytics_enabled=False) as demo:
        gr.Markdown(f"# {w['title']}")
        tagline = gr.Markdown(_tagline(app.assistant))
        turns = gr.State([])
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chat = gr.Chatbot(
                    height=520,
                    show_label=False,
                    render_markdown=True,
                    sanitize_html=True,
                    allow_tags=False,
                    elem_id="chat",
                    feedback_options=None,
                    # No "share": it posts the conversation to Hugging Face.
                    buttons=["copy", "copy_all"],
                )
                with gr.Row():
                    box = gr.Textbox(
                        placeholder=w["input_placeholder"],
                        show_label=False,
                        scale=5,
                        elem_id="question",
                        max_lines=4,
                    )
                    send = gr.Button(
                        w["send"], variant="primary", scale=1, min_width=80, elem_id="send"
                    )
                gr.Markdown(w["examples_label"])
                with gr.Row():
                    example_buttons = [
                        gr.Button(q, size="sm", elem_classes=["example"]) for q in w["examples"]
                    ]
                clear = gr.Button(w["clear"], size="sm")
            with gr.Column(scale=2, min_width=300):
                panel = gr.HTML(sources_html(None), elem_id="sources")
        with gr.Accordion(w["filters"], open=False), gr.Row():
            since = gr.Textbox(label=w["since"], elem_id="since")
            until = gr.Textbox(label=w["until"], elem_id="until")
            # "this week" and "recently" are read against this day (default today).
            as_of = gr.Textbox(
                label=w["as_of"], placeholder=date.today().isoformat(), elem_id="as-of"
            )
            sources = gr.Dropdown(
                choices=_sources(app.assistant),
                multiselect=True,
                label=w["sources_filter"],
                elem_id="source-filter",
            )
        with gr.Accordion(w["index_panel"], open=False):
            stats = gr.Markdown(_stats(app.assistant), elem_id="index-stats")
            files = gr.File(
                label=w["upload"],
                file_count="multiple",
                elem_id="upload",
                file_types=app.assistant.file_types(),
            )
            index_button = gr.Button(w["index_button"])
            report = gr.Markdown(elem_id="index-report")

        inputs = [box, chat, turns, since, until, sources, as_of]
        outputs = [chat, turns, panel, box, send]
        send.click(app.respond, inputs, outputs, api_visibility="private")
        box.submit(app.respond, inputs, outputs, api_visibility="private")
        for button in example_buttons:
            button.click(lambda q: q, [button], [box], api_visibility="private", queue=False).then(
                app.respond, inputs, outputs, api_visibility="private"
            )
        # The chat's own trash button empties it; the history and the panel must follow.
        chat.clear(lambda: ([], sources_html(None)), None, [turns, panel], api_visibility="private")
        clear.click(
            lambda: ([], [], sources_html(None), "", gr.update(interactive=True)),
            None,
            outputs,
            api_visibility="private",
            queue=False,
        )

        # Gradio injects progress through this default; that is its documented API.
        def add(files_value, progress=gr.Progress()):  # noqa: B008
            return app.add_files(files_value, progress)

        index_button.click(
            add, [files], [report, stats, tagline, sources], api_visibility="private"
        )
        gr.api(app.api_ask, api_name="ask")
    return demo


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
        # The OpenAI-compatible API at /v1 (ui/api.py), behind the same login, on this server.
        app_kwargs={"routes": [api_mount(settings, assistant)]},
    )
    return 0
