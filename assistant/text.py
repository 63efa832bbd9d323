"""Word-level helpers shared by question analysis and evidence scoring: tokens, stems, stopwords."""

from __future__ import annotations

import re
from functools import lru_cache

WORD = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿĀ-ſ]+(?:[’'][A-Za-z]+)?")

# Words that carry no content in a question about news.
QUESTION_WORDS = {
    "who",
    "whom",
    "whose",
    "what",
    "when",
    "where",
    "why",
    "how",
    "which",
    "many",
    "much",
    "did",
    "does",
    "do",
    "is",
    "are",
    "was",
    "were",
    "has",
    "have",
    "had",
    "will",
    "would",
    "can",
    "could",
    "should",
    "tell",
    "me",
    "about",
    "according",
    "article",
    "articles",
    "news",
    "story",
    "stories",
    "report",
    "reports",
    "happen",
    "happened",
    "please",
}
# Reporting verbs match almost every news sentence, so they count for little.
WEAK_WORDS = {"say", "said", "says", "told", "tell", "add", "added", "state", "stated"}


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """NLTK's English stopwords as shipped inside llama-index (no download)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("llama_index.core")
    assert spec and spec.origin
    path = Path(spec.origin).parent / "_static/nltk_cache/corpora/stopwords/english"
    words = set(path.read_text().split()) if path.is_file() else set()
    return frozenset(words)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


# Snowball leaves irregular past tenses alone, and news is written in the past tense.
IRREGULAR = {
    "said": "say",
    "told": "tell",
    "went": "go",
    "gone": "go",
    "met": "meet",
    "took": "take",
    "taken": "take",
    "gave": "give",
    "given": "give",
    "made": "make",
    "won": "win",
    "lost": "lose",
    "left": "leave",
    "held": "hold",
    "began": "begin",
    "begun": "begin",
    "found": "find",
    "came": "come",
    "saw": "see",
    "seen": "see",
    "ran": "run",
    "spoke": "speak",
    "spoken": "speak",
    "wrote": "write",
    "written": "write",
    "struck": "strike",
    "fought": "fight",
    "led": "lead",
    "sent": "send",
    "brought": "bring",
    "bought": "buy",
    "paid": "pay",
    "sold": "sell",
    "kept": "keep",
    "thought": "think",
    "knew": "know",
    "known": "know",
    "got": "get",
    "became": "become",
    "chose": "choose",
    "chosen": "choose",
    "drove": "drive",
    "rose": "rise",
    "fell": "fall",
    "flew": "fly",
    "grew": "grow",
    "shot": "shoot",
    "stood": "stand",
    "felt": "feel",
    "heard": "hear",
    "built": "build",
    "spent": "spend",
    "hid": "hide",
    "hidden": "hide",
    "broke": "break",
    "broken": "break",
    "stole": "steal",
    "stolen": "steal",
    "threw": "throw",
    "thrown": "throw",
    "swore": "swear",
    "sworn": "swear",
    "withdrew": "withdraw",
    "withdrawn": "withdraw",
    "fled": "flee",
    "sought": "seek",
    "caught": "catch",
    "taught": "teach",
    "meant": "mean",
    "lent": "lend",
}


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball stem of a lowercased word (the same stemmer BM25 uses)."""
    word = word.casefold().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    return _stemmer().stemWord(IRREGULAR.get(word, word))


def words(text: str) -> list[re.Match[str]]:
    """Word matches (with offsets) in a text."""
    return list(WORD.finditer(text))


def content_stems(text: str) -> set[str]:
    """Stems of the non-stopword words of a text."""
    stop = stopwords()
    return {stem(m.group()) for m in WORD.finditer(text) if m.group().casefold() not in stop}
