"""What `ask()` returns: an answer with numbered citations that quote their articles verbatim."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Citation:
    """One numbered source: the article and the exact sentence quoted from its clean text."""

    n: int
    article_id: str
    title: str
    source: str | None
    url: str | None
    published: str | None
    quote: str
    start: int
    end: int
    date_inferred: bool = False
    # The paragraph around the quote, for showing it in context; quote = context[ctx_start:...].
    context: str = ""
    context_start: int = 0
    # The page the quote starts on, for formats with fixed pages (PDF); None for the others.
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form."""
        return asdict(self)


@dataclass
class Related:
    """A passage close to the question that is offered as related reading, not as an answer."""

    article_id: str
    title: str
    source: str | None
    published: str | None
    quote: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form."""
        return asdict(self)


@dataclass
class Answer:
    """The answer to one question."""

    question: str
    text: str
    answered: bool
    citations: list[Citation] = field(default_factory=list)
    related: list[Related] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    # The question as understood after resolving follow-up references ("he" -> "Vladimir Putin").
    standalone_question: str = ""
    # Which answerer wrote the text: "extractive", or the LLM ("openai-like:MODEL", ...).
    backend: str = "extractive"
    # Generated sentences removed because their cited sources did not support them.
    dropped_sentences: int = 0
    # Why a configured LLM's answer is not shown (down, too slow, nothing verified), else "".
    note: str = ""
    # The dates the question's own time words applied, if any: kind ("range": "in March 2023"
    # narrowed the search; "window": "this week" preferred those days), since, until
    # (YYYY-MM-DD) and words (the phrase); naming (the year) where a bare year ("in 2022") also
    # admitted the articles naming it. The chat shows it as a chip that re-asks without it.
    time_window: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: question, answer, answered, citations, related, timings_ms."""
        return {
            "question": self.question,
            "answer": self.text,
            "answered": self.answered,
            "citations": [c.to_dict() for c in self.citations],
            "related": [r.to_dict() for r in self.related],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }


class QuestionError(ValueError):
    """A question that cannot be asked (empty, too long); the message says why."""
