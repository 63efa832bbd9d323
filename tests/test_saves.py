"""A new save of the BM25 index or the chunk table removes what it supersedes, and only that:
a newer revision's save and another process's save in progress stay."""

from __future__ import annotations

import os
import time
from pathlib import Path

from conftest import make_article, open_live_db, settings_for

from index import Indexer, chunk_table, keyword, saves
from index.chunk_table import ChunkTable

ROWS = [("c1", "a", 0, 40, 0, 2, 1), ("c2", "a", 40, 90, 3, 4, 1)]
ARTICLES = {"a": ("2025-03-12", "Wire")}


def _aged(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_late_save_of_an_older_revision_keeps_the_newer_one(tmp_path: Path) -> None:
    table = ChunkTable(list(ROWS), ARTICLES)
    chunk_table.save(table, tmp_path, revision=5)
    # A reader that loaded revision 4 saves after the indexer saved revision 5.
    chunk_table.save(table, tmp_path, revision=4)
    folder = tmp_path / chunk_table.FOLDER
    assert sorted(p.name for p in folder.iterdir()) == ["r4.npz", "r5.npz"]
    assert chunk_table.load(tmp_path, 5, chunks=2, dense=2) is not None
    # The next revision's save supersedes both.
    chunk_table.save(table, tmp_path, revision=6)
    assert [p.name for p in folder.iterdir()] == ["r6.npz"]


def test_leftovers_go_and_a_save_in_progress_stays(tmp_path: Path) -> None:
    folder = tmp_path / "saves"
    folder.mkdir()
    writing = saves.tmp_path(folder, ".npz")
    writing.write_bytes(b"half")
    killed = saves.tmp_path(folder, ".npz")
    killed.write_bytes(b"half")
    _aged(killed, saves.STALE_TMP_SECONDS + 60)
    killed_dir = saves.tmp_path(folder)
    killed_dir.mkdir()
    (killed_dir / "data.npy").write_bytes(b"x")
    _aged(killed_dir, saves.STALE_TMP_SECONDS + 60)
    (folder / "r2").mkdir()
    (folder / "r3.npz").write_bytes(b"x")
    (folder / "r9.npz").write_bytes(b"x")
    (folder / "notes.txt").write_text("not a save")
    saves.drop_superseded(folder, 3)
    assert sorted(p.name for p in folder.iterdir()) == sorted([writing.name, "r3.npz", "r9.npz"])


def test_a_late_keyword_save_keeps_the_newer_one(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "a0.txt").write_text(make_article(0, paragraphs=4))
    settings = settings_for(tmp_path / "idx")
    Indexer(settings).run([articles])
    db = open_live_db(settings.index_dir)
    try:
        build, revision = db.path.parent, db.revision()
        rows = db.chunk_rows()
        ids = [r["chunk_id"] for r in rows]
        keyword.save(keyword.build(rows), build, revision - 1, ids)
        assert keyword.load(build, revision, ids) is not None
        assert sorted(p.name for p in (build / keyword.FOLDER).iterdir()) == [
            f"r{revision - 1}",
            f"r{revision}",
        ]
    finally:
        db.close()
