"""Sentence-aware chunks that fit the embedding model's window, with offsets into the clean text."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from index.articles import Article, Chunk

TokenCounter = Callable[[str], int]

# Sentences are counted when they are fitted and again when they are grouped into chunks;
# the memo serves the second pass. Cleared when full, so it never holds more than a few
# articles' sentences.
MEMO_SIZE = 4096


class _Counter:
    """A token counter that counts a list in one call and remembers recent texts."""

    def __init__(
        self,
        one: Callable[[str], int],
        batch: Callable[[list[str]], list[int]] | None = None,
        additive: bool = False,
    ) -> None:
        self._one = one
        self._batch = batch
        # Whether the count of texts joined by whitespace is the sum of their counts.
        self.additive = additive
        self._memo: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        """The token count of one text."""
        return self._one(text)

    def many(self, texts: list[str]) -> list[int]:
        """The token count of each text, in one batch for those not counted recently."""
        memo = self._memo
        todo = list({t for t in texts if t not in memo})
        if todo:
            if len(memo) + len(todo) > MEMO_SIZE:
                memo.clear()
            counts = self._batch(todo) if self._batch else [self._one(t) for t in todo]
            memo.update(zip(todo, counts, strict=True))
        return [memo[t] if t in memo else self._one(t) for t in texts]


def count_all(counter: TokenCounter, texts: list[str]) -> list[int]:
    """Each text's token count, batched where the counter can batch."""
    many = getattr(counter, "many", None)
    return many(texts) if many else [counter(t) for t in texts]


@lru_cache(maxsize=1)
def tiktoken_counter() -> TokenCounter:
    """Count cl100k tokens with the encoding llama-index ships, so tiktoken never downloads."""
    from index.bundled import cl100k_encoding

    enc = cl100k_encoding()
    # No batch form: tiktoken's encode_batch hands texts to a thread pool, which was 8x slower
    # than one call per sentence here.
    return _Counter(lambda text: len(enc.encode(text, disallowed_special=())))


