"""Composing the extractive answer: a short bold answer or the best sentence, then the quotes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from assistant.evidence import Evidence, stems_of
from assistant.models import Citation, Related
from assistant.text import leaning_openers, words
from assistant.timeexpr import TimeMention, find_times, long_date
from assistant.voting import Pick
from prompts import render

# At most this many sentences are quoted; a further one must score at least this share of
# the best one's score, so weak sentences do not pad the answer. The share was set on the
# tuning part of news-dev: 0.5 -> 0.35 took accuracy (the answer among the quotes) from 0.59 to
# 0.62; 0.2 gained nothing more there.
MAX_QUOTES = 3
QUOTE_SHARE = 0.35
# A sentence before a quoted "He said ..." is quoted with it only when it is at most this long.
LEAN_CHARS = 400
# A sentence sharing more than this share of its words (stems, Jaccard) with one already shown
# repeats it: news sites run the same wire sentence, and quoting it twice hides a third view.
# On news-dev's tuning part, skipping repeats put the answer among the quotes once more
# (80 of 128 against 79) and lost none; the held-out part was unchanged.
REPEAT_SHARE = 0.6


@dataclass
class Plan:
    """What the answer will say: the short answers (if any won clearly) and the quotes."""

    picks: list[Pick]
    quotes: list[Evidence]
    # Set when the question asked about a recent window and the evidence is older.
    stale_window: tuple[date, date] | None = None
    # The question asks when: every relative day quoted is resolved in a note.
    asks_when: bool = False


def choose_quotes(ranked: list[Evidence], picks: list[Pick], threshold: float) -> list[Evidence]:
    """The sentences to quote: those holding the picks first, then the best-ranked others."""
    out: list[Evidence] = []
    seen: set[tuple[str, int]] = set()

    def add(ev: Evidence) -> None:
        key = (ev.article.article_id, ev.index)
        if key not in seen:
            seen.add(key)
            out.append(ev)

    # A pick's sentence is always shown: the answer cites it.
    for pick in picks:
        add(pick.evidence)
    top = ranked[0].score if ranked else 0.0
    for ev in ranked:
        if len(out) >= MAX_QUOTES:
            break
        good = ev.score >= max(threshold, QUOTE_SHARE * top) and ev.text.strip()
        if good and not repeats(ev, out):
            add(ev)
    return out


def repeats(ev: Evidence, shown: list[Evidence]) -> bool:
    """Whether a sentence says in nearly the same words what one already shown says."""
    mine = stems_of(ev.text)
    for other in shown:
        theirs = stems_of(other.text)
        union = len(mine | theirs)
        if union and len(mine & theirs) / union > REPEAT_SHARE:
            return True
    return False


def quoted_span(ev: Evidence) -> tuple[int, int]:
    """The offsets a quote of the sentence takes: the sentence, and the one before it too
    when it opens with a pronoun ("They are to present their plan ..."), so the reader
    learns who "they" are. News often gives each sentence its own paragraph, so the one
    before may stand in the paragraph before."""
    start, end = ev.span
    first = words(ev.text[:24])
    if ev.index > 0 and first and first[0].group().casefold() in leaning_openers():
        before, _ = ev.article.sentences[ev.index - 1]
        if start - before <= LEAN_CHARS:
            return before, end
    return start, end


def quoted_text(ev: Evidence) -> str:
    """The words of quoted_span as the answer shows them: on one line."""
    start, end = quoted_span(ev)
    return " ".join(ev.article.text[start:end].split())


def _passage(ev: Evidence) -> dict[str, Any]:
    """What a citation and a related passage both say of a sentence: its article and words."""
    art = ev.article
    start, end = quoted_span(ev)
    return {
        "article_id": art.article_id,
        "title": art.title,
        "source": art.source,
        "published": art.published.isoformat() if art.published else None,
        "quote": art.text[start:end],
        "start": start,
        "end": end,
    }


def citation(n: int, ev: Evidence) -> Citation:
    """A numbered citation quoting the sentence verbatim, with its paragraph for context."""
    art = ev.article
    start, end = quoted_span(ev)
    p_start = art.text.rfind("\n\n", 0, start)
    p_start = 0 if p_start < 0 else p_start + 2
    p_end = art.text.find("\n\n", end)
    p_end = len(art.text) if p_end < 0 else p_end
    return Citation(
        n=n,
        **_passage(ev),
        url=art.url,
        date_inferred=art.date_inferred,
        context=art.text[p_start:p_end],
        context_start=p_start,
        page=art.page_at(start),
    )


def _lead(plan: Plan, numbers: dict[tuple[str, int], int]) -> str:
    def cite(ev: Evidence) -> str:
        return f"[{numbers[(ev.article.article_id, ev.index)]}]"

    picks = plan.picks
    if not picks:
        ev = plan.quotes[0]
        return render("lead", "quote", quote=dated(ev), cite=cite(ev))
    cites = "".join(dict.fromkeys(cite(p.evidence) for p in picks))
    if len(picks) > 1 and picks[1].label in ("DATE", "TIME"):
        return render("lead", "answer_when", answer=picks[0].shown, when=picks[1].shown, cite=cites)
    if len(picks) == 1 and picks[0].time is None and picks[0].label not in ("DATE", "TIME"):
        # News says "on Friday": the day the answer's sentence names, resolved, goes with it
        # (not with a length of time or a year: "seven months, on Thursday" misleads).
        days = [t for t in relative_days(picks[0].evidence) if t.exact]
        if len(days) == 1:
            return render(
                "lead", "answer_when", answer=picks[0].shown, when=days[0].label, cite=cites
            )
    return render("lead", "answer", answer=" · ".join(f"**{p.shown}**" for p in picks), cite=cites)


def _date_notes(plan: Plan, numbers: dict[tuple[str, int], int]) -> list[str]:
    """Say how each relative date shown as an answer (or quoted, when asked) was resolved."""
    shown: list[tuple[Evidence, TimeMention]] = [
        (p.evidence, p.time)
        for p in plan.picks
        if p.time is not None and p.time.relative and p.time.resolved
    ]
    if plan.asks_when:
        shown += [(ev, t) for ev in plan.quotes for t in relative_days(ev)]
    notes = []
    for ev, t in shown:
        art = ev.article
        note = render(
            "body",
            "date_note",
            words=t.text,
            label=t.label,
            n=numbers[(art.article_id, ev.index)],
            published=long_date(art.published) if art.published else "unknown",
            inferred=render("body", "inferred") if art.date_inferred else "",
        )
        if note not in notes:
            notes.append(note)
    return notes


def compose(plan: Plan) -> tuple[str, list[Citation]]:
    """The answer text (markdown with [n] markers) and its citations."""
    citations: list[Citation] = []
    numbers: dict[tuple[str, int], int] = {}
    for ev in plan.quotes:
        key = (ev.article.article_id, ev.index)
        if key not in numbers:
            numbers[key] = len(citations) + 1
            citations.append(citation(numbers[key], ev))
    lines = [_lead(plan, numbers), ""]
    if plan.stale_window is not None:
        lines += [stale_note(plan.stale_window, plan.quotes), ""]
    lead_is_quote = not plan.picks
    for ev in plan.quotes:
        n = numbers[(ev.article.article_id, ev.index)]
        if n == 1 and lead_is_quote:
            continue
        lines += [render("body", "quote", quote=quoted_text(ev), n=n), ""]
    lines += _date_notes(plan, numbers)
    return "\n".join(lines).strip(), citations


def stale_note(window: tuple[date, date], shown: list[Evidence]) -> str:
    """Nothing shown is from the window the question asked about: say so, and how old it is."""
    newest = max((ev.article.published for ev in shown if ev.article.published), default=None)
    return render(
        "body",
        "stale",
        since=window[0].isoformat(),
        until=window[1].isoformat(),
        latest=newest.isoformat() if newest else "undated",
    )


def relative_days(ev: Evidence, text: str | None = None) -> list[TimeMention]:
    """The relative time words of a sentence (or of text, its quote) that its article's date
    resolves ("on Friday")."""
    found = find_times(ev.text if text is None else text, ev.article.published)
    return [t for t in found if t.relative and t.resolved]


def dated(ev: Evidence, known: date | None = None) -> str:
    """The sentence with each relative day it names resolved: "on Tuesday (**March 11, 2025**)";
    a day the reader was already given (known) is left as it is."""
    text = quoted_text(ev)
    mentions = [t for t in relative_days(ev, text) if t.resolved != known]
    for t in sorted(mentions, key=lambda t: t.start, reverse=True):
        text = f"{text[: t.end]} (**{t.label}**){text[t.end :]}"
    return text


def related(ranked: list[Evidence], limit: int = 3) -> list[Related]:
    """The closest passages, offered as reading, not as an answer."""
    out: list[Related] = []
    shown: list[Evidence] = []
    for ev in ranked:
        if ev.coverage <= 0 or repeats(ev, shown):
            continue
        shown.append(ev)
        out.append(Related(**_passage(ev)))
        if len(out) == limit:
            break
    return out
