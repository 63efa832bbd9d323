"""Benchmark newsdesk indexing against its references, on corpora it generates itself.

    .venv/bin/python -m bench.run                      # the 200-article tier (a few minutes)
    .venv/bin/python -m bench.run --articles 500
    .venv/bin/python -m bench.run --tiers 1000,10000   # 10k uses the embedding cache

Each tier measures, on the same articles in the same process:
  * newsdesk's fresh index (articles/s, chunks/s) and where its time goes;
  * the ceiling: the raw sentence-transformers encode rate of exactly newsdesk's chunk texts;
  * the canonical llama-index pipeline (SimpleDirectoryReader, default SentenceSplitter,
    VectorStoreIndex into its own Chroma collection) with the same MiniLM weights;
  * retrieval quality of both chunkings: one generated question per article, whose answer
    sentence is known, queried with the same query vector against each Chroma collection;
  * re-indexing an unchanged corpus and one where 1% of the articles changed;
  * further sections (ask() latency) registered in SECTIONS.
Figures go to stdout and to bench/RESULTS.md, each beside its reference as a ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench.corpus import GenArticle, generate, write_articles
from index.embedding import MODEL_SHA256, Embedder, offline_env, shared_embedder
from index.settings import NewsdeskSettings

BENCH = Path(__file__).resolve().parent
WORK = BENCH / "work"
CACHE = BENCH / "cache"
# Only tiers this large may read vectors from the cache: below it every figure is a real encode.
CACHE_MIN_ARTICLES = 10_000
# The ceiling is a rate; on big tiers it is measured on a sample of the chunk texts.
CEILING_SAMPLE = 3000
QUESTIONS = 200


# -- figures -----------------------------------------------------------------------------
@dataclass
class Figure:
    """One measured figure, optionally beside a reference figure (ratio = value / reference)."""

    name: str
    value: float | str
    unit: str = ""
    reference: str = ""
    ref_value: float | None = None
    note: str = ""

    @property
    def ratio(self) -> str:
        """value / reference, when both are numbers."""
        if isinstance(self.value, int | float) and self.ref_value:
            return f"{self.value / self.ref_value:.2f}×"
        return ""

    def fmt(self, v: float | str | None) -> str:
        """A number with sensible precision."""
        if v is None:
            return ""
        if isinstance(v, str):
            return v
        if float(v).is_integer() and abs(v) >= 1:
            return f"{int(v):,}"
        return f"{v:.3f}" if abs(v) < 10 else f"{v:,.1f}"


@dataclass
class Tier:
    """Everything one tier's sections share."""

    n: int
    seed: int
    root: Path
    corpus: Path
    articles: list[GenArticle]
    embedder: Embedder
    settings: NewsdeskSettings
    cached: bool
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Filled by the indexing section for the later ones.
    chunk_texts: list[str] = field(default_factory=list)

    def add(self, *figures: Figure) -> None:
        """Record and print figures."""
        for f in figures:
            self.figures.append(f)
            ref = f"  vs {f.reference} {f.fmt(f.ref_value)}" if f.reference else ""
            ratio = f"  = {f.ratio}" if f.ratio else ""
            print(f"  {f.name}: {f.fmt(f.value)} {f.unit}{ref}{ratio}", flush=True)


Section = Callable[[Tier], None]


