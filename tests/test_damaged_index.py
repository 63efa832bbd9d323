"""A damaged index is found, explained and healed: every command meets every damaged state,
each state made for real (files removed, cut short or overwritten; vectors deleted through
Chroma; a real `chroma run` server emptied), and after the repair a question is answered again.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import NEWSDESK, SEED, make_article, settings_for
from test_chroma_server import chroma_server  # noqa: F401 - the real `chroma run` fixture

from index import Indexer
from index.layout import LOCK, POINTER, chroma_dir, read_pointer, store_path
from index.vectors import chroma_client
from ui.app import ChatApp

KURSK = "Who visited Kursk and when?"
UPLOAD = "uploads/desk-note.txt"


def newsdesk(*args: str, index_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run the real command line on an index dir (a fresh process, as a user would)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    return subprocess.run(
        [str(NEWSDESK), *args, "--index-dir", str(index_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(articles folder, index dir): the seed and two council stories, indexed once."""
    root = tmp_path_factory.mktemp("damage-base")
    articles = root / "articles"
    articles.mkdir()
    shutil.copy(SEED, articles / SEED.name)
    for i in (1, 2):
        (articles / f"council-{i}.txt").write_text(make_article(i, paragraphs=4))
    index_dir = root / "index"
    Indexer(settings_for(index_dir)).run([articles], progress=False)
    # Something a user put in the index dir, which no repair may delete.
    (index_dir / UPLOAD).parent.mkdir()
    (index_dir / UPLOAD).write_text("Desk note\n\nThe desk meets at nine on Mondays.\n")
    return articles, index_dir


def _store(index_dir: Path) -> Path:
    pointer = read_pointer(index_dir)
    assert pointer is not None
    return store_path(index_dir, pointer.build)


def _chroma_gone(index_dir: Path) -> None:
    shutil.rmtree(chroma_dir(index_dir))


