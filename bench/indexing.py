"""Indexing sections: a fresh index beside the encode ceiling and the canonical llama-index
pipeline, incremental re-indexing, and the encoder's rate by batch size."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from bench.common import (
    COLD_RUNS,
    REINDEX_TARGET_S,
    Figure,
    RssSampler,
    Stopwatch,
    Tier,
    child_peak,
    chunk_texts,
    cli,
    rmtree,
)
from index import Indexer, shared_embedder

# The ceiling is a rate; on big tiers it is measured on a sample of the chunk texts.
CEILING_SAMPLE = 1500
# On cached tiers the index is not encode-bound; a small sample keeps `make bench` short.
CEILING_SAMPLE_CACHED = 500


def section_indexing(t: Tier) -> None:
    """Fresh newsdesk index vs the encode ceiling vs the canonical llama-index pipeline."""
    print(f"[{t.n}] newsdesk fresh index", flush=True)
    indexer = Indexer(t.settings, embedder=t.embedder)
    files = sorted(t.corpus.iterdir())
    # Warm the model, Punkt and both tokenizers so no figure pays for a load.
    indexer.prepare_file(files[0])
    t.embedder.embed(["warm up"])
    raw = shared_embedder(t.settings.embed_batch_size)
    ceiling_texts: list[str] = []

    def ceiling() -> float:
        start = time.perf_counter()
        raw.embed(ceiling_texts)
        return len(ceiling_texts) / (time.perf_counter() - start)

    before: float | None = None
    if not t.cached:
        # The same chunk texts newsdesk embeds, in index order, for the ceiling. It is taken
        # before and after the index and averaged: on a shared machine the load drifts, and
        # bracketing keeps the ratio honest.
        prepared = [p for f in files for p in indexer.prepare_file(f)[0]]
        t.chunk_texts = [c.text for _, chunks, _ in prepared for c in chunks]
        ceiling_texts = _spread(t.chunk_texts, CEILING_SAMPLE)
        before = ceiling()
    rmtree(t.settings.index_dir)
    watch = Stopwatch()
    from chromadb.api.models.Collection import Collection

    with (
        watch.patch(Indexer, "prepare_file", "load+clean+split+chunk"),
        watch.patch(t.embedder, "embed", "embedding"),
        watch.patch(Collection, "add", "chroma add"),
        RssSampler() as rss,
    ):
        report = indexer.run([t.corpus], rebuild=True)
    assert report.added == t.n and not report.problems, report.summary()
    secs = report.seconds
    # Entity tagging is timed by the indexer itself. SQLite writes, the keyword index's save,
    # the ONNX export and the cleanup of old builds run inside index/'s own modules, which the
    # bench does not reach into: together with hashing the files they are what is left.
    timed = sum(watch.seconds.values())
    watch.seconds["entity tagging"] = report.tag_seconds
    watch.seconds["the rest (hashing, SQLite, BM25 save, ONNX export, cleanup)"] = max(
        0.0, secs - timed - report.tag_seconds
    )
    if t.cached:
        # A cached tier's own figures are not encode-bound, so its ceiling is only context:
        # taken once, after the run, on texts read back from the store. A second pass over the
        # files to list them first would cost ~160 s at 10k articles.
        t.chunk_texts = list(chunk_texts(t).values())
        ceiling_texts = _spread(t.chunk_texts, CEILING_SAMPLE_CACHED)
    assert len(t.chunk_texts) == report.chunks
    after = ceiling()
    ceiling_rate = after if before is None else (before + after) / 2
    bracket = f"after {after:.1f}" if before is None else f"before {before:.1f}, after {after:.1f}"
    sample = (
        "" if len(ceiling_texts) == len(t.chunk_texts) else f" (sample of {len(ceiling_texts)})"
    )

    t.add(
        Figure("newsdesk fresh index", secs, "s", note=f"{report.chunks} chunks"),
        Figure("newsdesk articles/s", t.n / secs, "art/s"),
        Figure(
            "newsdesk chunks/s",
            report.chunks / secs,
            "chunks/s",
            f"ceiling: raw encode of the same chunk texts{sample}",
            ceiling_rate,
            note=f"ceiling = encode alone, same batch size; {bracket}",
        ),
    )
    if t.cached:
        t.note(
            "newsdesk and canonical figures of this tier read vectors from the embedding cache "
            "(bench/cache); the ceiling is a real encode, so ratios above 1 are expected."
        )
    for label, s in sorted(watch.seconds.items(), key=lambda kv: -kv[1]):
        t.add(Figure(f"  stage: {label}", s, "s", "fresh index total", secs))
    # Preparation is a few percent of the index; on cached tiers a third pass over the files
    # would only lengthen `make bench`.
    tokens = {} if t.cached else _stage_breakdown(indexer, files)
    for label, s in tokens.items():
        t.add(Figure(f"    prepare: {label}", s, "s", "fresh index total", secs))
    t.add(
        Figure(
            "peak RSS while indexing",
            rss.peak,
            "MB",
            "RSS before the run (model loaded)",
            rss.start,
            note="bench process, sampled every 20 ms during Indexer.run"
            + (" (holds the embedding cache too)" if t.cached else ""),
        )
    )

    _canonical(t, secs, ceiling_rate)


def _spread(items: list[str], size: int) -> list[str]:
    """At most size items, taken evenly across the list."""
    if len(items) <= size:
        return items
    step = len(items) / size
    return [items[int(i * step)] for i in range(size)]


def _stage_breakdown(indexer: Indexer, files: list[Path]) -> dict[str, float]:
    """Re-run the preparation steps one by one to split prepare_file's time."""
    from index import clean_text, read_articles, split_sentences
    from index.prepare import prepare

    out = dict.fromkeys(
        ["read files", "clean text", "split sentences", "prepare (all)", "fit+chunk"], 0.0
    )
    for f in files:
        s = time.perf_counter()
        raws, _ = read_articles(f, indexer.settings.max_article_bytes, indexer.loaders)
        out["read files"] += time.perf_counter() - s
        for raw in raws:
            s = time.perf_counter()
            text = clean_text(raw.text)
            out["clean text"] += time.perf_counter() - s
            s = time.perf_counter()
            split_sentences(text)
            out["split sentences"] += time.perf_counter() - s
            s = time.perf_counter()
            article = prepare(raw)
            out["prepare (all)"] += time.perf_counter() - s
            s = time.perf_counter()
            indexer.fit(article)
            indexer.chunk(article)
            out["fit+chunk"] += time.perf_counter() - s
    return out


