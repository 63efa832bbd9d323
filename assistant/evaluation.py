"""Scoring the assistant on a question set: accuracy, citation precision, decline rate."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.service import Assistant


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

    def summary(self) -> str:
        """One line of figures."""
        return (
            f"{len(self.results)} questions · accuracy {self.accuracy:.0%} · citation precision "
            f"{self.citation_precision:.0%} · decline rate {self.decline_rate:.0%}"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form."""
        return {
            "accuracy": self.accuracy,
            "citation_precision": self.citation_precision,
            "decline_rate": self.decline_rate,
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
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}, line {lineno}: {exc}") from None
    return cases


def _contains(text: str, expected: str) -> bool:
    return any(alt.strip().casefold() in text.casefold() for alt in expected.split("|"))


def evaluate(assistant: Assistant, cases: list[Case]) -> Report:
    """Ask every case and score the answers."""
    results = []
    for case in cases:
        answer = assistant.ask(
            case.question,
            history=case.history,
            since=case.since,
            until=case.until,
            sources=case.sources,
        )
        exact = 0
        for c in answer.citations:
            article = assistant.view.article(c.article_id)
            exact += article.text[c.start : c.end] == c.quote
        if case.answerable:
            correct = answer.answered and all(_contains(answer.text, e) for e in case.expect)
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
            )
        )
    return Report(results)
