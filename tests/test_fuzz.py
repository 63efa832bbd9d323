"""Property tests: whatever bytes arrive, loading never crashes, and chunk offsets hold."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.articles import ArticleError
from index.chunking import chunk_article, fit_sentences, tiktoken_counter, wordpiece_counter
from index.embedding import model_dir
from index.loaders import read_articles
from index.prepare import prepare

COUNTERS = [tiktoken_counter(), wordpiece_counter(str(model_dir()))]
BUDGETS = [200, 254]
SUFFIXES = [".txt", ".md", ".html", ".json", ".jsonl"]
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of text, not single characters: words, dates and markup mixed with zero-width,
# right-to-left and arbitrary characters.
awkward_text = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\u200b", "\u200d", "\u202e", "\u2067", "\ufeff", "\n", "\n\n", ". "]),
        st.sampled_from(
            ["Putin", "visited", "Kursk", "on Wednesday", "March 12, 2025", "<b>", "]("]
        ),
        st.text(max_size=40),
    ),
    max_size=200,
).map("".join)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | awkward_text,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["text", "body", "title", "date", "published", "id", "authors", "x"]),
            children,
            max_size=6,
        )
    ),
    max_leaves=20,
)


def _check_file(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"fuzz{suffix}"
        path.write_bytes(data)
        raws, problems = read_articles(path, 5 * 1024 * 1024)
    assert all(p.reason for p in problems)
    for raw in raws:
        try:
            article = prepare(raw)
        except ArticleError as exc:
            assert str(exc)
            continue
        article.sentences = fit_sentences(article.text, article.sentences, COUNTERS, BUDGETS)
        last_end = 0
        for start, end in article.sentences:
            assert 0 <= start < end <= len(article.text) and start >= last_end
            last_end = end
        for chunk in chunk_article(article, COUNTERS, BUDGETS):
            assert article.text[chunk.start : chunk.end] == chunk.text
            assert COUNTERS[1](chunk.text) <= BUDGETS[1]


@FUZZ
@given(st.binary(max_size=4000), st.sampled_from(SUFFIXES))
def test_arbitrary_bytes_never_crash_the_loaders(data: bytes, suffix: str) -> None:
    _check_file(data, suffix)


@FUZZ
@given(awkward_text, st.sampled_from(["utf-8", "utf-16", "latin-1", "cp1252"]))
def test_text_in_any_encoding(text: str, encoding: str) -> None:
    _check_file(text.encode(encoding, errors="replace"), ".txt")


@FUZZ
@given(st.integers(1, 40), st.integers(1, 5000))
def test_huge_lines_and_words(words: int, length: int) -> None:
    line = " ".join(["x" * length] * words)
    _check_file(f"Headline\n\n{line}. And a sentence.\n".encode(), ".txt")


@FUZZ
@given(json_values, st.booleans())
def test_nested_and_garbage_json(value: object, as_lines: bool) -> None:
    if as_lines:
        items = value if isinstance(value, list) else [value]
        data = "\n".join(json.dumps(v) for v in items) + "\n{broken"
        _check_file(data.encode(), ".jsonl")
    else:
        _check_file(json.dumps(value).encode(), ".json")
