"""Which kind of named entity a question asks for, learned from real news-quiz questions.

The table in assistant/data/answer_types.json maps question cues ("who", "how many",
"which:country", "which:company") to the share of spaCy entity labels that answered them in
../shared/eval/news-train (bench/learn_answer_types.py rebuilds it). A question gets the
distribution of its most specific cue that the training set saw often enough.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.text import stem, stopwords

# Labels of en_core_web_sm (OntoNotes); "NONE": the answer was not a named entity.
NONE = "NONE"
TYPES_FILE = Path(__file__).with_name("data") / "answer_types.json"
# A cue seen fewer times than this in training says too little on its own.
MIN_SUPPORT = 4

_WH = re.compile(
    r"\b(how (many|much|old|long|far|often|big|large|tall|fast)|who(m|se)?|when|where|why|"
    r"what|which|how)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z]+")
# Adjectives and determiners that sit between "which" and the noun it asks about.
_SKIP = {"of", "the", "a", "an", "these", "following", "two", "other", "one"}


_ABBREVIATION = re.compile(r"\b(?:[a-z]\.){2,}")

_PREPOSITIONS = {"of", "in", "to", "for", "by", "with", "from", "at", "on", "about", "against"}


def _asking(text: str) -> re.Match[str] | None:
    """The wh-word that asks: quiz questions open with a statement ("... was hurt when ...,
    which team ..."), so a "when" or "who" inside a clause is a conjunction, not the question."""
    first = None
    for m in _WH.finditer(text):
        first = first or m
        before = text[: m.start()].rstrip()
        starts = not before or before[-1] in '.?!:;"“'
        prev = before.rsplit(None, 1)[-1] if before else ""
        if starts or prev in _PREPOSITIONS or m.group(1).split()[0] in ("which", "how"):
            return m
    return first


def question_cues(question: str) -> list[str]:
    """The cues of a question, specific ones first: 'which:us', 'which:state', 'which', 'any'."""
    # "which U.S. state": the abbreviation is one word ("us"), as news-train's cues saw it.
    text = _ABBREVIATION.sub(lambda m: m.group().replace(".", ""), question.casefold())
    match = _asking(text)
    if match is None:
        return ["none", "any"]
    wh = " ".join(match.group(1).split())
    cues: list[str] = []
    if wh in ("what", "which"):
        stop = stopwords()
        nouns = []
        for w in _WORD.findall(text[match.end() : match.end() + 60])[:4]:
            if w in _SKIP:
                continue
            if w in stop:
                break
            nouns.append(w)
        # Without a parser the noun is not known ("which US state", "which company recently
        # announced"): each word is a cue, and expected_labels keeps the most telling one.
        cues += [f"{wh}:{n}" for n in nouns[:3]]
        if wh == "what" and re.match(r"\s+(year|date|day|month|time)\b", text[match.end() :]):
            cues.insert(0, "when")
    cues += [wh, "any"]
    return cues


@lru_cache(maxsize=1)
def _table() -> dict[str, dict[str, float]]:
    data = json.loads(TYPES_FILE.read_text(encoding="utf-8"))
    return data["cues"]


# "Who is Steve Witkoff?" names the person and asks what the articles say about them.
_WHO_IS_NAME = re.compile(
    r"^\s*(?i:who\s+(is|was|are|were))\s+[A-Z][\w’'.-]*(\s+[A-Z][\w’'.-]*)*\s*\??\s*$"
)
# Typed all in lower case ("who is steve witkoff"), a name is told from a description ("who is
# the press secretary", "who is president of france") by having no stopword in it.
_WHO_IS_LOWER = re.compile(
    r"^\s*who\s+(?:is|was|are|were)\s+([a-z][\w’'.-]*(?:\s+[a-z][\w’'.-]*){0,2})\s*\??\s*$"
)


def _asks_who_someone_is(question: str) -> bool:
    """Whether the question names a person and asks who they are ("Who is Steve Witkoff?")."""
    if _WHO_IS_NAME.match(question):
        return True
    m = _WHO_IS_LOWER.match(question) if question == question.casefold() else None
    return bool(m) and not any(w in stopwords() for w in m.group(1).split())


# A noun no training question asked about ("which comedian") takes the labels of the nouns
# nearest it in the embedding model's space ("actor", "singer", "celebrity"): the NEAREST
# ones of the same wh-word at cosine MIN_SIMILARITY or more, weighted by it. Set by 5-fold
# cross-validation on news-train: the right label came first for 0.18 of the questions whose
# noun the other folds never saw, 0.52 with 5 nouns at 0.4 (3, 8, 12 nouns and 0.2-0.5
# did no better); over all questions, 0.58 -> 0.65.
NOUNS_FILE = TYPES_FILE.with_name("answer_type_nouns.npz")
NEAREST = 5
MIN_SIMILARITY = 0.4
# Vectors of nouns asked about, by noun: the encoder is always the packaged model.
_ASKED_NOUNS: dict[str, Any] = {}
_ASKED_NOUNS_MAX = 4096

Encode = Callable[[str], Sequence[float]]


@lru_cache(maxsize=1)
def _known_nouns() -> tuple[tuple[str, ...], Any] | None:
    """The table's which/what cues and their nouns' unit vectors (bench/learn_answer_types)."""
    import numpy as np

    if not NOUNS_FILE.exists():
        return None
    with np.load(NOUNS_FILE, allow_pickle=False) as data:
        return tuple(str(k) for k in data["cues"]), data["vectors"].astype(np.float32)


@lru_cache(maxsize=1)
def _by_stem() -> dict[str, str]:
    """Specific cues by their noun's stem: "which:films" is looked up as "which:film"."""
    out: dict[str, str] = {}
    for cue in _table():
        wh, _, noun = cue.partition(":")
        if noun:
            out.setdefault(f"{wh}:{stem(noun)}", cue)
    return out


def _labels(cue: str) -> dict[str, float]:
    """The label shares of a well-supported cue, else {}."""
    entry = _table().get(cue) or {}
    if entry.get("_n", 0) < MIN_SUPPORT:
        return {}
    return {k: v for k, v in entry.items() if not k.startswith("_")}


def _nearest(cue: str, encode: Encode) -> dict[str, float]:
    """The labels of the known nouns nearest an unknown cue's noun, or {}."""
    import numpy as np

    known = _known_nouns()
    wh, _, noun = cue.partition(":")
    if known is None or wh not in ("which", "what"):
        return {}
    cues, vectors = known
    rows = [i for i, c in enumerate(cues) if c.startswith(wh + ":")]
    if noun not in _ASKED_NOUNS:
        if len(_ASKED_NOUNS) >= _ASKED_NOUNS_MAX:
            _ASKED_NOUNS.clear()
        _ASKED_NOUNS[noun] = np.asarray(encode(noun), dtype=np.float32)
    if not rows or vectors.shape[1] != _ASKED_NOUNS[noun].shape[0]:
        return {}
    sims = vectors[rows] @ _ASKED_NOUNS[noun]
    total: Counter[str] = Counter()
    for k in np.argsort(-sims)[:NEAREST]:
        if sims[k] >= MIN_SIMILARITY:
            for label, share in _labels(cues[rows[k]]).items():
                total[label] += float(sims[k]) * share
    norm = sum(total.values())
    return {label: v / norm for label, v in total.most_common()} if norm else {}


def expected_labels(question: str, encode: Encode | None = None) -> dict[str, float]:
    """P(entity label | question) from its most telling well-supported cue ('NONE' included).

    Of the specific cues (the words after "which"/"what"), the one whose answers were most
    often of one label wins: "state" (GPE 0.90) over "us" (GPE 0.37) in "which US state".
    A noun not in the table is looked up by its stem, then, given the encoder, by the
    nouns nearest it.
    """
    if _asks_who_someone_is(question):
        return {NONE: 1.0}
    cues = question_cues(question)
    specific = [c for c in cues if ":" in c]
    general = [c for c in cues if ":" not in c]

    def stemmed(cue: str) -> str:
        wh, _, noun = cue.partition(":")
        return _by_stem().get(f"{wh}:{stem(noun)}", cue)

    options = [d for d in (_labels(c) or _labels(stemmed(c)) for c in specific) if d]
    if not options and encode is not None and specific:
        # The first word after "which" only: the later ones are as often its verb ("which
        # comedian visited"), and each costs an encoding (~5 ms). Taking the most telling of
        # all did no better in cross-validation (0.648 against 0.646).
        options = [d for d in [_nearest(specific[0], encode)] if d]
    if options:
        return max(options, key=lambda d: max(d.values()))
    for cue in general:
        if d := _labels(cue):
            return d
    return {NONE: 1.0}


_AND_PART = re.compile(r"\band (when|where|how many|how much|who)\b", re.IGNORECASE)


def asked_parts(question: str, encode: Encode | None = None) -> list[dict[str, float]]:
    """The label distribution of each thing asked: "Who visited Kursk and when?" asks two.

    encode: the embedding model's query encoder, for a noun the table does not know."""
    parts = [expected_labels(question, encode)]
    parts += [expected_labels(m.group(1)) for m in _AND_PART.finditer(question)]
    return parts


# Cues that ask for a point in time ("When ...?", "In which year ...?"), not a span of it.
_WHEN_CUES = frozenset({"when", "which:year", "which:month", "which:day", "which:date"})
_WHICH_UNIT = re.compile(r"\b(?:what|which)\s+(year|month)\b", re.IGNORECASE)
# Cues that ask how much time ("How long ...?", "How old ...?"): a span, not a point in it.
_SPAN_CUES = frozenset({"how long", "how old"})


# After "who", these make it ask who someone is ("Who is the president of France?") unless a
# verb follows them ("Who was dismissed ...?", "Who is heading to Moscow?").
_AUXILIARIES = frozenset({"is", "was", "are", "were", "has", "have", "had", "be"})
# A participle or "been"/"being": what follows an auxiliary when "who" asks for a doer.
_PARTICIPLE = re.compile(r"(?:been|being|\w+(?:ed|ing|en))$")


def asks_doer(question: str) -> bool:
    """Whether "who" asks for the doer of the question's verb ("Who won the award?", "Who was
    dismissed from his post?"), not for whom it was done to ("Who did Trump meet?") or who
    someone is ("Who is Steve Witkoff?")."""
    text = question.casefold()
    match = _asking(text)
    if match is None or match.group(1).split()[0] != "who":
        return False
    after = _WORD.findall(text[match.end() : match.end() + 40])[:3]
    if not after or after[0] in ("did", "does", "do"):
        return False
    if after[0] in ("will", "would", "could", "can", "should", "might", "may", "must"):
        after = after[1:]  # "who will replace him", "who will be named"
    if after and after[0] in _AUXILIARIES:
        return len(after) > 1 and bool(_PARTICIPLE.match(after[1]))
    return bool(after)


def asks_done_to(question: str) -> bool:
    """Whether "who" asks for whom something was done ("Who did Mike Waltz speak with?",
    "Whom did the club hire?"): the answer follows the verb in the sentence."""
    match = _asking(question.casefold())
    if match is None or match.group(1).split()[0] not in ("who", "whom"):
        return False
    after = _WORD.findall(question.casefold()[match.end() : match.end() + 20])[:1]
    return match.group(1).split()[0] == "whom" or after in (["did"], ["does"], ["do"])


# "When will ...?", "When is the vote going to ...?": the day asked for lies ahead.
_AHEAD = re.compile(r"\bwhen\s+(?:will|shall|(?:is|are)\b[^?]*?\bgoing\s+to)\b", re.IGNORECASE)


def asks_ahead(question: str) -> bool:
    """Whether the question asks when something will happen ("When will the region be
    liberated?"): then a day the article reports as past is no answer to it."""
    return bool(_AHEAD.search(question))


def asks_when(question: str) -> list[str | None]:
    """For each thing asked (as asked_parts), whether it asks when, and how precisely: "year"
    or "month" ("In which year ...?"), "any" ("When ...?"), "span" ("How long ...?"), or None.
    Then "30-day" or "42-year-old", which spaCy tags DATE too, are no answer to "when", nor
    "Tuesday" to "what year", nor "August 6" to "how long"."""
    first = None
    cue = question_cues(question)[0]
    if cue in _WHEN_CUES:
        unit = _WHICH_UNIT.search(question)
        first = unit.group(1).casefold() if unit else "any"
    elif cue in _SPAN_CUES:
        first = "span"
    return [first] + [
        "any" if m.group(1).casefold() == "when" else None for m in _AND_PART.finditer(question)
    ]
