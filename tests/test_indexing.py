"""Indexing runs end to end: every format, incremental updates, bad input, rebuilds, locking."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
from conftest import (
    JSON_OBJECT,
    NEWSDESK,
    ROOT,
    SEED_TITLE,
    collection_ids,
    index,
    live_collection,
    make_article,
    open_live_db,
    run_cli,
    settings_for,
    trafilatura_error,
)

from assistant.settings import NewsdeskSettings
from index import IndexBusyError, Indexer, IndexReport, index_status, query_encoder
from index.layout import build_dir, builds, index_lock, read_pointer
from index.vectors import chroma_client


def chunks_by_article(index_dir: Path) -> dict[str, set[str]]:
    """Ids of the chunks with a vector (the head, IndexSettings.head_chunks) of each article
    of the live build."""
    db = open_live_db(index_dir)
    try:
        out: dict[str, set[str]] = {}
        for row in db.chunk_rows():
            if row["dense"]:
                out.setdefault(row["article_id"], set()).add(row["chunk_id"])
        return out
    finally:
        db.close()


def article_ids_by_path(index_dir: Path) -> dict[str, str]:
    """The article id of each single-article file of the live build."""
    db = open_live_db(index_dir)
    try:
        return {a.path: a.article_id for a in db.all_articles()}
    finally:
        db.close()


# -- every format -----------------------------------------------------------------------------


def test_every_format_is_indexed(formats_index: tuple[NewsdeskSettings, IndexReport]) -> None:
    settings, report = formats_index
    html = trafilatura_error() is None
    # seed, markdown, json object, json list of 2, jsonl of 4 (+ the html page).
    expected = 9 + int(html)
    assert report.problems == []
    assert (report.added, report.updated, report.removed) == (expected, 0, 0)
    # One vector per article: its head (IndexSettings.head_chunks); more chunks in all.
    assert report.embedded == report.dense_chunks == expected < report.chunks
    status = index_status(settings)
    assert status["articles"] == expected
    assert status["chunks"] == report.chunks
    assert live_collection(settings).count() == report.dense_chunks
    db = open_live_db(settings.index_dir)
    try:
        articles = {a.title: a for a in db.all_articles()}
    finally:
        db.close()
    seed = articles[SEED_TITLE]
    assert (seed.published, seed.date_inferred) == (date(2025, 3, 13), True)
    rail = articles["Rail union agrees pay deal, calling off weekend strikes"]
    assert (rail.published, rail.date_inferred) == (date(2024, 6, 3), False)
    assert articles[JSON_OBJECT["title"]].article_id == JSON_OBJECT["id"]
    assert {"jl-1", "jl-2", "jl-3", "jl-4", "lib-reopens"} <= {
        a.article_id for a in articles.values()
    }
    if html:
        harbour = articles["Harbour council approves new flood barrier after decade of delays"]
        assert harbour.source == "The Coastal Ledger"
    # Chroma metadata carries the date for filters.
    metas = live_collection(settings).get(include=["metadatas"])["metadatas"]
    assert {m["published_int"] for m in metas if m["article_id"] == seed.article_id} == {20250313}


def test_ids_stable_across_index_builds(
    formats_index: tuple[NewsdeskSettings, IndexReport],
    formats_dir: dict[str, Path],
    tmp_path: Path,
) -> None:
    settings, _ = formats_index
    first = article_ids_by_path(settings.index_dir)
    index(tmp_path / "again", [formats_dir["txt"], formats_dir["md"]])
    second = article_ids_by_path(tmp_path / "again")
    assert len(second) == 2
    for path, aid in second.items():
        assert first[path] == aid


# -- incremental runs -------------------------------------------------------------------------


@pytest.fixture
def small(tmp_path: Path) -> tuple[NewsdeskSettings, Path, IndexReport]:
    """Three short articles, indexed once."""
    folder = tmp_path / "articles"
    folder.mkdir()
    for i in range(3):
        (folder / f"story{i}.txt").write_text(make_article(i, paragraphs=3))
    settings = settings_for(tmp_path / "index")
    report = Indexer(settings).run([folder])
    assert (report.added, report.problems) == (3, [])
    return settings, folder, report


def test_unchanged_run_embeds_nothing(small: tuple[NewsdeskSettings, Path, IndexReport]) -> None:
    settings, folder, first = small
    before = collection_ids(settings)
    pointer = read_pointer(settings.index_dir)
    report = Indexer(settings).run([folder])
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 0, 3)
    assert report.embedded == 0
    assert report.chunks == first.chunks
    assert "nothing changed" in report.summary()
    assert "nothing changed" not in first.summary()
    assert collection_ids(settings) == before
    assert read_pointer(settings.index_dir) == pointer


def test_unchanged_run_leaves_revision_and_keyword_index_alone(
    small: tuple[NewsdeskSettings, Path, IndexReport],
) -> None:
    """Readers reload, and the keyword index is rebuilt, only when articles change."""
    settings, folder, _ = small
    build = build_dir(settings.index_dir, read_pointer(settings.index_dir).build)

    def saves() -> dict[str, int]:
        return {p.name: p.stat().st_mtime_ns for p in (build / "bm25").iterdir()}

    def revision_now() -> int:
        with closing(open_live_db(settings.index_dir)) as db:
            return db.revision()

    revision, saved = revision_now(), saves()
    assert saved == {f"r{revision}": saved[f"r{revision}"]}
    # `newsdesk index` in a fresh process: nothing to embed or chunk, so neither llama-index
    # nor torch is imported (they cost ~1 s and ~5 s), nor the tokenizers chunking counts
    # with (~0.4 s) or the answering stack (~0.4 s).
    code = (
        "import sys; from assistant.cli import main;"
        f"rc = main(['index', {str(folder)!r}, '--index-dir', {str(settings.index_dir)!r}]);"
        "print(rc, sorted(m for m in ('llama_index.core', 'torch', 'tiktoken',"
        " 'assistant.service') if m in sys.modules), file=sys.stderr)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert "3 unchanged" in out.stdout and "0 embedded" in out.stdout, out.stdout + out.stderr
    assert out.stderr.strip().splitlines()[-1] == "0 []", out.stderr
    assert (revision_now(), saves()) == (revision, saved)
    edited = folder / "story0.txt"
    edited.write_text(edited.read_text() + "\nA council spokesperson confirmed the figures.\n")
    assert Indexer(settings).run([folder]).updated == 1
    assert revision_now() == revision + 1
    assert list(saves()) == [f"r{revision + 1}"]


@pytest.mark.filterwarnings("ignore:legacy embedding function config")
def test_collections_get_the_tuned_search_depth(
    small: tuple[NewsdeskSettings, Path, IndexReport],
) -> None:
    """New builds use the tuned HNSW settings; an older collection gets the search depth."""
    settings, folder, _ = small
    hnsw = live_collection(settings).configuration_json["hnsw"]
    assert (hnsw["space"], hnsw["ef_search"], hnsw["ef_construction"]) == ("cosine", 400, 200)
    live_collection(settings).modify(configuration={"hnsw": {"ef_search": 100}})
    assert live_collection(settings).configuration_json["hnsw"]["ef_search"] == 100
    Indexer(settings).run([folder])
    assert live_collection(settings).configuration_json["hnsw"]["ef_search"] == 400


def test_edited_file_reembeds_only_that_article(
    small: tuple[NewsdeskSettings, Path, IndexReport],
) -> None:
    settings, folder, _ = small
    before = chunks_by_article(settings.index_dir)
    ids_before = article_ids_by_path(settings.index_dir)
    edited = folder / "story1.txt"
    old_id = ids_before[str(edited.absolute())]
    edited.write_text(edited.read_text().replace("(item 1.0.0)", "(item 1.0.0, corrected)"))
    report = Indexer(settings).run([folder])
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 0, 2)
    after = chunks_by_article(settings.index_dir)
    new_id = article_ids_by_path(settings.index_dir)[str(edited.absolute())]
    assert new_id != old_id and old_id not in after
    assert report.embedded == len(after[new_id])
    assert "nothing changed" not in report.summary()
    # The other articles keep their vectors; the edited one's old vectors are gone.
    for aid, ids in before.items():
        if aid != old_id:
            assert after[aid] == ids
    expected = set().union(*after.values())
    assert collection_ids(settings) == expected
    assert not before[old_id] & expected


def test_deleted_file_is_removed_with_its_vectors(
    small: tuple[NewsdeskSettings, Path, IndexReport],
) -> None:
    settings, folder, first = small
    gone = folder / "story2.txt"
    gone_id = article_ids_by_path(settings.index_dir)[str(gone.absolute())]
    gone_chunks = chunks_by_article(settings.index_dir)[gone_id]
    assert gone_chunks <= collection_ids(settings)
    gone.unlink()
    report = Indexer(settings).run([folder])
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 1, 2)
    assert report.embedded == 0
    assert report.dense_chunks == first.dense_chunks - len(gone_chunks)
    assert report.chunks < first.chunks
    left = collection_ids(settings)
    assert not gone_chunks & left
    assert len(left) == report.dense_chunks
    assert gone_id not in chunks_by_article(settings.index_dir)


def test_added_file_is_embedded(small: tuple[NewsdeskSettings, Path, IndexReport]) -> None:
    settings, folder, first = small
    before = collection_ids(settings)
    (folder / "story3.txt").write_text(make_article(3, paragraphs=3))
    report = Indexer(settings).run([folder])
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 0, 0, 3)
    new_id = article_ids_by_path(settings.index_dir)[str((folder / "story3.txt").absolute())]
    new_chunks = chunks_by_article(settings.index_dir)[new_id]
    assert report.embedded == len(new_chunks) > 0
    assert collection_ids(settings) == before | new_chunks
    assert report.dense_chunks == first.dense_chunks + len(new_chunks)


def test_rebuild_switches_to_a_new_build(small: tuple[NewsdeskSettings, Path, IndexReport]) -> None:
    settings, folder, first = small
    old = read_pointer(settings.index_dir)
    assert old is not None
    old_ids = collection_ids(settings)
    report = Indexer(settings).run([folder], rebuild=True)
    new = read_pointer(settings.index_dir)
    assert new is not None and new.build != old.build
    assert report.rebuilt and report.added == 3 and report.embedded == first.dense_chunks
    assert collection_ids(settings) == old_ids  # same chunks, same ids
    assert not build_dir(settings.index_dir, old.build).exists()
    names = {
        c if isinstance(c, str) else c.name for c in chroma_client(settings).list_collections()
    }
    assert old.collection not in names and new.collection in names


# -- bad input ---------------------------------------------------------------------------------


def test_bad_inputs_are_reported_and_the_rest_indexed(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.txt").write_text(make_article(7, paragraphs=2))
    (folder / "empty.txt").write_text("  \n\n")
    (folder / "binary.txt").write_bytes(b"PK\x03\x04\x00\x00\x14\x00 some zip bytes")
    (folder / "latin1.txt").write_bytes(
        "Caf\u00e9 owners protest\n\nPrices rose.".encode("latin-1")
    )
    lines = [
        json.dumps(
            {"id": "ok-1", "text": "The first valid line. It has text.", "date": "2024-01-02"}
        ),
        '{"id": "broken", "text": "no closing brace"',
        json.dumps(
            {"id": "ok-3", "body": "The third line is valid too. Good.", "date": "2024-01-03"}
        ),
    ]
    (folder / "feed.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "notext.json").write_text(
        json.dumps({"title": "Headline only", "date": "2024-01-01"})
    )
    (folder / "huge.txt").write_bytes(b"Huge\n\n" + b"word " * (1024 * 1024 + 10))
    missing = tmp_path / "does-not-exist.txt"
    index_dir = tmp_path / "index"

    out = run_cli("index", str(folder), str(missing), "--index-dir", str(index_dir), "--json")
    assert out.returncode == 3, out.stderr
    skipped = {Path(s["path"].split(" (")[0]).name: s for s in json.loads(out.stdout)["skipped"]}
    reasons = {name: s["reason"] for name, s in skipped.items()}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["binary.txt"] == "binary file (contains NUL bytes), not text"
    assert reasons["latin1.txt"] == "undecodable text: not UTF-8 (byte 0xe9 at offset 3)"
    assert skipped["feed.jsonl"]["path"].endswith("feed.jsonl (line 2)")
    assert reasons["feed.jsonl"].startswith("invalid JSON")
    assert skipped["notext.json"]["path"].endswith("notext.json (item 1)")
    assert reasons["notext.json"] == (
        "missing text field (one of text, body, content, maintext, raw_text)"
    )
    assert reasons["huge.txt"].startswith("article over 5 MB (")
    assert reasons["does-not-exist.txt"] == "no such file or folder"
    assert len(skipped) == 7
    # Each problem is also on stderr, with the file it concerns.
    for s in json.loads(out.stdout)["skipped"]:
        assert f"skipped {s['path']}: {s['reason']}" in out.stderr

    # The good file and the two valid .jsonl lines are indexed.
    db = open_live_db(index_dir)
    try:
        ids = {a.article_id for a in db.all_articles()}
        titles = {a.title for a in db.all_articles()}
    finally:
        db.close()
    assert {"ok-1", "ok-3"} <= ids and "broken" not in ids
    assert len(ids) == 3
    assert "Council story number 7 from January 8, 2024" in titles
    assert (
        len(collection_ids(settings_for(index_dir)))
        == index_status(settings_for(index_dir))["chunks"]
    )

    # A second run reports the bad parts again (they are not fixed) and embeds nothing.
    again = Indexer(settings_for(index_dir)).run([folder, missing], progress=False)
    assert again.embedded == 0 and again.added == 0 and again.unchanged == 3
    assert any(p.path.endswith("feed.jsonl (line 2)") for p in again.problems)
    assert len(again.problems) == 7


# -- two indexers --------------------------------------------------------------------------------


def test_second_indexer_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(make_article(1, paragraphs=2))
    index_dir = tmp_path / "index"
    with index_lock(index_dir):
        with pytest.raises(IndexBusyError, match="another indexer"):
            Indexer(settings_for(index_dir)).run([folder])
        out = run_cli("index", str(folder), "--index-dir", str(index_dir))
    assert out.returncode == 1
    assert f"another indexer (pid {os.getpid()}) is updating {index_dir}" in out.stderr
    assert "try again when it finishes" in out.stderr
    assert "Traceback" not in out.stderr
    assert read_pointer(index_dir) is None  # the refused run built nothing
    # Once the lock is free the same command works.
    assert Indexer(settings_for(index_dir)).run([folder]).added == 1


# -- interrupted rebuild ----------------------------------------------------------------------------


def _wait_for_output(
    fd: int, needle: bytes, proc: subprocess.Popen[bytes], timeout: float
) -> bytes:
    """Read a pty until needle shows up, the process ends or time runs out; returns what came."""
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen and proc.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:  # EIO: the other end closed
                break
    return seen


def test_killed_rebuild_leaves_previous_index_usable(tmp_path: Path) -> None:
    old_folder = tmp_path / "old"
    old_folder.mkdir()
    for i in range(3):
        (old_folder / f"old{i}.txt").write_text(make_article(100 + i, paragraphs=3))
    index_dir = tmp_path / "index"
    settings = settings_for(index_dir)
    first = Indexer(settings).run([old_folder])
    live = read_pointer(index_dir)
    assert live is not None
    old_ids = collection_ids(settings)
    assert len(old_ids) == first.dense_chunks

    big = tmp_path / "big"
    big.mkdir()
    for i in range(60):
        (big / f"a{i:03d}.txt").write_text(make_article(i, paragraphs=4))
    # stderr on a terminal makes the CLI draw its "embedding" progress bar, which appears just
    # before the first batch is embedded: the signal that the rebuild is under way.
    leader, follower = pty.openpty()
    # A pty starts 0 columns wide, which would make tqdm draw an empty bar.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen(
        [str(NEWSDESK), "index", "--rebuild", str(big), "--index-dir", str(index_dir)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=follower,
    )
    os.close(follower)
    try:
        seen = _wait_for_output(leader, b"embedding", proc, timeout=180)
        assert b"embedding" in seen, seen.decode(errors="replace")
        time.sleep(3)  # well into loading the model and embedding 60 articles
        assert proc.poll() is None, "the rebuild ended before it could be killed"
        leftover = [b for b in builds(index_dir) if b != live.build]
        assert len(leftover) == 1
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
        os.close(leader)
    assert proc.returncode == -signal.SIGKILL

    # The previous index is untouched and live.
    assert read_pointer(index_dir) == live
    assert build_dir(index_dir, leftover[0]).is_dir()
    status = run_cli("status", "--index-dir", str(index_dir), "--json")
    assert status.returncode == 0, status.stderr
    st = json.loads(status.stdout)
    assert (st["articles"], st["chunks"], st["collection"]) == (3, first.chunks, live.collection)
    assert collection_ids(settings) == old_ids
    query = query_encoder(settings).embed_query("council story number 101")
    hits = live_collection(settings).query(query_embeddings=[query], n_results=3)
    assert hits["ids"][0] and set(hits["ids"][0]) <= old_ids

    # The next run completes and clears what the killed rebuild left behind.
    again = run_cli("index", str(old_folder), "--index-dir", str(index_dir))
    assert again.returncode == 0, again.stderr
    assert "nothing changed" in again.stdout
    assert builds(index_dir) == [live.build]
    names = {
        c if isinstance(c, str) else c.name for c in chroma_client(settings).list_collections()
    }
    assert names == {live.collection}
    assert collection_ids(settings) == old_ids
