"""The whole article behind a citation, as HTML for the source panel: its sentence highlighted.

Clicking `[n]` (or a source's title) opens it in place of the source list (the panel's script
in ui/page.py); the cited sentence is `mark.focus` and scrolled to, the answer's other
sentences from the same article are plain marks. Text is escaped with `inert`, like all article
text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ui.render import inert, meta, words

if TYPE_CHECKING:
    from assistant import Citation
    from index import Article

# An article longer than this is shown as this much around the quote: a 5 MB PDF's text
# would make every answer's panel that heavy, once per citation.
SHOWN_CHARS = 40_000


def _spans(text: str, focus: Citation, cited: list[Citation]) -> list[tuple[int, int, str]]:
    """(start, end, class) of the marks to draw, in order, none overlapping another."""
    spans = [(focus.start, focus.end, "focus")]
    for c in cited:
        inside = 0 <= c.start < c.end <= len(text) and text[c.start : c.end] == c.quote
        clear = c.end <= focus.start or c.start >= focus.end
        if c.article_id == focus.article_id and inside and clear:
            spans.append((c.start, c.end, "cited"))
    spans.sort()
    kept: list[tuple[int, int, str]] = []
    for span in spans:
        # Two citations of overlapping sentences: the first (or the focus) is drawn.
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def _edge(text: str, at: int, back: bool) -> int:
    """A cut near `at` at a paragraph break, else at a space (within 2,000 characters)."""
    if at in (0, len(text)):
        return at
    for sep in ("\n", " "):
        if back:
            i = text.rfind(sep, max(0, at - 2000), at)
            if i >= 0:
                return i + 1
        else:
            i = text.find(sep, at, at + 2000)
            if i >= 0:
                return i
    return at


def _window(text: str, focus: Citation) -> tuple[int, int]:
    """The part of a long article shown: about SHOWN_CHARS around the quote."""
    if len(text) <= SHOWN_CHARS:
        return 0, len(text)
    mid = (focus.start + focus.end) // 2
    lo = max(0, min(mid - SHOWN_CHARS // 2, len(text) - SHOWN_CHARS))
    hi = min(len(text), lo + SHOWN_CHARS)
    return min(_edge(text, lo, True), focus.start), max(_edge(text, hi, False), focus.end)


def article_html(article: Article, focus: Citation, cited: list[Citation]) -> str:
    """The article view of one citation, or "" when its quote is no longer in the article."""
    text = article.text
    if text[focus.start : focus.end] != focus.quote:
        # The article changed since the answer (re-indexed): show no stale highlight.
        return ""
    w = words()
    lo, hi = _window(text, focus)
    body, pos = [], lo
    for start, end, cls in _spans(text, focus, cited):
        if start < lo or end > hi:
            continue
        body.append(inert(text[pos:start]))
        body.append(f'<mark class="{cls}">{inert(text[start:end])}</mark>')
        pos = end
    body.append(inert(text[pos:hi]))
    published = article.published.isoformat() if article.published else None
    about = meta(article.source, published, article.date_inferred, article.url, None)
    cut = f"<p class='muted'>{w['article_cut']}</p>" if (lo, hi) != (0, len(text)) else ""
    return (
        '<div class="article"><div class="article-head">'
        f'<a class="close" href="#sources-top">{w["article_close"]}</a>'
        f'<div class="article-title">{inert(article.title)}</div>'
        f'<div class="src-meta">{about}</div>{cut}</div>'
        f'<div class="article-text">{"".join(body)}</div></div>'
    )
