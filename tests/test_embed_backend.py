"""The encoder is stored with the index: a new index gets int8 when NEWSDESK_EMBED_BACKEND is
unset and is asked with the int8 model (queries follow the index, not the setting); with the
setting unset an existing torch index stays torch through updates, repairs, rebuilds, the
chat's uploads and `newsdesk watch`, and is queried with torch's vectors; an update with a set
encoder that differs is refused, status names the encoder and the default, and an index from
before counts as torch. Real model, real Chroma, on the seed article."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import BRIDGE, ORCHARD, SEED, index, open_live_db, run_cli, settings_for

from assistant import Assistant
from index import Indexer, IndexReport, Problem, index_status, query_encoder, shared_embedder
from index.errors import IndexDamagedError
from index.layout import read_pointer, store_path
from index.onnx_encoder import OnnxEncoder
from index.vectors import chroma_client
from index.watch import Watcher
from ui.app import ChatApp

KURSK = "Who visited Kursk and when?"


@pytest.fixture(scope="module")
def int8_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the seed built with NEWSDESK_EMBED_BACKEND unset, so with the default
    encoder, int8 (read-only for the tests)."""
    index_dir = tmp_path_factory.mktemp("int8-index")
    report = index(index_dir, [SEED])
    assert report.added == 1 and not report.problems
    return index_dir


def _stored_backend(index_dir: Path) -> str:
    db = open_live_db(index_dir)
    try:
        return db.meta()["embed_backend"]
    finally:
        db.close()


def _torch_index(index_dir: Path, folder: Path) -> None:
    """An index of the seed made with the torch encoder, set explicitly (as before int8 was
    the default), from a folder holding the seed."""
    folder.mkdir()
    (folder / SEED.name).write_bytes(SEED.read_bytes())
    assert index(index_dir, [folder], embed_backend="torch").added == 1
    assert _stored_backend(index_dir) == "torch"


def _has_torch_vectors(index_dir: Path) -> bool:
    """Whether every stored vector is what the torch model gives its chunk (int8's are at
    cosine 0.98-0.9999 of those, so they fail this)."""
    texts, stored = _stored_vectors(index_dir)
    return bool(np.all((stored * shared_embedder().embed(texts)).sum(axis=1) > 0.9999))


def _stored_vectors(index_dir: Path) -> tuple[list[str], np.ndarray]:
    """The chunk texts of the live build and their vectors as Chroma keeps them."""
    db = open_live_db(index_dir)
    try:
        rows = {r["chunk_id"]: r["text"] for r in db.chunk_rows(with_text=True)}
    finally:
        db.close()
    pointer = read_pointer(index_dir)
    assert pointer is not None
    got = (
        chroma_client(settings_for(index_dir))
        .get_collection(pointer.collection)
        .get(ids=sorted(rows), include=["embeddings"])
    )
    return [rows[i] for i in got["ids"]], np.asarray(got["embeddings"])


def test_a_new_index_without_the_setting_is_int8(int8_dir: Path) -> None:
    assert _stored_backend(int8_dir) == "int8"
    texts, stored = _stored_vectors(int8_dir)
    alone = OnnxEncoder(settings_for(int8_dir).model_cache_dir, "int8").embed(texts)
    assert np.all((stored * alone).sum(axis=1) > 0.9999)
    assert not _has_torch_vectors(int8_dir)


def test_an_int8_index_answers_the_seed_question(int8_dir: Path) -> None:
    # Asked with torch set, the question is embedded with int8 all the same.
    answer = Assistant(settings_for(int8_dir, embed_backend="torch")).ask(KURSK)
    assert answer.answered
    assert "Vladimir Putin" in answer.text


def test_an_int8_index_is_queried_with_the_int8_model(int8_dir: Path) -> None:
    texts, stored = _stored_vectors(int8_dir)
    encoder = query_encoder(settings_for(int8_dir))
    assert np.dot(stored[0], encoder.embed_query(texts[0])) > 0.9999
    queries = encoder.embed(texts)
    torch = shared_embedder().embed(texts)
    to_query = (stored * queries).sum(axis=1)
    to_torch = (stored * torch).sum(axis=1)
    assert np.all(to_query > 0.9999), to_query
    assert np.all((to_torch > 0.98) & (to_torch < 0.9999)), to_torch


