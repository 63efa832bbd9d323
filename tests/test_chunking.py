"""Sentence spans and chunks: offsets into the clean text, and every chunk fits the model window."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from conftest import SEED, live_collection, open_live_db

from assistant.settings import NewsdeskSettings
from index import Indexer, IndexReport
from index.articles import Article, Chunk
from index.chunking import (
    MEMO_SIZE,
    TokenCounter,
    approx_tokens,
    count_all,
    tiktoken_counter,
    wordpiece_counter,
)
from index.embedding import model_dir

WINDOW = 254  # 256 word pieces less [CLS] and [SEP]


@pytest.fixture(scope="module")
def wordpieces() -> TokenCounter:
    return wordpiece_counter(str(model_dir()))


@pytest.fixture(scope="module")
def indexer(tmp_path_factory: pytest.TempPathFactory) -> Indexer:
    """An indexer used only to load, clean and chunk (nothing is embedded or stored)."""
    return Indexer(NewsdeskSettings(index_dir=tmp_path_factory.mktemp("unused")))


def prepared(indexer: Indexer, path: Path) -> tuple[Article, list[Chunk]]:
    """The one article of a file and its chunks."""
    items, problems = indexer.prepare_file(path)
    assert problems == []
    assert len(items) == 1
    article, chunks, _locator = items[0]
    return article, chunks


def check_chunks(article: Article, chunks: list[Chunk], wordpieces: TokenCounter) -> None:
    """Every invariant a chunk list must keep."""
    text = article.text
    assert chunks
    prev_end = 0
    for s, e in article.sentences:
        assert 0 <= prev_end <= s < e <= len(text)
        prev_end = e
    expected_first = 0
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.first_sentence == expected_first <= chunk.last_sentence
        assert chunk.start == article.sentences[chunk.first_sentence][0]
        assert chunk.end == article.sentences[chunk.last_sentence][1]
        if chunk.dense:
            assert wordpieces(chunk.text) <= WINDOW, chunk.text[:80]
            assert tiktoken_counter()(chunk.text) <= 200
        else:
            # Past the head nothing is embedded: chunks are sized from their length alone, or
            # (those counted while finding the head's end) by both tokenizers.
            assert approx_tokens(chunk.text) <= 200 or (
                wordpieces(chunk.text) <= WINDOW and tiktoken_counter()(chunk.text) <= 200
            )
        assert chunk.chunk_id.startswith(article.article_id + "-")
        expected_first = chunk.last_sentence + 1
    assert expected_first == len(article.sentences)
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    # Nothing but whitespace between or around the chunks: no text is lost.
    assert text[: chunks[0].start].strip() == ""
    assert text[chunks[-1].end :].strip() == ""
    for a, b in itertools.pairwise(chunks):
        assert text[a.end : b.start].strip() == ""


def test_seed_chunks(indexer: Indexer, wordpieces: TokenCounter) -> None:
    article, chunks = prepared(indexer, SEED)
    check_chunks(article, chunks, wordpieces)
    assert len(chunks) > 3
    # Sentences are real sentences of the clean text.
    assert article.sentence_text(0).startswith("Kremlin says troops took border town")
    assert any(
        article.sentence_text(i) == "Reuters could not independently verify the battlefield "
        "accounts from either side."
        for i in range(len(article.sentences))
    )


def test_giant_sentence_is_split_to_fit(
    indexer: Indexer, wordpieces: TokenCounter, tmp_path: Path
) -> None:
    rnd = random.Random(3)
    vocab = [
        "harbour",
        "council",
        "approves",
        "barrier",
        "Sorensen",
        "Kowalski",
        "tidal",
        "modelling",
        "140",
        "euros",
    ]
    run_on = " ".join(rnd.choice(vocab) for _ in range(3000))
    path = tmp_path / "giant.txt"
    path.write_text(f"Giant\n\nA short opening sentence. {run_on}\n\nA closing sentence.\n")
    article, chunks = prepared(indexer, path)
    assert wordpieces(run_on) > 10 * WINDOW
    check_chunks(article, chunks, wordpieces)
    assert len(chunks) >= 10
    assert "".join(c.text for c in chunks).replace(" ", "").replace("\n", "") == (
        article.text.replace(" ", "").replace("\n", "")
    )


@pytest.mark.parametrize(
    "word",
    [
        ",".join(str(i % 10) for i in range(3000)),  # every digit and comma is a word piece
        "https://example.com/" + "/".join(f"seg{i}" for i in range(1500)),
        "ab" * 5000,  # one [UNK] to the model, thousands of cl100k tokens
    ],
    ids=["numbers", "url", "letters"],
)
def test_giant_single_word_is_cut_to_fit(
    indexer: Indexer, wordpieces: TokenCounter, tmp_path: Path, word: str
) -> None:
    path = tmp_path / "word.txt"
    path.write_text(f"Data dump\n\nThe file follows. {word} That was all.\n")
    article, chunks = prepared(indexer, path)
    check_chunks(article, chunks, wordpieces)
    assert word in article.text
    assert "".join(c.text for c in chunks).replace(" ", "").replace("\n", "") == (
        article.text.replace(" ", "").replace("\n", "")
    )


def test_stored_offsets_agree(formats_index: tuple[NewsdeskSettings, IndexReport]) -> None:
    """SQLite rows and Chroma metadata name the same span of the same clean text."""
    settings, _report = formats_index
    db = open_live_db(settings.index_dir)
    try:
        rows = {r["chunk_id"]: r for r in db.chunk_rows()}
        articles = {a.article_id: a for a in db.all_articles()}
    finally:
        db.close()
    got = live_collection(settings).get(include=["metadatas", "documents"])
    # Only the heads of articles (IndexSettings.head_chunks) have vectors.
    assert sorted(got["ids"]) == sorted(cid for cid, r in rows.items() if r["dense"])
    # Texts live in the article store only: Chroma holds vectors and metadata.
    assert got["documents"] == [None] * len(got["ids"])
    wordpieces = wordpiece_counter(str(model_dir()))
    for cid, meta in zip(got["ids"], got["metadatas"], strict=True):
        row = rows[cid]
        article = articles[row["article_id"]]
        doc = row["text"]
        assert meta["article_id"] == row["article_id"]
        assert (meta["start"], meta["end"]) == (row["start"], row["end"])
        assert doc == article.text[row["start"] : row["end"]]
        assert row["start"] == article.sentences[row["first_sentence"]][0]
        assert row["end"] == article.sentences[row["last_sentence"]][1]
        assert wordpieces(doc) <= WINDOW
        assert meta["title"] == article.title
        assert meta["published"] == (article.published.isoformat() if article.published else "")


def test_batched_counts_equal_one_by_one_counts(wordpieces: TokenCounter) -> None:
    """The batched, remembering counters give each text's own count, also past the memo size."""
    words = SEED.read_text(encoding="utf-8").split()
    rng = random.Random(5)
    texts = [" ".join(rng.sample(words, rng.randint(1, 40))) for _ in range(MEMO_SIZE + 500)]
    texts += texts[:300]  # counted again: served from the memo, or recounted after a clear
    for counter in (wordpieces, tiktoken_counter()):
        assert count_all(counter, texts) == [counter(t) for t in texts]


