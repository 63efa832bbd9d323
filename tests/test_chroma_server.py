"""Indexing into a real Chroma server started for the test (NEWSDESK_CHROMA_HOST/PORT)."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CHROMA, SEED, make_article, open_live_db, settings_for

from assistant import Assistant
from assistant.settings import NewsdeskSettings
from index import Indexer, IndexReader, index_status
from index.layout import chroma_dir, read_pointer
from index.vectors import chroma_client


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A `chroma run` server on a free port, stopped at teardown."""
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = (data / "server.log").open("w")
    proc = subprocess.Popen(
        [
            str(CHROMA),
            "run",
            "--path",
            str(data / "db"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1
                ) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chroma server did not start: {(data / 'server.log').read_text()}")
            time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_index_into_chroma_server(
    chroma_server: tuple[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    host, port = chroma_server
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "seed.txt").write_bytes(SEED.read_bytes())
    (folder / "other.txt").write_text(make_article(5, paragraphs=3))
    # The documented way in: environment variables read by the settings.
    monkeypatch.setenv("NEWSDESK_CHROMA_HOST", host)
    monkeypatch.setenv("NEWSDESK_CHROMA_PORT", str(port))
    settings = NewsdeskSettings(index_dir=tmp_path / "index")
    assert settings.uses_server and settings.chroma_port == port

    report = Indexer(settings).run([folder])
    assert (report.added, report.problems) == (2, [])
    assert report.embedded == report.dense_chunks > 0
    # The vectors are on the server, not in an embedded store beside the index.
    assert not chroma_dir(settings.index_dir).exists()
    pointer = read_pointer(settings.index_dir)
    assert pointer is not None

    import chromadb

    server = chromadb.HttpClient(host=host, port=port)
    collection = server.get_collection(pointer.collection)
    db = open_live_db(settings.index_dir)
    try:
        store_ids = db.chunk_ids(dense=True)
    finally:
        db.close()
    assert set(collection.get(include=[])["ids"]) == store_ids
    assert collection.count() == report.dense_chunks
    status = index_status(settings)
    assert status["backend"] == f"chroma server {host}:{port}"
    assert status["chunks"] == report.chunks

    # A dated question asks the server for the vectors of the chunks that pass, by id.
    asked = []
    among = IndexReader._dense_among

    def counted(self: IndexReader, *args: object) -> object:
        asked.append(result := among(self, *args))
        return result

    monkeypatch.setattr(IndexReader, "_dense_among", counted)
    answer = Assistant(settings).ask("Who visited Kursk?", since="2025-03-01", until="2025-03-31")
    assert answer.answered and "Vladimir Putin" in answer.text
    assert asked and all(r is not None for r in asked)

    again = Indexer(settings).run([folder])
    assert (again.embedded, again.unchanged, again.added) == (0, 2, 0)
    assert "nothing changed" in again.summary()
    assert collection.count() == report.dense_chunks


def test_server_settings_fields(chroma_server: tuple[str, int], tmp_path: Path) -> None:
    """chroma_host/chroma_port given in code work the same, and a rebuild stays on the server."""
    host, port = chroma_server
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(make_article(9, paragraphs=2))
    settings = settings_for(tmp_path / "index", chroma_host=host, chroma_port=port)
    first = Indexer(settings).run([folder])
    old = read_pointer(settings.index_dir)
    rebuilt = Indexer(settings).run([folder], rebuild=True)
    new = read_pointer(settings.index_dir)
    assert old is not None and new is not None and old.collection != new.collection
    names = {
        c if isinstance(c, str) else c.name for c in chroma_client(settings).list_collections()
    }
    assert new.collection in names and old.collection not in names
    assert chroma_client(settings).get_collection(new.collection).count() == rebuilt.dense_chunks
    assert rebuilt.chunks == first.chunks
    assert not chroma_dir(settings.index_dir).exists()


def test_two_index_dirs_share_one_server(chroma_server: tuple[str, int], tmp_path: Path) -> None:
    """Indexing one index dir must not delete the collections another index dir keeps there."""
    host, port = chroma_server
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(make_article(11, paragraphs=2))
    first = settings_for(tmp_path / "first", chroma_host=host, chroma_port=port)
    second = settings_for(tmp_path / "second", chroma_host=host, chroma_port=port)
    report = Indexer(first).run([folder])
    Indexer(second).run([folder])
    Indexer(second).run([folder], rebuild=True)
    pointer = read_pointer(first.index_dir)
    assert pointer is not None
    assert chroma_client(first).get_collection(pointer.collection).count() == report.dense_chunks
