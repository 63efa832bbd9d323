"""Composing the extractive answer: a direct first line cut from the evidence, then the quotes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.evidence import Evidence
from assistant.extract import SPEECH, Span, numbers, people, places
from assistant.models import Citation, Related
from assistant.question import Question
from assistant.templates import render
from assistant.text import stem, verb_forms, words
from assistant.timeexpr import TimeMention, find_times, long_date

_CLAUSE_END = re.compile(r"[;:!?]|\.(?=\s|$)|,\s|\s(?:and|but|while|as|after|before|which)\s")
TYPED = ("who", "when", "where", "how_many")


@dataclass
class Part:
    """A sentence used in the answer and what was cut from it."""

    evidence: Evidence
    n: int = 0
    found: dict[str, Span | TimeMention] = field(default_factory=dict)


def _verb_pos(question: Question, ev: Evidence, after: int = 0) -> int | None:
    """Where the question's first non-name term occurs in the sentence (its verb, usually)."""
    entity_stems = {stem(w) for e in question.entities for w in e.split()}
    if question.verb:
        for m in words(ev.text):
            if m.start() >= after and stem(m.group()) in verb_forms(question.verb):
                return m.start()
    for m in words(ev.text):
        s = stem(m.group())
        if m.start() >= after and s in question.terms and s not in entity_stems:
            return m.start()
    return None


def _not_asked(span: Span, question: Question) -> bool:
    asked = {stem(w) for e in question.entities for w in e.split()}
    return not any(stem(w) in asked for w in span.text.split())


def _nearest(items: list, pos: int | None, text: str = ""):
    if not items:
        return None
    if pos is None:
        return items[0]
    verb_end = pos + len(re.match(r"\S*", text[pos:]).group()) if text else pos

    # The phrase closest to the verb is the one that modifies it: "on Tuesday lifted its
    # March 3 suspension" was lifted on Tuesday.
    def distance(x) -> int:
        return pos - x.end if x.end <= pos else max(0, x.start - verb_end)

    return min(items, key=distance)


_PRONOUN_START = re.compile(r"^\W*(he|she|they)\b", re.I)


def _find(question: Question, ev: Evidence, want: str) -> Span | TimeMention | None:
    text = ev.text
    verb = _verb_pos(question, ev)
    if want == "who":
        if question.verb and question.verb not in ev.matched and not _PRONOUN_START.match(text):
            # The doer of the asked action must be in the sentence that tells the action.
            return None
        cands = [p for p in people(text) if _not_asked(p, question)]
        if question.asks_object:
            # "Who did Mike Waltz speak with?" is answered after the verb, not by its subject.
            after = [p for p in cands if verb is not None and p.start > verb]
            return _nearest(after, verb, text)
        before = [p for p in cands if verb is not None and p.end <= verb]
        if before:
            # The nearest name before the verb is its subject: in "Costa scored twice, and
            # goalkeeper Ben Okafor saved a penalty", Okafor saved it.
            return max(before, key=lambda p: (p.end, p.score))
        return max(cands, key=lambda p: p.score) if cands else None
    if want == "when":
        return _nearest(find_times(text, ev.article.published), verb, text)
    if want == "where":
        exclude = {e.casefold() for e in question.entities}
        found = places(text, exclude)
        after = [p for p in found if verb is None or p.start > verb]
        return _nearest(after, verb, text)
    if want == "how_many":
        return _count(question, text)
    return None


def _count(question: Question, text: str) -> Span | None:
    """The number that counts what was asked about.

    A number followed by the asked-about noun ("six seasons", "350 jobs") wins over one that
    merely stands near a question word ("Hahn, 48,"); "two new piers" answers neither.
    """
    terms = set(question.terms) - {question.verb}
    found = numbers(text)
    for num in found:
        if {stem(m.group()) for m in words(text[num.end :])[:2]} & terms:
            return num
    terms = set(question.terms)
    for num in found:
        if {stem(m.group()) for m in words(text[: num.start])[-3:]} & terms:
            return num
    return None


def _previous(ev: Evidence) -> Evidence | None:
    """The sentence before, which a pronoun-led sentence ("He told the outlet...") refers to."""
    if ev.index == 0 or not _PRONOUN_START.match(ev.text):
        return None
    return Evidence(ev.article, ev.index - 1, ev.rank, 0.0, 0.0, True, 0.0, False, matched=set())


