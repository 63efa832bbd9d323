"""Encoding with an ONNX copy of the model (fp32 or int8): many chunks while indexing, or one
query; onnxruntime and the model's own tokenizer, no torch."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.embedding import DIMENSIONS, model_dir
from index.onnx_model import MAX_TOKENS, ensure_model

if TYPE_CHECKING:
    import numpy as np


class OnnxEncoder:
    """Unit vectors from the exported model. Texts are sorted by length across the whole call
    and cut into batches (one text each by default), so a batch pads only to its own longest
    text; the batches run side by side on `workers` threads."""

    def __init__(
        self,
        cache_dir: Path,
        variant: str = "onnx",
        batch_size: int = 1,
        threads: int = 1,
        workers: int | None = None,
    ) -> None:
        self.cache_dir = cache_dir
        self.variant = variant
        # int8 never batches: its activations are quantized with one scale per run, so a text
        # batched with others gets another vector (cosine 0.994 to itself alone, 0.989 at
        # worst); alone, a chunk gets exactly the vector its text gets as a query.
        self.batch_size = 1 if variant == "int8" else batch_size
        # One text per run, single-threaded runs side by side (one per core) encoded the most
        # chunks per second and per CPU second on 2 cores, fp32 and int8 alike: no padding,
        # no thread pool to wait on (bench/RESULTS.md, "ONNX encoders"). A lone query is
        # quicker on two threads (fp32: 3.3 ms against 6.4 on one), so queries ask for them.
        self.threads = threads
        # Runs side by side: as many as the cores hold at `threads` each.
        self.workers = workers or max(1, len(os.sched_getaffinity(0)) // threads)
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = ensure_model(self.cache_dir, self.variant)
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.log_severity_level = 3
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        # The torch model's max_seq_length: longer texts are cut at the same word piece.
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()
        self._session, self._tokenizer = session, tokenizer

    def _ready(self) -> None:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._load()

    def _run(self, feed: dict[str, np.ndarray]) -> np.ndarray:
        return self._session.run(None, feed)[0]

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Unit vectors for texts, in the order given."""
        import numpy as np

        self._ready()
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        ids = [e.ids for e in self._tokenizer.encode_batch(texts)]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        if self.workers > 1 and len(batches) > 1:
            with ThreadPoolExecutor(self.workers) as pool:
                done = list(pool.map(lambda b: self._encode(ids, b), batches))
        else:
            done = [self._encode(ids, b) for b in batches]
        for batch, vectors in zip(batches, done, strict=True):
            out[batch] = vectors
        return out

    def _encode(self, ids: list[list[int]], batch: list[int]) -> np.ndarray:
        import numpy as np

        width = max(len(ids[i]) for i in batch)
        tokens = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, i in enumerate(batch):
            tokens[row, : len(ids[i])] = ids[i]
            mask[row, : len(ids[i])] = 1
        feed = {
            "input_ids": tokens,
            "attention_mask": mask,
            "token_type_ids": np.zeros_like(tokens),
        }
        return self._run(feed)

    def embed_query(self, text: str) -> list[float]:
        """Embed one query."""
        return self.embed([text])[0].tolist()
