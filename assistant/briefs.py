"""Briefs: an open question ("What happened in Kursk?", "What's the latest on the talks?") gets
3-6 dated bullets, each a sentence quoted from a different article or part of the story, near
duplicates merged, oldest first, each cited.

News repeats itself across outlets: two sentences whose MiniLM vectors are this close tell the
same thing, and only the better-ranked one stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

from assistant.compose import citation, dated, repeats, stale_note
from assistant.evidence import CAPTION, Evidence
from assistant.models import Citation
from assistant.question import analyse
from assistant.text import looks_like_instruction
from assistant.timeexpr import find_times, long_date
from prompts import render

if TYPE_CHECKING:
    from index import Filters, IndexReader, TextEncoder
    from index.articles import Article

MIN_BULLETS = 3
MAX_BULLETS = 6
# Cosine similarity at which two sentences are taken to report the same thing. Reworded copies
# of one wire story score 0.85-0.95 with MiniLM; different facts of one story stay below 0.75.
SAME_NEWS = 0.8
# How many of the best-ranked sentences a brief chooses from.
POOL = 40
# A bullet is a sentence, not a caption or a dateline.
MIN_WORDS = 6
# The share of the answering threshold (assistant/data/sentence_ranker.json) a bullet needs.
BRIEF_FLOOR = 0.5


@lru_cache(maxsize=1)
def _cues() -> re.Pattern[str]:
    from assistant.text import word_lists

    return re.compile("|".join(f"(?:{c})" for c in word_lists()["brief_cues"]), re.IGNORECASE)


def wants_brief(question: str) -> bool:
    """Whether a question asks for an overview rather than one fact."""
    return bool(_cues().search(question.strip()))


def has_subject(question: str) -> bool:
    """Whether an overview question names what it is about ("What happened in Sudzha?"),
    rather than asking for the news as such ("Summarize the article", "What's the latest?")."""
    return bool(analyse(_cues().sub(" ", question.strip())).terms)


def overview(reader: IndexReader, filters: Filters, today: date) -> list[Bullet]:
    """The brief of a question with no subject: the opening sentences of the newest articles
    the filters allow (none from after the day asked about)."""
    newest: dict[str, date | None] = {}
    for info in reader.chunks.firsts():
        if filters.allows(info) and (info.published is None or info.published <= today):
            newest[info.article_id] = info.published
    ids = sorted(newest, key=lambda a: newest[a] or date.min, reverse=True)[:MAX_BULLETS]
    return openings([reader.article(a) for a in ids])


def openings(articles: list[Article]) -> list[Bullet]:
    """The opening sentences of some articles, one each, or up to MIN_BULLETS from each when
    there are fewer: the lede, not a photo caption, a heading or a planted instruction."""
    if not articles:
        return []
    each = max(1, -(-MIN_BULLETS // len(articles)))
    bullets = []
    for article in articles:
        taken = 0
        for i in range(len(article.sentences)):
            if taken == each:
                break
            ev = Evidence(article, i)
            text = ev.text
            # The lede, not a photo caption, a heading or a planted instruction.
            if (
                len(text.split()) < MIN_WORDS
                or CAPTION.search(text)
                or looks_like_instruction(text)
            ):
                continue
            bullets.append(Bullet(ev, _event_day(ev)))
            taken += 1
    return bullets


@dataclass
class Bullet:
    """One line of a brief: a sentence and the day it reports (or its article's date)."""

    evidence: Evidence
    day: date | None


def _paragraph(ev: Evidence) -> int:
    return ev.article.text.count("\n\n", 0, ev.span[0])


def _event_day(ev: Evidence) -> date | None:
    """The calendar day the sentence names ("on Wednesday" read against its article's date),
    else the day its article was published."""
    for mention in find_times(ev.text, ev.article.published):
        if mention.exact and mention.resolved:
            return mention.resolved
    return ev.article.published


def pick(ranked: list[Evidence], floor: float, encoder: TextEncoder | None) -> list[Bullet]:
    """The bullets of a brief, best first: one per article before a second from any, never
    two from one paragraph, near duplicates dropped. Empty when fewer than MIN_BULLETS hold."""
    # The ranker scores "holds the one answer"; a brief wants every sentence on the topic, so
    # half the answering threshold will do, if the sentence shares a word with the question.
    pool = [
        ev
        for ev in ranked[:POOL]
        if ev.score >= floor * BRIEF_FLOOR and ev.coverage > 0 and len(ev.text.split()) >= MIN_WORDS
    ]
    vectors = encoder.embed([ev.text for ev in pool]) if encoder is not None and pool else None
    chosen: list[int] = []

    def fits(i: int, one_per_article: bool) -> bool:
        ev = pool[i]
        for j in chosen:
            other = pool[j]
            if ev.text.strip() == other.text.strip():
                return False
            if vectors is not None and float(vectors[i] @ vectors[j]) >= SAME_NEWS:
                return False
            # Without an encoder, a copy is told by its words, as quotes are (compose.repeats).
            if vectors is None and repeats(ev, [other]):
                return False
            if other.article.article_id == ev.article.article_id and (
                one_per_article or _paragraph(other) == _paragraph(ev)
            ):
                return False
        return True

    for one_per_article in (True, False):
        for i in range(len(pool)):
            if len(chosen) == MAX_BULLETS:
                break
            if i not in chosen and fits(i, one_per_article):
                chosen.append(i)
    if len(chosen) < MIN_BULLETS:
        return []
    return [Bullet(pool[i], _event_day(pool[i])) for i in chosen]


def compose_brief(
    bullets: list[Bullet], window: tuple[date, date] | None = None
) -> tuple[str, list[Citation]]:
    """The brief's text (a lead line, then one bullet per line, oldest first) and citations.

    window: the days a "latest" question prefers; a note says so when no bullet is from them.
    """
    ordered = sorted(
        bullets, key=lambda b: (b.day or date.min, b.evidence.article.published or date.min)
    )
    citations = [citation(n, b.evidence) for n, b in enumerate(ordered, start=1)]
    articles = {b.evidence.article.article_id for b in ordered}
    days = [b.day for b in ordered if b.day]
    lines = [
        render(
            "brief",
            "lead",
            articles=len(articles),
            s="" if len(articles) == 1 else "s",
            span=_span(days),
        ),
        "",
    ]
    if window is not None and not any(b.day and b.day >= window[0] for b in ordered):
        lines += [stale_note(window, [b.evidence for b in ordered]), ""]
    for n, b in enumerate(ordered, start=1):
        when = long_date(b.day) if b.day else render("brief", "undated")
        sentence = dated(b.evidence, known=b.day)
        lines.append(render("brief", "bullet", day=when, sentence=sentence, n=n))
    return "\n".join(lines), citations


def _span(days: list[date]) -> str:
    if not days:
        return ""
    first, last = min(days), max(days)
    if first == last:
        return render("brief", "one_day", day=long_date(first))
    return render("brief", "days", first=long_date(first), last=long_date(last))