def gather(question: Question, ranked: list[Evidence]) -> list[Part] | None:
    """Pick the sentence(s) that answer every typed part of the question, or None."""
    wanted = [w for w in question.wants if w in TYPED]
    options = [e for e in ranked if e.answers][:12]
    if wanted:
        # A sentence that holds the name, date or number itself beats one that needs its
        # neighbours; the retrieval score breaks ties.
        def own(ev: Evidence) -> float:
            found = sum(_find(question, ev, w) is not None for w in wanted) / len(wanted)
            # The sentence with the question's verb is the one that tells who did it.
            return found + (0.7 if question.verb and question.verb in ev.matched else 0.0)

        options.sort(key=lambda e: e.score + 0.3 * own(e), reverse=True)
    for ev in options:
        main = Part(ev)
        extra: list[Part] = []
        for want in wanted:
            got = _find(question, ev, want)
            if got is not None:
                main.found[want] = got
                continue
            # "He told the outlet...": the name is in the sentence before. Dates and numbers
            # are never borrowed from a neighbour, which may be about something else.
            prev = _previous(ev) if want == "who" else None
            got = _find(question, prev, want) if prev else None
            if prev is not None and got is not None:
                extra.append(Part(prev, found={want: got}))
        if all(w in main.found or any(w in p.found for p in extra) for w in wanted):
            return [main, *extra]
    return None


_AUX = re.compile(r"(?:\b(?:was|were|is|are|has|have|had|been|will|would|be)\s+)+$", re.I)


def _clause(text: str, start: int, time: TimeMention | None) -> tuple[int, int]:
    aux = _AUX.search(text[:start])
    if aux:
        start = aux.start()
    m = _CLAUSE_END.search(text, start)
    end = m.start() if m else len(text.rstrip(".!? "))
    if time is not None and time.start >= start and time.end > end and time.start - end < 3:
        end = time.end
    return start, end


def _with_date(text: str, offset: int, time: TimeMention | None) -> str:
    """Bold the resolved date in place of a relative time phrase inside a cut of the sentence."""
    if time is None:
        return text
    s, e = time.start - offset, time.end - offset
    if s < 0 or e > len(text):
        return text
    words_ = time.text
    prefix = "on " if words_.lower().startswith("on ") else ""
    shown = f"{prefix}**{time.label}**" if time.resolved else words_
    return text[:s] + shown + text[e:]


# An object lead runs past "as" and "after" ("named Marta Lind as head coach on Friday").
_OBJECT_END = re.compile(r"[;:!?]|\.(?=\s|$)|,\s")


def _object_lead(text: str, who: Span, time: TimeMention | None, ev: Evidence, n: int) -> str:
    """'Who did X name?': the sentence's own clause up to past the name, the name in bold."""
    m = _OBJECT_END.search(text, who.end)
    end = m.start() if m else len(text.rstrip(".!? "))
    if time is None:
        times = find_times(text, ev.article.published)
        time = next((t for t in times if t.end <= end and t.relative), None)
    edits = [(who.start, who.end, f"**{who.text}**")]
    if (
        time is not None
        and time.resolved
        and time.end <= end
        and (time.end <= who.start or time.start >= who.end)
    ):
        prefix = "on " if time.text.lower().startswith("on ") else ""
        edits.append((time.start, time.end, f"{prefix}**{time.label}**"))
    clause = text[:end]
    for start, stop, shown in sorted(edits, reverse=True):
        clause = clause[:start] + shown + clause[stop:]
    return render("lead", "object", clause=clause, cite=f"[{n}]")


