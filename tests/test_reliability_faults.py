"""Faults: read-only and full disks, a Chroma server that goes away, queries during a rebuild,
and indexers killed with SIGKILL at random points."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import random
import re
import select
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import (
    CHROMA,
    NEWSDESK,
    SEED,
    collection_ids,
    make_article,
    open_live_db,
    run_cli,
    settings_for,
)

from assistant import Assistant
from assistant.retrieval import Query, hybrid
from index import Filters, Indexer, IndexReader, StoreError
from index.layout import builds, read_pointer
from index.vectors import chroma_client
from ui.app import ChatApp

KURSK = "Who visited Kursk and when?"


def _answers_kursk(assistant: Assistant) -> None:
    answer = assistant.ask(KURSK)
    assert answer.answered and "Vladimir Putin" in answer.text
    for c in answer.citations:
        assert assistant.reader.article(c.article_id).text[c.start : c.end] == c.quote


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the seed, to be copied by tests that break its disk."""
    index_dir = tmp_path_factory.mktemp("seed-index")
    Indexer(settings_for(index_dir)).run([SEED], progress=False)
    return index_dir


@contextmanager
def _mounted(*cmd: str, target: Path) -> Iterator[None]:
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", *cmd, str(target)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here (needs root): {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


def test_read_only_index_dir_still_answers_and_refuses_writes(
    seed_index: Path, tmp_path: Path
) -> None:
    source = tmp_path / "index"
    shutil.copytree(seed_index, source)
    view = tmp_path / "ro"
    view.mkdir()
    subprocess.run(["mount", "--bind", str(source), str(view)], check=False)
    with _mounted("-o", "remount,bind,ro", target=view):
        _answers_kursk(Assistant(settings_for(view)))
        out = run_cli("index", str(SEED), "--index-dir", str(view))
        assert out.returncode == 1
        assert "cannot write to the index dir" in out.stderr
        assert "Traceback" not in out.stderr
        status = run_cli("status", "--check", "--index-dir", str(view))
        assert status.returncode == 0 and "articles: 1" in status.stdout
        assert "health:   healthy" in status.stdout
        cases = tmp_path / "cases.jsonl"
        cases.write_text(json.dumps({"question": KURSK, "expect": ["Putin"], "answerable": True}))
        evaluated = run_cli("eval", str(cases), "--index-dir", str(view))
        assert evaluated.returncode == 0 and "Traceback" not in evaluated.stderr
        assert ChatApp(settings_for(view)).api_ask(KURSK)["answered"]


def test_full_disk_refuses_before_writing_and_keeps_the_index(
    seed_index: Path, tmp_path: Path
) -> None:
    disk = tmp_path / "disk"
    with _mounted("-t", "tmpfs", "-o", "size=24m", "tmpfs", target=disk):
        index_dir = disk / "index"
        shutil.copytree(seed_index, index_dir)
        vectors = collection_ids(settings_for(index_dir))
        corpus = tmp_path / "many"
        corpus.mkdir()
        for i in range(200):
            (corpus / f"a{i}.txt").write_text(make_article(i, paragraphs=12))
        with pytest.raises(StoreError, match="not enough disk space"):
            Indexer(settings_for(index_dir)).run([corpus], progress=False)
        _answers_kursk(Assistant(settings_for(index_dir)))
        assert collection_ids(settings_for(index_dir)) == vectors


# -- a Chroma server that goes away -------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_chroma(path: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    pytest.fail("chroma server did not start")


