"""HTML for the chat and the source panel; every piece of article or user text is escaped.

Article text is data: it may hold HTML, scripts or markdown links. Everything taken from an
article or a question is HTML-escaped and its markdown punctuation turned into entities, so
neither the browser nor the chat's markdown renderer can give it meaning.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from assistant import Answer, Citation
from prompts import table

if TYPE_CHECKING:
    from index import Article

# One pass, character by character: escaping HTML first and markdown after would turn the
# "#" of "&#39;" into an entity too. Markdown and LaTeX act on the second group.
_INERT = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'" + "[]()*_`#!|~\\{}$"})
_TOKEN = re.compile(r"\*\*(?P<bold>.+?)\*\*|\[(?P<cite>\d+)\]")


def words() -> dict[str, Any]:
    """The UI's wording, from prompts/ui.toml."""
    return table("ui.toml")


def inert(text: str) -> str:
    """Text made safe to show anywhere: HTML-escaped, markdown punctuation as entities."""
    return text.translate(_INERT)


def _line(line: str) -> str:
    out, pos = [], 0
    for m in _TOKEN.finditer(line):
        out.append(inert(line[pos : m.start()]))
        if m["bold"] is not None:
            out.append(f"<strong>{inert(m['bold'])}</strong>")
        else:
            n = m["cite"]
            out.append(f'<a class="cite" href="#src-{n}" title="source {n}">[{n}]</a>')
        pos = m.end()
    out.append(inert(line[pos:]))
    return "".join(out)


def answer_html(text: str) -> str:
    """The answer's markdown (bold, quotes, "- " bullets of a brief, [n] markers) as safe HTML
    with links to sources."""
    blocks: list[str] = []
    items: list[str] = []
    for line in text.split("\n"):
        if line.startswith("- "):
            items.append(f"<li>{_line(line[2:])}</li>")
            continue
        if items:
            blocks.append('<ul class="brief">' + "".join(items) + "</ul>")
            items = []
        if not line.strip():
            continue
        if line.startswith("> "):
            blocks.append(f"<blockquote>{_line(line[2:])}</blockquote>")
        else:
            blocks.append(f"<p>{_line(line)}</p>")
    if items:
        blocks.append('<ul class="brief">' + "".join(items) + "</ul>")
    return "\n".join(blocks)


_WORD = re.compile(r"\S+\s*")


def word_count(text: str) -> int:
    """How many whitespace-separated words the answer's markdown has (the streaming steps)."""
    return len(_WORD.findall(text))


def partial_answer_html(text: str, n_words: int) -> str:
    """The first n_words of the answer as safe HTML, for streaming it in word by word."""
    prefix = "".join(m.group() for _, m in zip(range(n_words), _WORD.finditer(text), strict=False))
    last = prefix.rsplit("\n", 1)[-1]
    if last.count("**") % 2:
        # Close a bold phrase cut in half, or its opening ** would flash up as literal text.
        prefix = prefix.rstrip() + "**"
    return answer_html(prefix)


def _safe_url(url: str | None) -> str | None:
    if url and re.match(r"^https?://[^\s\"'<>]+$", url.strip(), re.I):
        return url.strip()
    return None


def meta(
    source: str | None,
    published: str | None,
    inferred: bool,
    url: str | None,
    page: int | None = None,
) -> str:
    """The line under a title: source, date (inferred marked), page, link to the original."""
    w = words()
    bits = []
    if source:
        bits.append(inert(source))
    date = inert(published) if published else w["undated"]
    if published and inferred:
        date += f" <span class='inferred'>{w['inferred']}</span>"
    bits.append(date)
    if page is not None:
        bits.append(f"<span class='page'>{inert(w['page'].format(page=page))}</span>")
    safe = _safe_url(url)
    if safe:
        bits.append(
            f'<a href="{html.escape(safe, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer nofollow">{w["open_article"]}</a>'
        )
    return " · ".join(bits)


def _choose(answer_id: str | None, kind: str, i: int) -> str:
    """The "this is the sentence that answers it" button (ui/feedback.py records the choice)."""
    if not answer_id:
        return ""
    return (
        f'<button type="button" class="choose" data-answer="{inert(answer_id)}" '
        f'data-kind="{kind}" data-i="{i}">{words()["choose"]}</button>'
    )


def _citation(c: Citation, article: str = "", choose: str = "") -> str:
    rel_start = max(0, c.start - c.context_start)
    rel_end = rel_start + len(c.quote)
    context = c.context or c.quote
    if context[rel_start:rel_end] != c.quote:
        context, rel_start, rel_end = c.quote, 0, len(c.quote)
    body = (
        inert(context[:rel_start])
        + f"<mark>{inert(context[rel_start:rel_end])}</mark>"
        + inert(context[rel_end:])
    )
    title = f'<span class="n">[{c.n}]</span> {inert(c.title)}'
    if article:
        # The title opens the whole article, as the answer's [n] does.
        title = f'<a class="open" href="#src-{c.n}" title="{words()["article_open"]}">{title}</a>'
    return (
        f'<div class="src" id="src-{c.n}"><div class="src-title">{title}</div>'
        f'<div class="src-meta">{meta(c.source, c.published, c.date_inferred, c.url, c.page)}</div>'
        f'<p class="src-text">{body}</p>{choose}{article}</div>'
    )


