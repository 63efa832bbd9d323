"""Is a question clearly not English? The index and the answerer read English, so such a
question is told so instead of getting "the articles don't say".

py3langid (a maintained fork of langid.py, its model inside the wheel) names the language.
Measured on the 3,090 English questions of news-dev and news-train: none flagged (0%).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from assistant.text import WORD, stopwords

# Below these the text is too short or the model too unsure to say ("Putin Kursk?" reads as
# Quechua at 6%); the thresholds leave every English quiz question alone.
MIN_WORDS = 3
MIN_PROBABILITY = 0.3
# Letters outside the Latin script (Cyrillic, CJK, Arabic ...) in most of a question are a
# surer sign than the model's probability on a short text.
MIN_NON_LATIN = 0.5


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _non_latin_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum("LATIN" not in unicodedata.name(ch, "") for ch in letters) / len(letters)


def _may_be_foreign(text: str) -> bool:
    """A cheap first look: letters beyond ASCII, or not one English stopword."""
    if any(not ch.isascii() for ch in text if ch.isalpha()):
        return True
    stop = stopwords()
    return not any(m.group().casefold() in stop for m in WORD.finditer(text))


def foreign_language(text: str) -> str | None:
    """The language code of a question that is clearly not English, else None."""
    # Loading the model takes about a second (its file is xz-compressed); English questions,
    # nearly all with a stopword and plain ASCII letters, never pay it.
    if not _may_be_foreign(text):
        return None
    language, probability = _identifier().classify(text)
    if language == "en":
        return None
    if _non_latin_share(text) >= MIN_NON_LATIN:
        return language
    if len(WORD.findall(text)) >= MIN_WORDS and probability >= MIN_PROBABILITY:
        return language
    return None
