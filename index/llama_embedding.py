"""The newsdesk embedder as a llama-index embedding model, for llama-index retrievers."""

from __future__ import annotations

from typing import Any

from llama_index.core.embeddings import BaseEmbedding
from pydantic import PrivateAttr

from index.embedding import MODEL_NAME, TextEncoder


class MiniLMEmbedding(BaseEmbedding):
    """Wraps Embedder: llama-index's HuggingFace integration would load the model a second time
    and cannot check the weights' sha256."""

    _embedder: TextEncoder = PrivateAttr()

    def __init__(self, embedder: TextEncoder, **kwargs: Any) -> None:
        super().__init__(model_name=MODEL_NAME, embed_batch_size=embedder.batch_size, **kwargs)
        self._embedder = embedder

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embedder.embed_query(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embedder.embed_query(text)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed(texts).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)
