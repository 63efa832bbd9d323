"""👍/👎 on answers and "this is the sentence that answers it", kept in the index dir.

Each answer the chat shows has an entry in the page's log (ui/app.py): its id, its place in
the chat, the Answer and what came with the question. A verdict or a chosen sentence is written
as one record holding all of that (index/feedback.py), so `newsdesk feedback export`
(assistant/feedback.py) can ask the question again exactly as it was asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant import Answer, Citation, Related
from index import record_feedback
from ui.render import inert, words

# A chosen sentence is quoted back in the notice up to this length.
NOTICE_QUOTE_CHARS = 120


def _citation(c: Citation) -> dict[str, Any]:
    """A citation without its paragraph of context (the quote and offsets say where it is)."""
    data = c.to_dict()
    data.pop("context", None)
    data.pop("context_start", None)
    return data


def _sentence(kind: str, item: Citation | Related) -> dict[str, Any]:
    """The chosen sentence: which article, where in it, its words."""
    return {
        "from": kind,
        "article_id": item.article_id,
        "title": item.title,
        "published": item.published,
        "quote": item.quote,
        "start": item.start,
        "end": item.end,
    }


def feedback_record(
    entry: dict[str, Any],
    kind: str,
    verdict: str | None = None,
    chosen: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One line of the feedback file: the question as asked, the answer, and what was said."""
    answer: Answer = entry["answer"]
    return {
        "kind": kind,
        "time": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "answer_id": entry["id"],
        "question": answer.question,
        "standalone": answer.standalone_question,
        "history": entry.get("history") or [],
        "as_of": entry.get("as_of"),
        "since": entry.get("since"),
        "until": entry.get("until"),
        "sources": entry.get("sources") or [],
        "ignore_time_words": bool(entry.get("ignore_time_words")),
        "answer": answer.text,
        "answered": answer.answered,
        "citations": [_citation(c) for c in answer.citations],
        "verdict": verdict,
        "chosen": chosen,
    }


class Feedback:
    """Writes the chat's feedback into one index dir's feedback file."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir

    def _save(self, record: dict[str, Any], notice: str) -> str:
        try:
            record_feedback(self.index_dir, record)
        except OSError as exc:  # a read-only or full disk: say so, the chat goes on
            return words()["feedback_failed"].format(error=inert(str(exc)))
        return notice

    def rate(self, log: Sequence[dict[str, Any]], index: Any, liked: Any) -> str:
        """Record 👍 (liked True) or 👎 (False) on the answer at chat position `index`."""
        w = words()
        position = index[0] if isinstance(index, list | tuple) else index
        entry = next((e for e in log if e["index"] == position), None)
        if entry is None:
            return w["feedback_gone"]
        verdict = {True: "up", False: "down"}.get(liked)
        notice = {"up": w["feedback_up"], "down": w["feedback_down"]}.get(
            verdict or "", w["feedback_undone"]
        )
        return self._save(feedback_record(entry, "verdict", verdict=verdict), notice)

    def choose(self, log: Sequence[dict[str, Any]], answer_id: str, kind: str, i: Any) -> str:
        """Record that a cited or related sentence of an answer is the one that answers it."""
        w = words()
        entry = next((e for e in log if e["id"] == answer_id), None)
        if entry is None:
            return w["feedback_gone"]
        answer: Answer = entry["answer"]
        items: Sequence[Citation | Related] = answer.citations if kind == "cite" else answer.related
        try:
            item = items[int(i)]
        except (ValueError, TypeError, IndexError):
            return w["feedback_gone"]
        quote = item.quote
        if len(quote) > NOTICE_QUOTE_CHARS:
            quote = quote[: NOTICE_QUOTE_CHARS - 1] + "…"
        notice = w["feedback_chosen"].format(quote=inert(quote), question=inert(answer.question))
        return self._save(feedback_record(entry, "sentence", chosen=_sentence(kind, item)), notice)
