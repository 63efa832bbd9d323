"""The errors the index raises where it cannot serve: no index, busy, or unreadable/unwritable."""

from __future__ import annotations


class IndexMissingError(RuntimeError):
    """There is no index yet in the index dir."""


class IndexBusyError(RuntimeError):
    """Another indexer holds the index dir."""


class StoreError(RuntimeError):
    """The index store cannot be read or written (disk full, read-only, server down)."""


class IndexDamagedError(StoreError):
    """Part of the live index is missing or damaged; the message says what, and how to fix it."""

    def __init__(self, what: str, fix: str) -> None:
        super().__init__(f"{what}. To fix it: {fix}")
        self.what = what
        self.fix = fix


# The commands that repair each kind of damage, as the messages give them.
FIX_REINDEX = "run `newsdesk index` (it re-embeds or rebuilds only what is missing)"
FIX_REBUILD = (
    "run `newsdesk index --rebuild PATH...` with your article files or folders "
    "(the live index stays until the new one is complete)"
)