def _vectors_partly_deleted(index_dir: Path) -> None:
    settings = settings_for(index_dir)
    pointer = read_pointer(index_dir)
    collection = chroma_client(settings).get_collection(pointer.collection)
    ids = collection.get(include=[])["ids"]
    collection.delete(ids=ids[: len(ids) // 3])


def _sqlite_truncated(index_dir: Path) -> None:
    path = _store(index_dir)
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.truncate(size // 2)


def _page_overwritten(index_dir: Path) -> None:
    path = _store(index_dir)
    with sqlite3.connect(path) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name='chunks'").fetchone()[0]
    conn.close()
    with path.open("r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(os.urandom(page_size))


def _bm25_truncated(index_dir: Path) -> None:
    folder = _store(index_dir).parent / "bm25"
    biggest = max((f for f in folder.rglob("*") if f.is_file()), key=lambda f: f.stat().st_size)
    with biggest.open("r+b") as fh:
        fh.truncate(biggest.stat().st_size // 3)


def _pointer_garbage(index_dir: Path) -> None:
    (index_dir / POINTER).write_text('{"build": ')


def _stale_lock(index_dir: Path) -> None:
    # A lock file left by an indexer killed long ago: no process holds it.
    (index_dir / LOCK).write_text("pid 999999")


# state -> (damage, is the index still whole, can it still answer, repair needs --rebuild)
STATES: dict[str, tuple[Callable[[Path], None], bool, bool, bool]] = {
    "chroma folder gone": (_chroma_gone, False, False, False),
    "vectors partly deleted": (_vectors_partly_deleted, False, True, False),
    "sqlite truncated": (_sqlite_truncated, False, False, True),
    "one page overwritten": (_page_overwritten, False, False, True),
    "bm25 save truncated": (_bm25_truncated, False, True, False),
    "current.json garbage": (_pointer_garbage, False, False, False),
    "stale lock": (_stale_lock, True, True, False),
}


def _clean(result: subprocess.CompletedProcess[str]) -> None:
    """No traceback and no library log line reaches the user."""
    out = result.stdout + result.stderr
    assert "Traceback" not in out, out[-3000:]
    assert "DEBUG" not in out and "bm25s:" not in out and "chromadb" not in out.lower(), out


@pytest.mark.parametrize("state", list(STATES))
def test_every_command_meets_a_damaged_index(
    state: str, base: tuple[Path, Path], tmp_path: Path
) -> None:
    articles, source = base
    damage, whole, serves, needs_rebuild = STATES[state]
    index_dir = tmp_path / "index"
    shutil.copytree(source, index_dir)
    damage(index_dir)

    status = newsdesk("status", "--check", index_dir=index_dir)
    _clean(status)
    assert status.returncode == (0 if whole else 1), status.stdout + status.stderr
    if whole:
        assert "health:   healthy" in status.stdout
    else:
        assert "NOT healthy" in status.stdout and "To fix it: run `newsdesk index" in status.stdout

    ask = newsdesk("ask", KURSK, index_dir=index_dir)
    _clean(ask)
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"question": KURSK, "expect": ["Putin"], "answerable": True}))
    evaluated = newsdesk("eval", str(cases), index_dir=index_dir)
    _clean(evaluated)
    chat = ChatApp(settings_for(index_dir)).api_ask(KURSK)
    if serves:
        assert ask.returncode == 0 and "Vladimir Putin" in ask.stdout, ask.stderr
        assert evaluated.returncode == 0, evaluated.stderr
        assert "error" not in chat and chat["answered"]
    else:
        for result in (ask, evaluated):
            assert result.returncode == 1
            assert "To fix it: run `newsdesk index" in result.stderr, result.stderr
        assert "To fix it" in chat["error"]
    if state == "vectors partly deleted":
        assert "have no vector" in ask.stderr

    repair = newsdesk("index", str(articles), index_dir=index_dir)
    _clean(repair)
    if needs_rebuild:
        # Only the article files can restore a damaged store; the message says how.
        assert repair.returncode == 1 and "--rebuild" in repair.stderr, repair.stderr
        repair = newsdesk("index", "--rebuild", str(articles), index_dir=index_dir)
        _clean(repair)
    assert repair.returncode == 0, repair.stderr
    if state in ("chroma folder gone", "vectors partly deleted"):
        assert "missing vectors re-embedded from the article store" in repair.stdout
        assert "3 unchanged" in repair.stdout  # no article was read again or re-embedded
    if state == "current.json garbage":
        assert "index pointer restored" in repair.stdout

    after = newsdesk("status", "--check", index_dir=index_dir)
    assert after.returncode == 0 and "health:   healthy" in after.stdout, after.stdout
    again = newsdesk("ask", KURSK, index_dir=index_dir)
    assert again.returncode == 0 and "Vladimir Putin" in again.stdout
    assert (index_dir / UPLOAD).read_text().startswith("Desk note")


def test_a_lost_keyword_index_is_rebuilt_and_said_once(
    base: tuple[Path, Path], tmp_path: Path
) -> None:
    articles, source = base
    index_dir = tmp_path / "index"
    shutil.copytree(source, index_dir)
    shutil.rmtree(_store(index_dir).parent / "bm25")
    first = newsdesk("index", str(articles), index_dir=index_dir)
    assert first.returncode == 0 and "repaired: keyword index rebuilt" in first.stdout
    again = newsdesk("index", str(articles), index_dir=index_dir)
    assert again.returncode == 0 and "repaired" not in again.stdout, again.stdout
    assert "nothing changed" in again.stdout


def test_an_empty_index_dir_says_there_is_no_index(tmp_path: Path) -> None:
    for args in (("status",), ("ask", KURSK)):
        result = newsdesk(*args, index_dir=tmp_path / "none")
        _clean(result)
        assert result.returncode == 1 and "no index yet" in result.stderr.lower()


@pytest.mark.slow
def test_a_collection_emptied_on_a_chroma_server_is_found_and_refilled(
    base: tuple[Path, Path],
    tmp_path: Path,
    chroma_server: tuple[str, int],  # noqa: F811 - the imported fixture
) -> None:
    articles, _ = base
    host, port = chroma_server
    settings = settings_for(tmp_path / "index", chroma_host=host, chroma_port=port)
    Indexer(settings).run([articles], progress=False)
    pointer = read_pointer(settings.index_dir)
    collection = chroma_client(settings).get_collection(pointer.collection)
    collection.delete(ids=collection.get(include=[])["ids"])
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")},
        "NEWSDESK_CHROMA_HOST": host,
        "NEWSDESK_CHROMA_PORT": str(port),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(NEWSDESK), *args, "--index-dir", str(settings.index_dir)],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        _clean(done)
        return done

    status = run("status")
    assert status.returncode == 1 and "have no vector" in status.stdout, status.stdout
    ask = run("ask", KURSK)
    assert ask.returncode == 1 and "is empty" in ask.stderr, ask.stderr
    repair = run("index", str(articles))
    assert repair.returncode == 0 and "missing vectors re-embedded" in repair.stdout
    assert run("status", "--check").returncode == 0
    assert "Vladimir Putin" in run("ask", KURSK).stdout
