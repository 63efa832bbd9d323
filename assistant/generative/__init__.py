"""Optional generative answers: an LLM writes the answer, every sentence is checked against its
cited source, and the extractive answer stays the fallback (issue 7)."""

from assistant.generative.answer import GenerativeAnswerer, Generator
from assistant.generative.backends import BackendError, LLMBackend, backend_label, build_llm

__all__ = [
    "BackendError",
    "GenerativeAnswerer",
    "Generator",
    "LLMBackend",
    "backend_label",
    "build_llm",
]
