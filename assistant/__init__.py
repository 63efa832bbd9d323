"""Answering questions from the index: retrieval, evidence, citations, `ask()` and the CLI."""

from assistant.models import Answer, Citation, QuestionError, Related
from assistant.service import Assistant, ask

__all__ = ["Answer", "Assistant", "Citation", "QuestionError", "Related", "ask"]
