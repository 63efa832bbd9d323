"""The index's part of the settings: where the index lives and how articles become vectors."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Every part of the settings reads NEWSDESK_* variables; assistant.settings composes the parts
# into the one NewsdeskSettings object that is built once and passed down.
ENV = SettingsConfigDict(env_prefix="NEWSDESK_", extra="ignore")

# The encoders that can make an index's vectors (index/encoders.py).
EmbedBackend = Literal["torch", "onnx", "int8"]


class IndexSettings(BaseSettings):
    """Where the index lives and how it is built: paths, Chroma, chunking, embedding."""

    model_config = ENV

    index_dir: Path = Path("data/index")
    chroma_host: str | None = None
    chroma_port: int | None = None
    collection_prefix: str = "newsdesk"

    # Chunks are sized with tiktoken; the embedding window is 256 word pieces, and word pieces
    # run a little longer than cl100k tokens on names, so the chunker also checks the real count.
    chunk_tokens: int = Field(default=200, ge=32, le=250)
    embed_window: int = 256
    # How many of each article's first chunks get a vector and named entities (0: every
    # chunk). News puts its facts first: on news-dev the answer is in an answer article's
    # first chunk for 76% of the questions, and embedding only that chunk cut the chunks
    # encoded from 12.5 to 1 per article. Every chunk is still found by keywords (corpus-wide
    # and inside the articles whose head matched) and quoted. Applies to articles indexed
    # from then on; `newsdesk index --rebuild` applies it to all.
    head_chunks: int = Field(default=1, ge=0)
    # Whether the indexer tags the head's named entities (spaCy, ~7,000 words/s here). Off,
    # nothing is tagged at index time and questions tag the few sentences they need.
    tag_at_index: bool = True
    # Batches of 8 encode about 1.3x faster than 32 on a 2-core CPU (best-of-5 sweeps, see
    # bench/): big batches' activations fall out of cache, and encode() sorts by length,
    # so small batches also pad less. The torch encoder's: the ONNX ones run one text at a
    # time (index/onnx_encoder.py).
    embed_batch_size: int = Field(default=8, ge=1)
    # Which encoder makes the vectors: the torch model, its fp32 ONNX copy (the same vectors,
    # no torch once exported) or an int8 copy (faster, cosine ~0.99 to the others). It is
    # stored with the index and queries follow the index. Unset (None), a run follows the
    # stored one and a new index gets index.encoders.DEFAULT_BACKEND; set, an update of an
    # index made with another is refused. Read only through index.encoders.resolve_backend,
    # which knows the stored one.
    embed_backend: EmbedBackend | None = None
    max_article_bytes: int = 5 * 1024 * 1024

    # Feeds and web pages (index/fetch.py): one deadline for connecting and downloading, and a
    # cap on the bytes read, so one slow or huge page cannot hold up or swamp a run.
    fetch_timeout_s: float = Field(default=15.0, gt=0)
    fetch_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # Sites see who is asking; its first word is the agent robots.txt rules are matched against.
    fetch_user_agent: str = "newsdesk/0.1 (offline news question answering; obeys robots.txt)"

    # Derived model files (the ONNX copy queries use) are shared by every index on the machine.
    model_cache_dir: Path = Path.home() / ".cache" / "newsdesk"

    # Chroma's HNSW defaults (100/100) found 88% of the exact top-5 chunks at 10k bench
    # articles; these find 98%, for ~1.4 ms more a query and ~0.15 ms more per chunk written
    # (see bench/RESULTS.md). ef_construction applies to new builds (`--rebuild`).
    hnsw_ef_search: int = Field(default=400, ge=10)
    hnsw_ef_construction: int = Field(default=200, ge=10)

    @field_validator("embed_backend", mode="before")
    @classmethod
    def _blank_backend_is_unset(cls, value: object) -> object:
        """An empty NEWSDESK_EMBED_BACKEND means "not set": follow the index."""
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def uses_server(self) -> bool:
        """Whether the vectors live in a Chroma server rather than in the index dir."""
        return bool(self.chroma_host)