def lead_line(question: Question, parts: list[Part]) -> str:
    """The first line: the entity, date or number asked for, in words cut from the evidence."""
    main = parts[0]
    ev = main.evidence
    text = ev.text
    found = {k: (v, p.n) for p in reversed(parts) for k, v in p.found.items()}
    n = main.n
    time = found.get("when", (None, 0))[0]
    time = time if isinstance(time, TimeMention) and found["when"][1] == n else None
    if "how_many" in found and found["how_many"][1] == n:
        num = found["how_many"][0]
        start, end = _clause(text, num.start, time)
        clause = text[start:end]
        clause = "**" + clause[: num.end - start] + "**" + clause[num.end - start :]
        speaker = next(
            (
                p.text
                for p in people(text[: num.start])
                if any(w in SPEECH for w in text[p.end : num.start].casefold().split())
            ),
            None,
        )
        if speaker:
            return render("lead", "count_attributed", clause=clause, speaker=speaker, cite=f"[{n}]")
        return render("lead", "count", clause=clause, cite=f"[{n}]")
    if question.asks_object and "who" in found and found["who"][1] == n:
        return _object_lead(text, found["who"][0], time, ev, n)
    subject: Span | None = None
    if "who" in found:
        who, who_n = found["who"]
        if who_n != n:
            when_text = time.label if time else None
            if when_text:
                return render(
                    "lead", "who_when", who=who.text, when=f"on {when_text}", cite=f"[{who_n}][{n}]"
                )
            return render("lead", "who", who=who.text, cite=f"[{who_n}][{n}]")
        subject = who
    else:
        asked = {stem(w) for e in question.entities for w in e.split()}
        subject = next(
            (p for p in people(text) if any(stem(w) in asked for w in p.text.split())), None
        )
    if subject is not None:
        verb = _verb_pos(question, ev, after=subject.end)
        said = verb is not None and re.match(r"(say|said|says|told|tell)\b", text[verb:], re.I)
        # "What did X say?" is answered by what was said, which is the whole sentence.
        if said and question.wants == ["what"]:
            return render("lead", "quote", quote=text, cite=f"[{n}]")
        if verb is not None:
            start, end = _clause(text, verb, time)
            if time is None:
                # Even when the date was not asked for, "on Wednesday" is shown as a date.
                time = next(
                    (
                        t
                        for t in find_times(text, ev.article.published)
                        if start <= t.start and t.end <= end and t.relative
                    ),
                    None,
                )
            clause = _with_date(text[start:end], start, time)
            return render("lead", "clause", subject=subject.text, clause=clause, cite=f"[{n}]")
        if "when" in found and time is not None:
            return render(
                "lead", "who_when", who=subject.text, when=f"on {time.label}", cite=f"[{n}]"
            )
        if "who" in found:
            return render("lead", "who", who=subject.text, cite=f"[{n}]")
        # "Who is Steve Witkoff?": what the sentence says about them is the answer.
        return render("lead", "quote", quote=text, cite=f"[{n}]")
    if "when" in found:
        t, tn = found["when"]
        label = t.label if isinstance(t, TimeMention) else t.text
        return render("lead", "when", when=label, cite=f"[{tn}]")
    if "where" in found:
        w, wn = found["where"]
        return render("lead", "where", where=w.text, cite=f"[{wn}]")
    return render("lead", "quote", quote=text, cite=f"[{n}]")


def citation(n: int, ev: Evidence) -> Citation:
    """A numbered citation quoting the sentence verbatim, with its paragraph for context."""
    art = ev.article
    start, end = ev.span
    p_start = art.text.rfind("\n\n", 0, start)
    p_start = 0 if p_start < 0 else p_start + 2
    p_end = art.text.find("\n\n", end)
    p_end = len(art.text) if p_end < 0 else p_end
    return Citation(
        n=n,
        article_id=art.article_id,
        title=art.title,
        source=art.source,
        url=art.url,
        published=art.published.isoformat() if art.published else None,
        quote=art.text[start:end],
        start=start,
        end=end,
        date_inferred=art.date_inferred,
        context=art.text[p_start:p_end],
        context_start=p_start,
    )


def compose(question: Question, parts: list[Part]) -> tuple[str, list[Citation]]:
    """The answer text (markdown with [n] markers) and its citations."""
    citations: list[Citation] = []
    seen: dict[tuple[str, int], int] = {}
    for part in parts:
        key = (part.evidence.article.article_id, part.evidence.index)
        if key not in seen:
            seen[key] = len(citations) + 1
            citations.append(citation(seen[key], part.evidence))
        part.n = seen[key]
    lines = [lead_line(question, parts), ""]
    lead_is_quote = lines[0].startswith(parts[0].evidence.text)
    for c in citations:
        if c.n == 1 and lead_is_quote:
            continue
        lines.append(render("body", "quote", quote=c.quote, n=c.n))
        lines.append("")
    for part in parts:
        t = part.found.get("when")
        if isinstance(t, TimeMention) and t.relative and t.resolved:
            art = part.evidence.article
            lines.append(
                render(
                    "body",
                    "date_note",
                    words=t.text,
                    label=t.label,
                    n=part.n,
                    published=long_date(art.published) if art.published else "unknown",
                    inferred=render("body", "inferred") if art.date_inferred else "",
                )
            )
    return "\n".join(lines).strip(), citations


def related(ranked: list[Evidence], limit: int = 3) -> list[Related]:
    """The closest passages, offered as reading, not as an answer."""
    out: list[Related] = []
    seen = set()
    for ev in ranked:
        key = (ev.article.article_id, ev.index)
        if key in seen or ev.coverage <= 0:
            continue
        seen.add(key)
        s, e = ev.span
        art = ev.article
        out.append(
            Related(
                article_id=art.article_id,
                title=art.title,
                source=art.source,
                published=art.published.isoformat() if art.published else None,
                quote=art.text[s:e],
                start=s,
                end=e,
            )
        )
        if len(out) == limit:
            break
    return out
