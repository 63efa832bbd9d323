"""Candidate evidence: the sentences of retrieved chunks, each with the signals that rank it."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from assistant.places import countries_named, country_meant
from assistant.question import Question
from assistant.text import place_nouns, stem, words
from index.articles import Article
from index.entities import Entity

CAPTION = re.compile(
    r"^(in this (image|photo|picture|handout)|this (grab|photo|image|picture)|photo:|pictured)"
    r"|\((?:[^()]*(?:via|/|AFP|AP|Reuters|Getty))[^()]*\)\s*$",
    re.IGNORECASE,
)


@dataclass
class Evidence:
    """A sentence of an article, scored against a question."""

    article: Article
    index: int
    # IDF-weighted share of the question's terms found in the sentence.
    coverage: float = 0.0
    # P(the sentence holds the answer), from the learned ranker (assistant/ranking.py).
    score: float = 0.0
    features: dict[str, float] = field(default_factory=dict)
    # Entities of the sentence (article offsets) that the question does not itself name.
    entities: list[Entity] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The sentence, verbatim."""
        return self.article.sentence_text(self.index)

    @property
    def span(self) -> tuple[int, int]:
        """The sentence's offsets in the article's clean text."""
        return self.article.sentences[self.index]


@lru_cache(maxsize=32768)
def stems_of(text: str) -> frozenset[str]:
    """The stems of every word of a text."""
    # Kept: a question ranks its sentences twice when it tags some (service._rank), and the
    # articles of one story come back question after question.
    return frozenset(stem(m.group()) for m in words(text))


def _share(terms: dict[str, float], present: AbstractSet[str]) -> float:
    total = sum(terms.values())
    return sum(w for t, w in terms.items() if t in present) / total if total else 0.0


def named_in_question(
    entity_text: str,
    question_stems: AbstractSet[str],
    label: str = "",
    countries: AbstractSet[str] = frozenset(),
) -> bool:
    """Whether an entity is one the question names itself ("Kursk" in "Who visited Kursk?"),
    a person also by surname ("Vladimir Putin" in "Who shook hands with Putin?"), a country
    by another of its names ("U.S." in "US jets ..."; countries: those the question names,
    places.countries_named)."""
    parts = stems_of(entity_text)
    if parts and parts <= question_stems:
        return True
    if countries and country_meant(entity_text, label) in countries:
        return True
    names = words(entity_text)
    return label == "PERSON" and len(names) > 1 and stem(names[-1].group()) in question_stems


@dataclass
class Candidate:
    """A sentence to score, where it came from, and its article's entities."""

    article: Article
    index: int
    rank: int
    chunk_score: float
    entities: list[Entity] | None
    # The chunk's own cosine similarity to the question (0 when only BM25 found it).
    chunk_dense: float = 0.0
    # 1 / (1 + its rank) in the keyword search inside the articles whose head matched (0:
    # not found there); apart from chunk_score, whose meaning it would change with the
    # archive's size.
    in_article: float = 0.0


# Labels a place noun beside a name overrules: the tagger's guesses for an unfamiliar name.
# NORP stays ("the Russian city of Kursk": "Russian" is no place), as do numbers and dates.
_RELABEL_AS_PLACE = frozenset({"PRODUCT", "ORG", "PERSON", "WORK_OF_ART", "EVENT"})


@lru_cache(maxsize=1)
def _place_cues() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A place noun right after a name ("Kursk region"), and "the town of" right before one.

    The noun after a name must be in lower case: a capitalised one starts something else
    ("Biden State of the Union address", "Trump City Council").
    """
    nouns = "|".join(sorted(place_nouns()))
    return (
        re.compile(rf" +(?:{nouns})\b"),
        re.compile(rf"\b(?:{nouns}) +of +$", re.IGNORECASE),
    )


def named_places(text: str, entities: list[Entity]) -> set[str]:
    """The names (casefolded) an article calls a place: "the Kursk region", "the town of
    Sudzha", whatever the tagger labelled them."""
    after, before = _place_cues()
    return {
        text[e.start : e.end].casefold()
        for e in entities
        if e.label in _RELABEL_AS_PLACE
        and (after.match(text, e.end) or before.search(text[max(0, e.start - 24) : e.start]))
    }


def one_label_each(text: str, entities: list[Entity] | None) -> list[Entity] | None:
    """The entities with each name given the label most of its mentions in the article got:
    the small tagger calls "Sudzha" a place six times and an organisation once. A name the
    article calls a region, town or the like is a place (GPE) in every mention."""
    if not entities:
        return entities
    counts: dict[str, Counter[str]] = {}
    for e in entities:
        counts.setdefault(text[e.start : e.end].casefold(), Counter())[e.label] += 1
    # A tie says nothing: those mentions keep their own labels.
    best = {
        k: top[0][0]
        for k, c in counts.items()
        if len(c) > 1 and (top := c.most_common(2))[0][1] > top[1][1]
    }
    best.update(dict.fromkeys(named_places(text, entities), "GPE"))
    if not best:
        return entities
    return [
        Entity(e.start, e.end, best.get(text[e.start : e.end].casefold(), e.label))
        for e in entities
    ]


