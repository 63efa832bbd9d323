"""The sentence ranker: a logistic model over evidence features, learned from real news questions.

Weights live in assistant/data/sentence_ranker.json, fitted by bench/learn_ranker.py on the
tuning part of ../shared/eval/news-dev (the questions asked in January and February 2023): a
sentence is a positive when it contains the quiz's answer. The same file holds the decline
threshold, chosen there to tell answerable from unanswerable questions.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.evidence import Evidence

MODEL_FILE = Path(__file__).with_name("data") / "sentence_ranker.json"
# A sentence-level MiniLM similarity was tried: +4 points of hit@3 on the tuning part, but
# embedding ~75 sentences a question took ~0.6 s on this CPU; the chunk's similarity stands in.
FEATURES = (
    "coverage",
    "context_coverage",
    "action_coverage",
    "rare_coverage",
    "rarest_missing",
    "entity_missing",
    "chunk_score",
    "chunk_dense",
    "in_article",
    "chunk_rank",
    "position",
    "type_match",
    "caption",
    "short",
    "length",
    "recent",
    "newer",
    "fresh",
)


@dataclass(frozen=True)
class RankerModel:
    """Weights over FEATURES (on standardised values), bias, and the decline threshold."""

    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    decline_below: float
    # A typed answer leads only when it holds this share of the votes.
    lead_share: float = 0.5

    def probability(self, features: dict[str, float]) -> float:
        """P(the sentence holds the answer)."""
        z = self.bias
        for name, w, m, s in zip(FEATURES, self.weights, self.mean, self.scale, strict=True):
            z += w * (features.get(name, 0.0) - m) / s
        return 1.0 / (1.0 + math.exp(-z))


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_FILE) -> RankerModel:
    """The learned ranker."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURES:
        raise ValueError(f"{path} was fitted on other features; run bench/learn_ranker.py")
    return RankerModel(
        weights=tuple(data["weights"]),
        bias=data["bias"],
        mean=tuple(data["mean"]),
        scale=tuple(data["scale"]),
        decline_below=data["decline_below"],
        lead_share=data.get("lead_share", 0.5),
    )


def rank(evidence: list[Evidence], model: RankerModel | None = None) -> list[Evidence]:
    """Score every sentence and sort best first."""
    model = model or load_model()
    for ev in evidence:
        ev.score = model.probability(ev.features)
    return sorted(evidence, key=lambda e: e.score, reverse=True)
