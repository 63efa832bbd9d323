"""Chroma opened in a child process for a fresh `newsdesk ask`: the same hits as this
process's own Chroma, and this process takes over whenever the child cannot serve."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import index, make_article, settings_for

from index import Filters, IndexReader
from index.layout import Pointer
from index.vector_worker import VectorProcess

SEARCHES = [Filters(), Filters(date(2024, 1, 2), None), Filters(date(2024, 1, 1), date(2024, 1, 2))]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four articles dated January 1-4, 2024, indexed once (read-only for the tests)."""
    root = tmp_path_factory.mktemp("vector-process")
    folder = root / "articles"
    folder.mkdir()
    for i in range(4):
        (folder / f"a{i}.txt").write_text(make_article(i, paragraphs=6))
    # Every chunk embedded, so that a date bound changes which of them are nearest.
    index(root / "idx", [folder], head_chunks=0)
    return root / "idx"


def searches(reader: IndexReader) -> list[list[tuple[str, float]]]:
    """Dense searches with stored chunks' own vectors, with and without date bounds."""
    plain = IndexReader(reader.settings)
    plain.refresh()
    stored = plain.collection.get(limit=3, include=["embeddings"])["embeddings"]
    return [
        reader.dense([float(x) for x in vector], 3, filters)
        for vector in stored
        for filters in SEARCHES
    ]


def loaded(index_dir: Path) -> tuple[IndexReader, IndexReader]:
    """A reader loaded as usual and one whose load opened Chroma in a child."""
    plain = IndexReader(settings_for(index_dir))
    plain.refresh()
    child = IndexReader(settings_for(index_dir))
    child.vectors_in_child()
    child.refresh()
    return plain, child


def test_the_child_finds_what_this_process_finds(index_dir: Path) -> None:
    plain, child = loaded(index_dir)
    assert isinstance(child.collection, VectorProcess)
    try:
        assert child.collection.running
        found = searches(child)
        # Chroma applied the date bounds: each search is full, not what is left of 3.
        assert all(len(hits) == 3 for hits in found)
        assert found == searches(plain)
        assert (child.dense_chunks, child.missing_vectors) == (
            plain.dense_chunks,
            plain.missing_vectors,
        )
        assert child.collection.running  # served by the child, not by the fallback
    finally:
        child.collection.close()


def test_a_child_that_dies_leaves_the_search_to_this_process(index_dir: Path) -> None:
    plain, child = loaded(index_dir)
    process = child.collection
    assert isinstance(process, VectorProcess) and process._child is not None
    # As a crash would: the reader finds out when it next searches.
    process._child.kill()
    process._child.wait()
    assert searches(child) == searches(plain)
    assert not process.running


def test_a_child_that_cannot_start_leaves_chroma_to_this_process(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.executable", "/nonexistent/python")
    plain, child = loaded(index_dir)
    assert not isinstance(child.collection, VectorProcess)
    assert searches(child) == searches(plain)


def test_a_child_that_opened_another_build_is_not_used(index_dir: Path) -> None:
    process = VectorProcess(settings_for(index_dir))
    # The live build changed between the child's start and this process's load.
    opened = process.open(Pointer("b999", "newsdesk_b999"), lambda: ("opened here", 7))
    assert opened == ("opened here", 7)
    assert not process.running


def test_a_child_of_a_missing_index_hands_the_error_to_this_process(tmp_path: Path) -> None:
    process = VectorProcess(settings_for(tmp_path / "none"))
    assert process.open(Pointer("b1", "newsdesk_b1"), lambda: ("opened here", 0)) == (
        "opened here",
        0,
    )
