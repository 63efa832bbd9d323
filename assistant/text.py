"""Word-level helpers shared by question analysis and evidence scoring: tokens, stems, stopwords."""

from __future__ import annotations

import re
from functools import lru_cache

WORD = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿĀ-ſ]+(?:[’'][A-Za-z]+)?")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """NLTK's English stopwords as shipped inside llama-index (no download)."""
    from index.bundled import llama_static

    path = llama_static() / "nltk_cache" / "corpora" / "stopwords" / "english"
    words = set(path.read_text().split()) if path.is_file() else set()
    return frozenset(words)


@lru_cache(maxsize=1)
def word_lists() -> dict:
    """assistant/data/words.toml, where the word lists live with their sources."""
    import tomllib
    from pathlib import Path

    return tomllib.loads((Path(__file__).with_name("data") / "words.toml").read_text("utf-8"))


@lru_cache(maxsize=1)
def question_words() -> frozenset[str]:
    """Words that carry no content in a question (who, did, tell, article ...)."""
    return frozenset(word_lists()["question_words"])


@lru_cache(maxsize=1)
def weak_words() -> frozenset[str]:
    """Reporting verbs, which match almost every news sentence."""
    return frozenset(word_lists()["weak_words"])


@lru_cache(maxsize=1)
def person_titles() -> tuple[str, ...]:
    """Formal titles written before a name ("President", "Sen."), longest first."""
    return tuple(sorted(word_lists()["person_titles"], key=len, reverse=True))


@lru_cache(maxsize=1)
def place_nouns() -> frozenset[str]:
    """Nouns that make the name beside them a place ("the Kursk region", "the town of Sudzha")."""
    return frozenset(word_lists()["place_nouns"])


@lru_cache(maxsize=1)
def leaning_openers() -> frozenset[str]:
    """Pronouns that make a sentence lean on the one before it (He, They ...)."""
    return frozenset(word_lists()["leaning_openers"])


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball stem of a lowercased word (the same stemmer BM25 uses)."""
    word = word.casefold().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    return _stemmer().stemWord(word_lists()["irregular"].get(word, word))


def words(text: str) -> list[re.Match[str]]:
    """Word matches (with offsets) in a text."""
    return list(WORD.finditer(text))


def content_stems(text: str) -> set[str]:
    """Stems of the non-stopword words of a text."""
    stop = stopwords()
    return {stem(m.group()) for m in WORD.finditer(text) if m.group().casefold() not in stop}


# Sentences that address a model rather than report news. They are never evidence: an LLM is
# never offered them as sources, so an article cannot steer the answer (verification would let a
# quoted order "pass"), and the extractive answer never quotes them.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,60}\b(?:instructions?|prompts?|rules|"
    r"guidelines|directions|above|previous|prior|system)\b"
    r"|\b(?:system prompt|you are now|new instructions?|as an ai\b|language model)"
    r"|\b(?:assistant|ai|chatbot|model|llm)s?\b[^.!?\n]{0,40}\b(?:must|should|will)\s+(?:say|answer|reply|respond|state)"
    r"|</?\s*source\b|<\|im_(?:start|end)\|>|\[/?INST\]",
    re.IGNORECASE,
)


def looks_like_instruction(text: str) -> bool:
    """Whether a sentence reads as an order to an AI (prompt injection), not as news."""
    return bool(_INSTRUCTION.search(text))
