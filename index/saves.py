"""The per-revision saves in a build folder (the BM25 index, the chunk table): which of them a
new save supersedes."""

from __future__ import annotations

import re
import shutil
import time
import uuid
from pathlib import Path

# A save is named for its revision: "r12" (a folder) or "r12.npz".
_SAVE = re.compile(r"r(\d+)(?:\.\w+)?")
_TMP = ".tmp-"
# A save being written is seconds old; a temporary this old was left by a killed process.
STALE_TMP_SECONDS = 3600.0


def tmp_path(folder: Path, suffix: str = "") -> Path:
    """A fresh name in the folder to write a save under before it is renamed into place."""
    return folder / f"{_TMP}{uuid.uuid4().hex}{suffix}"


def drop_superseded(folder: Path, revision: int) -> None:
    """Remove what the save of this revision supersedes: older revisions' saves, the leftovers
    of killed saves, and anything else that is not a save.

    A newer revision's save stays: a reader still on this revision can finish its save after
    the indexer saved the next one, and removing that would cost the next process a rebuild.
    So does a temporary another process is writing now.
    """
    now = time.time()
    for other in folder.iterdir():
        if m := _SAVE.fullmatch(other.name):
            if int(m[1]) >= revision:
                continue
        elif other.name.startswith(_TMP):
            try:
                if now - other.stat().st_mtime < STALE_TMP_SECONDS:
                    continue
            except OSError:
                continue  # gone meanwhile: its writer renamed or removed it
        # A reader still mapping an older save keeps its open files (POSIX), so this is safe.
        if other.is_dir():
            shutil.rmtree(other, ignore_errors=True)
        else:
            other.unlink(missing_ok=True)