def test_chroma_server_going_away_gives_a_clear_error_and_recovers(tmp_path: Path) -> None:
    port = _free_port()
    data = tmp_path / "chroma-db"
    server = _start_chroma(data, port)
    settings = settings_for(tmp_path / "index", chroma_host="127.0.0.1", chroma_port=port)
    try:
        Indexer(settings).run([SEED], progress=False)
        assistant = Assistant(settings)
        _answers_kursk(assistant)
        server.send_signal(signal.SIGKILL)
        server.wait()
        with pytest.raises(StoreError, match="cannot"):
            assistant.ask(KURSK)
        env = {**os.environ, "NEWSDESK_CHROMA_HOST": "127.0.0.1", "NEWSDESK_CHROMA_PORT": str(port)}
        out = subprocess.run(
            [str(NEWSDESK), "ask", KURSK, "--index-dir", str(tmp_path / "index")],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert out.returncode == 1 and "Chroma server" in out.stderr
        assert "Traceback" not in out.stderr
        server = _start_chroma(data, port)
        _answers_kursk(assistant)  # the same assistant recovers once the server is back
    finally:
        server.kill()
        server.wait()


# -- queries while an indexer runs, and indexers killed at random points ------------------------


def _corpus(folder: Path, n: int, offset: int = 0) -> None:
    folder.mkdir(exist_ok=True)
    shutil.copy(SEED, folder / "seed.txt")
    for i in range(n):
        (folder / f"a{i}.txt").write_text(make_article(offset + i, paragraphs=6))


def _visible(
    index_dir: Path,
) -> tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str]]:
    """(article content hashes, chunk ids the store vouches for, those of them that have a
    vector (the heads), vectors in the live collection)."""
    db = open_live_db(index_dir)
    try:
        hashes = frozenset(a.content_hash for a in db.all_articles())
        chunks = frozenset(db.chunk_ids())
        dense = frozenset(db.chunk_ids(dense=True))
    finally:
        db.close()
    return hashes, chunks, dense, frozenset(collection_ids(settings_for(index_dir)))


