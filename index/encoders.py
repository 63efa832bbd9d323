"""The query encoder: the ONNX copy of the model that indexing exports, else the torch model."""

from __future__ import annotations

from index.embedding import TextEncoder, shared_embedder
from index.onnx_model import OnnxQueryEncoder, onnx_path
from index.settings import IndexSettings


def query_encoder(settings: IndexSettings) -> TextEncoder:
    """The ONNX copy of the model the indexer exported (no torch import), else the torch model."""
    path = onnx_path(settings.model_cache_dir)
    if path.is_file():
        return OnnxQueryEncoder(path)
    return shared_embedder(settings.embed_batch_size)
