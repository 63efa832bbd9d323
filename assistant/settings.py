"""The answering and LLM parts of the settings, and NewsdeskSettings, which composes them."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from index.settings import ENV, IndexSettings

# Which backend each LLM setting implies when NEWSDESK_LLM_BACKEND is not set, in order: the
# first one set wins.
IMPLIED_BACKENDS = (
    ("llm_base_url", "openai-like"),
    ("ollama_url", "ollama"),
    ("llm_gguf", "llama-cpp"),
)


class AnswerSettings(BaseSettings):
    """How questions are answered: how much is retrieved, which answerer and reranker."""

    model_config = ENV

    top_k: int = Field(default=8, ge=1, le=100)
    max_question_chars: int = 2000
    # The answerer by its registered name (entry point group newsdesk.answerers); "auto" is the
    # generative one when an LLM is configured, else the extractive one.
    answerer: str = "auto"
    # An optional reranking step by its registered name (newsdesk.rerankers); none by default:
    # no cross-encoder weights are packaged for offline use.
    reranker: str | None = None


class LLMSettings(BaseSettings):
    """The optional LLM that writes generative answers, and how its sentences are verified."""

    model_config = ENV

    # The backend by its registered name (newsdesk.llm_backends); unset, it is implied by which
    # of the settings below is set: an OpenAI-compatible endpoint, then Ollama, then a GGUF.
    llm_backend: str | None = None
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    ollama_url: str | None = None
    llm_gguf: Path | None = None
    # A hard deadline for the whole generation: past it the extractive answer is shown.
    llm_timeout_s: float = Field(default=30.0, gt=0)
    # The model's window; the prompt is cut (lowest-ranked sources first) to fit with the reply.
    llm_context_window: int = Field(default=2048, ge=512)
    llm_max_tokens: int = Field(default=256, ge=16)
    llm_temperature: float = Field(default=0.1, ge=0.0, le=2.0)
    # How many ranked evidence sentences are offered to the model as numbered sources.
    llm_max_sources: int = Field(default=8, ge=1, le=50)
    # Citation verification: a sentence stays only if its cited source agrees with it both in
    # meaning and in words (calibrated in assistant/generative/verify.py).
    verify_min_similarity: float = Field(default=0.35, ge=0.0, le=1.0)
    verify_min_overlap: float = Field(default=0.8, ge=0.0, le=1.0)

    @field_validator(
        "llm_backend",
        "llm_base_url",
        "llm_model",
        "llm_api_key",
        "ollama_url",
        "llm_gguf",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """An empty NEWSDESK_LLM_* variable means "not configured", not the path "."."""
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def llm_backend_name(self) -> str | None:
        """The LLM backend in use: the one named, else the one the settings imply, else None."""
        if self.llm_backend:
            return self.llm_backend
        return next((name for field, name in IMPLIED_BACKENDS if getattr(self, field)), None)


class NewsdeskSettings(IndexSettings, AnswerSettings, LLMSettings):
    """Every knob of the index and the assistant; built once and passed down, never global."""

    model_config = ENV