# -- timing helpers ------------------------------------------------------------------------
class Stopwatch:
    """Accumulated seconds per label, filled by patched methods during a real run."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def patch(self, owner: Any, attr: str, label: str) -> Iterator[None]:
        """Time every call of owner.attr under label while the context is open."""
        original = getattr(owner, attr)
        own = attr in vars(owner)

        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - t

        setattr(owner, attr, timed)
        try:
            yield
        finally:
            if own:
                setattr(owner, attr, original)
            else:
                delattr(owner, attr)


class CachingEmbedder(Embedder):
    """Embeds through a sha256(text) → vector cache kept under bench/cache (10k tiers only)."""

    def __init__(self, batch_size: int) -> None:
        super().__init__(batch_size)
        self.path = CACHE / f"minilm-{MODEL_SHA256[:12]}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        self.hits = self.misses = 0
        self._dirty = False
        if self.path.is_file():
            data = np.load(self.path)
            self.vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))

    @property
    def model(self):
        """Share the process's loaded model rather than loading a second copy."""
        return shared_embedder(self.batch_size).model

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Cached vectors where known; the rest encoded in one call and remembered."""
        keys = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
        missing = sorted(
            {k: t for k, t in zip(keys, texts, strict=True) if k not in self.vectors}.items()
        )
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if missing:
            vecs = super().embed([t for _, t in missing], progress)
            self.vectors.update({k: v for (k, _), v in zip(missing, vecs, strict=True)})
            self._dirty = True
        return np.stack([self.vectors[k] for k in keys]) if keys else np.zeros((0, 384), "float32")

    def save(self) -> None:
        """Write the cache back if it grew."""
        if self._dirty:
            CACHE.mkdir(parents=True, exist_ok=True)
            keys = list(self.vectors)
            tmp = self.path.with_suffix(".tmp.npz")
            np.savez(tmp, keys=np.array(keys), vectors=np.stack([self.vectors[k] for k in keys]))
            os.replace(tmp, self.path)
            self._dirty = False


def _rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


# -- sections ------------------------------------------------------------------------------
def section_indexing(t: Tier) -> None:
    """Fresh newsdesk index vs the encode ceiling vs the canonical llama-index pipeline."""
    from index import pipeline
    from index.pipeline import Indexer
    from index.store import ArticleDB

    print(f"[{t.n}] newsdesk fresh index", flush=True)
    indexer = Indexer(t.settings, embedder=t.embedder)
    files = sorted(t.corpus.iterdir())
    # Warm the model, Punkt and both tokenizers so no figure pays for a load.
    indexer.prepare_file(files[0])
    t.embedder.embed(["warm up"])
    # The same chunk texts newsdesk embeds, in index order, for the ceiling.
    prepared = [p for f in files for p in indexer.prepare_file(f)[0]]
    t.chunk_texts = [c.text for _, chunks, _ in prepared for c in chunks]
    ceiling_texts = t.chunk_texts
    if len(ceiling_texts) > CEILING_SAMPLE:
        step = len(ceiling_texts) / CEILING_SAMPLE
        ceiling_texts = [ceiling_texts[int(i * step)] for i in range(CEILING_SAMPLE)]
    raw = shared_embedder(t.settings.embed_batch_size)

    def ceiling() -> float:
        start = time.perf_counter()
        raw.embed(ceiling_texts)
        return len(ceiling_texts) / (time.perf_counter() - start)

    # The ceiling is taken before and after the index and averaged: on a shared machine the
    # load drifts, and bracketing keeps the ratio honest.
    before = ceiling()
    _rmtree(t.settings.index_dir)
    watch = Stopwatch()
    from llama_index.vector_stores.chroma import ChromaVectorStore

    with (
        watch.patch(Indexer, "prepare_file", "load+clean+split+chunk"),
        watch.patch(t.embedder, "embed", "embedding"),
        watch.patch(ChromaVectorStore, "add", "chroma add"),
        watch.patch(ArticleDB, "replace_articles", "sqlite writes"),
        watch.patch(pipeline, "_remove_stale_builds", "collection cleanup"),
    ):
        report = indexer.run([t.corpus], rebuild=True)
    assert report.added == t.n and not report.problems, report.summary()
    assert len(t.chunk_texts) == report.chunks
    secs = report.seconds
    after = ceiling()
    ceiling_rate = (before + after) / 2
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
            note=f"ceiling = encode alone, same batch size; before {before:.1f}, after {after:.1f}",
        ),
    )
    if t.cached:
        t.notes.append(
            "newsdesk and canonical figures of this tier read vectors from the embedding cache "
            "(bench/cache); the ceiling is a real encode, so ratios above 1 are expected."
        )
    for label, s in sorted(watch.seconds.items(), key=lambda kv: -kv[1]):
        t.add(Figure(f"  stage: {label}", s, "s", "fresh index total", secs))
    tokens = _stage_breakdown(indexer, files)
    for label, s in tokens.items():
        t.add(Figure(f"    prepare: {label}", s, "s", "fresh index total", secs))

    _canonical(t, secs, ceiling_rate)


def _stage_breakdown(indexer: Any, files: list[Path]) -> dict[str, float]:
    """Re-run the preparation steps one by one to split prepare_file's time."""
    from index.chunking import chunk_article, fit_sentences
    from index.cleaning import clean_text
    from index.loaders import read_articles
    from index.prepare import prepare
    from index.sentences import split_sentences

    out = dict.fromkeys(
        ["read files", "clean text", "split sentences", "prepare (all)", "fit+chunk"], 0.0
    )
    for f in files:
        s = time.perf_counter()
        raws, _ = read_articles(f, indexer.settings.max_article_bytes)
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
            article.sentences = fit_sentences(
                article.text, article.sentences, indexer._counters, indexer._budgets
            )
            chunk_article(article, indexer._counters, indexer._budgets)
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
    _rmtree(path)
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
    from index.chunking import wordpiece_counter
    from index.embedding import model_dir

    count = wordpiece_counter(str(model_dir()))
    docs_got = collection.get(include=["documents"])["documents"]
    over = sum(count(d) > 254 for d in docs_got)
    t.add(
        Figure(
            "canonical chunks over the 256-piece window",
            100 * over / max(1, n_chunks),
            "%",
            note="their tails are truncated by the model",
        )
    )


