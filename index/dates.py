"""Publication dates: parsing metadata dates and inferring one from the article text."""

from __future__ import annotations

import re
from datetime import date, datetime

from dateutil import parser as dateutil_parser

MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
# Only full dates (day, month and year) count when inferring a publication date.
FULL_DATE_PATTERNS = [
    re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})\b", re.I),
    re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<year>\d{4})\b", re.I),
    re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b"),
]


def _to_date(year: str, month: str, day: str) -> date | None:
    m = int(month) if month.isdigit() else MONTHS.get(month.lower().rstrip("."))
    try:
        return date(int(year), m or 0, int(day))
    except ValueError:
        return None


def full_dates(text: str) -> list[tuple[date, int, int]]:
    """Every full calendar date written in the text, with its character span."""
    found: list[tuple[date, int, int]] = []
    for pattern in FULL_DATE_PATTERNS:
        for m in pattern.finditer(text):
            d = _to_date(m["year"], m["month"], m["day"])
            if d and 1900 <= d.year <= 2100:
                found.append((d, m.start(), m.end()))
    return sorted(found, key=lambda x: x[1])


def infer_published(text: str) -> date | None:
    """Guess the publication date as the latest full date the article mentions."""
    dates = [d for d, _, _ in full_dates(text)]
    return max(dates) if dates else None


def parse_date(value: object) -> date | None:
    """Parse a metadata date (ISO string, RFC 2822, 'March 13, 2025', datetime) or return None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(float(value)).date()
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    try:
        return dateutil_parser.parse(text, fuzzy=False).date()
    except (ValueError, OverflowError, TypeError):
        return None
