"""Follow-up questions: resolve "he", "she", "they", "it" against the earlier turns."""

from __future__ import annotations

import re
from typing import Any

from assistant.question import entities_in

_PERSON_PRONOUN = re.compile(r"\b(he|him|she|her)\b", re.I)
_POSSESSIVE = re.compile(r"\b(his|hers)\b", re.I)
# Any word a follow-up points back with; generative/answer.py asks its LLM to rewrite those.
PRONOUN = re.compile(r"\b(he|him|his|she|her|hers|they|them|their|it|its|there|that)\b", re.I)
_MARKUP = re.compile(r"[*_>`#\[\]]|\[\d+\]")


def _content(message: Any) -> str:
    content = message.get("content") if isinstance(message, dict) else message
    if isinstance(content, list):
        content = " ".join(
            str(c.get("text", "")) if isinstance(c, dict) else str(c) for c in content
        )
    return str(content or "")


def _person(text: str) -> str | None:
    """The first multi-word name in a text (the subject an answer leads with)."""
    for entity in entities_in(_MARKUP.sub(" ", text)):
        if len(entity.split()) >= 2:
            return entity
    return None


def condense(question: str, history: list[Any] | None) -> tuple[str, str]:
    """Return (standalone question, extra retrieval context) given the earlier turns."""
    if not history or not PRONOUN.search(question):
        return question, ""
    last_user = next(
        (_content(m) for m in reversed(history) if isinstance(m, dict) and m.get("role") == "user"),
        "",
    )
    last_answer = next(
        (
            _content(m)
            for m in reversed(history)
            if isinstance(m, dict) and m.get("role") == "assistant"
        ),
        "",
    )
    # The answer leads with the entity asked about, so its first name is the antecedent.
    lead = last_answer.strip().split("\n", 1)[0]
    person = _person(lead) or _person(last_user) or _person(last_answer)
    standalone = question
    if person:
        standalone = _PERSON_PRONOUN.sub(person, standalone)
        standalone = _POSSESSIVE.sub(f"{person}’s", standalone)
    context = " ".join(e for e in entities_in(last_user) if e not in standalone)
    return standalone, context
