"""The reader's chunk table: rows as columns, records made on demand, and the keyword search
it masks by article, date and source."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pytest
from conftest import index, make_article, open_live_db, settings_for

from index import ChunkInfo, Filters, IndexReader, chunk_table
from index.articles import day_number
from index.chunk_table import ChunkTable

ROWS = [
    ("c3", "b", 0, 50, 0, 1, 1),
    ("c1", "a", 0, 40, 0, 2, 1),
    ("c2", "a", 40, 90, 3, 4, 0),
]
ARTICLES = {"a": ("2025-03-12", "Wire"), "b": (None, None)}


def _index_articles(tmp_path: Path, numbers: Iterable[int]) -> None:
    """Add these synthetic articles (conftest.make_article) to the index in tmp_path/idx."""
    folder = tmp_path / "articles"
    folder.mkdir(exist_ok=True)
    for i in numbers:
        (folder / f"a{i}.txt").write_text(make_article(i, paragraphs=6))
    index(tmp_path / "idx", [folder])


def test_rows_come_in_chunk_id_order_with_their_articles_facts() -> None:
    table = ChunkTable(list(ROWS), ARTICLES)
    assert table.ids == ["c1", "c2", "c3"] == list(table)
    assert len(table) == 3 and "c2" in table and "c9" not in table
    assert table["c2"] == ChunkInfo("c2", "a", 40, 90, 3, 4, date(2025, 3, 12), "Wire")
    assert table["c3"] == ChunkInfo("c3", "b", 0, 50, 0, 1, None, None)
    assert table["c2"] is table["c2"]  # made once
    assert table.dense_count == 2 and table.has_vector.tolist() == [True, False, True]
    assert table.published_days.tolist() == [day_number(date(2025, 3, 12))] * 2 + [0]
    assert table.sources.tolist() == ["wire", "wire", ""]
    assert table.rows_of("a") == [0, 1] and table.rows_of("b") == [2]
    assert table.rows_of("zzz") == []
    assert [c.chunk_id for c in table.firsts()] == ["c1", "c3"]


def test_an_empty_build_has_an_empty_table() -> None:
    table = ChunkTable([], {})
    assert table.ids == [] and len(table) == 0 and table.dense_count == 0
    assert list(table.firsts()) == [] and table.published_days.size == 0


def test_a_keyword_search_within_articles_finds_only_their_chunks(tmp_path: Path) -> None:
    _index_articles(tmp_path, range(3))
    reader = IndexReader(settings_for(tmp_path / "idx"))
    reader.refresh()
    everywhere = reader.keyword("council story item", 50, Filters())
    articles = {reader.chunks[c].article_id for c, _ in everywhere}
    assert len(articles) == 3
    one = sorted(articles)[0]
    inside = reader.keyword("council story item", 50, Filters(within=frozenset({one})))
    assert inside and {reader.chunks[c].article_id for c, _ in inside} == {one}
    assert {c for c, _ in inside} <= {c for c, _ in everywhere}


def test_a_dense_search_no_chunk_can_pass_skips_chroma(tmp_path: Path) -> None:
    _index_articles(tmp_path, range(3))  # dated January 1-3, 2024
    reader = IndexReader(settings_for(tmp_path / "idx"))
    reader.refresh()
    queried = []
    chroma_query = reader.collection.query

    def counted(**kwargs: object) -> object:
        queried.append(kwargs.get("where"))
        return chroma_query(**kwargs)

    reader.collection.query = counted
    # A stored chunk's own vector as the query: the search is the subject, not the encoder.
    vector = [
        float(x) for x in reader.collection.get(limit=1, include=["embeddings"])["embeddings"][0]
    ]
    window = Filters(date(2024, 1, 2), date(2024, 1, 9))
    found = reader.dense(vector, 5, window)
    assert found and all(reader.chunks[c].published >= date(2024, 1, 2) for c, _ in found)
    assert len(queried) == 1
    # The recent days of an archive not updated since: nothing is dated there.
    assert reader.dense(vector, 5, Filters(date(2026, 11, 1), date(2026, 11, 27))) == []
    assert reader.keyword("council story", 5, Filters(date(2026, 11, 1), None)) == []
    assert len(queried) == 1


def test_a_filtered_dense_search_is_the_plain_order_among_the_chunks_that_pass(
    tmp_path: Path,
) -> None:
    _index_articles(tmp_path, range(12))  # dated January 1-12, 2024, a vector each
    reader = IndexReader(settings_for(tmp_path / "idx"))
    reader.refresh()
    vector = [
        float(x) for x in reader.collection.get(limit=1, include=["embeddings"])["embeddings"][0]
    ]
    everything = reader.dense(vector, 1000, Filters())
    assert len(everything) == reader.chunks.dense_count > 8
    # Articles whose chunks rank below the first k: found only if the search asks among them.
    some = frozenset(reader.chunks[c].article_id for c, _ in everything[5:8])
    window = Filters(date(2024, 1, 2), date(2024, 1, 6))
    for filters in (window, Filters(date(2024, 1, 9), None), Filters(within=some)):
        expected = [(c, s) for c, s in everything if filters.allows(reader.chunks[c])][:4]
        found = reader.dense(vector, 4, filters)
        assert [c for c, _ in found] == [c for c, _ in expected]
        assert [s for _, s in found] == pytest.approx([s for _, s in expected])
    # A vector Chroma lost (an interrupted run) that the loaded table still lists: the
    # search by date filter finds the rest.
    lost = reader.dense(vector, 4, window)[0][0]
    reader.collection.delete(ids=[lost])
    rest = [c for c, _ in everything if window.allows(reader.chunks[c]) and c != lost][:3]
    assert [c for c, _ in reader.dense(vector, 3, window)] == rest


def _same(a: ChunkTable, b: ChunkTable) -> None:
    assert a.ids == b.ids and a.dense_count == b.dense_count
    assert a.has_vector.tolist() == b.has_vector.tolist()
    assert [a[c] for c in a] == [b[c] for c in b]
    assert a.published_days.tolist() == b.published_days.tolist()
    assert a.sources.tolist() == b.sources.tolist()
    assert [c.chunk_id for c in a.firsts()] == [c.chunk_id for c in b.firsts()]
    assert a.rows_of("a") == b.rows_of("a")
    assert a.articles_of(range(len(a))) == b.articles_of(range(len(b)))


def test_a_saved_table_loads_as_read_for_its_revision_and_counts_only(tmp_path: Path) -> None:
    table = ChunkTable(list(ROWS), ARTICLES)
    chunk_table.save(table, tmp_path, revision=4)
    _same(chunk_table.load(tmp_path, 4, chunks=3, dense=2), table)
    # Another revision, or a store whose counts differ from the save's, is not served it.
    assert chunk_table.load(tmp_path, 5, chunks=3, dense=2) is None
    assert chunk_table.load(tmp_path, 4, chunks=4, dense=2) is None
    assert chunk_table.load(tmp_path, 4, chunks=3, dense=3) is None
    # A new revision's save replaces the older one.
    chunk_table.save(ChunkTable(list(ROWS[:2]), ARTICLES), tmp_path, revision=5)
    assert [p.name for p in (tmp_path / chunk_table.FOLDER).iterdir()] == ["r5.npz"]
    assert chunk_table.load(tmp_path, 4, chunks=3, dense=2) is None
    assert chunk_table.load(tmp_path, 5, chunks=2, dense=2).ids == ["c1", "c3"]
    empty = ChunkTable([], {})
    chunk_table.save(empty, tmp_path, revision=6)
    _same(chunk_table.load(tmp_path, 6, chunks=0, dense=0), empty)


def test_a_damaged_save_is_read_again_from_the_store(tmp_path: Path) -> None:
    _index_articles(tmp_path, range(3))
    db = open_live_db(tmp_path / "idx")
    build, revision = db.path.parent, db.revision()
    try:
        # Indexing saved the table, so the first question loads it.
        counts = db.chunk_counts()
        saved = chunk_table.load(build, revision, *counts)
        assert saved is not None and len(saved) == counts[0] > 0
        assert chunk_table.is_saved(build, revision, *counts)
        assert not chunk_table.is_saved(build, revision + 1, *counts)
        assert not chunk_table.is_saved(build, revision, counts[0] + 1, counts[1])
        _same(saved, ChunkTable(db.chunk_table_rows(), db.article_facts()))
        path = build / chunk_table.FOLDER / f"r{revision}.npz"
        for damage in (path.read_bytes()[: path.stat().st_size // 2], b"not a zip"):
            path.write_bytes(damage)
            assert chunk_table.load(build, revision, *db.chunk_counts()) is None
        reader = IndexReader(settings_for(tmp_path / "idx"))
        reader.refresh()
        _same(reader.chunks, saved)
        # The reader put a sound save back.
        _same(chunk_table.load(build, revision, *db.chunk_counts()), saved)
    finally:
        db.close()


def test_an_update_is_seen_through_a_new_save(tmp_path: Path) -> None:
    _index_articles(tmp_path, [0])
    reader = IndexReader(settings_for(tmp_path / "idx"))
    reader.refresh()
    before = len(reader.chunks)
    _index_articles(tmp_path, [1])
    reader.refresh()
    assert len(reader.chunks) > before
    assert len({c.article_id for c in reader.chunks.firsts()}) == 2