def test_an_update_with_another_encoder_is_refused(int8_dir: Path) -> None:
    with pytest.raises(IndexDamagedError) as refused:
        index(int8_dir, [SEED], embed_backend="torch")
    message = str(refused.value)
    assert "embedded with the int8 encoder" in message
    assert "NEWSDESK_EMBED_BACKEND asks for torch" in message
    assert "unset NEWSDESK_EMBED_BACKEND" in message
    assert "NEWSDESK_EMBED_BACKEND=int8" in message and "newsdesk index --rebuild" in message
    # With the stored backend, or none set, the same update goes through (nothing changed).
    assert index(int8_dir, [SEED], embed_backend="int8").unchanged == 1
    assert index(int8_dir, [SEED]).unchanged == 1
    assert _stored_backend(int8_dir) == "int8"


def test_status_names_the_encoder_and_the_default(int8_dir: Path) -> None:
    shown = run_cli("status", "--index-dir", str(int8_dir))
    assert shown.returncode == 0, shown.stderr
    assert "encoder:  int8 (stored with the index; updates keep it)" in shown.stdout
    assert "a new index gets int8 (NEWSDESK_EMBED_BACKEND; unset: int8)" in shown.stdout
    assert "will refuse" not in shown.stdout
    status = index_status(settings_for(int8_dir, embed_backend="onnx"))
    assert (status["embed_backend"], status["new_index_backend"]) == ("int8", "onnx")
    assert "asks for onnx" in status["embed_backend_conflict"]


