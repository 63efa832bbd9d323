"""The sentence ranker: a logistic model over evidence features, learned from real news questions.

Weights live in assistant/data/sentence_ranker.json, fitted by bench/learn_ranker.py on the
tuning part of ../shared/eval/news-dev (the questions asked in January and February 2023): a
sentence is a positive when it contains the quiz's answer. The same file holds the decline
threshold, chosen there to tell answerable from unanswerable questions; small_archives.json
beside it (bench/learn_small_archives.py) says how much higher it stands in small archives.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.evidence import Evidence

MODEL_FILE = Path(__file__).with_name("data") / "sentence_ranker.json"
# How much higher the decline threshold stands in small archives (bench/learn_small_archives.py).
SMALL_ARCHIVES_FILE = Path(__file__).with_name("data") / "small_archives.json"
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
    # (articles in the archive, factor on decline_below), fewest first: in a small archive the
    # best-matching chunk is the best of few, so an unrelated question's best sentence gets the
    # retrieval signals a real match gets in a large one and scores higher. decline_below
    # itself holds from full_at articles up (the size of the archive it was fitted on).
    small_archives: tuple[tuple[int, float], ...] = ()
    full_at: int = 1

    def decline_threshold(self, articles: int) -> float:
        """The best sentence's P below which a question is declined, in an archive of this
        many articles: decline_below, raised in small archives, log-linear between sizes."""
        points = [*self.small_archives, (max(self.full_at, 1), 1.0)]
        if articles >= points[-1][0] or len(points) == 1:
            return self.decline_below
        if articles <= points[0][0]:
            return self.decline_below * points[0][1]
        for (n0, f0), (n1, f1) in itertools.pairwise(points):
            if n0 <= articles <= n1:
                at = (math.log(articles) - math.log(n0)) / (math.log(n1) - math.log(n0))
                return self.decline_below * (f0 + (f1 - f0) * at)
        return self.decline_below

    def probability(self, features: dict[str, float]) -> float:
        """P(the sentence holds the answer)."""
        z = self.bias
        for name, w, m, s in zip(FEATURES, self.weights, self.mean, self.scale, strict=True):
            z += w * (features.get(name, 0.0) - m) / s
        return 1.0 / (1.0 + math.exp(-z))


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_FILE, small: Path = SMALL_ARCHIVES_FILE) -> RankerModel:
    """The learned ranker, with the small archives' decline thresholds when they were fitted."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURES:
        raise ValueError(f"{path} was fitted on other features; run bench/learn_ranker.py")
    sizes = json.loads(small.read_text(encoding="utf-8")) if small.exists() else {}
    return RankerModel(
        weights=tuple(data["weights"]),
        bias=data["bias"],
        mean=tuple(data["mean"]),
        scale=tuple(data["scale"]),
        decline_below=data["decline_below"],
        lead_share=data.get("lead_share", 0.5),
        small_archives=tuple(sorted((int(n), float(f)) for n, f in sizes.get("factors", []))),
        full_at=int(sizes.get("full_at", 1)),
    )


def rank(evidence: list[Evidence], model: RankerModel | None = None) -> list[Evidence]:
    """Score every sentence and sort best first."""
    model = model or load_model()
    for ev in evidence:
        ev.score = model.probability(ev.features)
    return sorted(evidence, key=lambda e: e.score, reverse=True)
