"""Property tests: whatever bytes arrive, loading never crashes, and chunk offsets hold."""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path

from conftest import collection_ids, make_article, open_live_db, settings_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index import Indexer
from index.articles import Article, ArticleError, RawArticle
from index.chunking import chunk_article, fit_sentences, tiktoken_counter, wordpiece_counter
from index.embedding import model_dir
from index.loaders import read_articles
from index.prepare import prepare

COUNTERS = [tiktoken_counter(), wordpiece_counter(str(model_dir()))]
BUDGETS = [200, 254]
SUFFIXES = [".txt", ".md", ".html", ".json", ".jsonl"]
ENCODINGS = ["utf-8", "utf-16", "latin-1", "cp1252"]
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
        _check_chunks(article)


def _check_chunks(article: Article) -> None:
    """Sentences in bounds and in order; chunks cover them in order, exact and within budget."""
    article.sentences = fit_sentences(article.text, article.sentences, COUNTERS, BUDGETS)
    last_end = 0
    for start, end in article.sentences:
        assert 0 <= start < end <= len(article.text) and start >= last_end
        last_end = end
    next_sentence = 0
    for chunk in chunk_article(article, COUNTERS, BUDGETS):
        assert article.text[chunk.start : chunk.end] == chunk.text
        assert chunk.first_sentence == next_sentence <= chunk.last_sentence
        assert chunk.start == article.sentences[chunk.first_sentence][0]
        assert chunk.end == article.sentences[chunk.last_sentence][1]
        assert all(c(chunk.text) <= b for c, b in zip(COUNTERS, BUDGETS, strict=True))
        next_sentence = chunk.last_sentence + 1
    assert next_sentence == len(article.sentences), "every sentence is in a chunk"


@FUZZ
@given(st.binary(max_size=4000), st.sampled_from(SUFFIXES))
def test_arbitrary_bytes_never_crash_the_loaders(data: bytes, suffix: str) -> None:
    _check_file(data, suffix)


@FUZZ
@given(awkward_text, st.sampled_from(ENCODINGS))
def test_text_in_any_encoding(text: str, encoding: str) -> None:
    _check_file(text.encode(encoding, errors="replace"), ".txt")


@FUZZ
@given(st.lists(st.tuples(awkward_text, st.sampled_from(ENCODINGS)), min_size=2, max_size=5))
def test_mixed_encodings_in_one_file(parts: list[tuple[str, str]]) -> None:
    # Pieces pasted from different sources: UTF-8 next to Latin-1 or UTF-16 bytes.
    _check_file(b"\n".join(t.encode(e, errors="replace") for t, e in parts), ".md")


@FUZZ
@given(awkward_text)
def test_prepared_text_always_chunks_exactly(text: str) -> None:
    # Straight to the cleaner and chunker, past the loaders' checks on bytes.
    try:
        article = prepare(RawArticle(text=text, path="fuzz.txt"))
    except ArticleError as exc:
        assert str(exc)
        return
    _check_chunks(article)


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


# -- end to end: a folder of good and garbage files through the real indexer ---------------------

GARBAGE: dict[str, bytes] = {
    "random.txt": bytes(random.Random(7).randrange(256) for _ in range(3000)),
    "nul.md": b"Title\n\nSome text\x00 with a NUL byte.",
    "latin1.txt": "Café au lait\n\nLe café coûte deux euros.".encode("latin-1"),
    "empty.txt": b"",
    "blank.md": b" \n\t\n",
    "title-only.txt": b"Just a headline\n",
    "broken.json": b'{"title": "x", "text": ',
    "not-objects.json": b'[1, "two", null]',
    "no-text.json": b'{"title": "A title but no text"}',
    "text-not-string.json": b'{"text": {"nested": ["deep"]}}',
    "garbage.jsonl": b"not json\n[]\n{}\n",
    "script-only.html": b"<html><body><script>alert(document.cookie)</script></body></html>",
    "front-matter.md": b"---\ntitle: [unclosed\n---\nBody text here.\n",
    "invisible.txt": "\u200b\u200d\ufeff\n\n\u200b\u2060\u00ad".encode(),
    "huge.txt": b"Headline\n\n" + b"word " * 30_000,
}


def test_indexer_reports_every_garbage_file_and_keeps_the_good(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    for i in range(3):
        (folder / f"good{i}.txt").write_text(make_article(i, paragraphs=2))
    # Good and bad lines in one feed: the good ones are kept, the bad one reported.
    (folder / "feed.jsonl").write_text(
        json.dumps({"id": "ok-1", "title": "Fine", "text": "A fine line of news. It is kept."})
        + "\n{oops\n"
    )
    for name, data in GARBAGE.items():
        (folder / name).write_bytes(data)
    cfg = settings_for(tmp_path / "index", max_article_bytes=100_000)
    report = Indexer(cfg).run([folder], progress=False)

    assert report.added == 4
    assert all(p.reason.strip() for p in report.problems)
    reported = {Path(p.path.split(" (")[0]).name for p in report.problems}
    assert reported == {*GARBAGE, "feed.jsonl"}, report.problems
    assert any(p.reason == "article over 100,000 bytes (150,010 bytes)" for p in report.problems)
    db = open_live_db(cfg.index_dir)
    try:
        for article in db.all_articles():
            _check_chunks(article)
        vouched = db.chunk_ids(dense=True)
    finally:
        db.close()
    assert vouched == collection_ids(cfg)
