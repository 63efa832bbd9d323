"""The chat's uploads: kept in the index dir's uploads/ folder, each under a name of its own,
checked for type and size before it is written, indexed on its own, removed on request.

An upload keeps its name with the first digits of its content's sha256 added
("story-1a2b3c4d.txt"): two different files called story.txt both stay, and the same file
uploaded twice is one file. A name that starts with a dot loses the dot, since indexing leaves
hidden files out. A new upload that gives no article is not kept. Only the files uploaded now
are indexed, so what an earlier upload skipped is not reported again.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ui.render import inert, words

if TYPE_CHECKING:
    from assistant import Assistant
    from assistant.settings import NewsdeskSettings

UPLOADS = "uploads"
# Enough digits that two different files of one name do not meet by chance.
DIGEST_CHARS = 8
# A dump (JSON Lines, a JSON list, a web archive) has no size limit of its own, only each
# record has; through the browser the chat takes one up to this, larger ones belong to
# `newsdesk index FILE`, which streams them from where they are.
MAX_DUMP_BYTES = 1024 * 2**20

ProgressFn = Callable[[int, int], None]


def size_text(size: int) -> str:
    """A byte count as people read it: "20.0 MB", or "812 bytes"."""
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{size:,} bytes"


def upload_limits(settings: NewsdeskSettings) -> dict[str, int]:
    """The largest upload of each file type (by suffix) the chat takes."""
    from index import size_limits

    return {s: MAX_DUMP_BYTES if n is None else n for s, n in size_limits(settings).items()}


def max_upload_bytes(settings: NewsdeskSettings) -> int:
    """The largest upload of any type: Gradio refuses larger ones before it writes them."""
    return max(upload_limits(settings).values())


class Uploads:
    """The uploads/ folder of one index dir, and indexing or removing what it holds."""

    def __init__(self, settings: NewsdeskSettings, assistant: Assistant) -> None:
        self.settings = settings
        self.folder = settings.index_dir / UPLOADS
        self.assistant = assistant
        # One upload or removal at a time from this server; the indexer also locks the index.
        self.lock = threading.Lock()
        self._limits: dict[str, int] | None = None

    def limits(self) -> dict[str, int]:
        """The largest upload of each file type, read once."""
        if self._limits is None:
            self._limits = upload_limits(self.settings)
        return self._limits

    def names(self) -> list[str]:
        """The files kept in uploads/ (those of older versions, with their own names, too)."""
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir() if p.is_file())

    def suffix(self, name: str) -> str | None:
        """The longest file type ending a name (".jsonl.gz" before ".gz"), or None."""
        lower = name.lower()
        found = [s for s in self.limits() if lower.endswith(s) and len(lower) > len(s)]
        return max(found, key=len) if found else None

    def refusal(self, src: Path) -> str | None:
        """Why an upload cannot be kept (its type, its size), or None when it can."""
        w = words()
        suffix = self.suffix(src.name)
        if suffix is None:
            return w["upload_unsupported"].format(suffix=src.suffix or src.name)
        size = src.stat().st_size
        limit = self.limits()[suffix]
        if size <= limit:
            return None
        key = "upload_dump_too_big" if limit == MAX_DUMP_BYTES else "upload_too_big"
        return w[key].format(size=size_text(size), limit=size_text(limit), suffix=suffix)

    def stored_name(self, name: str, digest: str) -> str:
        """The name an upload is kept under: its own, without leading dots, and a digest."""
        suffix = self.suffix(name) or ""
        stem = name[: len(name) - len(suffix)].lstrip(".") or "upload"
        return f"{stem}-{digest[:DIGEST_CHARS]}{suffix}"

    def store(self, src: Path) -> tuple[Path, bool]:
        """Copy an upload in under its stored name; whether the copy is new (else the same
        content was uploaded under this name before)."""
        with src.open("rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        path = self.folder / self.stored_name(src.name, digest)
        if path.is_file():
            return path, False
        self.folder.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed into place: a copy cut short never stands under the name
        # that says its content is whole.
        part = self.folder / f".{path.name}.{uuid.uuid4().hex[:8]}.part"
        try:
            with src.open("rb") as fin, part.open("wb") as fout:
                while block := fin.read(2**20):
                    fout.write(block)
            os.replace(part, path)
        finally:
            part.unlink(missing_ok=True)
        return path, True

    def add(self, files: list[Path], on_progress: ProgressFn | None = None) -> str:
        """Keep and index the uploads; the panel's report (Markdown) of what came of each."""
        w = words()
        notes: list[str] = []
        stored: list[Path] = []
        new: list[Path] = []
        # What the user called each stored file, which the report names it by.
        given: dict[str, str] = {}
        with self.lock:
            for src in files:
                reason = self.refusal(src)
                if reason:
                    notes.append(w["upload_refused"].format(name=inert(src.name), reason=reason))
                    continue
                path, created = self.store(src)
                stored.append(path)
                given[str(path)] = src.name
                if created:
                    new.append(path)
                if src.name.startswith("."):
                    notes.append(w["upload_renamed"].format(name=inert(src.name), stored=path.name))
            if not stored:
                return "\n\n".join(notes)
            try:
                report = self.assistant.add_articles(stored, on_progress=on_progress)
                counts = self.assistant.article_counts(new)
                empty = [p for p in new if not counts.get(p)]
                if empty:
                    # Nothing of theirs is indexed; forget the files too, so none lingers.
                    self.assistant.remove_articles(empty)
            except Exception as exc:  # a locked or unwritable index: say so, keep nothing new
                for path in new:
                    path.unlink(missing_ok=True)
                failed = w["index_failed"].format(error=inert(str(exc)))
                return "\n\n".join([failed, w["upload_not_kept"], *notes])
            for path in empty:
                path.unlink(missing_ok=True)
        lines = [w["index_done"].format(summary=inert(report.summary()))]
        lines += [
            w["index_skipped"].format(
                path=inert(self._given(p.path, given)), reason=inert(self._short(p.reason))
            )
            for p in report.problems
        ]
        lines += [w["upload_empty"].format(name=inert(given[str(p)])) for p in empty]
        return "\n\n".join(lines + notes)

    def remove(self, names: list[str] | None) -> str:
        """Take uploads' articles out of the index, then delete the files; the panel's report."""
        w = words()
        known = set(self.names())
        chosen = [n for n in dict.fromkeys(names or []) if n in known]
        if not chosen:
            return w["remove_none"]
        paths = [self.folder / name for name in chosen]
        shown = inert(", ".join(chosen))
        with self.lock:
            try:
                report = self.assistant.remove_articles(paths)
            except Exception as exc:  # a busy or unwritable index: nothing is deleted
                return w["remove_failed"].format(names=shown, error=inert(str(exc)))
            try:
                for path in paths:
                    path.unlink(missing_ok=True)
            except OSError as exc:
                return w["remove_undeleted"].format(articles=report.removed, error=inert(str(exc)))
        return w["removed"].format(names=shown, articles=report.removed)

    @staticmethod
    def _given(where: str, given: dict[str, str]) -> str:
        """A problem's place by the name the file was uploaded as ("story.jsonl (line 3)")."""
        for stored, name in given.items():
            if where == stored or where.startswith(f"{stored} "):
                return name + where[len(stored) :]
        return Path(where).name

    def _short(self, text: str) -> str:
        """A problem's text with this folder's path left out (it names the stored file)."""
        return text.replace(f"{self.folder.absolute()}{os.sep}", "")
