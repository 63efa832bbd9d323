"""Finding answer candidates inside a sentence: people, places, numbers (times: timeexpr)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text import words
from index.dates import MONTHS, WEEKDAYS

# Titles and roles that precede a person's name ("President Vladimir Putin", "spokesman Dmitry
# Peskov"); without an NER model on this machine, they are the best sign that a name follows.
TITLES = {
    "president",
    "prime",
    "minister",
    "gen",
    "general",
    "major",
    "lieutenant",
    "lt",
    "colonel",
    "col",
    "chief",
    "secretary",
    "senator",
    "sen",
    "rep",
    "representative",
    "governor",
    "gov",
    "mr",
    "mrs",
    "ms",
    "dr",
    "mayor",
    "king",
    "queen",
    "pope",
    "judge",
    "justice",
    "commander",
    "envoy",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "adviser",
    "advisor",
    "correspondent",
    "official",
    "officials",
    "ceo",
    "chairman",
    "chairwoman",
    "director",
    "head",
    "leader",
    "ambassador",
    "coach",
    "captain",
    "professor",
    "prof",
    "sheriff",
    "chancellor",
    "senior",
    "deputy",
    "vice",
    "foreign",
    "defense",
    "defence",
    "regional",
    "army",
    "military",
    "top",
    "press",
    "special",
    "national",
    "security",
    "founder",
    "executive",
    "analyst",
    "economist",
    "reporter",
    "editor",
    "striker",
    "midfielder",
    "manager",
    "inspector",
    "detective",
    "officer",
    # roles that precede names in sports, science and courts
    "goalkeeper",
    "defender",
    "forward",
    "winger",
    "player",
    "astronomer",
    "scientist",
    "researcher",
    "lawyer",
    "prosecutor",
    "doctor",
    "teacher",
    "activist",
    "author",
    "writer",
    "actor",
    "singer",
    "artist",
    "candidate",
    "rival",
    "member",
    "investor",
    "owner",
}
NOT_PERSON = (
    set(MONTHS)
    | set(WEEKDAYS)
    | {
        "house",
        "ministry",
        "press",
        "service",
        "news",
        "command",
        "region",
        "korea",
        "arabia",
        "union",
        "council",
        "party",
        "court",
        "department",
        "agency",
        "university",
        "street",
        "forces",
        "kremlin",
        "states",
        "kingdom",
        "nations",
        "bank",
        "corp",
        "inc",
        "ltd",
        "group",
        "committee",
        "office",
        "times",
        "post",
        "reuters",
        "ap",
        "afp",
        "city",
        "county",
        "river",
        "sea",
        "ocean",
        "republic",
        "federation",
        "commission",
        "parliament",
        "congress",
        "senate",
        "airport",
        "station",
        "hospital",
        "school",
        "company",
        "association",
        "institute",
        "operational",
        "northern",
        "southern",
        "eastern",
        "western",
        "middle",
        "east",
        "west",
        "europe",
        "european",
        "america",
        "american",
        "russia",
        "russian",
        "ukraine",
        "ukrainian",
        "china",
        "chinese",
        "france",
        "french",
        "britain",
        "british",
        "germany",
        "german",
        "us",
        "uk",
        "eu",
        "nato",
        "un",
        "white",
        "fox",
        "moscow",
        "kyiv",
        "washington",
        "london",
        "paris",
    }
)
SPEECH = {
    "said",
    "says",
    "told",
    "added",
    "announced",
    "visited",
    "visits",
    "ordered",
    "confirmed",
    "spoke",
    "warned",
    "stated",
    "wrote",
    "argued",
    "insisted",
    "denied",
    "met",
    "signed",
}
PLACE_NOUNS = {"town", "city", "village", "region", "province", "state", "county", "port", "island"}
PLACE_PREPS = {"in", "at", "to", "from", "near", "into", "visited", "visit", "visits", "across"}
_NUMBER_WORDS = {
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "dozen",
    "dozens",
    "hundred",
    "hundreds",
    "thousand",
    "thousands",
    "million",
    "millions",
    "billion",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
}
_NUMBER = re.compile(
    r"(?:[$€£]\s?)?\b(?:\d[\d,]*(?:\.\d+)?%?(?:\s+(?:million|billion|thousand|hundred))?|"
    + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
    + r")\b",
    re.IGNORECASE,
)


@dataclass
class Span:
    """A candidate answer: its words and where they are in the sentence."""

    start: int
    end: int
    text: str
    score: float = 0.0


def _runs(sentence: str) -> list[list[re.Match[str]]]:
    """Runs of capitalised words, allowing name particles (bin, de, van) inside."""
    runs: list[list[re.Match[str]]] = []
    current: list[re.Match[str]] = []
    tokens = words(sentence)
    for i, m in enumerate(tokens):
        w = m.group()
        gap = sentence[tokens[i - 1].end() : m.start()] if i else " "
        joined = gap in (" ", "-", ". ")
        particle = w in ("bin", "al", "de", "van", "von", "da", "der", "di", "le", "la")
        if (w[:1].isupper() or (particle and current)) and (not current or joined):
            current.append(m)
        else:
            if current:
                runs.append(current)
            current = [m] if w[:1].isupper() else []
    if current:
        runs.append(current)
    return [r for r in runs if r[-1].group() not in ("bin", "al", "de", "van", "von")]


def people(sentence: str) -> list[Span]:
    """Names of people in a sentence, titles stripped, scored by how person-like they look."""
    out: list[Span] = []
    for run in _runs(sentence):
        title_before = False
        while run and run[0].group().casefold().rstrip(".") in TITLES:
            run = run[1:]
            title_before = True
        if not run:
            continue
        names = [m.group() for m in run]
        if any(n.casefold() in NOT_PERSON for n in names):
            continue
        start, end = run[0].start(), run[-1].end()
        before = sentence[max(0, start - 40) : start].casefold().split()
        if before and before[-1].strip(",") in TITLES:
            title_before = True
        # "near Port Lewis", "in New Delhi": a name after a locative word is a place.
        if before and before[-1] in PLACE_PREPS - {"visited", "visit", "visits"}:
            continue
        after = sentence[end : end + 30].casefold().replace(",", " ").split()
        score = 0.0
        score += 2.0 if title_before else 0.0
        score += 1.0 if 2 <= len(names) <= 4 else 0.0
        score += 1.0 if any(a in SPEECH for a in after[:3]) else 0.0
        # A lone capitalised word at the start of a sentence is usually not a name.
        if len(names) == 1 and start == 0 and not title_before:
            score -= 1.0
        if score >= 1.0:
            out.append(Span(start, end, sentence[start:end], score))
    return out


def places(sentence: str, exclude: set[str]) -> list[Span]:
    """Capitalised places after a locative word (in Kursk, to Moscow), not people."""
    out: list[Span] = []
    person_spans = [(p.start, p.end) for p in people(sentence)]
    for run in _runs(sentence):
        start, end = run[0].start(), run[-1].end()
        if any(s <= start < e for s, e in person_spans):
            continue
        before = sentence[max(0, start - 30) : start].casefold().split()
        # "the town of Sudzha", "the city of Kharkiv" name a place too.
        named = len(before) >= 2 and before[-1] == "of" and before[-2] in PLACE_NOUNS
        if not before or (before[-1] not in PLACE_PREPS and not named):
            continue
        text = sentence[start:end]
        if text.casefold() in exclude:
            continue
        out.append(Span(start, end, text, 1.0))
    return out


def numbers(sentence: str) -> list[Span]:
    """Numbers (digits or words) with the span they cover."""
    out = []
    for m in _NUMBER.finditer(sentence):
        text = m.group()
        # Years and days of the month are dates, not counts.
        if re.fullmatch(r"(19|20)\d\d", text):
            continue
        prev = sentence[max(0, m.start() - 12) : m.start()].strip().split()
        if prev and prev[-1].rstrip(".").casefold() in MONTHS:
            continue
        out.append(Span(m.start(), m.end(), text, 1.0))
    return out
