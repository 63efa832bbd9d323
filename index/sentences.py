"""Sentence boundaries with character offsets, from NLTK's Punkt model shipped in llama-index."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

ABBREVIATIONS = Path(__file__).with_name("data") / "abbreviations.txt"
_PARAGRAPH = re.compile(r"[^\n]+")
# A caption credit such as "(Reuters via AP)" is not a sentence of its own.
_CREDIT = re.compile(r"^\([^()]{1,80}\)$")


@lru_cache(maxsize=1)
def _punkt():
    """Load Punkt from llama-index's bundled NLTK data, so nothing is downloaded."""
    import nltk
    from nltk.tokenize.punkt import PunktTokenizer

    from index.bundled import llama_static

    cache = llama_static() / "nltk_cache"
    if str(cache) not in nltk.data.path:
        nltk.data.path.insert(0, str(cache))
    tokenizer = PunktTokenizer("english")
    tokenizer._params.abbrev_types.update(_abbreviations())
    return tokenizer


def _abbreviations() -> set[str]:
    """The titles and ranks Punkt's model lacks (index/data/abbreviations.txt)."""
    lines = ABBREVIATIONS.read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return (start, end) offsets of each sentence; a sentence never crosses a paragraph."""
    tokenizer = _punkt()
    spans: list[tuple[int, int]] = []
    for para in _PARAGRAPH.finditer(text):
        base = para.start()
        for start, end in tokenizer.span_tokenize(para.group()):
            piece = para.group()[start:end]
            if spans and _CREDIT.match(piece) and spans[-1][1] >= base:
                spans[-1] = (spans[-1][0], base + end)
            else:
                spans.append((base + start, base + end))
    return spans
