"""The conversation as Markdown, with each answer's numbered sources: to copy or download."""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant import Answer
from ui.render import window_kind, words

FILE_NAME = "newsdesk-conversation.md"


def _quote(text: str, indent: str = "") -> str:
    """Text as a Markdown blockquote, every line of it."""
    return "\n".join(f"{indent}> {line}".rstrip() for line in text.splitlines() or [""])


def _where(source: str | None, published: str | None, inferred: bool, page: int | None) -> str:
    w = words()
    date = published or w["undated"]
    if published and inferred:
        date += f" {w['inferred']}"
    bits = [b for b in (source, date) if b]
    if page is not None:
        bits.append(w["page"].format(page=page))
    return ", ".join(bits)


def answer_markdown(answer: Answer, as_of: str | None = None) -> str:
    """One question and its answer, then its numbered sources (or related passages)."""
    w = words()
    lines = [f"## {answer.question}", ""]
    notes = [w["export_asked"].format(as_of=as_of)] if as_of else []
    window = answer.time_window
    if window:
        key = f"export_{window_kind(window)}"
        notes.append(w[key].format(**{"words": "?", "naming": "", **window}))
    if notes:
        lines += [f"*{' '.join(notes)}*", ""]
    lines += [answer.text.strip(), ""]
    if answer.citations:
        lines += [w["export_sources"], ""]
        for c in answer.citations:
            where = _where(c.source, c.published, c.date_inferred, c.page)
            link = f" <{c.url}>" if c.url else ""
            lines.append(f"{c.n}. **{c.title}** — {where}{link}")
            lines.append(_quote(f"“{c.quote}” (chars {c.start}-{c.end})", "   "))
        lines.append("")
    if not answer.answered and answer.related:
        lines += [w["export_related"], ""]
        for r in answer.related:
            lines.append(f"- **{r.title}** — {_where(r.source, r.published, False, None)}")
            lines.append(_quote(f"“{r.quote}”", "  "))
        lines.append("")
    return "\n".join(lines)


def conversation_markdown(entries: Sequence[dict[str, Any]], when: datetime | None = None) -> str:
    """The whole conversation: each entry is the chat's record of one answer (ui/app.py)."""
    w = words()
    stamp = (when or datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M %Z").strip()
    parts = [w["export_title"], "", w["export_exported"].format(when=stamp), ""]
    if not entries:
        parts += [w["export_empty"], ""]
    parts += [answer_markdown(e["answer"], e.get("as_of")) for e in entries]
    return "\n".join(parts).rstrip() + "\n"


class ExportFiles:
    """Where the downloadable copies go: one folder per process, one file per conversation."""

    def __init__(self) -> None:
        # Made on the first write: a ChatApp that only serves the API writes none.
        self.folder: Path | None = None

    def write(self, markdown: str, previous: str | None = None) -> str:
        """Write a conversation's Markdown to a fresh file; remove the copy it replaces."""
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="newsdesk-export-"))
        if previous and Path(previous).parent.parent == self.folder:
            # Gradio serves its own copy of the file it was given; ours is no longer needed.
            with contextlib.suppress(OSError):
                Path(previous).unlink(missing_ok=True)
                Path(previous).parent.rmdir()
        target = self.folder / uuid.uuid4().hex / FILE_NAME
        target.parent.mkdir()
        target.write_text(markdown, encoding="utf-8")
        return str(target)
