"""Retrieval quality section: hit@k of newsdesk's chunks against the canonical pipeline's, and
how much of the exact nearest-neighbour top-k Chroma's HNSW graph finds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import Figure, Tier, chunk_texts, live_reader
from index import query_encoder, shared_embedder
from index.encoders import live_backend

QUESTIONS = 200


def section_retrieval(t: Tier) -> None:
    """hit@k of the article holding the answer, newsdesk's chunks vs the canonical chunks."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    print(f"[{t.n}] retrieval quality", flush=True)
    qs = t.articles if len(t.articles) <= QUESTIONS else t.articles[:: len(t.articles) // QUESTIONS]
    qs = qs[:QUESTIONS]
    questions = [a.question for a in qs]
    # Each collection is queried as its own pipeline would: newsdesk's with the query encoder
    # of its index's backend (what the app embeds a question with), canonical's with torch.
    nd_vecs = query_encoder(t.settings).embed(questions)
    ca_vecs = shared_embedder(t.settings.embed_batch_size).embed(questions)

    reader = live_reader(t)
    articles = {c.article_id for c in reader.chunks.values()}
    file_of = {aid: Path(reader.article(aid).path).name for aid in articles}
    text_of = chunk_texts(t, reader)
    settings = ChromaSettings(anonymized_telemetry=False)
    # The reader's collection, on newsdesk's own client: a second client on the same path with
    # other settings is refused.
    nd_col = reader.collection
    ca = chromadb.PersistentClient(str(t.root / "canonical_chroma"), settings=settings)
    ca_col = ca.get_collection("canonical")

    def ranked(
        col: Any, qvecs: np.ndarray, name_of: Callable[[dict[str, Any]], str]
    ) -> list[tuple[list[str], list[str]]]:
        """Per question, the files and texts of a collection's top-50 chunks (dense search)."""
        res = col.query(
            query_embeddings=qvecs.tolist(), n_results=50, include=["metadatas", "documents"]
        )
        out = []
        for ids, metas, docs in zip(res["ids"], res["metadatas"], res["documents"], strict=True):
            docs = [d if d is not None else text_of[i] for i, d in zip(ids, docs, strict=True)]
            out.append(([name_of(m) for m in metas], docs))
        return out

    def hybrid() -> list[tuple[list[str], list[str]]]:
        """Per question, the files and texts of the app's own top-50 (dense + BM25, fused)."""
        from assistant import Assistant
        from assistant.retrieval import Query
        from index import Filters

        assistant = Assistant(t.settings)
        # The index only: the question vectors are made above, and nothing here is tagged.
        assistant.reader.refresh()
        snap = assistant.reader.snapshot()
        out = []
        for question, vec in zip(questions, nd_vecs, strict=True):
            query = Query(question, vec.tolist(), 50, Filters())
            ids = [h.chunk.chunk_id for h in assistant.retrieve(snap, query)]
            out.append(
                ([file_of[snap.chunks[i].article_id] for i in ids], [text_of[i] for i in ids])
            )
        return out

    def score(found: list[tuple[list[str], list[str]]]) -> dict[str, float]:
        hit1 = hit5 = ans5 = art5 = 0
        rr = 0.0
        for a, (names, docs) in zip(qs, found, strict=True):
            hit1 += names[:1] == [a.filename]
            hit5 += a.filename in names[:5]
            ans5 += any(
                n == a.filename and a.answer in " ".join(d.split())
                for n, d in zip(names[:5], docs[:5], strict=True)
            )
            distinct = list(dict.fromkeys(names))
            art5 += a.filename in distinct[:5]
            rr += 1 / (distinct.index(a.filename) + 1) if a.filename in distinct else 0.0
        n = len(qs)
        return {
            "hit@1 (chunks)": hit1 / n,
            "hit@5 (chunks)": hit5 / n,
            "answer in top-5 chunks": ans5 / n,
            "hit@5 (distinct articles)": art5 / n,
            "MRR (distinct articles, top 50 chunks)": rr / n,
        }

    # Each pipeline as its app retrieves: newsdesk's hybrid search (its dense search sees only
    # each article's head; BM25 sees every chunk), the canonical pipeline's vector search.
    ours = score(hybrid())
    dense = score(ranked(nd_col, nd_vecs, lambda m: file_of.get(m["article_id"], "?")))
    theirs = score(ranked(ca_col, ca_vecs, lambda m: m.get("file_name", "?")))
    for key in ours:
        t.add(Figure(f"newsdesk {key}", ours[key], "", "canonical", theirs[key]))
    for key in dense:
        t.add(Figure(f"newsdesk dense only: {key}", dense[key], "", "canonical", theirs[key]))
    # How much of the exact nearest-neighbour top-k the HNSW graph finds (newsdesk sets
    # ef_search/ef_construction, see index/settings.py; Chroma's defaults found 88% at 10k).
    every = nd_col.get(include=["embeddings"])
    ids = np.array(every["ids"])
    exact = np.argsort(-(nd_vecs @ np.asarray(every["embeddings"], dtype=np.float32).T), axis=1)
    hnsw = nd_col.configuration_json["hnsw"]
    for k in (5, 24):
        got = nd_col.query(query_embeddings=nd_vecs.tolist(), n_results=k, include=[])["ids"]
        recall = np.mean(
            [len(set(g) & set(ids[e[:k]])) / k for g, e in zip(got, exact, strict=True)]
        )
        t.add(
            Figure(
                f"newsdesk dense recall@{k} vs exact search",
                float(recall),
                note=f"HNSW ef_search {hnsw['ef_search']}, ef_construction "
                f"{hnsw['ef_construction']}, max_neighbors {hnsw['max_neighbors']}",
            )
        )
    backend = live_backend(t.settings)[1]
    t.note(
        f"retrieval: {len(qs)} questions, one per article, each answered by a single generated "
        f"sentence placed at a random position; newsdesk: the app's hybrid search (its {backend} "
        "index's query encoder on the heads' vectors, BM25 over every chunk, fused), and its "
        "dense search alone; canonical: a Chroma cosine query with torch's query vector. "
        "'answer in top-5 chunks' needs a top-5 chunk of the right article that contains the "
        "answer words."
    )