def test_a_torch_index_stays_torch_with_the_setting_unset(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    _torch_index(tmp_path / "index", folder)
    index_dir = tmp_path / "index"
    unset = settings_for(index_dir)
    # Queries embed with torch's vectors (its fp32 ONNX copy), not the new default's.
    texts, stored = _stored_vectors(index_dir)
    queries = query_encoder(unset).embed(texts)
    assert np.all((stored * queries).sum(axis=1) > 0.9999)
    assert "Vladimir Putin" in Assistant(unset).ask(KURSK).text
    # An update adds an article with torch; it is not refused.
    (folder / "bridge.txt").write_text(BRIDGE)
    report = Indexer(unset).run([folder], progress=False)
    assert (report.added, report.unchanged) == (1, 1)
    assert _stored_backend(index_dir) == "torch" and _has_torch_vectors(index_dir)
    # A lost vector comes back from torch.
    pointer = read_pointer(index_dir)
    assert pointer is not None
    collection = chroma_client(unset).get_collection(pointer.collection)
    collection.delete(ids=collection.get(include=[])["ids"][:1])
    report = Indexer(unset).run([folder], progress=False)
    assert report.embedded == 1 and any("re-embedded" in r for r in report.repaired)
    assert _has_torch_vectors(index_dir)
    # A rebuild keeps the index's encoder too: only a brand new index gets the default.
    report = Indexer(unset).run([folder], rebuild=True, progress=False)
    assert report.added == 2
    assert _stored_backend(index_dir) == "torch" and _has_torch_vectors(index_dir)
    shown = run_cli("status", "--index-dir", str(index_dir))
    assert "encoder:  torch (stored with the index; updates keep it)" in shown.stdout
    assert "a new index gets int8" in shown.stdout


def test_uploads_and_watch_keep_a_torch_index_torch(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    index_dir = tmp_path / "index"
    _torch_index(index_dir, folder)
    # The chat's upload path: NEWSDESK_EMBED_BACKEND unset, as a chat started plainly has it.
    app = ChatApp(settings_for(index_dir))
    upload = tmp_path / "upload" / "bridge.txt"
    upload.parent.mkdir()
    upload.write_text(BRIDGE)
    shown = app.add_files([str(upload)])[0]
    assert "1 added" in shown, shown
    assert _stored_backend(index_dir) == "torch" and _has_torch_vectors(index_dir)
    # `newsdesk watch`'s run: one pass over the folder with a new file, then stop.
    (folder / "orchard.txt").write_text(ORCHARD)
    stop = threading.Event()
    reports: list[IndexReport] = []

    def ran(report: IndexReport, problems: list[Problem]) -> None:
        reports.append(report)
        stop.set()

    Watcher(settings_for(index_dir), [folder], on_run=ran).run(stop)
    assert [r.added for r in reports] == [1], [r.summary() for r in reports]
    assert _stored_backend(index_dir) == "torch" and _has_torch_vectors(index_dir)


def test_lost_vectors_come_back_from_the_int8_model(tmp_path: Path) -> None:
    index(tmp_path, [SEED], embed_backend="int8")
    pointer = read_pointer(tmp_path)
    assert pointer is not None
    collection = chroma_client(settings_for(tmp_path)).get_collection(pointer.collection)
    lost = collection.get(include=[])["ids"][:1]  # the seed's head: its one vector
    collection.delete(ids=lost)
    report = index(tmp_path, [SEED], embed_backend="int8")
    assert report.embedded == 1 and any("re-embedded" in r for r in report.repaired)
    texts, stored = _stored_vectors(tmp_path)
    again = query_encoder(settings_for(tmp_path)).embed(texts)
    assert np.all((stored * again).sum(axis=1) > 0.9999)


def test_an_index_from_before_counts_as_torch(tmp_path: Path) -> None:
    index(tmp_path, [SEED], embed_backend="torch")
    pointer = read_pointer(tmp_path)
    assert pointer is not None
    with sqlite3.connect(store_path(tmp_path, pointer.build)) as conn:
        conn.execute("DELETE FROM meta WHERE key='embed_backend'")
    conn.close()
    shown = run_cli("status", "--index-dir", str(tmp_path))
    assert "encoder:  torch" in shown.stdout, shown.stdout
    with pytest.raises(IndexDamagedError, match="embedded with the torch encoder"):
        index(tmp_path, [SEED], embed_backend="onnx")
    # Unset, it is updated as the torch index it is (and now says so).
    assert index(tmp_path, [SEED]).unchanged == 1
    assert _stored_backend(tmp_path) == "torch"
    # A rebuild with another encoder is what the message offers: it stores the new one.
    index(tmp_path, [SEED], rebuild=True, embed_backend="onnx")
    db = open_live_db(tmp_path)
    try:
        assert db.meta()["embed_backend"] == "onnx"
    finally:
        db.close()


def test_indexing_and_asking_with_int8_load_no_torch_model(tmp_path: Path) -> None:
    # spaCy's entity tagger imports torch (through thinc) on its own; what must stay out is
    # the torch encoder (sentence-transformers, transformers), and from a query, torch itself.
    code = (
        "import sys; from pathlib import Path;"
        "from assistant.settings import NewsdeskSettings; from index import Indexer;"
        f"s = NewsdeskSettings(index_dir=Path({str(tmp_path)!r}), embed_backend='int8');"
        f"Indexer(s).run([Path({str(SEED)!r})], progress=False);"
        "print('sentence_transformers' in sys.modules, 'transformers' in sys.modules)"
    )
    built = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert built.stdout.split()[-2:] == ["False", "False"]
    code = (
        "import sys; from pathlib import Path;"
        "from assistant.settings import NewsdeskSettings; from index import query_encoder;"
        f"query_encoder(NewsdeskSettings(index_dir=Path({str(tmp_path)!r})))"
        ".embed_query('Who visited Kursk?');"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    asked = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.split() == ["False", "False"]


def test_an_onnx_index_has_the_torch_vectors(tmp_path: Path) -> None:
    index(tmp_path, [SEED], embed_backend="onnx")
    texts, stored = _stored_vectors(tmp_path)
    assert np.all((stored * shared_embedder().embed(texts)).sum(axis=1) > 0.9999)
    with pytest.raises(IndexDamagedError, match="embedded with the onnx encoder"):
        Indexer(settings_for(tmp_path, embed_backend="int8")).run([SEED])


def test_int8_vectors_do_not_depend_on_the_texts_beside_them() -> None:
    # Dynamic quantization scales activations per run: batched, a text's vector would move
    # with its batch-mates (cosine ~0.994), and a query would not meet its chunk's vector.
    texts = [
        KURSK,
        "President Vladimir Putin, donning combat fatigues, visited Kursk on Wednesday.",
        "Kremlin spokesman Dmitry Peskov told reporters the troops would take as long as "
        "necessary. " * 8,
    ]
    encoder = OnnxEncoder(settings_for(Path("unused")).model_cache_dir, "int8", batch_size=8)
    together = encoder.embed(texts)
    alone = np.stack([encoder.embed([t])[0] for t in texts])
    assert np.all((together * alone).sum(axis=1) > 0.9999)
