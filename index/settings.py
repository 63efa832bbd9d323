"""The one settings object of newsdesk, read from NEWSDESK_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class NewsdeskSettings(BaseSettings):
    """Every knob of newsdesk; built once and passed down, never read from globals."""

    model_config = SettingsConfigDict(env_prefix="NEWSDESK_", extra="ignore")

    index_dir: Path = Path("data/index")
    chroma_host: str | None = None
    chroma_port: int | None = None
    collection_prefix: str = "newsdesk"

    # Chunks are sized with tiktoken; the embedding window is 256 word pieces, and word pieces
    # run a little longer than cl100k tokens on names, so the chunker also checks the real count.
    chunk_tokens: int = Field(default=200, ge=32, le=250)
    embed_window: int = 256
    # Batches of 8 encode about 1.3x faster than 32 on a 2-core CPU (best-of-5 sweeps, see
    # bench/run.py): big batches' activations fall out of cache, and encode() sorts by length,
    # so small batches also pad less.
    embed_batch_size: int = Field(default=8, ge=1)
    max_article_bytes: int = 5 * 1024 * 1024

    # Derived model files (the ONNX copy queries use) are shared by every index on the machine.
    model_cache_dir: Path = Path.home() / ".cache" / "newsdesk"

    # Chroma's HNSW defaults (100/100) found 88% of the exact top-5 chunks at 10k bench
    # articles; these find 98%, for ~1.4 ms more a query and ~0.15 ms more per chunk written
    # (see bench/RESULTS.md). ef_construction applies to new builds (`--rebuild`).
    hnsw_ef_search: int = Field(default=400, ge=10)
    hnsw_ef_construction: int = Field(default=200, ge=10)

    top_k: int = Field(default=8, ge=1, le=100)
    max_question_chars: int = 2000

    # Optional generative answers (assistant/generative/). The first backend set wins:
    # an OpenAI-compatible endpoint, then Ollama, then a local GGUF file; none = extractive only.
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
    verify_min_similarity: float = Field(default=0.4, ge=0.0, le=1.0)
    verify_min_overlap: float = Field(default=0.8, ge=0.0, le=1.0)

    ui_user: str | None = None
    ui_password: str | None = None
    ui_concurrency: int = Field(default=4, ge=1)

    @field_validator(
        "llm_base_url", "llm_model", "llm_api_key", "ollama_url", "llm_gguf", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """An empty NEWSDESK_LLM_* variable means "not configured", not the path "."."""
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def llm_backend(self) -> str | None:
        """Which generative backend is configured ("openai-like", "ollama", "llama-cpp") or None."""
        if self.llm_base_url:
            return "openai-like"
        if self.ollama_url:
            return "ollama"
        if self.llm_gguf:
            return "llama-cpp"
        return None

    @property
    def uses_server(self) -> bool:
        """Whether the vectors live in a Chroma server rather than in the index dir."""
        return bool(self.chroma_host)
