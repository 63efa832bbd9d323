"""An ONNX copy of the embedding model, so queries embed without importing torch.

Importing sentence-transformers (torch, transformers) takes ~5 s here, most of a cold
`newsdesk ask`; onnxruntime and tokenizers load in ~0.3 s and give the same vectors (cosine
1.0 to the torch model, fp32). The copy is exported from the sha256-checked weights at index
time and named after their hash.
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from index.embedding import MODEL_SHA256, model_dir, verify_model

if TYPE_CHECKING:
    import numpy as np

MAX_TOKENS = 256


def onnx_path(cache_dir: Path) -> Path:
    """Where the ONNX copy of the model lives (named after the weights' hash)."""
    return cache_dir / f"minilm-{MODEL_SHA256[:16]}.onnx"


def export_onnx(cache_dir: Path) -> Path:
    """Export the model (mean pooling and normalisation included) to ONNX, once per machine."""
    dest = onnx_path(cache_dir)
    if dest.is_file():
        return dest
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    path = model_dir()
    verify_model(path)
    model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()

    class Pooled(torch.nn.Module):
        """The sentence-transformers pipeline of this model: mean pooling, then L2 norm."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, ids, mask, types):
            hidden = self.model(input_ids=ids, attention_mask=mask, token_type_ids=types)
            hidden = hidden.last_hidden_state
            summed = (hidden * mask.unsqueeze(-1)).sum(1)
            mean = summed / mask.sum(1, keepdim=True).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(f".{uuid.uuid4().hex}.tmp")
    ids = torch.ones((2, 8), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pooled(),
            (ids, ids, torch.zeros_like(ids)),
            str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "embedding": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
    os.replace(tmp, dest)  # readers never see a half-written model
    return dest


class OnnxQueryEncoder:
    """Embeds queries with onnxruntime and the model's own tokenizer; no torch."""

    def __init__(self, path: Path, threads: int = 2) -> None:
        self.path = path
        self.threads = threads
        self.batch_size = 1
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.log_severity_level = 3
        session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.enable_padding()
        self._session, self._tokenizer = session, tokenizer

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Unit vectors for texts (the same vectors the torch model gives)."""
        import numpy as np

        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._load()
        assert self._tokenizer is not None and self._session is not None
        encs = self._tokenizer.encode_batch(texts)
        feed = {
            "input_ids": np.array([e.ids for e in encs], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encs], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encs], dtype=np.int64),
        }
        return self._session.run(None, feed)[0]

    def embed_query(self, text: str) -> list[float]:
        """Embed one query."""
        return self.embed([text])[0].tolist()