def sources_html(
    answer: Answer | None,
    articles: Mapping[str, Article] | None = None,
    answer_id: str | None = None,
) -> str:
    """The source panel for the latest answer: citations, or related passages when declined.

    articles: the cited articles by id, to open whole beside the answer; answer_id: the chat's
    id of the answer, for the buttons that choose the sentence that answers it.
    """
    from ui.article import article_html

    w = words()
    if answer is None:
        return f"<div class='sources'><p class='muted'>{w['sources_empty']}</p></div>"
    parts = [f"<div class='sources'><h3 id='sources-top'>{w['sources_title']}</h3>"]
    for i, c in enumerate(answer.citations):
        article = (articles or {}).get(c.article_id)
        view = article_html(article, c, answer.citations) if article else ""
        parts.append(_citation(c, view, _choose(answer_id, "cite", i)))
    if not answer.answered and answer.related:
        parts.append(f"<h3 class='related'>{w['related_title']}</h3>")
        parts.append(f"<p class='muted'>{w['related_note']}</p>")
        for i, r in enumerate(answer.related):
            parts.append(
                f"<div class='src related'><div class='src-title'>{inert(r.title)}</div>"
                f"<div class='src-meta'>{meta(r.source, r.published, False, None)}</div>"
                f"<p class='src-text'>{inert(r.quote)}</p>{_choose(answer_id, 'related', i)}</div>"
            )
    if not answer.citations and not answer.related:
        parts.append(f"<p class='muted'>{w['sources_empty']}</p>")
    parts.append("</div>")
    return "".join(parts)


def time_chip(window: Mapping[str, str] | None) -> str:
    """The label of the chip that shows the dates a question's time words applied."""
    if not window:
        return ""
    key = f"chip_{window_kind(window)}"
    return words()[key].format(**{"naming": "", **window, "words": window.get("words") or "?"})


def window_kind(window: Mapping[str, str]) -> str:
    """Which wording an answer's time window takes: "range", "year" (a range that also
    admits the articles naming its year) or "window"."""
    if window.get("kind") != "range":
        return "window"
    return "year" if window.get("naming") else "range"


CSS = """
.sources h3 { margin: 0.2em 0 0.5em; }
.src { border-left: 3px solid var(--color-accent); padding: 0.3em 0.8em; margin-bottom: 0.8em; }
.src:target { background: var(--color-accent-soft); }
.src.related { border-left-color: var(--neutral-400); }
.src-title { font-weight: 600; }
.src-meta { font-size: 0.85em; opacity: 0.8; margin: 0.2em 0; }
.src-text { margin: 0.3em 0; line-height: 1.45; }
.src-text mark { padding: 0 2px; }
.muted { opacity: 0.7; }
a.cite { text-decoration: none; font-weight: 600; }
.inferred { font-style: italic; }
/* The whole article, opened from [n] or a source's title (ui/article.py, script in ui/page.py). */
#sources .sources { max-height: 80vh; overflow-y: auto; overflow-wrap: anywhere; }
.src-title a.open { color: inherit; text-decoration: none; }
.src-title a.open:hover { text-decoration: underline; }
.src .article { display: none; }
.src.open .article { display: block; }
.src.open > .src-text, .src.open > .src-title, .src.open > .src-meta { display: none; }
.sources.reading .src:not(.open), .sources.reading .related, .sources.reading > .muted {
  display: none;
}
.article { margin-top: 0.4em; }
/* Which article and the way back stay in sight while it scrolls. */
.article-head {
  position: sticky; top: 0; z-index: 1; padding: 0.3em 0;
  background: var(--background-fill-primary); border-bottom: 1px solid var(--border-color-primary);
}
.article-title { font-weight: 600; font-size: 1.05em; margin-top: 0.4em; }
.article-text { white-space: pre-wrap; line-height: 1.5; margin-top: 0.6em; }
.article-text mark.cited { background: var(--color-accent-soft); color: inherit; }
.article-text mark.focus { background: #ffe066; color: #111; outline: 2px solid #e0a800; }
a.close { font-size: 0.9em; }
button.choose {
  font-size: 0.8em; border: 1px solid var(--border-color-primary); border-radius: 999px;
  padding: 1px 10px; margin: 0.2em 0; background: transparent; cursor: pointer;
}
button.choose.chosen { background: var(--color-accent-soft); cursor: default; }
/* Time words of the question, under the answer: removing the chip asks again without them. */
#time-chip { align-self: flex-start; border-radius: 999px; width: auto; max-width: 100%; }
#feedback-note { font-size: 0.9em; opacity: 0.85; }
/* Gradio's container hides overflow, which would make it, not the page, what the article's
   header sticks to; clip looks the same. (Gradio scopes rules inside @media, so not there.) */
.gradio-container { overflow: clip !important; }
@media (max-width: 640px) {
  /* Stacked under the chat, the page scrolls (and the article's header sticks to it). */
  #sources .sources { max-height: none; overflow-y: visible; }
  .toolbar { flex-wrap: wrap; }
}
"""
