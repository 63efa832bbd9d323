"""An incremental update that dies half way: queries see the old index whole, the next run
adopts the vectors already added and finishes, leaving no orphans."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import collection_ids, make_article, open_live_db, settings_for

import index.pipeline as pipeline
from index import Indexer, TextEncoder


class Crash(RuntimeError):
    """The fault injected into the embedding step."""


class DiesAfter:
    """The real encoder of the index, which fails on its n-th call, as a killed process would
    stop."""

    def __init__(self, inner: TextEncoder, calls: int) -> None:
        self.inner = inner
        self.batch_size = self.inner.batch_size
        self.left = calls

    def embed(self, texts: list[str], progress: bool = False):
        """Embed for real until the calls run out."""
        if self.left == 0:
            raise Crash("killed")
        self.left -= 1
        return self.inner.embed(texts)

    def embed_query(self, text: str) -> list[float]:
        """Embed one query for real."""
        return self.inner.embed_query(text)


def _hashes(index_dir: Path) -> dict[str, str]:
    db = open_live_db(index_dir)
    try:
        return {a.path: a.content_hash for a in db.all_articles()}
    finally:
        db.close()


def test_interrupted_update_is_all_or_nothing_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for i in range(6):
        (folder / f"a{i}.txt").write_text(make_article(i, paragraphs=3))
    index_dir = tmp_path / "index"
    settings = settings_for(index_dir)
    Indexer(settings).run([folder], progress=False)
    before = _hashes(index_dir)
    old_ids = collection_ids(settings)

    for i in range(6):
        (folder / f"a{i}.txt").write_text(make_article(100 + i, paragraphs=3))
    # Small groups, so the run adds some vectors before it dies.
    monkeypatch.setattr(pipeline, "EMBED_GROUP_CHUNKS", 2)
    with pytest.raises(Crash):
        # The encoder the index was made with, so the vectors it adds before dying are ones
        # the next run may adopt.
        dying = DiesAfter(Indexer(settings).embedder, calls=2)
        Indexer(settings, embedder=dying).run([folder], progress=False)

    assert _hashes(index_dir) == before, "the old index is still whole: no article changed"
    leftovers = collection_ids(settings) - old_ids
    assert leftovers, "the dead run had added some vectors"

    report = Indexer(settings).run([folder], progress=False)
    assert report.updated == 6
    after = _hashes(index_dir)
    assert set(after) == set(before) and all(after[p] != before[p] for p in before)
    db = open_live_db(index_dir)
    try:
        vouched = db.chunk_ids(dense=True)
    finally:
        db.close()
    # The vectors of the dead run were adopted, not embedded again, and nothing is orphaned.
    assert report.embedded == len(vouched) - len(leftovers & vouched)
    assert leftovers & vouched
    assert collection_ids(settings) == vouched
