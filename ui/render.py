"""HTML for the chat and the source panel; every piece of article or user text is escaped.

Article text is data: it may hold HTML, scripts or markdown links. Everything taken from an
article or a question is HTML-escaped and its markdown punctuation turned into entities, so
neither the browser nor the chat's markdown renderer can give it meaning.
"""

from __future__ import annotations

import html
import re
from typing import Any

from assistant import Answer, Citation
from prompts import table

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
    """The answer's markdown (bold, quotes, [n] markers) as safe HTML with links to sources."""
    blocks = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        if line.startswith("> "):
            blocks.append(f"<blockquote>{_line(line[2:])}</blockquote>")
        else:
            blocks.append(f"<p>{_line(line)}</p>")
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


def _meta(
    source: str | None,
    published: str | None,
    inferred: bool,
    url: str | None,
    page: int | None = None,
) -> str:
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


def _citation(c: Citation) -> str:
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
    return (
        f'<div class="src" id="src-{c.n}"><div class="src-title"><span class="n">[{c.n}]</span> '
        f"{inert(c.title)}</div>"
        f'<div class="src-meta">{_meta(c.source, c.published, c.date_inferred, c.url, c.page)}</div>'
        f'<p class="src-text">{body}</p></div>'
    )


def sources_html(answer: Answer | None) -> str:
    """The source panel for the latest answer: citations, or related passages when declined."""
    w = words()
    if answer is None:
        return f"<div class='sources'><p class='muted'>{w['sources_empty']}</p></div>"
    parts = [f"<div class='sources'><h3>{w['sources_title']}</h3>"]
    parts += [_citation(c) for c in answer.citations]
    if not answer.answered and answer.related:
        parts.append(f"<h3 class='related'>{w['related_title']}</h3>")
        parts.append(f"<p class='muted'>{w['related_note']}</p>")
        for r in answer.related:
            parts.append(
                f"<div class='src related'><div class='src-title'>{inert(r.title)}</div>"
                f"<div class='src-meta'>{_meta(r.source, r.published, False, None)}</div>"
                f"<p class='src-text'>{inert(r.quote)}</p></div>"
            )
    if not answer.citations and not answer.related:
        parts.append(f"<p class='muted'>{w['sources_empty']}</p>")
    parts.append("</div>")
    return "".join(parts)


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
"""
