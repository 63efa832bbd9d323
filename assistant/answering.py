"""The answerer seam: what every answerer is given (Context) and must do (Answerer), and how the
one the settings name is found (entry point group newsdesk.answerers)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from assistant.evidence import Evidence
from assistant.models import Answer
from assistant.question import Question
from index import Filters
from index.plugins import ANSWERERS, load

if TYPE_CHECKING:
    from assistant.settings import NewsdeskSettings
    from index import IndexReader, TextEncoder


@dataclass
class Context:
    """One question, retrieved and ranked: everything an answerer answers from."""

    question: str  # as asked, cleaned
    standalone: str  # a follow-up rewritten to stand alone
    analysed: Question
    # What is asked, one entry per part ("who ... and when"): answer label -> share.
    parts: list[dict[str, float]]
    # The retrieved sentences, best first (assistant/ranking.py).
    ranked: list[Evidence]
    filters: Filters
    # "this week" and "recently": the days the question prefers, if any.
    window: tuple[date, date] | None
    reader: IndexReader
    # A bare year the question names ("in 2022"): articles naming it pass the date filters too.
    year: str | None = None
    # A note from an earlier step that failed (an LLM that could not rewrite a follow-up).
    note: str | None = None
    # The language code of a question that is clearly not English (assistant/language.py).
    language: str | None = None
    # An open question ("What happened in ...?"): answered with a dated brief if it can be.
    brief: bool = False
    # The day the question is asked as of (ask(as_of=...), else today): time words count from it.
    today: date = field(default_factory=date.today)
    # How many articles the question could draw on: the index's, or those its filters pass
    # (with the articles a year it names admits). A small archive declines at a higher P.
    archive: int = 0
    # Milliseconds of the steps so far ("retrieval"); perf_counter() when the question came in
    # and when retrieval ended, so an answerer can add its own time and the total.
    timings_ms: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    retrieved: float = field(default_factory=time.perf_counter)


class Answerer(Protocol):
    """Writes the answer to a Context. Registered by name as a newsdesk.answerers entry point,
    as a class or factory called with (settings, encoder)."""

    @property
    def streams(self) -> bool:
        """Whether stream() yields text before the final Answer (an LLM writing)."""
        ...

    def condense(
        self, question: str, history: list[dict[str, Any]]
    ) -> tuple[str | None, str | None]:
        """A follow-up rewritten to stand alone, or None to keep the rule-based rewrite; and a
        note if rewriting failed."""
        ...

    def stream(self, ctx: Context) -> Iterator[str | Answer]:
        """Text as it is written (if any), then the final Answer, always last."""
        ...


def answerer_name(settings: NewsdeskSettings) -> str:
    """The answerer the settings choose: "auto" is generative with an LLM, else extractive."""
    if settings.answerer != "auto":
        return settings.answerer
    return "generative" if settings.llm_backend_name else "extractive"


def build_answerer(settings: NewsdeskSettings, encoder: TextEncoder) -> Answerer:
    """The answerer the settings name, built (raises PluginError if none is registered)."""
    return load(ANSWERERS, answerer_name(settings))(settings, encoder)
