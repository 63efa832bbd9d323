"""The `ask` and `eval` subcommands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def add_ask_commands(sub: Any, settings_of: Callable, iso_date: Callable) -> None:
    """Register `ask` and `eval` (filled in by the answering layer)."""
