"""Short answers: named entities of the wanted type, voted for across the best sentences.

Each of the top sentences votes for the entities it holds, in proportion to the ranker's
belief that the sentence answers the question and the question's learned preference for the
entity's label. Mentions of one thing are pooled: "Benedict" joins "Pope Benedict XVI", and a
"Wednesday" and a "March 12" that resolve to the same day are one date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.evidence import Evidence, stems_of
from assistant.places import as_place
from assistant.question import MONTH_WORDS
from assistant.text import person_titles, stem, words
from assistant.timeexpr import TimeMention, find_times
from index.dates import MONTHS, WEEKDAYS
from index.entities import Entity

# How many of the best sentences vote.
VOTERS = 8
# An entity this many words from the question's words gets half the weight of one beside them.
CLOSE_WORDS = 4
_DATE_LABELS = {"DATE", "TIME"}
# A date naming no number, month or weekday ("every year", "the next several months", "its
# fourth year") and resolving to no day says nothing about when: it gets no votes.
_SPECIFIC_DATE = re.compile(
    r"\d|\b(?:" + "|".join(sorted([*MONTHS, *WEEKDAYS], key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
# A news dateline opens the text: "WASHINGTON –", "SAN VIGILIO DI MAREBBE, Italy –", "NEW YORK
# (AP) —". It names where the story was filed, not what happened, so it gets no votes.
_DATELINE = re.compile(
    r"\s*[A-Z][A-Z.'’ -]+(?:,\s*[A-Z][\w.]*(?:\s+[A-Z][\w.]*)*)?\s*(?:\([\w. ]+\)\s*)?"
    r"(?:[–—]\s*|-\s)"
)
# A dateline ends within this many characters of the text's start.
DATELINE_CHARS = 64
# How long something lasted or how old someone is ("30-day", "three-year", "more than seven
# months", "42-year-old"): a DATE to spaCy, but no answer to "when".
_DURATION = re.compile(
    r"(?:the|a|an|more than|about|nearly|almost|over|some)?\s*"
    r"(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a few|several)"
    r"[\s-]+(?:second|minute|hour|day|week|month|year|decade|century)s?(?:[\s-]+(?:old|long))?",
    re.IGNORECASE,
)
# For "who did it", a candidate after the question's words weighs this much when another one
# of the same sentence stands before them: English puts the doer before the verb ("Dmytro
# Krasylnykov ... was dismissed from his post, he told the outlet Suspilne"). Without a
# parser (spaCy's would cost ~10 ms a sentence here) word order is the sign. The weight left
# the extraction bench's PERSON and ORG figures as they were (few quiz questions ask "who
# <verb>") and made the seed's "Who was dismissed from his post?" lead with the doer.
AFTER_THE_DOER = 0.3
# "... was won by Michelle Yeoh", "..., said Dmitry Peskov": the doer after the verb.
_DOER_AFTER = re.compile(r"(?:\bby|\bsaid|\bsays|\baccording to)\s+(?:\S+\s+){0,3}$", re.I)
# A photo credit names who took or handed out a picture, never what the story reports:
# "... in Charlottesville. Steve Helber/AP", "(Image credit: Kevin Mazur/Getty Images)",
# "Photo by Mandel Ngan/AFP". Scraped news pages keep them (2,743 "Name/Agency" credits in
# news-dev's 2,368 articles), and in a caption that ranks high the photographer used to win a
# "who" vote. Only people and organisations are read as credits: "Russia/Ukraine" is no credit.
# A third of them run on into the next caption with no line break, so a credit is known by its
# slash, not by where it stands, and the rare pair of companies written "Live
# Nation/Ticketmaster" is read as one too.
_CREDIT_AFTER = re.compile(r"\s*/\s*[A-Z]")
_CREDIT_BEFORE = re.compile(
    r"(?:image credit|photo(?:graph)?(?: by)?|credit|courtesy of)\s*:?\s*$", re.I
)
# The tagger may take the agency into the name: "Rebecca Blackwell/AP" (not "AC/DC").
_CREDIT_INSIDE = re.compile(r"\S\s+\S+\s*/\s*[A-Z]")
_CREDITED_LABELS = {"PERSON", "ORG"}
# What an answer to "which year" or "which month" must name.
_UNIT = {
    "year": re.compile(r"\b(?:1[5-9]|20)\d\d\b"),
    "month": re.compile(r"\b(?:" + MONTH_WORDS + r")\b", re.I),
}


@dataclass
class Pick:
    """A short answer: its words as shown, the sentence that best supports it, its vote share."""

    text: str
    label: str
    evidence: Evidence
    entity: Entity
    votes: float
    share: float
    # For dates: the day it resolves to against the article's publication date.
    time: TimeMention | None = None
    # For people: the formal title the sentence gives them ("President "), if any.
    title: str = ""

    @property
    def shown(self) -> str:
        """The answer as the reader sees it: a date as its resolved day, a person with title."""
        if self.time is not None and self.time.resolved:
            return self.time.label
        return f"{self.title}{self.text}"


def _key(text: str) -> str:
    text = re.sub(r"[’']s$", "", text.casefold().strip())
    text = re.sub(r"^the\s+", "", text)
    return " ".join(re.findall(r"\w+", text))


@lru_cache(maxsize=1)
def _title_pattern() -> re.Pattern[str]:
    """A title ending where the text ends, longest title first ("Vice President" over
    "President"), with "former" before it when written."""
    titles = "|".join(re.escape(t) for t in person_titles())
    return re.compile(r"(?:^|\s)((?:[Ff]ormer\s+)?(?:" + titles + r")\s+)$")


def title_before(text: str, start: int, floor: int) -> str:
    """The formal title written just before a name at start ("President " in "President Joe
    Biden"), with "former" when the text says so; "" when there is none. floor: where the
    sentence starts."""
    m = _title_pattern().search(text[max(floor, start - 40) : start])
    return m.group(1) if m else ""


# Quote marks a news text wraps a title in (“Jaws”, 'Wonka'), opening to closing.
_QUOTE_PAIRS = {"“": "”", '"': '"', "‘": "’", "'": "'"}


def quoted(text: str, entity: Entity, floor: int) -> str:
    """An entity as written, with the quote marks the text wraps it in: a title is shown
    “Jaws”, as the article and a reader write it. floor: where its sentence starts."""
    start, end = entity.start, entity.end
    opener = text[start - 1] if start > floor else ""
    if opener in _QUOTE_PAIRS and text[end : end + 1] == _QUOTE_PAIRS[opener]:
        return text[start - 1 : end + 1]
    return text[start:end]


def dateline_end(text: str) -> int:
    """Where the article's opening dateline ends (0: it has none)."""
    m = _DATELINE.match(text[:DATELINE_CHARS])
    return m.end() if m else 0


def is_credit(text: str, entity: Entity) -> bool:
    """Whether a person or organisation is named as a photo's credit, not in the story."""
    if entity.label not in _CREDITED_LABELS:
        return False
    return bool(
        _CREDIT_AFTER.match(text, entity.end, entity.end + 4)
        or _CREDIT_INSIDE.search(text, entity.start, entity.end)
        or _CREDIT_BEFORE.search(text[max(0, entity.start - 24) : entity.start])
    )


def _time_of(ev: Evidence, entity: Entity, times: list[TimeMention]) -> TimeMention | None:
    start = ev.span[0]
    for t in times:
        if t.start + start < entity.end and entity.start < t.end + start and t.resolved:
            return t
    return None


def _words_of(starts: list[int], entity: Entity) -> list[int]:
    """The indices of the sentence's words (by their article offsets) inside an entity."""
    return [i for i, pos in enumerate(starts) if entity.start <= pos < entity.end]


def _closeness(starts: list[int], at: list[int], entity: Entity) -> float:
    """How near an entity stands to the question's words in its sentence: 1 beside them.

    starts: article offsets of the sentence's words; at: indices of those that are the
    question's. In "Ana Costa scored twice, and goalkeeper Ben Okafor saved a penalty", the
    one who saved the penalty is the name next to "saved a penalty"; without a parser,
    distance is the sign.
    """
    inside = _words_of(starts, entity)
    if not at or not inside:
        return 0.2
    gap = min(abs(a - b) for a in at for b in inside)
    return 1.0 / (1.0 + gap / CLOSE_WORDS)


def _after_the_doer(
    ev: Evidence, starts: list[int], at: list[int], entities: list[Entity]
) -> set[int]:
    """Which of a sentence's entities (by position in entities) stand after all of the
    question's words while another of their label stands before them: not the doer."""
    if not at:
        return set()
    first, last = min(at), max(at)
    before: set[str] = set()
    after: list[tuple[int, str]] = []
    for n, ent in enumerate(entities):
        inside = _words_of(starts, ent)
        if not inside:
            continue
        if max(inside) < first:
            before.add(ent.label)
        elif min(inside) > last:
            lead_in = ev.article.text[max(ev.span[0], ent.start - 40) : ent.start]
            if not _DOER_AFTER.search(lead_in):
                after.append((n, ent.label))
    return {n for n, label in after if label in before}


def _before_the_words(starts: list[int], at: list[int], entities: list[Entity]) -> set[int]:
    """Which of a sentence's entities stand before all of the question's words: for "Who did
    Mike Waltz speak with?", "Karoline Leavitt told Fox News that Mike Waltz spoke ..." names
    the one who said so, not the one spoken with."""
    if not at:
        return set()
    first = min(at)
    return {
        n
        for n, ent in enumerate(entities)
        if (inside := _words_of(starts, ent)) and max(inside) < first
    }


def vote(
    ranked: list[Evidence],
    labels: dict[str, float],
    terms: set[str] | None = None,
    prefer_new: bool = False,
    when: str | None = None,
    place: str | None = None,
    doer: bool = False,
    done_to: bool = False,
    ahead: bool = False,
) -> list[Pick]:
    """Candidates of the wanted labels from the best sentences, most votes first.

    terms: the question's word stems (entities near them weigh more); prefer_new: the
    question asks for the latest, so newer articles' sentences weigh more; when: it asks
    when (answer_types.asks_when), so a duration is no candidate, and to "which year" only
    a date naming a year is; or it asks how long ("span"), so only a duration is. place:
    the kind of place it asks for (places.place_kind): places of other kinds weigh less, and
    a demonym or capital stands for its country. doer: it asks who did something
    (answer_types.asks_doer), so a name after the question's words weighs less when another
    stands before them. done_to: it asks for whom something was done
    (answer_types.asks_done_to), so a name before the question's words weighs less, the rest
    of its votes counting in the total: it may still be the answer, but never clearly.
    ahead: it asks when something will happen (answer_types.asks_ahead), so a day on or
    before its article's date ("Peskov said on Thursday ... will be liberated soon") is no
    candidate.
    """
    votes: dict[str, float] = {}
    best: dict[str, Pick] = {}
    abstained = 0.0
    for ev in ranked[:VOTERS]:
        seen: set[str] = set()
        recency = ev.features.get("newer", 1.0) if prefer_new else 1.0
        tokens = words(ev.text)
        starts = [m.start() + ev.span[0] for m in tokens]
        at = [i for i, m in enumerate(tokens) if stem(m.group()) in terms] if terms else []
        times: list[TimeMention] | None = None
        dateline = dateline_end(ev.article.text) if ev.span[0] < DATELINE_CHARS else 0
        wanted = [e for e in ev.entities if labels.get(e.label, 0.0) > 0]
        behind = _after_the_doer(ev, starts, at, wanted) if doer else set()
        later = {id(wanted[n]) for n in behind}
        ahead_of = _before_the_words(starts, at, wanted) if done_to else set()
        earlier = {id(wanted[n]) for n in ahead_of}
        for ent in ev.entities:
            surface = ev.article.text[ent.start : ent.end]
            label, named, factor = ent.label, quoted(ev.article.text, ent, ev.span[0]), 1.0
            if place and (fit := as_place(surface, ent.label, place)):
                named, label, factor = fit
                if named != surface and terms and stems_of(named) <= terms:
                    continue  # "Kyiv" for Ukraine, which the question names itself
            weight = labels.get(label, 0.0) * recency * factor
            if weight <= 0 or ent.end <= dateline or is_credit(ev.article.text, ent):
                continue
            if terms:
                weight *= _closeness(starts, at, ent)
            if id(ent) in later:
                weight *= AFTER_THE_DOER
            held_back = 0.0
            if id(ent) in earlier:
                held_back = weight * (1 - AFTER_THE_DOER)
                weight *= AFTER_THE_DOER
            time = None
            if ent.label in _DATE_LABELS and when == "span":
                # "How long ...?" is answered by a length of time; a day it fell on is none.
                if not _DURATION.search(surface):
                    continue
            elif ent.label in _DATE_LABELS:
                times = find_times(ev.text, ev.article.published) if times is None else times
                time = _time_of(ev, ent, times)
                if time is None and not _SPECIFIC_DATE.search(surface):
                    continue
                if when and time is None and _DURATION.fullmatch(surface.strip()):
                    continue
                if when in _UNIT and not _UNIT[when].search(surface):
                    continue
                published = ev.article.published
                if ahead and time and time.resolved and published and time.resolved <= published:
                    # A day, but a past one: its votes still count in the total, so that a
                    # name of a minor label left alone does not win the whole vote.
                    abstained += ev.score * weight
                    continue
            key = f"date:{time.resolved.isoformat()}" if time and time.resolved else _key(named)
            if not key or key in seen:
                continue
            seen.add(key)
            votes[key] = votes.get(key, 0.0) + ev.score * weight
            abstained += ev.score * held_back
            if key not in best:
                title = ""
                if ent.label == "PERSON":
                    title = title_before(ev.article.text, ent.start, ev.span[0])
                best[key] = Pick(named, label, ev, ent, 0.0, 0.0, time, title)
    # A shorter mention inside a longer one ("Benedict", "Pope Benedict XVI") is the same
    # thing: its votes go to the longer form.
    for short in sorted(votes, key=len):
        if short.startswith("date:"):
            continue
        # Only a mention of the same kind: "Florida" is not "the University of Florida".
        label = best[short].label
        longer = [
            k for k in votes if k != short and f" {short} " in f" {k} " and best[k].label == label
        ]
        if longer:
            target = max(longer, key=lambda k: votes[k])
            votes[target] += votes.pop(short)
    total = (sum(votes.values()) + abstained) or 1.0
    picks = []
    for key, v in votes.items():
        pick = best[key]
        pick.votes, pick.share = v, v / total
        picks.append(pick)
    return sorted(picks, key=lambda p: p.votes, reverse=True)
