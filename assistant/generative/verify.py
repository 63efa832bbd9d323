"""Sentence-level citation verification of a generated answer against its numbered sources.

A generated sentence is kept only if it cites at least one source ([n]) and the cited text
supports it on two independent checks:

- meaning: the cosine similarity of MiniLM embeddings of the claim (markers stripped) and of the
  best-matching cited sentence (or the cited passages joined) is at least `min_similarity`;
- words: at least `min_overlap` of the claim's content words (stems, stopwords left out) occur in
  the cited text, its title or its dates, and *every* number and name of the claim does.

The dates a source allows are its publication date and the calendar dates its relative phrases
resolve to ("on Wednesday" in an article of Thursday, March 13, 2025 allows "March 12, 2025"),
so the model may resolve relative dates as the prompt asks but may not invent one.

Calibration (tests/data/llm_claims.jsonl: 48 labelled claims about the seed article, 28
supported paraphrases, including short clauses of long sentences and resolved relative dates,
and 20 invented ones: wrong names, numbers, dates and places, reversals, invented events and an
off-topic sentence), with both encoders queries use (the index's: fp32 ONNX MiniLM for a torch
or onnx index, its int8 copy for an int8 one, the default for a new index):

- supported: similarity 0.43-0.97 (median 0.80) fp32, 0.39-0.96 (median 0.79) int8, word
  overlap 0.80-1.00;
- invented:  similarity 0.03-0.86 (median 0.69) with either, word overlap 0.00-0.88; 13 of the
  20 name a person, place, number or date the cited text does not have.

Embeddings barely separate the two (an invented claim reuses its source's words, so it lands
close to it); the word checks do most of the work. With min_overlap 0.8 and min_similarity 0.35
(below the lowest supported claim with either encoder, a clause of a long sentence: 0.4, the
value calibrated on fp32 alone, dropped it at int8's 0.39) all 28 supported claims are kept
and 19 of the 20 invented ones dropped; the one that passes, "Trump said Wednesday that Russia
had accepted the ceasefire", uses only words of its source. Overlap 0.85 would also drop it but
drops a faithful paraphrase too. tests/test_llm_verify.py re-checks these numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.generative.prompting import Source
from assistant.text import WORD, stem, stopwords
from assistant.timeexpr import find_times, long_date

if TYPE_CHECKING:
    import numpy as np

    from index.embedding import TextEncoder

# A citation marker: [1], [1, 3], [1][2]; also the (1) and 【1】 forms small models slip into.
MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_MARKER_ONLY = re.compile(r"^(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+|^\s*(?:\*\*)?answer(?:\*\*)?\s*:\s*", re.IGNORECASE)
_MARKDOWN = re.compile(r"[*_`#>]+")
_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$", re.IGNORECASE)
# Words every answer may use without a source saying them.
_FREE = {"source", "sources", "according", "article", "articles", "report", "reported", "also"}
# A capitalised first word is a name only if it is not one of the words that open sentences.
_OPENERS = {
    "according",
    "however",
    "meanwhile",
    "yes",
    "also",
    "although",
    "while",
    "after",
    "before",
    "since",
    "despite",
    "yesterday",
    "today",
    "earlier",
    "later",
    "last",
    "on",
}


def normalise(word: str) -> str:
    """The form words are compared in: a stem, with numbers as digits ("three" -> "3")."""
    low = word.casefold()
    if low in _NUMBER_WORDS:
        return _NUMBER_WORDS[low]
    m = _ORDINAL.match(low)
    if m:
        return m.group(1)
    return stem(word)


def markers(sentence: str) -> list[int]:
    """The source numbers a sentence cites, in order, without repeats."""
    out: list[int] = []
    for m in MARKER.finditer(sentence):
        for n in re.split(r"[,;]", m.group(1)):
            if int(n) not in out:
                out.append(int(n))
    return out


def strip_markers(sentence: str) -> str:
    """The claim itself: no markers, no markdown, no list bullet."""
    text = MARKER.sub("", sentence)
    text = _BULLET.sub("", text)
    text = _MARKDOWN.sub("", text)
    return " ".join(text.split())


def split_claims(text: str) -> list[str]:
    """The sentences of a generated answer, each with the markers that follow it."""
    from index.sentences import split_sentences

    pieces: list[str] = []
    for start, end in split_sentences(text):
        piece = text[start:end].strip()
        lead = _MARKER_ONLY.match(piece)
        # "...on Wednesday. [1] He ordered...": the marker belongs to the sentence before.
        if lead and pieces:
            pieces[-1] = pieces[-1] + lead.group().rstrip()
            piece = piece[lead.end() :].strip()
        if piece:
            pieces.append(piece)
    return pieces


def _tokens(text: str) -> list[tuple[str, bool, bool]]:
    """(normalised word, is a number, is a name) for each word of a text."""
    stop = stopwords()
    found = list(WORD.finditer(text))
    out = []
    for i, m in enumerate(found):
        w = m.group()
        low = w.casefold().replace("’", "'")
        base = low[:-2] if low.endswith("'s") else low
        if base in stop or base in _FREE:
            continue
        norm = normalise(w)
        is_number = norm.isdigit()
        before = text[: m.start()].rstrip()
        opens = i == 0 or before.endswith((".", "!", "?", ":", "\n"))
        is_name = w[:1].isupper() and not (opens and base in _OPENERS)
        out.append((norm, is_number, is_name))
    return out


def allowed_words(source: Source) -> set[str]:
    """Every normalised word a claim citing this source may use: text, title and dates."""
    art = source.article
    # The headline may name who and where ("Kursk region"), but its verbs are not the cited
    # text's: "recapture" in a title must not support "Ukraine recaptured Sudzha".
    parts = [
        source.text,
        " ".join(m.group() for m in WORD.finditer(art.title) if m.group()[0].isupper()),
    ]
    if art.published:
        parts.append(long_date(art.published))
        parts.append(art.published.isoformat().replace("-", " "))
        for sentence in source.sentence_texts():
            parts += [
                long_date(t.resolved) for t in find_times(sentence, art.published) if t.resolved
            ]
    return {normalise(m.group()) for p in parts for m in WORD.finditer(p)}


@dataclass
class Verdict:
    """The check of one generated sentence."""

    sentence: str
    claim: str
    cites: list[int]
    similarity: float = 0.0
    overlap: float = 0.0
    missing: list[str] = field(default_factory=list)
    supported: bool = False
    reason: str = ""
    # (source number, sentence index in the article) that best supports the claim, per cite.
    support: list[tuple[int, int]] = field(default_factory=list)


def word_support(claim: str, allowed: set[str]) -> tuple[float, list[str]]:
    """Share of the claim's content words found in the allowed words, and the missing
    numbers and names (any one of which fails the claim)."""
    toks = _tokens(claim)
    if not toks:
        return 0.0, []
    hits = sum(1 for w, _, _ in toks if w in allowed)
    missing = [w for w, num, name in toks if (num or name) and w not in allowed]
    return hits / len(toks), sorted(set(missing))


class Verifier:
    """Checks generated sentences against the numbered sources of one prompt."""

    def __init__(
        self,
        encoder: TextEncoder,
        sources: list[Source],
        min_similarity: float,
        min_overlap: float,
    ) -> None:
        self.encoder = encoder
        self.sources = {s.n: s for s in sources}
        self.min_similarity = min_similarity
        self.min_overlap = min_overlap
        # Every sentence of every source is embedded once, up front, in one batch.
        self._keys: list[tuple[int, int]] = []
        texts: list[str] = []
        for s in sources:
            for i, text in zip(s.sentences, s.sentence_texts(), strict=True):
                self._keys.append((s.n, i))
                texts.append(text)
        self._vectors = self._embed(texts) if texts else None
        self._allowed = {s.n: allowed_words(s) for s in sources}

    def _embed(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        vecs = np.asarray(self.encoder.embed(texts), dtype=np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs / np.maximum(norms, 1e-12)

    def check(self, sentence: str) -> Verdict:
        """Whether one generated sentence cites a source that supports it."""
        claim = strip_markers(sentence)
        cites = markers(sentence)
        verdict = Verdict(sentence=sentence, claim=claim, cites=cites)
        valid = [n for n in cites if n in self.sources]
        if not cites:
            verdict.reason = "cites no source"
            return verdict
        if not valid:
            verdict.reason = "cites a source that was not given"
            return verdict
        if len(WORD.findall(claim)) < 3:
            verdict.reason = "too short to be a claim"
            return verdict
        allowed: set[str] = set()
        for n in valid:
            allowed |= self._allowed[n]
        verdict.overlap, verdict.missing = word_support(claim, allowed)
        assert self._vectors is not None
        joined = " ".join(self.sources[n].text for n in valid)
        vecs = self._embed([claim, joined])
        rows = [k for k, (n, _) in enumerate(self._keys) if n in valid]
        sims = self._vectors[rows] @ vecs[0]
        verdict.similarity = float(max(sims.max(), vecs[1] @ vecs[0]))
        # Each kept cite points at its best-matching sentence; a cite sharing no content word
        # with the claim was decoration and is dropped from the citations.
        claim_words = {w for w, _, _ in _tokens(claim)}
        for n in valid:
            if not claim_words & self._allowed[n]:
                continue
            best = max(
                (k for k in rows if self._keys[k][0] == n), key=lambda k: float(sims[rows.index(k)])
            )
            verdict.support.append(self._keys[best])
        if verdict.missing:
            verdict.reason = "names or numbers not in the cited text: " + ", ".join(verdict.missing)
        elif verdict.overlap < self.min_overlap:
            verdict.reason = f"word overlap {verdict.overlap:.2f} < {self.min_overlap}"
        elif verdict.similarity < self.min_similarity:
            verdict.reason = f"similarity {verdict.similarity:.2f} < {self.min_similarity}"
        elif not verdict.support:
            verdict.reason = "no cited source shares its words"
        else:
            verdict.supported = True
        return verdict

    def check_all(self, sentences: Iterable[str]) -> list[Verdict]:
        """Check several sentences."""
        return [self.check(s) for s in sentences]
