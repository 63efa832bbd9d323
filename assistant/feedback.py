"""The chat's feedback as a question set: `newsdesk feedback export` writes what `newsdesk eval` runs.

A record (written by ui/feedback.py into the index dir) holds the question as asked, what came
with it (history, filters, the day it was read against), the answer and its citations, and a
verdict ("up", "down") or a chosen sentence ("this is the sentence that answers it"). Records of
one answer are folded together (the latest verdict and the latest chosen sentence count), and
of several answers to the same question asked the same way the latest counts. Then:

- a chosen sentence: the case expects that sentence, verbatim, in the answer or its quotes
  (the answer must rest on it), whatever the verdict;
- 👍 on an answer: it expects the answer's short answer, the bold phrases of its first line,
  or, where that line has none (a brief), the first cited sentence;
- 👍 on a decline: the case is unanswerable, the articles do not say;
- 👎 with no chosen sentence: skipped and counted, as it says what is wrong but not what is
  right; so is an answer asked again without its time words (a question set cannot say that)
  and a verdict taken back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from prompts import render

_BOLD = re.compile(r"\*\*(.+?)\*\*")
# Skip reasons, in the order the summary names them.
SKIPPED = ("down", "time_words", "no_verdict", "no_short_answer")


@dataclass
class FeedbackExport:
    """The question set made from feedback, and how many answers were left out and why."""

    cases: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def jsonl(self) -> str:
        """The cases as JSON lines, the format `newsdesk eval` reads."""
        return "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in self.cases)

    def summary(self, unreadable: int = 0) -> str:
        """One line per count: cases written by kind, then answers skipped by reason."""
        kinds = {k: sum(c["from_feedback"] == k for c in self.cases) for k in ("sentence", "up")}
        declines = sum(c["from_feedback"] == "decline" for c in self.cases)
        lines = [
            render(
                "export",
                "written",
                "feedback.toml",
                cases=len(self.cases),
                sentence=kinds["sentence"],
                up=kinds["up"],
                decline=declines,
            )
        ]
        lines += [
            render("export", f"skipped_{reason}", "feedback.toml", count=self.skipped[reason])
            for reason in SKIPPED
            if self.skipped.get(reason)
        ]
        if unreadable:
            lines.append(render("export", "unreadable", "feedback.toml", count=unreadable))
        return "\n".join(lines)


def _literal(text: str) -> str:
    """Text as an `expect` entry: `newsdesk eval` reads "a|b" as either, so no bar may stay."""
    return max(text.split("|"), key=len).strip()


def short_answer(answer: str, quotes: list[str]) -> list[str]:
    """What a 👍 answer's case expects: its lead's bold phrases, else its first quote."""
    lead = next((line.strip() for line in answer.splitlines() if line.strip()), "")
    bold = [] if lead.startswith("- ") else [_literal(b) for b in _BOLD.findall(lead)]
    bold = [b for b in bold if b]
    if bold:
        return bold
    return [_literal(quotes[0])] if quotes and _literal(quotes[0]) else []


def _answers(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per answer: its last record, with the latest verdict and chosen sentence."""
    folded: dict[str, dict[str, Any]] = {}
    for r in records:
        key = str(r.get("answer_id") or (r.get("question"), r.get("as_of"), r.get("answer")))
        entry = folded.setdefault(key, {"verdict": None, "chosen": None})
        keep = {k: entry[k] for k in ("verdict", "chosen")}
        entry.update(r)
        if r.get("kind") == "sentence":
            keep["chosen"] = r.get("chosen") or keep["chosen"]
        else:
            keep["verdict"] = r.get("verdict")
        entry.update(keep)
    return list(folded.values())


def _asked(entry: dict[str, Any]) -> dict[str, Any]:
    """The question and what came with it, as `newsdesk eval` takes them."""
    case: dict[str, Any] = {"question": entry["question"]}
    for key in ("history", "since", "until", "sources"):
        if entry.get(key):
            case[key] = entry[key]
    case["as_of"] = entry.get("as_of")
    return case


def feedback_cases(records: Iterable[dict[str, Any]]) -> FeedbackExport:
    """Turn feedback records into eval cases (rules in this module's docstring)."""
    out = FeedbackExport()
    latest: dict[str, dict[str, Any]] = {}

    def skip(reason: str) -> None:
        out.skipped[reason] = out.skipped.get(reason, 0) + 1

    for entry in _answers(records):
        if not entry.get("question"):
            continue
        chosen, verdict = entry.get("chosen"), entry.get("verdict")
        case = _asked(entry)
        # The same question asked the same way twice: the later answer's feedback stands.
        key = json.dumps(case, sort_keys=True)
        latest.pop(key, None)
        if entry.get("ignore_time_words"):
            skip("time_words")
            continue
        if chosen and _literal(str(chosen.get("quote", ""))):
            case.update(expect=[_literal(chosen["quote"])], answerable=True)
            case["from_feedback"] = "sentence"
        elif verdict == "up" and entry.get("answered"):
            quotes = [c.get("quote", "") for c in entry.get("citations") or []]
            expect = short_answer(entry.get("answer", ""), quotes)
            if not expect:
                skip("no_short_answer")
                continue
            case.update(expect=expect, answerable=True, from_feedback="up")
        elif verdict == "up":
            case.update(expect=[], answerable=False, from_feedback="decline")
        else:
            skip("down" if verdict == "down" else "no_verdict")
            continue
        latest[key] = case
    out.cases = list(latest.values())
    return out