def _canonical(t: Tier, newsdesk_s: float, ceiling_rate: float) -> None:
    """The plain llama-index pipeline over the same files, into its own Chroma collection."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from bench.llama_embed import BenchMiniLM

    print(f"[{t.n}] canonical llama-index pipeline", flush=True)
    path = t.root / "canonical_chroma"
    rmtree(path)
    client = chromadb.PersistentClient(
        path=str(path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_or_create_collection("canonical", metadata={"hnsw:space": "cosine"})
    embed_model = BenchMiniLM(t.embedder)
    watch = Stopwatch()
    with (
        watch.patch(SimpleDirectoryReader, "load_data", "read files"),
        watch.patch(SentenceSplitter, "__call__", "SentenceSplitter"),
        watch.patch(BenchMiniLM, "_get_text_embeddings", "embedding"),
        watch.patch(ChromaVectorStore, "add", "chroma add"),
    ):
        start = time.perf_counter()
        docs = SimpleDirectoryReader(str(t.corpus)).load_data()
        VectorStoreIndex.from_documents(
            docs,
            storage_context=StorageContext.from_defaults(
                vector_store=ChromaVectorStore(chroma_collection=collection)
            ),
            embed_model=embed_model,
            transformations=[SentenceSplitter()],
        )
        secs = time.perf_counter() - start
    n_chunks = collection.count()
    t.add(
        Figure("canonical fresh index", secs, "s", note=f"{n_chunks} chunks"),
        Figure("newsdesk articles/s", t.n / newsdesk_s, "art/s", "canonical", t.n / secs),
        Figure("canonical chunks/s", n_chunks / secs, "chunks/s", "ceiling", ceiling_rate),
    )
    for label, s in sorted(watch.seconds.items(), key=lambda kv: -kv[1]):
        t.add(Figure(f"  canonical stage: {label}", s, "s", "canonical total", secs))
    # What the canonical chunks lose: MiniLM reads only the first 256 word pieces of each.
    # Counted with the loaded model's own tokenizer, without [CLS]/[SEP] and untruncated.
    tokenizer = t.embedder.model.tokenizer
    docs_got = collection.get(include=["documents"])["documents"]
    pieces = tokenizer(docs_got, add_special_tokens=False, verbose=False)["input_ids"]
    over = sum(len(p) > 254 for p in pieces)
    t.add(
        Figure(
            "canonical chunks over the 256-piece window",
            100 * over / max(1, n_chunks),
            "%",
            note="their tails are truncated by the model",
        )
    )


def section_reindex(t: Tier) -> None:
    """Incremental re-index: nothing changed, then 1% of the articles changed."""
    print(f"[{t.n}] re-index", flush=True)
    indexer = Indexer(t.settings, embedder=t.embedder)
    fresh = next(f for f in t.figures if f.name == "newsdesk fresh index").value
    assert isinstance(fresh, float)
    report = indexer.run([t.corpus])
    assert report.embedded == 0 and report.unchanged == t.n, report.summary()
    t.add(
        Figure(
            "re-index, unchanged corpus",
            report.seconds,
            "s",
            "fresh index",
            fresh,
            note=f"{report.embedded} chunks embedded",
        ),
        Figure("  chunks embedded (must be 0)", report.embedded),
    )
    # What a user waits for: `newsdesk index` as a fresh process, imports and all.
    walls = []
    for _ in range(COLD_RUNS):
        wall, _peak, done = child_peak(
            [*cli(), "index", str(t.corpus), "--index-dir", str(t.settings.index_dir)]
        )
        assert done.returncode == 0 and "0 embedded" in done.stdout, done.stdout + done.stderr
        walls.append(wall)
    t.add(
        Figure(
            f"re-index, unchanged corpus: newsdesk index, wall (median of {COLD_RUNS})",
            float(np.median(walls)),
            "s",
            "target",
            REINDEX_TARGET_S,
            note=f"fresh process each time; runs {', '.join(f'{w:.2f}' for w in walls)} s",
        )
    )
    changed = max(1, math.ceil(t.n / 100))
    step = t.n // changed
    for a in t.articles[::step][:changed]:
        path = t.corpus / a.filename
        # Into the body, after its first paragraph: a line after a trailing "Most Popular"
        # list is furniture, which cleaning drops, and the article would not change.
        parts = path.read_text(encoding="utf-8").split("\n\n")
        parts.insert(2, "This article was updated with a correction on Friday.")
        path.write_text("\n\n".join(parts), encoding="utf-8")
    report = indexer.run([t.corpus])
    assert report.updated == changed and report.added == 0, report.summary()
    t.add(
        Figure(
            f"re-index, {changed} articles changed (1%)",
            report.seconds,
            "s",
            "fresh index",
            fresh,
            note=f"{report.embedded} chunks embedded",
        ),
        Figure("  chunks embedded", report.embedded, "", "chunks in index", report.chunks),
    )


def section_batch(t: Tier) -> None:
    """Encode rate by batch size on a sample of the chunk texts, best of interleaved rounds."""
    if t.cached:
        # The encoder's rate does not depend on the corpus; the uncached tier measures it.
        t.note("batch size sweep: skipped on cached tiers (see the uncached tier).")
        return
    print(f"[{t.n}] encode batch size sweep", flush=True)
    if not t.chunk_texts:
        # A --reuse run without the indexing section: chunk the corpus again for the sample.
        indexer = Indexer(t.settings, embedder=t.embedder)
        files = sorted(t.corpus.iterdir())[:: max(1, t.n // 100)]
        t.chunk_texts = [
            c.text for f in files for _, chunks, _ in indexer.prepare_file(f)[0] for c in chunks
        ]
    texts = t.chunk_texts[:: max(1, len(t.chunk_texts) // 128)][:128]
    model = shared_embedder(t.settings.embed_batch_size).model
    rates: dict[int, list[float]] = {}
    # Best of several interleaved rounds: other work on a shared machine only ever slows a round.
    for _ in range(4):
        for bs in (8, 16, 32):
            start = time.perf_counter()
            model.encode(texts, batch_size=bs, normalize_embeddings=True)
            rates.setdefault(bs, []).append(len(texts) / (time.perf_counter() - start))
    ref = max(rates[32])
    for bs, r in rates.items():
        t.add(
            Figure(
                f"encode rate, batch size {bs} (best of 4)",
                max(r),
                "chunks/s",
                "batch size 32",
                ref,
                note=f"{len(texts)} chunk texts",
            )
        )
