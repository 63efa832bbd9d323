"""Retrievers, fusion and the extractive answerer on hand-built inputs (no index needed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from assistant.answering import Context
from assistant.evidence import Candidate, build_evidence
from assistant.extractive import ExtractiveAnswerer
from assistant.question import analyse
from assistant.ranking import rank
from assistant.retrieval import FusionRetriever, Query, Retriever
from index import ChunkInfo, Filters
from index.articles import Article
from index.entities import Entity


def _chunk(cid: str) -> ChunkInfo:
    return ChunkInfo(cid, f"article-{cid}", 0, 10, 0, 0, date(2025, 3, 12), "Wire")


@dataclass
class Reader:
    """Just the part of an IndexReader that fusion reads: the chunks it vouches for."""

    chunks: dict[str, ChunkInfo] = field(default_factory=dict)


class Listed(Retriever):
    """Returns a fixed list, whatever the query."""

    def __init__(self, name: str, found: list[tuple[str, float]]) -> None:
        self.name = name
        self.found = found

    def _retrieve(self, reader, query):
        return self.found


QUERY = Query("q", [0.0], 2, Filters())


def test_fusion_ranks_by_reciprocal_rank_and_keeps_each_retrievers_view() -> None:
    reader = Reader({c: _chunk(c) for c in "abcd"})
    fused = FusionRetriever(
        [
            Listed("dense", [("a", 0.9), ("b", 0.8), ("c", 0.7)]),
            Listed("keyword", [("c", 12.0), ("b", 9.0)]),
        ]
    ).search(reader, QUERY)
    # c (3rd and 1st: 1/62 + 1/60) edges b (2nd and 2nd: 2/61); both beat a, which only one
    # retriever found, though it was dense's first.
    assert [h.chunk.chunk_id for h in fused] == ["c", "b"]
    assert fused[1].ranks == {"dense": 1, "keyword": 1}
    assert fused[0].dense_score == 0.7 and fused[0].scores["keyword"] == 12.0


def test_a_retriever_never_returns_chunks_the_store_does_not_vouch_for() -> None:
    reader = Reader({"a": _chunk("a")})
    found = Listed("dense", [("orphan", 0.99), ("a", 0.5)]).retrieve(reader, QUERY)
    assert found == [("a", 0.5)]
    assert Listed("dense", [("a", 1.0)]).retrieve(reader, Query("q", [0.0], 0, Filters())) == []


def _context(question: str, sentences: list[str], labels=None) -> Context:
    text = " ".join(sentences)
    spans, at = [], 0
    for s in sentences:
        spans.append((at, at + len(s)))
        at += len(s) + 1
    article = Article(
        article_id="a1",
        title="Putin visits Kursk",
        text=text,
        published=date(2025, 3, 12),
        date_inferred=False,
        source="Wire",
        url=None,
        authors=[],
        path="a1.txt",
        content_hash="h",
        sentences=spans,
    )
    ents = [Entity(text.index("Vladimir Putin"), text.index("Vladimir Putin") + 14, "PERSON")]
    q = analyse(question)
    parts = [labels or {"PERSON": 1.0}]
    candidates = [Candidate(article, i, 0, 1.0, ents, 0.7) for i in range(len(sentences))]
    ranked = rank(build_evidence(q, candidates, parts[0], None))
    return Context(question, question, q, parts, ranked, Filters(), None, Reader())


def test_the_extractive_answerer_leads_with_the_voted_name_and_quotes_its_sentence() -> None:
    ctx = _context(
        "Who visited Kursk?",
        [
            "President Vladimir Putin visited Kursk on Wednesday.",
            "The weather was cold in the region.",
        ],
    )
    answer = ExtractiveAnswerer().answer(ctx)
    assert answer.answered
    assert answer.text.startswith("**President Vladimir Putin**")
    assert answer.citations[0].quote == "President Vladimir Putin visited Kursk on Wednesday."
    assert set(answer.timings_ms) >= {"answer", "total"}


def test_the_extractive_answerer_declines_when_nothing_was_retrieved() -> None:
    ctx = Context(
        "Who won?",
        "Who won?",
        analyse("Who won?"),
        [{"PERSON": 1.0}],
        [],
        Filters(since=date(2025, 1, 1)),
        None,
        Reader(),
    )
    answer = ExtractiveAnswerer().answer(ctx)
    assert not answer.answered and not answer.citations
    assert "2025-01-01" in answer.text
