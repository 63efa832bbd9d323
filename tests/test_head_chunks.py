"""Only an article's head is embedded and tagged; the rest is found by keywords and quoted."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import (
    collection_ids,
    index,
    live_collection,
    make_article,
    open_live_db,
    settings_for,
)

from assistant import Assistant
from index import Indexer
from index.health import check

# A fact planted far down a long article, in words no other sentence uses.
FACT = (
    "The harbour pilot Marguerite Okonkwo steered the grain tanker Solstice Meridian "
    "through the fog into berth nine."
)


def long_article(path: Path) -> Path:
    """A 24-paragraph article (about 1,500 words) with FACT in its 20th paragraph."""
    lines = make_article(7, paragraphs=24).split("\n")
    # Lines 0 and 1 are the headline and a blank; paragraphs follow, blank lines between.
    paragraphs = [i for i, line in enumerate(lines) if i > 1 and line and line[0].isupper()]
    lines[paragraphs[19]] += " " + FACT
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def head_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("articles")
    long_article(folder / "long.txt")
    (folder / "other.txt").write_text(make_article(8), encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("index")
    report = index(index_dir, [folder])
    assert report.problems == [] and report.added == 2
    return index_dir, folder


def test_only_the_head_of_an_article_gets_a_vector_and_entities(head_index) -> None:
    index_dir, _ = head_index
    db = open_live_db(index_dir)
    try:
        rows = db.chunk_rows(with_text=False)
        by_article: dict[str, list] = {}
        for row in rows:
            by_article.setdefault(row["article_id"], []).append(row)
        long_rows = max(by_article.values(), key=len)
        assert len(long_rows) > 5, "the long article is several chunks"
        dense = [r for r in rows if r["dense"]]
        # head_chunks is 1 by default: one vector per article, its first chunk.
        assert len(dense) == len(by_article) == 2
        first = min(long_rows, key=lambda r: r["start"])
        assert first["dense"] and all(not r["dense"] for r in long_rows if r is not first)
        assert collection_ids(settings_for(index_dir)) == {r["chunk_id"] for r in dense}
        entities = db.entities(first["article_id"])
        assert entities, "the head is tagged"
        assert all(e.end <= first["end"] for e in entities), "nothing past the head is tagged"
    finally:
        db.close()
    health = check(settings_for(index_dir), deep=True)
    assert health.healthy, health.findings


def test_a_fact_past_the_head_is_found_and_quoted(head_index) -> None:
    index_dir, _ = head_index
    answer = Assistant(settings_for(index_dir)).ask(
        "Who steered the grain tanker Solstice Meridian into berth nine?"
    )
    assert answer.answered, answer.text
    assert any("Marguerite Okonkwo" in c.quote for c in answer.citations), answer.text


def test_each_question_searches_the_store_afresh(head_index, monkeypatch) -> None:
    # Two retrievers of one question share a search; a second question must not reuse it, or a
    # store that went away (or changed) since would never be noticed.
    from index.reader import IndexReader

    index_dir, _ = head_index
    calls = {"dense": 0, "keyword": 0}
    dense, keyword = IndexReader._dense, IndexReader._keyword

    def counted_dense(self, *args):
        calls["dense"] += 1
        return dense(self, *args)

    def counted_keyword(self, *args):
        calls["keyword"] += 1
        return keyword(self, *args)

    monkeypatch.setattr(IndexReader, "_dense", counted_dense)
    monkeypatch.setattr(IndexReader, "_keyword", counted_keyword)
    assistant = Assistant(settings_for(index_dir))
    question = "Who steered the grain tanker Solstice Meridian into berth nine?"
    assistant.ask(question)
    once = dict(calls)
    assert once["dense"] >= 1 and once["keyword"] >= 1
    assistant.ask(question)
    assert calls == {k: 2 * v for k, v in once.items()}


def test_lost_vectors_of_the_head_are_re_embedded_and_no_others(head_index, tmp_path) -> None:
    index_dir, folder = head_index
    settings = settings_for(index_dir)
    collection = live_collection(settings)
    ids = collection.get(include=[])["ids"]
    collection.delete(ids=ids[:1])
    report = Indexer(settings).run([folder])
    assert report.embedded == 1, report.summary()
    assert set(collection_ids(settings)) == set(ids)


def test_head_chunks_zero_embeds_every_chunk(tmp_path: Path) -> None:
    path = long_article(tmp_path / "long.txt")
    index_dir = tmp_path / "index"
    index(index_dir, [path], head_chunks=0)
    db = open_live_db(index_dir)
    try:
        ids = db.chunk_ids()
        assert len(ids) > 5 and ids == db.chunk_ids(dense=True)
    finally:
        db.close()
    assert collection_ids(settings_for(index_dir)) == ids


def test_without_tagging_at_index_questions_tag_what_they_need(tmp_path: Path) -> None:
    path = long_article(tmp_path / "long.txt")
    index_dir = tmp_path / "index"
    index(index_dir, [path], tag_at_index=False)
    db = open_live_db(index_dir)
    try:
        aid = next(iter(db.chunk_ids())).split("-")[0]
        assert db.entities(aid) is None, "nothing tagged while indexing"
    finally:
        db.close()
    assistant = Assistant(settings_for(index_dir, tag_at_index=False))
    answer = assistant.ask("Who steered the grain tanker Solstice Meridian into berth nine?")
    # The name comes from entities tagged for this question, voted for and led with.
    assert "Marguerite Okonkwo" in answer.text.splitlines()[0], answer.text
    ents = assistant.reader.entities(aid)
    assert ents and any(e.label == "PERSON" for e in ents)


def test_a_question_tags_its_best_sentences_past_the_voters(head_index, monkeypatch) -> None:
    # A sentence ranked below the voters may hold the type asked for: it is tagged too, so
    # that, its entities known, it can climb among them.
    from assistant.service import TAGGED_AT_QUERY
    from assistant.voting import VOTERS
    from index.reader import IndexReader

    index_dir, _ = head_index
    asked: list[dict[str, list[int]]] = []
    tag_sentences = IndexReader.tag_sentences

    def recorded(self, wanted):
        asked.append({aid: list(indices) for aid, indices in wanted.items()})
        return tag_sentences(self, wanted)

    monkeypatch.setattr(IndexReader, "tag_sentences", recorded)
    assistant = Assistant(settings_for(index_dir))
    ctx = assistant.context("Who steered the grain tanker Solstice Meridian into berth nine?")
    assert len(ctx.ranked) > TAGGED_AT_QUERY > VOTERS
    assert len(asked) == 1
    assert sum(len(indices) for indices in asked[0].values()) == TAGGED_AT_QUERY
    # Those past the head now have their entities: the planted pilot's name among them.
    aid = max(asked[0], key=lambda a: len(asked[0][a]))
    text = assistant.reader.article(aid).text
    late = assistant.reader.entities(aid, asked[0][aid]) or []
    assert "Marguerite Okonkwo" in {text[e.start : e.end] for e in late}, late
