"""A llama-index embedding model over a newsdesk encoder, for the canonical pipeline baseline."""

from __future__ import annotations

from typing import Any

from llama_index.core.embeddings import BaseEmbedding
from pydantic import PrivateAttr

from index import MODEL_NAME, TextEncoder


class BenchMiniLM(BaseEmbedding):
    """The same MiniLM weights, loaded by path through newsdesk (the bench gives it the torch
    model, as llama-index's HuggingFace integration would run it); that integration is not
    installed, and a second copy of the model would skew timings."""

    _embedder: TextEncoder = PrivateAttr()

    def __init__(self, embedder: TextEncoder, **kwargs: Any) -> None:
        super().__init__(model_name=MODEL_NAME, embed_batch_size=embedder.batch_size, **kwargs)
        self._embedder = embedder

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embedder.embed_query(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embedder.embed_query(text)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed(texts).tolist()
