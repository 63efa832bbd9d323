"""The wording users and models read, kept in files: the one loader for all of it.

TOML files hold tables of short templates (extractive.toml: answers and errors; generative.toml:
LLM notes and prompt pieces; ui.toml: the chat page); .txt files hold whole prompts.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


@lru_cache(maxsize=16)
def table(name: str) -> dict[str, Any]:
    """A parsed TOML file of prompts/ ("extractive.toml", "ui.toml" ...)."""
    return tomllib.loads((HERE / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=16)
def text(name: str) -> str:
    """The text of a prompt file of prompts/ ("grounded_qa.txt" ...)."""
    return (HERE / name).read_text(encoding="utf-8")


def render(section: str, key: str, file: str = "extractive.toml", **values: Any) -> str:
    """Fill one template: [section] key of a TOML file (default extractive.toml)."""
    return table(file)[section][key].format(**values)