def _sentence_entities(
    art: Article,
    i: int,
    entities: list[Entity] | None,
    q_stems: frozenset[str],
    countries: AbstractSet[str] = frozenset(),
) -> list[Entity]:
    """The entities of sentence i that the question does not itself name."""
    start, end = art.sentences[i]
    return [
        e
        for e in (entities or [])
        if e.start >= start
        and e.end <= end
        and not named_in_question(art.text[e.start : e.end], q_stems, e.label, countries)
    ]


def retag(
    question: Question,
    evidence: list[Evidence],
    entities: Callable[[str], list[Entity] | None],
    label_weights: dict[str, float],
    articles: set[str],
) -> None:
    """Update the entity features of the evidence of some articles, newly tagged: the rest
    of the features do not depend on entities, so they are not computed again."""
    q_stems = stems_of(question.text)
    countries = countries_named(question.text)
    for ev in evidence:
        if ev.article.article_id in articles:
            ev.entities = _sentence_entities(
                ev.article, ev.index, entities(ev.article.article_id), q_stems, countries
            )
            ev.features["type_match"] = max(
                (label_weights.get(e.label, 0.0) for e in ev.entities), default=0.0
            )


def build_evidence(
    question: Question,
    candidates: list[Candidate],
    label_weights: dict[str, float],
    window: tuple[date, date] | None,
    fresh: tuple[date, date] | None = None,
) -> list[Evidence]:
    """Evidence with its features (see ranking.FEATURES), unscored.

    window: the days the question's time words prefer; fresh: the recent days every
    question prefers a little (the window itself when there is one).
    """
    q_stems = stems_of(question.text)
    countries = countries_named(question.text)
    rare = dict(sorted(question.terms.items(), key=lambda kv: -kv[1])[:3])
    rarest = max(question.terms, key=question.terms.get) if question.terms else None
    named = [stems_of(e) for e in question.entities]
    named_stems = set().union(*named) if named else set()
    # What the question says happened ("approve", "voted against"), apart from its names.
    action = {t: w for t, w in question.terms.items() if t not in named_stems}
    newest = None
    if question.recency:
        # Up to the day asked about: an article from after it is no "latest" of that day's news.
        until = window[1] if window is not None else date.max
        newest = max(
            (p for c in candidates if (p := c.article.published) and p <= until), default=None
        )
    # A chunk's sentences are each other's neighbours: stem each sentence and title once.
    memo: dict[tuple[str, int], frozenset[str]] = {}

    def stems_at(art: Article, i: int) -> frozenset[str]:
        key = (art.article_id, i)
        if key not in memo:
            memo[key] = stems_of(art.title if i < 0 else art.sentence_text(i))
        return memo[key]

    out = []
    for cand in candidates:
        art, i = cand.article, cand.index
        text = art.sentence_text(i)
        here = stems_at(art, i)
        around = here | stems_at(art, -1)
        if i > 0:
            around |= stems_at(art, i - 1)
        if i + 1 < len(art.sentences):
            around |= stems_at(art, i + 1)
        ents = _sentence_entities(art, i, cand.entities, q_stems, countries)
        type_match = max((label_weights.get(e.label, 0.0) for e in ents), default=0.0)
        recent = newer = is_fresh = 0.0
        if window is not None and art.published is not None:
            lo, hi = window
            recent = 1.0 if lo <= art.published <= hi else 0.0
        if fresh is not None and art.published is not None:
            is_fresh = 1.0 if fresh[0] <= art.published <= fresh[1] else 0.0
        if newest is not None and art.published is not None and art.published <= newest:
            # "the latest": weeks before the newest retrieved article (not before today: an
            # archive not fed lately still has a latest).
            newer = 1.0 / (1 + (newest - art.published).days / 7)
        n_words = len(words(text))
        # A name the question gives that the sentence and its context never mention: the
        # sentence is about something else ("When did Putin visit Paris?").
        missing = sum(len(e & around) * 2 < len(e) for e in named) / len(named) if named else 0.0
        feats = {
            "coverage": _share(question.terms, here),
            "context_coverage": _share(question.terms, around),
            "action_coverage": _share(action, here),
            "rare_coverage": _share(rare, around),
            "rarest_missing": float(rarest is not None and rarest not in around),
            "entity_missing": missing,
            "chunk_score": cand.chunk_score,
            "chunk_dense": cand.chunk_dense,
            "in_article": cand.in_article,
            "chunk_rank": 1.0 / (1 + cand.rank),
            "position": 1.0 / (1 + i),
            "type_match": type_match,
            "caption": float(bool(CAPTION.search(text))),
            "short": float(n_words < 6),
            "length": math.log1p(n_words),
            "recent": recent,
            "newer": newer,
            "fresh": is_fresh,
        }
        out.append(
            Evidence(
                article=art,
                index=i,
                coverage=feats["coverage"],
                features=feats,
                entities=ents,
            )
        )
    return out
