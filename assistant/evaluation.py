"""Scoring the assistant on a question set: accuracy, citation precision, decline rate."""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.service import AskOptions, Assistant


@dataclass
class Case:
    """One question of a set: strings the answer must contain ('a|b' = either) or a decline."""

    question: str
    expect: list[str]
    answerable: bool
    history: list[dict[str, str]] = field(default_factory=list)
    since: str | None = None
    until: str | None = None
    sources: list[str] | None = None
    # The day the question was asked ("this week" means that week); default today.
    as_of: str | None = None

    def options(self) -> AskOptions:
        """What comes with the question when it is asked (ask()'s keyword options)."""
        return AskOptions(
            history=self.history,
            since=self.since,
            until=self.until,
            sources=self.sources,
            as_of=self.as_of,
        )


@dataclass
class Result:
    """How the assistant did on one case."""

    question: str
    expect: list[str]
    answerable: bool
    answered: bool
    answer: str
    correct: bool
    citations: int
    exact_citations: int
    # The first line (the direct answer) alone holds what was expected.
    direct: bool = False
    latency_ms: float = 0.0


@dataclass
class Report:
    """The scores of a run."""

    results: list[Result]

    @property
    def accuracy(self) -> float:
        """Share of cases answered correctly (answerable) or declined (unanswerable)."""
        return sum(r.correct for r in self.results) / max(1, len(self.results))

    @property
    def citation_precision(self) -> float:
        """Share of citations whose quote is the exact slice of its article."""
        total = sum(r.citations for r in self.results)
        return sum(r.exact_citations for r in self.results) / total if total else 1.0

    @property
    def decline_rate(self) -> float:
        """Share of unanswerable cases that were declined."""
        un = [r for r in self.results if not r.answerable]
        return sum(not r.answered for r in un) / len(un) if un else 1.0

    @property
    def answerable_accuracy(self) -> float:
        """Share of answerable cases whose answer (text and quotes) holds what was expected."""
        ok = [r for r in self.results if r.answerable]
        return sum(r.correct for r in ok) / len(ok) if ok else 1.0

    @property
    def direct_accuracy(self) -> float:
        """Share of answerable cases whose first line alone holds what was expected."""
        ok = [r for r in self.results if r.answerable]
        return sum(r.direct for r in ok) / len(ok) if ok else 1.0

    @property
    def false_decline_rate(self) -> float:
        """Share of answerable cases that were declined."""
        ok = [r for r in self.results if r.answerable]
        return sum(not r.answered for r in ok) / len(ok) if ok else 0.0

    def latency_ms(self, q: float) -> float:
        """A percentile (0-100) of the time ask() took."""
        times = sorted(r.latency_ms for r in self.results)
        if len(times) < 2:
            return times[0] if times else 0.0
        return statistics.quantiles(times, n=100, method="inclusive")[int(q) - 1]

    def summary(self) -> str:
        """One line of figures."""
        return (
            f"{len(self.results)} questions · accuracy {self.accuracy:.0%} · direct "
            f"{self.direct_accuracy:.0%} · false declines {self.false_decline_rate:.0%} · "
            f"citation precision {self.citation_precision:.0%} · decline rate "
            f"{self.decline_rate:.0%}"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form."""
        return {
            "accuracy": self.accuracy,
            "answerable_accuracy": self.answerable_accuracy,
            "direct_accuracy": self.direct_accuracy,
            "false_decline_rate": self.false_decline_rate,
            "citation_precision": self.citation_precision,
            "decline_rate": self.decline_rate,
            "latency_ms_p50": self.latency_ms(50),
            "latency_ms_p95": self.latency_ms(95),
            "results": [asdict(r) for r in self.results],
        }


def load_cases(path: Path) -> list[Case]:
    """Read a JSONL question set; raise ValueError naming the bad line."""
    cases = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            expect = data.get("expect", [])
            cases.append(
                Case(
                    question=data["question"],
                    expect=[expect] if isinstance(expect, str) else list(expect),
                    answerable=bool(data.get("answerable", True)),
                    history=data.get("history", []),
                    since=data.get("since"),
                    until=data.get("until"),
                    sources=data.get("sources"),
                    as_of=data.get("as_of") or data.get("asked_on"),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}, line {lineno}: {exc}") from None
    return cases


_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


def _norm(text: str) -> str:
    return text.translate(_QUOTES).casefold()


def contains(text: str, expected: str) -> bool:
    """Whether text holds the expected answer ("a|b": either one), as _norm normalises both."""
    return any(_norm(alt.strip()) in _norm(text) for alt in expected.split("|"))


def evaluate(assistant: Assistant, cases: list[Case]) -> Report:
    """Ask every case and score the answers."""
    results = []
    for case in cases:
        started = time.perf_counter()
        answer = assistant.ask(case.question, **case.options())
        latency = (time.perf_counter() - started) * 1000
        exact = 0
        for c in answer.citations:
            article = assistant.reader.article(c.article_id)
            exact += article.text[c.start : c.end] == c.quote
        shown = "\n".join([answer.text, *(c.quote for c in answer.citations)])
        first = answer.text.split("\n", 1)[0]
        direct = False
        if case.answerable:
            correct = answer.answered and all(contains(shown, e) for e in case.expect)
            direct = answer.answered and all(contains(first, e) for e in case.expect)
        else:
            correct = not answer.answered
        results.append(
            Result(
                case.question,
                case.expect,
                case.answerable,
                answer.answered,
                answer.text,
                correct,
                len(answer.citations),
                exact,
                direct,
                latency,
            )
        )
    return Report(results)
