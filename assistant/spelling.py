"""Typos in a question's words, read as the indexed words they were meant to be.

"who visted kursk" finds nothing by its words: "visted" is in no article, and as the
question's rarest word it sinks every sentence's coverage, so the assistant declined. A
lower-case word of four letters or more that is neither an English word (the embedding
model's own vocabulary) nor in the index is taken for a typo: of the English words within
one edit of it (two for words of 8 letters or more; same first letter; a swap of two letters
counts one) whose stem the index holds, the nearest, then the commonest in the index. Words
are compared as written, not as stems, so "electon" is "election", not "electron".
Names are never respelled: one the articles lack is a sign they do not answer ("When did
Putin visit Paris?"). That holds for a name typed in lower case too ("kursk" in an index
without it): respelled against the index's own terms it became "kurk", a word of some other
story, so only English words are offered, and "kusrk" stays as typed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from assistant.text import question_words, stem, stopwords, words
from index.embedding import model_words

if TYPE_CHECKING:
    from index.reader import IndexReader

# Shorter words are too often a real word the vocabulary lacks, or a near miss of many.
MIN_LETTERS = 4
# From this many letters a word may be two edits from the one meant.
LONG_WORD = 8


@lru_cache(maxsize=1)
def _english_by_initial() -> dict[str, list[str]]:
    """The model's English words by first letter, stopwords left out."""
    out: dict[str, list[str]] = {}
    stop = stopwords()
    for w in model_words():
        if w not in stop:
            out.setdefault(w[0], []).append(w)
    return out


def _english_like(word: str, reader: IndexReader) -> str | None:
    """The stem of the English word spelled most nearly like word that the index holds."""
    from rapidfuzz import distance, process

    near = process.extract(
        word,
        _english_by_initial().get(word[0], []),
        scorer=distance.OSA.distance,
        score_cutoff=2 if len(word) >= LONG_WORD else 1,
        limit=None,
    )
    held = [(stem(w), d) for w, d, _i in near if stem(w) in reader.doc_freq]
    if not held:
        return None
    return min(held, key=lambda h: (h[1], -reader.doc_freq[h[0]]))[0]


def respell(text: str, reader: IndexReader) -> dict[str, str]:
    """Stems of the question's typos mapped to the indexed stems they were meant to be."""
    if not reader.doc_freq:
        return {}
    fixes: dict[str, str] = {}
    for m in words(text):
        word = m.group()
        low = word.casefold()
        if word[0].isupper() or not low.isalpha() or len(low) < MIN_LETTERS:
            continue
        typo = stem(low)
        if typo in reader.doc_freq or typo in fixes:
            continue
        # Only now the word list (read once, ~10 ms): most questions use indexed words only.
        if low in model_words() or low in stopwords() or low in question_words():
            continue
        meant = _english_like(low, reader)
        if meant is not None:
            fixes[typo] = meant
    return fixes
