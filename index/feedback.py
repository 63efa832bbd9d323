"""What chat users said about answers: one JSON object a line in the index dir.

The chat appends a record per 👍, 👎 or chosen sentence (ui/feedback.py); `newsdesk feedback
export` reads them back and turns them into a question set (assistant/feedback.py). The file
lives beside the builds, so a rebuild keeps it; nothing here reads its records' fields.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.layout import feedback_path

# One writer at a time within the process; flock below covers other processes (two chats on
# one index dir).
_lock = threading.Lock()


@dataclass
class FeedbackLog:
    """The records of a feedback file, oldest first, and how many lines could not be read."""

    path: Path
    records: list[dict[str, Any]] = field(default_factory=list)
    # Lines that are not a JSON object: a write cut short by a crash, a hand edit.
    unreadable: int = 0


def record_feedback(index_dir: Path, record: Mapping[str, Any]) -> Path:
    """Append one record as a line of JSON to the index dir's feedback file; return the file."""
    path = feedback_path(index_dir)
    line = json.dumps(dict(record), ensure_ascii=False, default=str) + "\n"
    index_dir.mkdir(parents=True, exist_ok=True)
    with _lock, open(path, "a", encoding="utf-8") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        # One write of the whole line, so a reader never sees half a record from a live writer.
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())
    return path


def read_feedback(index_dir: Path) -> FeedbackLog:
    """Every readable record of the index dir's feedback file (none when there is no file)."""
    log = FeedbackLog(feedback_path(index_dir))
    if not log.path.is_file():
        return log
    for line in log.path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:
            data = None
        if isinstance(data, dict):
            log.records.append(data)
        else:
            log.unreadable += 1
    return log
