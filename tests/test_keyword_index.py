"""The BM25 index saved per revision: written by the indexer, loaded by readers, never trusted stale."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import make_article, open_live_db, settings_for

from assistant.settings import NewsdeskSettings
from index import Filters, Indexer, IndexReader, keyword

QUERIES = ["budget debate harbor", "item 1.0.0", "council vote", "nothing like this at all"]


@pytest.fixture
def indexed(tmp_path: Path) -> tuple[NewsdeskSettings, Path]:
    folder = tmp_path / "articles"
    folder.mkdir()
    for i in range(4):
        (folder / f"story{i}.txt").write_text(make_article(i, paragraphs=4))
    settings = settings_for(tmp_path / "index")
    assert Indexer(settings).run([folder]).added == 4
    return settings, folder


def _saves(settings: NewsdeskSettings) -> tuple[Path, int, list[str]]:
    """The live build's save folder, its revision and its chunk ids in store order."""
    db = open_live_db(settings.index_dir)
    try:
        return (
            db.path.parent / keyword.FOLDER,
            db.revision(),
            [r["chunk_id"] for r in db.chunk_rows()],
        )
    finally:
        db.close()


def _sparse(settings: NewsdeskSettings) -> list[list[tuple[str, float]]]:
    view = IndexReader(settings)
    view.refresh()
    newest = max(c.published for c in view.chunks.values() if c.published)
    out = []
    for q in QUERIES:
        out.append(view.keyword(q, 10, Filters(None, None, None)))
        # The filtered path passes a weight mask over the memory-mapped index.
        out.append(view.keyword(q, 10, Filters(newest, None, None)))
    return out


def test_indexer_saves_the_revision_and_readers_get_the_same_hits(
    indexed: tuple[NewsdeskSettings, Path],
) -> None:
    settings, _ = indexed
    folder_path, revision, _ = _saves(settings)
    assert [p.name for p in folder_path.iterdir()] == [f"r{revision}"]
    loaded = _sparse(settings)
    assert any(loaded), "the queries should hit something"
    # The same view built from the article store, with no save to load.
    for p in folder_path.iterdir():
        p.rename(folder_path / f"away-{p.name}")
    built = _sparse(settings)
    assert built == loaded
    # The reader saved what it built, for the next process.
    assert (folder_path / f"r{revision}" / keyword.META).is_file()


def test_an_update_replaces_the_save_and_a_stale_one_is_never_used(
    indexed: tuple[NewsdeskSettings, Path],
) -> None:
    settings, folder = indexed
    folder_path, old_revision, _ = _saves(settings)
    (folder / "story1.txt").write_text(make_article(7, paragraphs=4))
    Indexer(settings).run([folder])
    _, revision, ids = _saves(settings)
    assert revision > old_revision
    assert [p.name for p in folder_path.iterdir()] == [f"r{revision}"]
    assert keyword.load(folder_path.parent, revision, ids) is not None
    # A save for other chunks (or another revision) is refused, not trusted.
    assert keyword.load(folder_path.parent, revision, ids[:-1]) is None
    assert keyword.load(folder_path.parent, old_revision, ids) is None


def test_a_damaged_save_is_rebuilt(indexed: tuple[NewsdeskSettings, Path]) -> None:
    settings, _ = indexed
    folder_path, revision, ids = _saves(settings)
    expected = _sparse(settings)
    for name in ("data.csc.index.npy", keyword.META, "corpus.jsonl"):
        (folder_path / f"r{revision}" / name).write_bytes(b"\x00garbage")
        assert _sparse(settings) == expected
        # The reader replaced the damaged save with a good one.
        assert keyword.load(folder_path.parent, revision, ids) is not None


def test_threads_sharing_a_loaded_index_read_their_own_chunks(
    indexed: tuple[NewsdeskSettings, Path],
) -> None:
    settings, _ = indexed
    folder_path, revision, ids = _saves(settings)
    retriever = keyword.load(folder_path.parent, revision, ids)
    assert retriever is not None
    corpus = retriever.corpus

    def read(k: int) -> int:
        wrong = 0
        for j in range(6000):
            i = (j * 7 + k * 13) % len(ids)
            wrong += corpus[i]["node_id"] != ids[i]
        return wrong

    # Switch threads as often as the interpreter can, so an unguarded seek-then-read races
    # (without the lock this read a wrong chunk a few times in every 10,000 here).
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(8) as pool:
            wrong = sum(pool.map(read, range(8)))
    finally:
        sys.setswitchinterval(interval)
    assert wrong == 0


def test_a_query_of_words_the_index_lacks_finds_nothing_and_logs_nothing(
    indexed: tuple[NewsdeskSettings, Path], caplog: pytest.LogCaptureFixture
) -> None:
    settings, _ = indexed
    view = IndexReader(settings)
    view.refresh()
    caplog.set_level("DEBUG")
    assert view.keyword("the the the", 10, Filters()) == []
    assert view.keyword("of and", 10, Filters(None, None, ("x",))) == []
    assert not [r for r in caplog.records if r.name.startswith("bm25s")]
    assert view.keyword("council vote", 10, Filters()), "a real query still hits"


def test_the_top_k_are_bm25s_own_best_first_and_ties_in_row_order(
    indexed: tuple[NewsdeskSettings, Path],
) -> None:
    import numpy as np

    settings, _ = indexed
    view = IndexReader(settings)
    view.refresh()
    index = view.bm25
    assert index is not None
    one = np.zeros(len(index), dtype=int)
    one[: len(index) // 4] = 1  # mostly masked out: the case bm25s's selection was slow on
    for q in [*QUERIES, "council story item"]:
        for mask in (None, one):
            got = index.search(q, 5, mask)
            rows, scores = index.bm25.retrieve(
                keyword._tokenize(q), k=5, show_progress=False, weight_mask=mask
            )
            expected = [
                (int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if s > 0
            ]
            assert sorted(s for _, s in got) == sorted(s for _, s in expected)
            assert got == sorted(got, key=lambda hit: (-hit[1], hit[0]))
            assert mask is None or all(mask[r] for r, _ in got)


def test_chunks_that_score_alike_come_in_row_order() -> None:
    # A caption repeated in two chunks scores the same in both.
    texts = ["Harbor budget vote.", "A caption on the harbor.", "Harbor budget vote."] * 3
    rows = [{"chunk_id": f"c{i}", "text": t, "title": ""} for i, t in enumerate(texts)]
    retriever = keyword.build(rows)
    assert retriever is not None
    index = keyword.KeywordIndex(retriever.bm25, retriever.corpus)
    got = index.search("harbor budget vote", 4)
    assert [r for r, _ in got] == [0, 2, 3, 5]
    assert len({s for _, s in got}) == 1