def section_retrieval(t: Tier) -> None:
    """hit@k of the article holding the answer, newsdesk's chunks vs the canonical chunks."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from index.store import ArticleDB, build_dir, read_pointer

    print(f"[{t.n}] retrieval quality", flush=True)
    qs = t.articles if len(t.articles) <= QUESTIONS else t.articles[:: len(t.articles) // QUESTIONS]
    qs = qs[:QUESTIONS]
    qvecs = shared_embedder(t.settings.embed_batch_size).embed([a.question for a in qs])

    pointer = read_pointer(t.settings.index_dir)
    assert pointer is not None
    db = ArticleDB(build_dir(t.settings.index_dir, pointer.build) / "articles.sqlite", True)
    file_of = {
        r["article_id"]: Path(r["path"]).name
        for r in db.conn.execute("SELECT article_id, path FROM articles")
    }
    db.close()
    settings = ChromaSettings(anonymized_telemetry=False)
    nd = chromadb.PersistentClient(str(t.settings.index_dir / "chroma"), settings=settings)
    nd_col = nd.get_collection(pointer.collection)
    ca = chromadb.PersistentClient(str(t.root / "canonical_chroma"), settings=settings)
    ca_col = ca.get_collection("canonical")

    def score(col: Any, name_of: Callable[[dict[str, Any]], str]) -> dict[str, float]:
        res = col.query(
            query_embeddings=qvecs.tolist(), n_results=50, include=["metadatas", "documents"]
        )
        hit1 = hit5 = ans5 = art5 = 0
        rr = 0.0
        for a, metas, docs in zip(qs, res["metadatas"], res["documents"], strict=True):
            names = [name_of(m) for m in metas]
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

    ours = score(nd_col, lambda m: file_of.get(m["article_id"], "?"))
    theirs = score(ca_col, lambda m: m.get("file_name", "?"))
    for key in ours:
        t.add(Figure(f"newsdesk {key}", ours[key], "", "canonical", theirs[key]))
    t.notes.append(
        f"retrieval: {len(qs)} questions, one per article, each answered by a single generated "
        "sentence placed at a random position; same query vector, Chroma cosine query on each "
        "collection; 'answer in top-5 chunks' needs a top-5 chunk of the right article that "
        "contains the answer words."
    )


def section_reindex(t: Tier) -> None:
    """Incremental re-index: nothing changed, then 1% of the articles changed."""
    from index.pipeline import Indexer

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
    changed = max(1, math.ceil(t.n / 100))
    step = t.n // changed
    for a in t.articles[::step][:changed]:
        path = t.corpus / a.filename
        path.write_text(
            path.read_text(encoding="utf-8").rstrip("\n")
            + "\n\nThis article was updated with a correction on Friday.\n",
            encoding="utf-8",
        )
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
    print(f"[{t.n}] encode batch size sweep", flush=True)
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


def section_ask(t: Tier) -> None:
    """ask() latency: a hook for the answering layer, skipped until assistant provides it."""
    try:
        import assistant.answer  # noqa: F401  # the lead adds this module
    except ImportError:
        t.notes.append("ask() latency: not measured yet (assistant.answer is not there).")
        return
    # To add: build the assistant on t.settings, warm it with one question, then time
    # ask() on the generated questions (a.question for a in t.articles) and report p50/p95
    # beside the retrieval-only latency of the same questions.


# Sections run in this order; each may read what the earlier ones left on the Tier.
SECTIONS: list[tuple[str, Section]] = [
    ("indexing", section_indexing),
    ("retrieval", section_retrieval),
    ("reindex", section_reindex),
    ("batch", section_batch),
    ("ask", section_ask),
]


# -- driver --------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    """Cores, CPU model, load, date and git commit of this run."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=BENCH.parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "index"],
            cwd=BENCH.parent,
            capture_output=True,
            text=True,
        ).stdout.strip()
        commit += " (+ uncommitted changes in index/)" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    import torch

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "git commit": commit,
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "torch threads": str(torch.get_num_threads()),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
    }


