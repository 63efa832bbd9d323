"""The bench's embedding cache: one file per encoder, misses go to the wrapped encoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench import common
from bench.common import CachingEmbedder, raw_encoder


class Counting:
    """A stand-in encoder that records the texts it was asked to embed."""

    batch_size = 1

    def __init__(self, value: float) -> None:
        self.value = value
        self.calls: list[list[str]] = []

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        self.calls.append(list(texts))
        return np.full((len(texts), 384), self.value, dtype=np.float32)

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()


def test_each_backend_keeps_its_own_file_and_misses_reach_the_wrapped_encoder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "CACHE", tmp_path)
    int8, torch = Counting(1.0), Counting(2.0)
    ours, theirs = CachingEmbedder(int8, "int8"), CachingEmbedder(torch, "torch")
    assert ours.path.name.endswith("-int8.npz") and theirs.path.name.endswith("-torch.npz")
    assert raw_encoder(ours) is int8 and raw_encoder(int8) is int8
    assert ours.embed(["a", "b", "a"])[:, 0].tolist() == [1.0, 1.0, 1.0]
    assert [sorted(c) for c in int8.calls] == [["a", "b"]] and (ours.hits, ours.misses) == (1, 2)
    theirs.embed(["a"])
    ours.save()
    theirs.save()
    # Read back: the int8 file answers without its encoder, and never with torch's vectors.
    again = CachingEmbedder(Counting(9.0), "int8")
    assert again.embed(["b", "a"])[:, 0].tolist() == [1.0, 1.0]
    assert (again.hits, again.misses) == (2, 0)
    assert CachingEmbedder(Counting(9.0), "torch").embed(["a"])[0, 0] == 2.0