@lru_cache(maxsize=2)
def wordpiece_counter(model_dir: str) -> TokenCounter:
    """Count the embedding model's own word pieces (no [CLS]/[SEP]) with its fast tokenizer."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return _Counter(
        lambda text: len(tok.encode(text, add_special_tokens=False).ids),
        # One call for a list: about 1.8x faster per sentence than one call each.
        lambda texts: [len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False)],
        additive=True,
    )


def _longest_fit(text: str, start: int, end: int, fits: Callable[[str], bool]) -> int:
    """The end of the longest piece text[start:cut] that fits, by bisection (at least one char)."""
    lo, hi = start + 1, end
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(text[start:mid]):
            lo = mid
        else:
            hi = mid - 1
    return lo


def _split_long(
    text: str, start: int, end: int, fits: Callable[[str], bool]
) -> list[tuple[int, int]]:
    """Cut a sentence too long for the window at word boundaries into pieces that fit."""
    pieces: list[tuple[int, int]] = []
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    i = 0
    while i < len(words):
        j = i + 1
        while j < len(words) and fits(text[words[i][0] : words[j][1]]):
            j += 1
        if j == i + 1 and not fits(text[words[i][0] : words[i][1]]):
            # One "word" over the window (a URL, base64, numbers joined by commas): cut it by
            # characters into the longest pieces that fit; halving once can leave pieces that
            # are still far over the window.
            s, e = words[i]
            while s < e:
                cut = _longest_fit(text, s, e, fits)
                pieces.append((s, cut))
                s = cut
        else:
            pieces.append((words[i][0], words[j - 1][1]))
        i = j
    return pieces


def fit_sentences(
    text: str, sentences: list[tuple[int, int]], counters: list[TokenCounter], budgets: list[int]
) -> list[tuple[int, int]]:
    """Split any sentence that alone is over a budget, so every sentence fits a chunk."""

    def fits(piece: str) -> bool:
        return all(c(piece) <= b for c, b in zip(counters, budgets, strict=True))

    texts = [text[s:e] for s, e in sentences]
    sizes = [count_all(c, texts) for c in counters]
    out: list[tuple[int, int]] = []
    for i, (s, e) in enumerate(sentences):
        whole = all(size[i] <= b for size, b in zip(sizes, budgets, strict=True))
        out.extend([(s, e)] if whole else _split_long(text, s, e, fits))
    return out


def approx_tokens(text: str) -> int:
    """A cl100k-sized count from length alone: English news runs about 4 characters a token."""
    return (len(text) + 3) // 4


# Sizes the chunks past an article's head, which are never embedded: they only need to be of
# a size for keyword search and quoting. Counting every sentence with both tokenizers was a
# third of preparing real news (long articles, one embedded chunk each).
APPROX: TokenCounter = _Counter(approx_tokens, additive=True)


def chunk_article(
    article: Article, counters: list[TokenCounter], budgets: list[int], exact: int | None = None
) -> list[Chunk]:
    """Group consecutive sentences into chunks within every (counter, budget) pair.

    exact: how many leading sentences are sized with the counters (None: all); chunks past
    them are sized with APPROX within budgets[0], and no chunk spans the boundary.
    """
    n = len(article.sentences)
    exact = n if exact is None else min(exact, n)
    chunks = _chunk_range(article, 0, exact, counters, budgets)
    chunks += _chunk_range(article, exact, n, [APPROX], budgets[:1])
    return chunks


def _chunk_range(
    article: Article, begin: int, stop: int, counters: list[TokenCounter], budgets: list[int]
) -> list[Chunk]:
    chunks: list[Chunk] = []
    texts = [article.sentence_text(i) for i in range(begin, stop)]
    sizes = list(zip(*(count_all(c, texts) for c in counters), strict=True)) if texts else []
    first = begin
    while first < stop:
        totals = list(sizes[first - begin])
        last = first
        while last + 1 < stop:
            # Word pieces add up exactly across whitespace; cl100k tokens nearly so, plus one
            # for the joining space.
            nxt = [t + s + 1 for t, s in zip(totals, sizes[last + 1 - begin], strict=True)]
            if any(n > b for n, b in zip(nxt, budgets, strict=True)):
                break
            totals, last = nxt, last + 1
        start, end = article.sentences[first][0], article.sentences[last][1]
        # The sum is an estimate for cl100k: a merge across a join can cost more than the one
        # token allowed for it ("xxx xxx" on long runs), so the real count decides. Word pieces
        # never cross whitespace, so their sum is exact and needs no recount.
        while last > first and any(
            c(article.text[start:end]) > b
            for c, b in zip(counters, budgets, strict=True)
            if not getattr(c, "additive", False)
        ):
            last -= 1
            end = article.sentences[last][1]
        digest = hashlib.sha1(f"{article.content_hash}:{start}:{end}".encode()).hexdigest()[:16]
        chunks.append(
            Chunk(
                chunk_id=f"{article.article_id}-{digest}",
                article_id=article.article_id,
                text=article.text[start:end],
                start=start,
                end=end,
                first_sentence=first,
                last_sentence=last,
            )
        )
        first = last + 1
    return chunks


def fit_and_chunk(
    article: Article, counters: list[TokenCounter], budgets: list[int], head: int
) -> list[Chunk]:
    """Fit the article's sentences (in place) and chunk it; only the first `head` chunks (0:
    all) are sized with the counters, the rest with APPROX. Those past the head are marked
    not dense."""
    original = article.sentences
    if not head:
        article.sentences = fit_sentences(article.text, original, counters, budgets)
        return chunk_article(article, counters, budgets)
    # Enough sentences for the head at news' ~5 characters a word piece; doubled until the
    # head's chunks end before the last of them (then more sentences could not change them).
    reach, m = head * budgets[-1] * 5, 0
    while m < len(original) and original[m][1] - original[0][0] < reach:
        m += 1
    while True:
        m = min(max(m, 1), len(original))
        exact = fit_sentences(article.text, original[:m], counters, budgets)
        rest = fit_sentences(article.text, original[m:], [APPROX], budgets[:1])
        article.sentences = exact + rest
        chunks = chunk_article(article, counters, budgets, exact=len(exact))
        head_chunks = [c for c in chunks if c.last_sentence < len(exact)][:head]
        if m >= len(original) or (
            len(head_chunks) == head and head_chunks[-1].last_sentence < len(exact) - 1
        ):
            break
        m *= 2
    for chunk in chunks[head:]:
        chunk.dense = False
    return chunks