def run_tier(n: int, seed: int, batch_size: int, sections: list[str]) -> Tier:
    """Generate a tier's corpus and run the chosen sections on it."""
    root = WORK / f"tier{n}"
    _rmtree(root)
    corpus = root / "articles"
    articles = generate(n, seed)
    write_articles(corpus, articles)
    cached = n >= CACHE_MIN_ARTICLES
    embedder: Embedder = CachingEmbedder(batch_size) if cached else shared_embedder(batch_size)
    settings = NewsdeskSettings(
        index_dir=root / "index", collection_prefix="bench", embed_batch_size=batch_size
    )
    tier = Tier(n, seed, root, corpus, articles, embedder, settings, cached)
    words = sum(len(a.content.split()) for a in articles)
    print(f"[{n}] corpus: {n} articles, {words:,} words in {corpus}", flush=True)
    tier.notes.append(f"corpus: {n} articles, {words:,} words, seed {seed}")
    try:
        for name, fn in SECTIONS:
            if name in sections:
                fn(tier)
    finally:
        if isinstance(embedder, CachingEmbedder):
            tier.notes.append(
                f"embedding cache: {embedder.hits} hits, {embedder.misses} misses "
                f"({embedder.path.name})"
            )
            embedder.save()
    return tier


def write_results(path: Path, info: dict[str, str], tiers: list[Tier], argv: list[str]) -> None:
    """Write the results as Markdown tables, one per tier."""
    lines = [
        "# newsdesk benchmark results",
        "",
        f"Written by `python -m bench.run {' '.join(argv)}`. Ratio = figure / reference. "
        "The machine was shared with other work, so absolute figures are noisy; ratios were "
        "measured in the same run and are the figures to compare.",
        "",
    ]
    lines += [f"- **{k}**: {v}" for k, v in info.items()]
    for t in tiers:
        lines += [
            "",
            f"## {t.n} articles" + (" (embedding cache in use)" if t.cached else ""),
            "",
            "| figure | value | reference | ref. value | ratio | note |",
            "|---|---:|---|---:|---:|---|",
        ]
        for f in t.figures:
            name = f.name.strip().replace("|", "/")
            indent = "&nbsp;&nbsp;" * ((len(f.name) - len(f.name.lstrip())) // 2)
            lines.append(
                f"| {indent}{name} | {f.fmt(f.value)} {f.unit} | {f.reference} | "
                f"{f.fmt(f.ref_value)} | {f.ratio} | {f.note} |"
            )
        if t.notes:
            lines += ["", *[f"- {n}" for n in t.notes]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description="Benchmark newsdesk indexing.")
    parser.add_argument("--articles", type=int, default=200, help="size of the single tier")
    parser.add_argument("--tiers", help="comma-separated tier sizes, e.g. 1000,10000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=NewsdeskSettings().embed_batch_size)
    parser.add_argument(
        "--sections", default=",".join(name for name, _ in SECTIONS), help="which sections"
    )
    parser.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    args = parser.parse_args(argv)
    offline_env()
    sizes = [int(x) for x in args.tiers.split(",")] if args.tiers else [args.articles]
    sections = args.sections.split(",")
    info = machine()
    for k, v in info.items():
        print(f"{k}: {v}")
    tiers = [run_tier(n, args.seed, args.batch_size, sections) for n in sizes]
    write_results(args.out, info, tiers, argv)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