def test_a_question_reads_one_committed_state(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    _corpus(folder, 2)
    settings = settings_for(tmp_path / "index")
    Indexer(settings).run([folder], progress=False)
    assistant = Assistant(settings)
    assistant.warm()
    view = assistant.reader.snapshot()
    query = Query(
        "Council story number 1",
        assistant.embedder.embed_query("Council story number 1"),
        3,
        Filters(),
    )
    hits = hybrid().search(view, query)
    # An update commits between a question's search and its reading of the articles.
    (folder / "a1.txt").write_text(make_article(501, paragraphs=6))
    Indexer(settings).run([folder], progress=False)
    assistant.reader.refresh()  # another question reloads the shared view meanwhile
    for hit in hits:
        # Before the fix: KeyError (the article's id changed with its text), or offsets into
        # the new text; the snapshot keeps the state its chunks came from.
        article = view.article(hit.chunk.article_id)
        assert article.text[hit.chunk.start : hit.chunk.end].strip()
        assert hit.chunk.last_sentence < len(article.sentences)
    now = assistant.reader.snapshot()
    assert {h.chunk.article_id for h in hits} - _article_ids(now), "no hit was replaced"
    assert any(a.title.startswith("Council story number 501") for a in now._db.all_articles())
    _answers_kursk(assistant)


@pytest.mark.parametrize("mode", ["rebuild", "update"])
def test_queries_during_indexing_see_a_consistent_index(tmp_path: Path, mode: str) -> None:
    folder = tmp_path / "articles"
    _corpus(folder, 30)
    index_dir = tmp_path / "index"
    Indexer(settings_for(index_dir)).run([folder], progress=False)
    before = read_pointer(index_dir)
    assistant = Assistant(settings_for(index_dir))
    args = [str(NEWSDESK), "index", str(folder), "--index-dir", str(index_dir)]
    if mode == "rebuild":
        args.append("--rebuild")
    else:
        _corpus(folder, 30, offset=700)  # every article but the seed changes
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    asked = 0
    try:
        while proc.poll() is None:
            _answers_kursk(assistant)
            _consistent(assistant)
            asked += 1
    finally:
        proc.wait(timeout=600)
    assert proc.returncode == 0 and asked > 0
    assert (read_pointer(index_dir) != before) == (mode == "rebuild")
    _answers_kursk(assistant)  # served from the new state, picked up without a restart
    assert assistant.reader._pointer == read_pointer(index_dir)
    _consistent(assistant)


def _consistent(assistant: Assistant) -> None:
    """The view's chunks are exactly the rows of one committed state of the store."""
    view = assistant.reader.snapshot()
    rows = view._db.chunk_rows()
    assert set(view.chunks) == {r["chunk_id"] for r in rows}
    assert len(_article_ids(view)) == 31


def _article_ids(view: IndexReader) -> set[str]:
    return {c.article_id for c in view.chunks.values()}


ARTICLES = 40


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["rebuild", "update"])
def test_kill_9_at_random_points_leaves_old_or_new_never_a_mix(tmp_path: Path, mode: str) -> None:
    rnd = random.Random(f"kill-{mode}")
    folder = tmp_path / "articles"
    _corpus(folder, ARTICLES)
    index_dir = tmp_path / "index"
    settings = settings_for(index_dir)
    started = time.monotonic()
    first = run_cli("index", str(folder), "--index-dir", str(index_dir))
    assert first.returncode == 0, first.stderr
    # A whole run's length, model load included: kill points are drawn across it.
    full = time.monotonic() - started
    old = _visible(index_dir)
    assistant = Assistant(settings)
    phases = []
    for attempt, point in enumerate(["any time", "vectors added", "any time"]):
        # Every run changes every article but the seed, so old and new share only the seed.
        _corpus(folder, ARTICLES, offset=1000 * (attempt + 1))
        args = [str(NEWSDESK), "index", str(folder), "--index-dir", str(index_dir)]
        if mode == "rebuild":
            args.append("--rebuild")
        _run_and_kill(args, point, rnd.uniform(0.2, 1.0) * full, rnd.uniform(0.0, 0.05))
        killed = _visible(index_dir)
        _hashes, chunks, dense, vectors = killed
        left = f"{len(vectors - dense)} unvouched vectors, {_builds(index_dir) - 1} extra builds"
        # What queries see: one committed state, every chunk of it with its vector.
        assert dense <= vectors, "a vouched chunk without its vector"
        _answers_kursk(assistant)
        assert set(assistant.reader.chunks) == chunks
        repaired = run_cli("index", str(folder), "--index-dir", str(index_dir))
        assert repaired.returncode == 0, repaired.stderr
        new = _visible(index_dir)
        assert killed[:2] in (old[:2], new[:2]), "queries saw a mix of old and new"
        phases.append(f"{point}: {'old' if killed[:2] == old[:2] else 'new'} ({left})")
        # The repair leaves no orphan vectors, no stale builds or collections.
        assert new[2] == new[3], "orphan vectors or missing vectors after the repair"
        assert len(new[0]) == ARTICLES + 1 and len(new[0] - old[0]) == ARTICLES
        assert _builds(index_dir) == 1
        collections = chroma_client(settings).list_collections()
        names = [c if isinstance(c, str) else c.name for c in collections]
        assert names == [read_pointer(index_dir).collection]
        old = new
        _answers_kursk(assistant)
    print(f"\nkill -9 during {mode} ({full:.0f} s runs): " + "; ".join(phases))


def _run_and_kill(args: list[str], point: str, after_s: float, delay_s: float) -> None:
    """Run an indexer and SIGKILL it after_s seconds in, or delay_s after its vectors are added.

    stderr is a terminal, so the run draws its progress bar: a bar at 100% means every vector
    is in Chroma and the store's commit (or the pointer's switch) is about to happen.
    """
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    deadline = time.monotonic() + (after_s if point == "any time" else 300)
    seen = ""
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                with contextlib.suppress(OSError):
                    seen += os.read(master, 4096).decode(errors="replace")
            done = re.findall(r"(\d+)/(\d+) \[", seen)
            if point == "vectors added" and done and done[-1][0] == done[-1][1] != "0":
                time.sleep(delay_s)
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        os.close(master)


def _builds(index_dir: Path) -> int:
    return len(builds(index_dir))
