"""Named entities: tagged at index time with the pinned spaCy model, stored, and backfilled."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from conftest import ROOT, index, open_live_db, stuck_tag_worker

from index import entities as ents_module
from index.entities import EntityTagger, ModelCheckError, TaggerProcess, shared_tagger


def test_tagger_finds_people_places_and_dates_with_exact_offsets() -> None:
    text = "Officials met in Paris.\n\nPresident Vladimir Putin visited Kursk on March 12, 2025."
    (found,) = EntityTagger().tag([text])
    spans = {(text[e.start : e.end], e.label) for e in found}
    assert ("Vladimir Putin", "PERSON") in spans
    assert ("Paris", "GPE") in spans
    assert ("March 12, 2025", "DATE") in spans


def test_the_tagger_runs_ner_alone_and_finds_what_the_full_model_finds() -> None:
    import spacy

    from index.entities import _model_dir

    tagger = EntityTagger()
    text = (ROOT / "seeds").glob("*")
    seed = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(text) if p.is_file())
    (found,) = tagger.tag([seed])
    assert tagger._load().pipe_names == ["ner"]
    # The stock pipeline, its shared tok2vec included, as it runs for tagger and parser.
    full = spacy.load(_model_dir(), exclude=["parser", "tagger", "attribute_ruler", "lemmatizer"])
    assert "tok2vec" in full.pipe_names
    expected = [
        (s + e.start_char, s + e.end_char, e.label_)
        for s, para in _paragraphs(seed)
        for e in full(para).ents
    ]
    assert len(expected) > 20
    assert [(e.start, e.end, e.label) for e in found] == expected


def _paragraphs(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for para in text.split("\n\n"):
        start = text.find(para, pos) if para else pos
        if para.strip():
            out.append((start, para))
        pos = start + len(para)
    return out


def test_the_tagger_process_tags_as_this_process_does() -> None:
    texts = [
        "Officials met in Paris.\n\nPresident Vladimir Putin visited Kursk on March 12, 2025.",
        "",
        "Steve Witkoff, the US envoy, flew to Moscow with a 30-day ceasefire plan.",
    ]
    child = TaggerProcess()
    try:
        assert child.tag(texts) == shared_tagger().tag(texts)
        assert child.running
        assert child.tag(["Angela Merkel spoke in Berlin."]) == shared_tagger().tag(
            ["Angela Merkel spoke in Berlin."]
        )
    finally:
        child.close()


def test_a_tagger_process_that_died_leaves_tagging_to_this_process() -> None:
    child = TaggerProcess()
    assert child.running
    # As a crash would: this object finds out when it next asks.
    assert child._child is not None
    child._child.kill()
    child._child.wait()
    text = "President Vladimir Putin visited Kursk."
    assert child.tag([text]) == shared_tagger().tag([text])
    assert not child.running  # given up, not asked again


def test_a_stuck_tagger_process_leaves_tagging_to_this_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Ready, then silent: the question waits STALL_SECONDS for its entities, not for ever.
    monkeypatch.setattr(ents_module, "start_tag_worker", stuck_tag_worker)
    monkeypatch.setattr(ents_module, "STALL_SECONDS", 1.0)
    child = TaggerProcess()
    process = child._child
    assert process is not None
    text = "President Vladimir Putin visited Kursk."
    done: list[list] = []
    asking = threading.Thread(target=lambda: done.append(child.tag([text])), daemon=True)
    asking.start()
    asking.join(timeout=60)
    assert done, "tag() still waits on a child that answers nothing"
    assert done[0] == shared_tagger().tag([text])
    assert not child.running and process.poll() is not None  # given up and ended


def test_a_tagger_process_that_cannot_start_leaves_tagging_to_this_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.executable", "/nonexistent/python")
    child = TaggerProcess()
    assert not child.running
    text = "President Vladimir Putin visited Kursk."
    assert child.tag([text]) == shared_tagger().tag([text])


def test_a_model_that_is_not_the_pinned_one_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ents_module._MODEL_FILES, "ner/model", "0" * 64)
    with pytest.raises(ModelCheckError, match="ner/model"):
        EntityTagger().tag(["Anything at all."])


def test_entities_are_stored_and_backfilled_without_reembedding(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(ROOT / "seeds", seeds)
    first = index(tmp_path / "idx", [seeds])
    assert first.added == 1 and first.tag_seconds > 0
    db = open_live_db(tmp_path / "idx")
    try:
        (article,) = list(db.all_articles())
        stored = db.entities(article.article_id)
        assert stored is not None
        people = {article.text[e.start : e.end] for e in stored if e.label == "PERSON"}
        assert "Vladimir Putin" in people
        path = db.path
    finally:
        db.close()

    # An index written before entities were kept: its articles have none.
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM entities")
        conn.execute("DELETE FROM tagged")
    again = index(tmp_path / "idx", [seeds])
    assert again.tagged == 1 and again.embedded == 0
    assert "entities added to 1 earlier articles" in again.summary()
    db = open_live_db(tmp_path / "idx")
    try:
        assert db.entities(article.article_id) == stored
    finally:
        db.close()
    assert index(tmp_path / "idx", [seeds]).tagged == 0
