"""The chat page (gr.Blocks): chat, time chip, feedback, export, source panel, filters, index.

Imported only when a page is built, so `newsdesk ask` never loads Gradio. The handlers are
ChatApp's (ui/app.py); this module lays them out and wires the events.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import gradio as gr

from ui.app import ChatApp, sources_choices, stats, tagline
from ui.render import sources_html, words

# The source panel's script (Gradio runs it once, with `element` the panel and `trigger` its
# events). [n] in the chat or a source's title opens that source's whole article in place of
# the list, scrolled to its sentence; "This answers it" sends the choice to the server.
PANEL_JS = """
const list = () => element.querySelector('.sources');
const show = (id) => {
  const card = element.querySelector('#' + id);
  if (!card || !card.querySelector('.article')) return false;
  element.querySelectorAll('.src.open').forEach((c) => c.classList.remove('open'));
  card.classList.add('open');
  const box = list();
  box.classList.add('reading');
  const mark = card.querySelector('mark.focus') || card;
  if (box.scrollHeight > box.clientHeight + 1) {
    // Beside the chat the panel scrolls by itself: move it, not the page, to the sentence.
    const offset = mark.getBoundingClientRect().top - box.getBoundingClientRect().top;
    box.scrollTop += offset - box.clientHeight / 3;
    const r = box.getBoundingClientRect();
    if (r.top < 0 || r.top > window.innerHeight) box.scrollIntoView({block: 'nearest'});
  } else {
    mark.scrollIntoView({block: 'center'});
  }
  return true;
};
document.addEventListener('click', (event) => {
  const link = event.target.closest && event.target.closest('a[href^="#src-"]');
  if (!link) return;
  const id = link.getAttribute('href').slice(1);
  if (show(id)) {
    // The browser's own jump would scroll the page; keep the address without it.
    event.preventDefault();
    history.replaceState(null, '', '#' + id);
  }
});
element.addEventListener('click', (event) => {
  const back = event.target.closest('a.close');
  if (back) {
    event.preventDefault();
    element.querySelectorAll('.src.open').forEach((c) => c.classList.remove('open'));
    list().classList.remove('reading');
    list().scrollTop = 0;
    return;
  }
  const pick = event.target.closest('button.choose');
  if (pick && !pick.disabled) {
    pick.disabled = true;
    pick.classList.add('chosen');
    trigger('choose', {answer: pick.dataset.answer, kind: pick.dataset.kind,
                       i: Number(pick.dataset.i)});
  }
});
"""


def _copy_js() -> str:
    """Copy the conversation's Markdown; the clipboard API needs a secure context (loopback or
    HTTPS), so a page served plainly over the LAN falls back to execCommand."""
    done = json.dumps(words()["export_copied"])
    return f"""async (md) => {{
  try {{ await navigator.clipboard.writeText(md); }}
  catch (err) {{
    const area = document.createElement('textarea');
    area.value = md;
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }}
  return {done};
}}"""


def page(app: ChatApp) -> Any:
    """The Gradio Blocks of the chat page, its events wired to `app`."""
    w = words()
    with gr.Blocks(title=w["title"], analytics_enabled=False) as demo:
        gr.Markdown(f"# {w['title']}")
        head = gr.Markdown(tagline(app.assistant))
        turns = gr.State([])
        # One entry per answer shown: its id, place in the chat, Answer, how it was asked.
        log = gr.State([])
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chat = gr.Chatbot(
                    height=520,
                    show_label=False,
                    render_markdown=True,
                    sanitize_html=True,
                    allow_tags=False,
                    elem_id="chat",
                    # 👍/👎 on each answer, kept in the index dir (ui/feedback.py).
                    feedback_options=("Like", "Dislike"),
                    # No "share": it posts the conversation to Hugging Face.
                    buttons=["copy", "copy_all"],
                )
                chip = gr.Button(visible=False, size="sm", elem_id="time-chip")
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
                notice = gr.Markdown(elem_id="feedback-note")
                with gr.Row(elem_classes=["toolbar"]):
                    download = gr.DownloadButton(
                        w["export_download"], size="sm", elem_id="export-download"
                    )
                    copy = gr.Button(w["export_copy"], size="sm", elem_id="export-copy")
                    clear = gr.Button(w["clear"], size="sm", elem_id="clear")
                # The Markdown the copy button copies; in the page, out of sight.
                markdown = gr.Textbox(visible="hidden", elem_id="export-md")
                gr.Markdown(w["examples_label"])
                with gr.Row():
                    example_buttons = [
                        gr.Button(q, size="sm", elem_classes=["example"]) for q in w["examples"]
                    ]
            with gr.Column(scale=2, min_width=300):
                panel = gr.HTML(sources_html(None), elem_id="sources", js_on_load=PANEL_JS)
        with gr.Accordion(w["filters"], open=False), gr.Row():
            since = gr.Textbox(label=w["since"], elem_id="since")
            until = gr.Textbox(label=w["until"], elem_id="until")
            # "this week" and "recently" are read against this day (default today).
            as_of = gr.Textbox(
                label=w["as_of"], placeholder=date.today().isoformat(), elem_id="as-of"
            )
            sources = gr.Dropdown(
                choices=sources_choices(app.assistant),
                multiselect=True,
                label=w["sources_filter"],
                elem_id="source-filter",
            )
        with gr.Accordion(w["index_panel"], open=False):
            index_stats = gr.Markdown(stats(app.assistant), elem_id="index-stats")
            files = gr.File(
                label=w["upload"],
                file_count="multiple",
                elem_id="upload",
                file_types=app.assistant.file_types(),
            )
            index_button = gr.Button(w["index_button"])
            report = gr.Markdown(elem_id="index-report")
            # What was uploaded, to take out of the index again (ui/uploads.py).
            uploaded = gr.Dropdown(
                choices=app.uploads.names(),
                multiselect=True,
                label=w["uploaded"],
                elem_id="uploaded",
            )
            remove_button = gr.Button(w["remove_button"], elem_id="remove-upload")

        inputs = [box, chat, turns, since, until, sources, as_of, log]
        outputs = [chat, turns, panel, box, send, log, chip, download, markdown]
        send.click(app.respond, inputs, outputs, api_visibility="private")
        box.submit(app.respond, inputs, outputs, api_visibility="private")
        for button in example_buttons:
            button.click(lambda q: q, [button], [box], api_visibility="private", queue=False).then(
                app.respond, inputs, outputs, api_visibility="private"
            )
        chip.click(app.without_time_words, [chat, turns, log], outputs, api_visibility="private")

        def rate(entries: list[dict[str, Any]], data: gr.LikeData) -> str:
            return app.feedback.rate(entries or [], data.index, data.liked)

        def choose(entries: list[dict[str, Any]], event: gr.EventData) -> str:
            data = event._data or {}
            return app.feedback.choose(
                entries or [], str(data.get("answer", "")), str(data.get("kind", "")), data.get("i")
            )

        chat.like(rate, [log], [notice], api_visibility="private")
        panel.choose(choose, [log], [notice], api_visibility="private")
        copy.click(None, [markdown], [notice], js=_copy_js(), api_visibility="private")

        def empty() -> tuple[Any, ...]:
            hidden = gr.update(visible=False)
            return [], [], sources_html(None), "", gr.update(interactive=True), [], hidden, None, ""

        # The chat's own trash button empties it; the history, log and panel must follow.
        chat.clear(empty, None, outputs, api_visibility="private")
        clear.click(empty, None, outputs, api_visibility="private", queue=False)

        # Gradio injects progress through this default; that is its documented API.
        def add(files_value, progress=gr.Progress()):  # noqa: B008
            return app.add_files(files_value, progress)

        index_button.click(
            add, [files], [report, index_stats, head, sources], api_visibility="private"
        ).then(app.uploaded, None, [uploaded], api_visibility="private")
        remove_button.click(
            app.remove_uploads,
            [uploaded],
            [report, index_stats, head, sources, uploaded],
            api_visibility="private",
        )
        # The list as it is when a page opens, not as it was when the server started.
        demo.load(app.uploaded, None, [uploaded], api_visibility="private")
        gr.api(app.api_ask, api_name="ask")
    return demo
