"""Typos in a question's words, read as the indexed words they were meant to be.

"who visted kursk" finds nothing by its words: "visted" is in no article, and as the
question's rarest word it sinks every sentence's coverage, so the assistant declined. A
lower-case word of four letters or more that is neither an English word (the embedding
model's own vocabulary) nor in the index is taken for a typo of the indexed word spelled
most like it (IndexReader.spelled_like). Capitalised words are names: one the articles lack
is a sign they do not answer ("When did Putin visit Paris?"), so it is never respelled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.text import question_words, stem, stopwords, words
from index.embedding import model_words

if TYPE_CHECKING:
    from index.reader import IndexReader

# Shorter words are too often a real word the vocabulary lacks, or a near miss of many.
MIN_LETTERS = 4


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
        meant = reader.spelled_like(typo, stopwords())
        if meant is not None:
            fixes[typo] = meant
    return fixes
