"""Time expressions in a sentence, resolved against the article's publication date."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from index.dates import MONTHS, WEEKDAYS, full_dates

_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = re.compile(
    r"\b(?:(?P<mod>last|this|next|on|early|late|since|by|until)\s+)?"
    r"(?P<day>" + "|".join(WEEKDAYS) + ")"
    r"(?:\s+(?P<part>morning|afternoon|evening|night))?\b",
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(
    r"\b(?:on\s+)?(?P<month>" + _MONTH_NAMES + r")\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b"
    r"(?!,?\s+\d{4})(?:\s+(?P<rel>last year|this year))?",
    re.IGNORECASE,
)
_RELATIVE = re.compile(
    r"\b(?P<word>yesterday|today|tonight|tomorrow|this morning|last night|"
    r"earlier this week|this week|last week|last month|last year|this year)\b",
    re.IGNORECASE,
)


@dataclass
class TimeMention:
    """A time expression: its words in the sentence and, when resolvable, the date it means."""

    start: int
    end: int
    text: str
    resolved: date | None
    label: str
    exact: bool  # a calendar day (not a week, month or year)
    relative: bool  # the words alone do not name the day


def long_date(d: date) -> str:
    """Format like 'Wednesday, March 12, 2025'."""
    return f"{d.strftime('%A')}, {d.strftime('%B')} {d.day}, {d.year}"


def _weekday(published: date | None, day: str, mod: str | None) -> date | None:
    if published is None:
        return None
    target = WEEKDAYS.index(day.lower())
    mod = (mod or "").lower()
    if mod == "next":
        delta = (target - published.weekday()) % 7 or 7
        return published + timedelta(days=delta)
    back = (published.weekday() - target) % 7
    if mod == "last" and back == 0:
        back = 7
    # News writes "on Thursday" for the day of publication and "on Wednesday" for the day
    # before; a weekday always means the latest such day up to the publication date.
    return published - timedelta(days=back)


def _month_day(published: date | None, month: int, day: int, rel: str) -> date | None:
    """'March 3' in an article: the year that puts it nearest the publication date.

    News writes "its March 3 suspension" for a date just past and "starts on June 1" for one
    just ahead; "last year" / "this year" say the year outright.
    """
    if published is None:
        return None
    if rel in ("last year", "this year"):
        years = [published.year - (rel == "last year")]
    else:
        years = [published.year - 1, published.year, published.year + 1]
    candidates = []
    for year in years:
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    return min(candidates, key=lambda d: abs((d - published).days), default=None)


def find_times(sentence: str, published: date | None) -> list[TimeMention]:
    """Every time expression of a sentence, resolved where the publication date allows."""
    found: list[TimeMention] = []
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    for d, s, e in full_dates(sentence):
        found.append(TimeMention(s, e, sentence[s:e], d, long_date(d), True, False))
        taken.append((s, e))
    for m in _MONTH_DAY.finditer(sentence):
        if not free(m.start(), m.end()):
            continue
        month = MONTHS[m["month"].lower().rstrip(".")]
        resolved = _month_day(published, month, int(m["day"]), (m["rel"] or "").lower())
        label = long_date(resolved) if resolved else m.group().strip()
        found.append(TimeMention(m.start(), m.end(), m.group(), resolved, label, True, True))
        taken.append((m.start(), m.end()))
    for m in _WEEKDAY.finditer(sentence):
        if not free(m.start(), m.end()):
            continue
        resolved = _weekday(published, m["day"], m["mod"])
        label = long_date(resolved) if resolved else m["day"].capitalize()
        found.append(TimeMention(m.start(), m.end(), m.group(), resolved, label, True, True))
        taken.append((m.start(), m.end()))
    for m in _RELATIVE.finditer(sentence):
        if not free(m.start(), m.end()) or published is None:
            continue
        word = m["word"].lower()
        offsets = {"yesterday": -1, "today": 0, "tonight": 0, "this morning": 0, "tomorrow": 1}
        if word in offsets:
            d = published + timedelta(days=offsets[word])
            found.append(TimeMention(m.start(), m.end(), m.group(), d, long_date(d), True, True))
        elif word == "last night":
            d = published - timedelta(days=1)
            found.append(TimeMention(m.start(), m.end(), m.group(), d, long_date(d), True, True))
        elif word in ("last week",):
            label = f"the week before {long_date(published)}"
            found.append(TimeMention(m.start(), m.end(), m.group(), None, label, False, True))
        elif word in ("this week", "earlier this week"):
            label = f"the week of {long_date(published)}"
            found.append(TimeMention(m.start(), m.end(), m.group(), None, label, False, True))
        elif word == "last month":
            first = published.replace(day=1) - timedelta(days=1)
            label = first.strftime("%B %Y")
            found.append(TimeMention(m.start(), m.end(), m.group(), None, label, False, True))
        elif word in ("last year", "this year"):
            year = published.year - (1 if word == "last year" else 0)
            found.append(TimeMention(m.start(), m.end(), m.group(), None, str(year), False, True))
        taken.append((m.start(), m.end()))
    return sorted(found, key=lambda t: t.start)
