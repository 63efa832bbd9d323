"""What a question asks for: answer types, weighted content terms, named entities, time window."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from assistant.text import IRREGULAR, QUESTION_WORDS, WEAK_WORDS, stem, stopwords, words
from index.dates import MONTHS, WEEKDAYS

_WANTS = [
    ("how_many", re.compile(r"\bhow (many|much)\b|\bwhat (number|percentage|share)\b", re.I)),
    (
        "when",
        re.compile(r"\bwhen\b|\bwhat (day|date|time|year|month)\b|\bwhich (day|date)\b", re.I),
    ),
    ("where", re.compile(r"\bwhere\b|\bwhich (city|country|region|town|place|area)\b", re.I)),
    ("who", re.compile(r"\bwho(m|se)?\b|\bwhich (person|official|leader|people)\b", re.I)),
    ("why", re.compile(r"\bwhy\b", re.I)),
]
_RECENCY = re.compile(
    r"\b(most recent(ly)?|recent(ly)?|latest|newest|last (week|month|few days)|this week|"
    r"yesterday|today|nowadays|currently|right now|lately)\b",
    re.I,
)
_WHO_IS = re.compile(
    r"^\s*(?i:who\s+(is|was|are|were))\s+[A-Z][\w’'.-]*(\s+[A-Z][\w’'.-]*)*\s*\??\s*$"
)
_WHO_OBJECT = re.compile(r"^\s*who(m)?\s+(did|does|do|will|would|has|have|had|can|could)\s", re.I)
_WINDOWS = {"last week": 7, "this week": 7, "last few days": 4, "yesterday": 1, "today": 0}
_WINDOWS_MONTH = {"last month": 31}
# Words that are capitalised in questions without naming anything.
_NOT_ENTITY = (
    QUESTION_WORDS
    | {"i", "and", "or", "the", "a", "an", "in", "on", "of", "did"}
    # Months and weekdays are capitalised but name a time, which the evidence may word
    # differently ("in March" / "on Sunday").
    | set(MONTHS)
    | set(WEEKDAYS)
)


@dataclass
class Question:
    """A question, analysed."""

    text: str
    wants: list[str]
    terms: dict[str, float]
    entities: list[str]
    recency: bool = False
    window_days: int | None = None
    # Stems of extra context carried over from earlier turns (help retrieval, never required).
    context_terms: set[str] = field(default_factory=set)
    # The stem of the question's main verb ("destroyed" in "How many homes were destroyed?"):
    # evidence that lacks it talks about something else, however many other words it shares.
    verb: str | None = None
    # "Who did X meet?" asks for the object of the verb, not its subject.
    asks_object: bool = False

    def window(self, newest: date | None) -> tuple[date | None, date | None]:
        """The date range a time phrase ("last week") means, anchored on the newest article."""
        if newest is None or self.window_days is None:
            return None, None
        return newest - timedelta(days=self.window_days), newest

    @property
    def total_weight(self) -> float:
        """Sum of term weights."""
        return sum(self.terms.values()) or 1.0


def entities_in(text: str) -> list[str]:
    """Capitalised runs of words that look like names (Kursk, Vladimir Putin, North Korea)."""
    found: list[str] = []
    run: list[str] = []
    tokens = words(text)
    for i, m in enumerate(tokens):
        w = m.group()
        gap = text[tokens[i - 1].end() : m.start()] if i else ""
        capital = w[:1].isupper() and w.casefold() not in _NOT_ENTITY
        if capital and run and gap.strip() in ("", "-"):
            run.append(w)
        else:
            if run:
                found.append(" ".join(run))
            run = [w] if capital else []
    if run:
        found.append(" ".join(run))
    return found


_AUX = {
    "did",
    "does",
    "do",
    "was",
    "were",
    "is",
    "are",
    "has",
    "have",
    "had",
    "will",
    "would",
    "can",
    "could",
    "been",
    "be",
    "being",
    "should",
    "might",
    "may",
}
_WH = {"who", "what", "which", "whom", "whose"}


_BE_HAVE = {"was", "were", "is", "are", "has", "have", "had", "been", "be", "being"}
_DO = {"did", "does", "do", "will", "would", "can", "could", "should", "might", "may"}
_PRONOUNS = {"he", "she", "they", "it", "we", "you", "i"}


def main_verb(text: str) -> str | None:
    """The question's main verb where word order alone makes it certain (no tagger offline).

    "Who visited ...", "... were destroyed", "did he order", "did the US lift"; for "will the
    harbor plan cost" the subject's end cannot be told from the verb's start, so None.
    """
    tokens = [m.group() for m in words(text)]
    low = [t.casefold() for t in tokens]
    stop = stopwords()
    if len(low) > 1 and low[0] in _WH and low[1] not in _AUX and low[1] not in stop:
        return stem(low[1])
    for i, w in enumerate(low[:-1]):
        nxt = low[i + 1]
        if w in _BE_HAVE and nxt not in stop and nxt.endswith(("ed", "en")):
            return stem(nxt)
        if w in _BE_HAVE and nxt in IRREGULAR:
            return stem(nxt)
        if w in _DO:
            j = i + 1
            if j < len(low) and low[j] in ("the", "a", "an"):
                j += 1
            if j < len(low) and low[j] in _PRONOUNS:
                j += 1
            elif j < len(low) and tokens[j][:1].isupper():
                while j < len(low) and tokens[j][:1].isupper():
                    j += 1
            else:
                return None
            if j < len(low) and low[j] not in stop and low[j] not in QUESTION_WORDS:
                return stem(low[j])
            return None
    return None


def analyse(text: str) -> Question:
    """Work out what the question asks for and which words matter."""
    hits = [(m.start(), name) for name, pattern in _WANTS if (m := pattern.search(text))]
    wants = [name for _, name in sorted(hits)] or ["what"]
    recency_match = _RECENCY.search(text)
    window = None
    if recency_match:
        phrase = recency_match.group().lower()
        window = _WINDOWS.get(phrase, _WINDOWS_MONTH.get(phrase))
    scrubbed = _RECENCY.sub(" ", text)
    entities = entities_in(scrubbed)
    # "Who is Steve Witkoff?" names the person and asks what the articles say about them.
    if wants == ["who"] and entities and _WHO_IS.match(text):
        wants = ["what"]
    entity_stems = {stem(w) for e in entities for w in e.split()}
    stop = stopwords()
    terms: dict[str, float] = {}
    for m in words(scrubbed):
        w = m.group()
        low = w.casefold()
        if low in stop or low in QUESTION_WORDS or len(low) < 2:
            continue
        s = stem(low)
        weight = 2.0 if s in entity_stems else (0.3 if low in WEAK_WORDS else 1.0)
        terms[s] = max(terms.get(s, 0.0), weight)
    return Question(
        text=text,
        wants=wants,
        terms=terms,
        entities=entities,
        recency=bool(recency_match),
        window_days=window,
        verb=(v if (v := main_verb(scrubbed)) in terms else None),
        asks_object=bool(_WHO_OBJECT.match(text)),
    )
