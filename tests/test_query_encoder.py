"""The ONNX copy of the model that queries use gives the torch model's vectors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from assistant.settings import NewsdeskSettings
from index import shared_embedder
from index.onnx_encoder import OnnxEncoder
from index.onnx_model import export_onnx

TEXTS = [
    "Who visited Kursk and when?",
    "President Vladimir Putin, donning combat fatigues, visited Kursk on Wednesday.",
    "Kremlin spokesman Dmitry Peskov told reporters on Thursday that troops would take "
    "as long as necessary. " * 8,  # longer than the 256-word-piece window: truncated alike
]


def test_onnx_vectors_equal_the_torch_model() -> None:
    onnx = OnnxEncoder(NewsdeskSettings().model_cache_dir, "onnx").embed(TEXTS)
    torch = shared_embedder().embed(TEXTS)
    assert onnx.shape == torch.shape == (3, 384)
    cosines = (onnx * torch).sum(axis=1)
    assert np.all(cosines > 0.9999), cosines
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)


def test_query_path_does_not_import_torch() -> None:
    cache = NewsdeskSettings().model_cache_dir
    export_onnx(cache)
    code = (
        "import sys; from pathlib import Path; from index.onnx_encoder import OnnxEncoder;"
        f"OnnxEncoder(Path({str(cache)!r})).embed_query('hello');"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_the_tagger_preloads_only_where_queries_need_no_torch(tmp_path) -> None:
    from assistant import Assistant
    from index import query_model_ready
    from index.onnx_model import ensure_model

    def preload(settings: NewsdeskSettings) -> bool:
        """Whether Assistant.preload started the tagger in a child process that tags."""
        assistant = Assistant(settings)
        assistant.preload()
        child = assistant.reader._tagger
        if child is None:
            return False
        try:
            found = child.tag(["Vladimir Putin visited Kursk."])
            return child.running and found != [[]]
        finally:
            child.close()

    bare = NewsdeskSettings(index_dir=tmp_path / "index", model_cache_dir=tmp_path / "models")
    # No ONNX copy in this cache: a question would import torch to embed, so nothing loads
    # beside it.
    assert not query_model_ready(bare)
    assert not preload(bare)
    made = NewsdeskSettings(index_dir=tmp_path / "index")
    ensure_model(made.model_cache_dir, "int8")  # a new index's queries embed with int8
    assert query_model_ready(made)
    assert preload(made)
