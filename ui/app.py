"""The browser chat (Gradio): chat with history, source panel, filters, index panel, `ask` API."""

from __future__ import annotations

import shutil
import threading
from datetime import date
from pathlib import Path
from typing import Any

from assistant import Answer, Assistant, QuestionError
from index.settings import NewsdeskSettings
from ui.render import CSS, answer_html, inert, sources_html, words

# The answer streams in this many steps: enough to read as typing, few enough to stay cheap.
STREAM_STEPS = 12


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


def _date(value: str | None) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise QuestionError(f"Not a date: {value!r}. Use YYYY-MM-DD.") from None


def _plain_history(turns: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"role": t["role"], "content": t["content"]} for t in turns]


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
    ) -> Answer | str:
        """The Answer, or a friendly message for a question that cannot be asked."""
        try:
            return self.assistant.ask(
                question,
                history=_plain_history(turns),
                since=_date(since),
                until=_date(until),
                sources=sources or None,
            )
        except QuestionError as exc:
            return str(exc)
        except Exception as exc:  # an index missing or a store gone: a message, not a trace
            return words()["error"].format(error=exc)

    def respond(self, question, chat, turns, since, until, sources):
        """Stream the answer into the chat, then show its sources."""
        chat = list(chat or [])
        turns = list(turns or [])
        shown_question = inert(question or "")
        result = self.answer(question, turns, since, until, sources)
        if isinstance(result, str):
            chat += [
                {"role": "user", "content": shown_question},
                {"role": "assistant", "content": inert(result)},
            ]
            yield chat, turns, sources_html(None), ""
            return
        html = answer_html(result.text)
        chat.append({"role": "user", "content": shown_question})
        chat.append({"role": "assistant", "content": ""})
        blocks = html.split("\n")
        step = max(1, len(blocks) // STREAM_STEPS)
        # Stream whole blocks (never half a tag), so partial HTML is always well formed.
        for i in range(step, len(blocks), step):
            chat[-1] = {"role": "assistant", "content": "\n".join(blocks[:i])}
            yield chat, turns, sources_html(result), ""
        chat[-1] = {"role": "assistant", "content": html}
        turns += [
            {"role": "user", "content": result.question},
            {"role": "assistant", "content": result.text},
        ]
        yield chat, turns, sources_html(result), ""

    def api_ask(self, question: str) -> dict[str, Any]:
        """The `ask` API: a question in, Answer.to_dict() out (or an error message)."""
        result = self.answer(question, [])
        if isinstance(result, str):
            return {"question": question, "error": result}
        return result.to_dict()

    def add_files(self, files, progress=None) -> tuple[str, str, str, Any]:
        """Copy uploads into the index dir and index them incrementally."""
        import gradio as gr

        w = words()
        if not files:
            return w["index_none"], _stats(self.assistant), _tagline(self.assistant), gr.skip()
        uploads = self.settings.index_dir / "uploads"
        uploads.mkdir(parents=True, exist_ok=True)
        for f in files:
            src = Path(f if isinstance(f, str) else f.name)
            shutil.copyfile(src, uploads / Path(src.name).name)

        def on_progress(done: int, total: int) -> None:
            if progress is not None and total:
                progress(done / total, desc="embedding")

        with self._index_lock:
            report = self.assistant.add_articles([uploads], on_progress=on_progress)
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


def build(settings: NewsdeskSettings, assistant: Assistant | None = None):
    """The Gradio Blocks of the chat page."""
    import gradio as gr

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
                )
                with gr.Row():
                    box = gr.Textbox(
                        placeholder=w["input_placeholder"],
                        show_label=False,
                        scale=5,
                        elem_id="question",
                        max_lines=4,
                    )
                    send = gr.Button(w["send"], variant="primary", scale=1, elem_id="send")
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
                file_types=[".txt", ".md", ".html", ".htm", ".json", ".jsonl"],
            )
            index_button = gr.Button(w["index_button"])
            report = gr.Markdown(elem_id="index-report")

        inputs = [box, chat, turns, since, until, sources]
        outputs = [chat, turns, panel, box]
        send.click(app.respond, inputs, outputs, api_visibility="private")
        box.submit(app.respond, inputs, outputs, api_visibility="private")
        for button in example_buttons:
            button.click(lambda q: q, [button], [box], api_visibility="private", queue=False).then(
                app.respond, inputs, outputs, api_visibility="private"
            )
        clear.click(
            lambda: ([], [], sources_html(None), ""),
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


def serve(settings: NewsdeskSettings, host: str = "127.0.0.1", port: int = 7860) -> int:
    """Serve the chat until interrupted; the model and index load once, before the first page."""
    from index.embedding import offline_env

    offline_env()
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
    )
    return 0
