"""Answering questions from the index: retrieval, evidence, citations, `ask()` and the CLI."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Imported on first use (PEP 562): `newsdesk index` and the other commands that answer
# nothing start ~0.4 s sooner without the answering stack.
_EXPORTS = {
    "Answer": "assistant.models",
    "Citation": "assistant.models",
    "QuestionError": "assistant.models",
    "Related": "assistant.models",
    "Assistant": "assistant.service",
    "ask": "assistant.service",
}

__all__ = ["Answer", "Assistant", "Citation", "QuestionError", "Related", "ask"]

if TYPE_CHECKING:
    from assistant.models import Answer, Citation, QuestionError, Related
    from assistant.service import Assistant, ask


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'assistant' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