def test_word_pieces_add_up_across_whitespace(wordpieces: TokenCounter) -> None:
    """Chunking sums word pieces instead of recounting a chunk; the sum must be exact."""
    words = SEED.read_text(encoding="utf-8").split()
    rng = random.Random(9)
    for _ in range(300):
        parts = [" ".join(rng.sample(words, rng.randint(1, 30))) for _ in range(rng.randint(2, 6))]
        joined = rng.choice([" ", "\n", "\n\n", "  "]).join(parts)
        assert wordpieces(joined) == sum(wordpieces(p) for p in parts)


def test_a_title_or_number_abbreviation_does_not_end_a_sentence() -> None:
    from index.sentences import split_sentences

    text = (
        "New York Gov. Kathy Hochul called the storm historic. Sens. Chuck Schumer and "
        "Kirsten Gillibrand agreed, as did the Rev. Al Sharpton and Sgt. Ana Ruiz. "
        "Georgia, the No. 1 seed, won. It was the last game.\n"
        "Gen. Valery Gerasimov spoke. He said Capt. Ivan Petrov would lead."
    )
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "New York Gov. Kathy Hochul called the storm historic.",
        "Sens. Chuck Schumer and Kirsten Gillibrand agreed, as did the Rev. Al Sharpton and "
        "Sgt. Ana Ruiz.",
        "Georgia, the No. 1 seed, won.",
        "It was the last game.",
        "Gen. Valery Gerasimov spoke.",
        "He said Capt. Ivan Petrov would lead.",
    ]
