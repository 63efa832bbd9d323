"""The one settings object of newsdesk, read from NEWSDESK_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
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

    top_k: int = Field(default=8, ge=1, le=100)
    max_question_chars: int = 2000

    ui_user: str | None = None
    ui_password: str | None = None
    ui_concurrency: int = Field(default=4, ge=1)

    @property
    def uses_server(self) -> bool:
        """Whether the vectors live in a Chroma server rather than in the index dir."""
        return bool(self.chroma_host)
