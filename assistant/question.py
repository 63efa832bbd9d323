"""What a question is about: weighted content terms, named entities, its time words."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from assistant.text import question_words, stem, stopwords, weak_words, words
from index.dates import MONTHS, WEEKDAYS

_RECENCY = re.compile(
    r"\b(most recent(ly)?|recent(ly)?|latest|newest|last (week|month|few days)|this week|"
    r"yesterday|today|nowadays|currently|right now|lately)\b",
    re.I,
)
# "recently", "latest": news of about the last two weeks is preferred.
RECENT_DAYS = 14
# Any question prefers news of the last two weeks a little (the ranker's "fresh" feature,
# learned from news-dev): "Who won the Golden Globe?" means the latest one.
FRESH_DAYS = 14
# Month names a question may use on their own: "may" but not "mar", "jun" (words too).
MONTH_WORDS = "|".join(m for m in MONTHS if len(m) > 3 or m == "may")
_IN_MONTH = re.compile(
    r"\b(?:in|during|since)\s+(?:early\s+|late\s+|mid-?)?(?P<month>"
    + MONTH_WORDS
    + r")\b(?:,?\s+(?P<year>(?:19|20)\d\d))?",
    re.IGNORECASE,
)
_IN_YEAR = re.compile(r"\bin\s+((?:19|20)\d\d)\b(?!\s*(?:percent|%))", re.IGNORECASE)
_WINDOWS = {"last week": 7, "this week": 7, "last few days": 4, "yesterday": 1, "today": 0}
_WINDOWS_MONTH = {"last month": 31}
# Words that are capitalised in questions without naming anything.
# Months and weekdays are capitalised but name a time, which the evidence may word
# differently ("in March" / "on Sunday").
_NOT_ENTITY = frozenset(MONTHS) | frozenset(WEEKDAYS)


@dataclass
class Question:
    """A question, analysed."""

    text: str
    terms: dict[str, float]
    entities: list[str]
    recency: bool = False
    window_days: int | None = None
    # Stems of extra context carried over from earlier turns (help retrieval, never required).
    context_terms: set[str] = field(default_factory=set)

    def window(self, today: date) -> tuple[date, date] | None:
        """The days a time word ("this week", "recently") prefers, counted back from today."""
        if not self.recency:
            return None
        days = RECENT_DAYS if self.window_days is None else max(self.window_days, 1)
        return today - timedelta(days=days), today

    def time_words(self, kind: str) -> str:
        """The phrase behind a "range" ("in March 2023") or a "window" ("this week"), or ""."""
        patterns = (_IN_MONTH, _IN_YEAR) if kind == "range" else (_RECENCY,)
        for pattern in patterns:
            m = pattern.search(self.text)
            if m and (pattern is not _IN_MONTH or m["year"]):
                return m.group()
        return ""

    def explicit_range(self, today: date) -> tuple[date | None, date | None]:
        """The dates a question names ("in March 2023", "in 2024") as a hard range, else none.

        A range that starts after today names when something will happen ("running for
        president in 2024"), not when the news about it was published: no range.
        """
        first = last = None
        m = _IN_MONTH.search(self.text)
        # A month without a year ("in March") is left to ranking: which March an archive
        # means cannot be told from the question.
        if m and m["year"]:
            first = date(int(m["year"]), MONTHS[m["month"].lower()], 1)
            last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        elif m := _IN_YEAR.search(self.text):
            first, last = date(int(m[1]), 1, 1), date(int(m[1]), 12, 31)
        if first is None or first > today:
            return None, None
        return first, last

    def year_named(self, today: date) -> str | None:
        """The year of a bare-year range ("in 2022"), which also admits articles naming it.

        News of a year is often published after it ("spent $16 million on legal fees in
        2022", reported in February 2023), and a year can date the back-story of this week's
        news ("given an iPhone in 2007 ... sold this week"). A month ("in March 2023") dates
        the news itself and stays a plain range.
        """
        if _IN_MONTH.search(self.text) or self.explicit_range(today) == (None, None):
            return None
        m = _IN_YEAR.search(self.text)
        return m[1] if m else None


def entities_in(text: str) -> list[str]:
    """Capitalised runs of words that look like names (Kursk, Vladimir Putin, North Korea)."""
    found: list[str] = []
    run: list[str] = []
    tokens = words(text)
    for i, m in enumerate(tokens):
        w = m.group()
        gap = text[tokens[i - 1].end() : m.start()] if i else ""
        # A capitalised stopword ("He is ...", "The ...") opens a sentence, it names nothing.
        capital = (
            w[:1].isupper()
            and w.casefold() not in _NOT_ENTITY
            and w.casefold() not in stopwords()
            and w.casefold() not in question_words()
        )
        if capital and run and gap.strip() in ("", "-"):
            run.append(w)
        else:
            if run:
                found.append(" ".join(run))
            run = [w] if capital else []
    if run:
        found.append(" ".join(run))
    return found


def analyse(text: str) -> Question:
    """Work out what the question asks for and which words matter."""
    recency_match = _RECENCY.search(text)
    window = None
    if recency_match:
        phrase = recency_match.group().lower()
        window = _WINDOWS.get(phrase, _WINDOWS_MONTH.get(phrase))
    scrubbed = _RECENCY.sub(" ", text)
    entities = entities_in(scrubbed)
    entity_stems = {stem(w) for e in entities for w in e.split()}
    stop = stopwords()
    terms: dict[str, float] = {}
    for m in words(scrubbed):
        w = m.group()
        low = w.casefold()
        # "what's", "who’s", "it's": the word before the apostrophe decides.
        base = low.replace("’", "'").removesuffix("'s")
        if low in stop or base in stop or base in question_words() or len(base) < 2:
            continue
        s = stem(low)
        weight = 2.0 if s in entity_stems else (0.3 if low in weak_words() else 1.0)
        terms[s] = max(terms.get(s, 0.0), weight)
    return Question(
        text=text,
        terms=terms,
        entities=entities,
        recency=bool(recency_match),
        window_days=window,
    )
