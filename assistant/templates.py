"""Loading the wording users see from prompts/ (files, not code)."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any


@lru_cache(maxsize=8)
def load(name: str = "extractive.toml") -> dict[str, Any]:
    """Parse a TOML template file of the prompts package."""
    import prompts

    return tomllib.loads((Path(prompts.__file__).parent / name).read_text(encoding="utf-8"))


def render(section: str, key: str, **values: Any) -> str:
    """Fill one template of prompts/extractive.toml."""
    return load()[section][key].format(**values)
