"""Answering questions from the index: retrieval, evidence, citations, `ask()` and the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from index.lazy import lazy_exports

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

__getattr__ = lazy_exports("assistant", _EXPORTS)
