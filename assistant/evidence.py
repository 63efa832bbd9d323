"""Scoring the sentences of retrieved chunks as evidence for a question, with their context."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date

from assistant.question import Question
from assistant.text import stem, verb_forms, words
from index.articles import Article

_CAPTION = re.compile(
    r"^(in this (image|photo|picture|handout)|this (grab|photo|image|picture)|photo:|pictured)"
    r"|\((?:[^()]*(?:via|/|AFP|AP|Reuters|Getty))[^()]*\)\s*$",
    re.IGNORECASE,
)
# Below this share of the question's weighted terms, a sentence does not answer it.
MIN_COVERAGE = 0.5


@dataclass
class Evidence:
    """A sentence of an article, scored against a question, with what it matched."""

    article: Article
    index: int
    rank: int
    coverage: float
    content_coverage: float
    entities_ok: bool
    proximity: float
    caption: bool
    verb_ok: bool = True
    score: float = 0.0
    matched: set[str] = field(default_factory=set)

    @property
    def text(self) -> str:
        """The sentence, verbatim."""
        return self.article.sentence_text(self.index)

    @property
    def span(self) -> tuple[int, int]:
        """The sentence's offsets in the article's clean text."""
        return self.article.sentences[self.index]

    @property
    def answers(self) -> bool:
        """Whether the sentence (with its context) covers what the question is about."""
        return (
            self.entities_ok
            and self.verb_ok
            and self.coverage >= MIN_COVERAGE
            and self.content_coverage >= MIN_COVERAGE
        )


def sentence_stems(text: str) -> list[tuple[str, int, int]]:
    """(stem, start, end) of every word in a text."""
    return [(stem(m.group()), m.start(), m.end()) for m in words(text)]


def _context_stems(article: Article, i: int) -> set[str]:
    parts = [article.title]
    if i > 0:
        parts.append(article.sentence_text(i - 1))
    if i + 1 < len(article.sentences):
        parts.append(article.sentence_text(i + 1))
    return {s for p in parts for s, _, _ in sentence_stems(p)}


def _title_stems(article: Article) -> set[str]:
    return {s for s, _, _ in sentence_stems(article.title)}


def _entities_present(question: Question, here: set[str], around: set[str]) -> bool:
    for entity in question.entities:
        parts = [stem(w) for w in entity.split()]
        found = sum(1 for p in parts if p in here or p in around)
        if found < math.ceil(len(parts) / 2):
            return False
    return True


def score_sentence(question: Question, article: Article, i: int, rank: int) -> Evidence:
    """How well sentence i of an article (with title and neighbours) covers the question."""
    text = article.sentence_text(i)
    # A paraphrase of the question's verb counts as the verb itself ("named" for "appoint").
    forms = verb_forms(question.verb) - {question.verb}
    tokens = [(question.verb if s in forms else s, a, b) for s, a, b in sentence_stems(text)]
    here = {s for s, _, _ in tokens}
    around = _context_stems(article, i)
    if forms & around:
        around.add(question.verb)
    entity_stems = {stem(w) for e in question.entities for w in e.split()}
    total = question.total_weight
    got = 0.0
    content_total = content_got = 0.0
    matched = set()
    headline = _title_stems(article)
    says_the_action = any(t in here for t in question.terms if t not in entity_stems)
    for term, weight in question.terms.items():
        hit = 1.0 if term in here else (0.5 if term in around else 0.0)
        # A name in the headline is what the whole article is about, so a sentence of it that
        # tells the asked action is about that name; one that only shares the name is not.
        if term in entity_stems and term in headline and says_the_action:
            hit = 1.0
        if term in here:
            matched.add(term)
        got += weight * hit
        if term not in entity_stems:
            content_total += weight
            content_got += weight * hit
    positions = [k for k, (s, _, _) in enumerate(tokens) if s in matched]
    proximity = len(positions) / (positions[-1] - positions[0] + 1) if len(positions) > 1 else 0.0
    return Evidence(
        article=article,
        index=i,
        rank=rank,
        coverage=got / total,
        content_coverage=content_got / content_total if content_total else 1.0,
        entities_ok=_entities_present(question, here, around),
        proximity=proximity,
        caption=bool(_CAPTION.search(text)),
        verb_ok=question.verb is None or question.verb in here or question.verb in around,
        matched=matched,
    )


def rank_evidence(
    question: Question,
    candidates: list[tuple[Article, int, int]],
    newest: date | None,
    type_found: dict[tuple[str, int], float],
) -> list[Evidence]:
    """Score (article, sentence, hit rank) candidates and sort them best first."""
    out = []
    for article, i, rank in candidates:
        ev = score_sentence(question, article, i, rank)
        ev.score = (
            ev.coverage
            + 0.3 * type_found.get((article.article_id, i), 0.0)
            + 0.15 * ev.proximity
            + 0.1 / (1 + rank)
            - (0.25 if ev.caption else 0.0)
        )
        if question.recency and newest and article.published:
            age = (newest - article.published).days
            ev.score += 0.3 / (1 + max(age, 0) / 7)
        out.append(ev)
    return sorted(out, key=lambda e: e.score, reverse=True)
