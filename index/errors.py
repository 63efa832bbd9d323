"""The errors the index raises where it cannot serve: no index, busy, or unreadable/unwritable."""

from __future__ import annotations


class IndexMissingError(RuntimeError):
    """There is no index yet in the index dir."""


class IndexBusyError(RuntimeError):
    """Another indexer holds the index dir."""


class StoreError(RuntimeError):
    """The index store cannot be read or written (disk full, read-only, server down)."""
