"""Benchmark newsdesk indexing against its references, on corpora it generates itself.

    .venv/bin/python -m bench.run                      # the 200-article tier (a few minutes)
    .venv/bin/python -m bench.run --articles 500
    .venv/bin/python -m bench.run --tiers 1000,10000   # 10k uses the embedding and entity caches
    .venv/bin/python -m bench.run --tiers 1000 --reuse --sections ask,cold,scale
                                                       # re-measure some sections, keep the rest
    .venv/bin/python -m bench.run --tiers 1000,10000 --real    # `make bench`: + real news
    .venv/bin/python -m bench.run --real-only --real-limit 200 --out /tmp/real.md
                                                       # the real tier on 200 articles alone

Each tier measures, on the same articles in the same process:
  * newsdesk's fresh index (articles/s, chunks embedded/s) and where its time goes, embedded
    with the encoder of the backend its index is stamped with, as `newsdesk index` does (a
    new index: int8 ONNX, unless NEWSDESK_EMBED_BACKEND names another; index/encoders.py);
  * the ceiling: that same encoder's raw encode rate on exactly the chunk texts newsdesk embeds;
  * the canonical llama-index pipeline (SimpleDirectoryReader, default SentenceSplitter,
    VectorStoreIndex into its own Chroma collection) with the same MiniLM weights through
    sentence-transformers (torch), as plain LlamaIndex with a HuggingFace embedding runs them;
  * retrieval quality of both pipelines: one generated question per article, whose answer
    sentence is known, each retrieved as its own app would: newsdesk's hybrid search (its
    index's query encoder on the heads' vectors, BM25 over every chunk), and its dense search
    alone, beside the canonical collection queried with torch's query vector;
  * re-indexing an unchanged corpus and one where 1% of the articles changed;
  * torch's encode rate by batch size, only when torch is the tier's backend (ONNX encoders
    run one text at a time, so they have no batch size to choose);
  * warm ask() latency (p50/p95, split into retrieval and answer composition) beside the bare
    retrieval floor (query embed + Chroma top-k), and ask() accuracy on the questions;
  * cold start of `newsdesk ask` as a fresh process beside importing sentence-transformers;
  * scale: index size on disk, IndexReader load time, peak memory indexing and querying.
The real-news tier (--real, bench/real.py) indexes the news-dev corpus with newsdesk and the
canonical pipeline in one run and judges them on its questions; it runs before the synthetic
tiers, which measure scale. Figures go to stdout and to bench/RESULTS.md, each beside its
reference as a ratio, with the wall time of every section in the header.

Tiers of CACHE_MIN_ARTICLES or more read vectors from bench/cache, one file per encoder
(newsdesk's backend, and torch for the canonical pipeline): a miss is encoded for real and kept.

This module parses the command line and runs the tiers; the sections are bench/indexing.py
(fresh index, canonical pipeline, re-index, torch batch sweep), bench/retrieval.py, bench/ask.py
(warm ask(), cold start) and bench/scale.py; bench/report.py writes RESULTS.md and
bench/common.py holds what they share.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.settings import NewsdeskSettings
from bench.ask import section_ask, section_cold
from bench.common import (
    BENCH,
    CACHE_MIN_ARTICLES,
    WORK,
    CachingEmbedder,
    CachingTagger,
    Figure,
    Section,
    Tier,
    rmtree,
)
from bench.corpus import generate, write_articles
from bench.indexing import section_batch, section_indexing, section_reindex
from bench.real import RealTier, load_saved, run_real
from bench.report import machine, write_results
from bench.retrieval import section_retrieval
from bench.scale import query_child, section_scale
from index import TextEncoder, set_offline_env, shared_embedder
from index.encoders import index_encoder, live_backend, resolve_backend

# Sections run in this order; each may read what the earlier ones left on the Tier.
SECTIONS: list[tuple[str, Section]] = [
    ("indexing", section_indexing),
    ("retrieval", section_retrieval),
    ("reindex", section_reindex),
    ("batch", section_batch),
    ("ask", section_ask),
    ("cold", section_cold),
    ("scale", section_scale),
]

# The sections that index articles, where a 10k tier's entity tags come from bench/cache.
INDEXING_SECTIONS = frozenset({"indexing", "reindex", "batch"})


def undated(saved_path: Path) -> str:
    """When a section saved before sections said so was measured: its figures.json's write."""
    written = datetime.fromtimestamp(saved_path.stat().st_mtime, UTC)
    return f"a run no later than {written:%Y-%m-%d %H:%M} UTC"


def run_tier(
    n: int,
    seed: int,
    batch_size: int,
    sections: list[str],
    cache: bool | None,
    reuse: bool,
    measured: str = "",
) -> Tier:
    """Generate a tier's corpus and run the chosen sections on it.

    With reuse, the tier's corpus and index from an earlier run stay, and the figures of the
    sections not chosen now are taken from that run's figures.json. measured: when and at
    which commit this run measures, saved with each section it runs; a kept section keeps
    the one it was saved with.
    """
    root = WORK / f"tier{n}"
    corpus = root / "articles"
    saved_path = root / "figures.json"
    start = time.perf_counter()
    articles = generate(n, seed)
    saved: dict[str, Any] = {}
    earlier = ""
    if reuse and (root / "index").is_dir():
        if saved_path.is_file():
            saved = json.loads(saved_path.read_text(encoding="utf-8"))
            earlier = undated(saved_path)
    else:
        rmtree(root)
        write_articles(corpus, articles)
    cached = n >= CACHE_MIN_ARTICLES if cache is None else cache
    settings = NewsdeskSettings(
        index_dir=root / "index", collection_prefix="bench", embed_batch_size=batch_size
    )
    # The backend the tier's fresh index is stamped with, and its encoder: what `newsdesk
    # index` embeds a new index with. The canonical pipeline embeds with torch.
    backend = resolve_backend(settings, None, "rebuild")
    torch = shared_embedder(batch_size)
    embedder: TextEncoder = index_encoder(settings, backend)
    canonical: TextEncoder = torch
    caches: list[CachingEmbedder] = []
    if cached:
        ours = CachingEmbedder(embedder, backend)
        # One cache per encoder: a torch tier's two pipelines share one.
        theirs = ours if backend == "torch" else CachingEmbedder(torch, "torch")
        caches = [ours] if theirs is ours else [ours, theirs]
        embedder, canonical = ours, theirs
    kept, stored = live_backend(settings)
    if kept and stored != backend and "reindex" in sections and "indexing" not in sections:
        # The re-index section updates the kept index with the tier's encoder.
        raise SystemExit(
            f"bench: the kept tier{n} index was embedded with {stored}, a new one gets "
            f"{backend}: add the indexing section, or set NEWSDESK_EMBED_BACKEND={stored}"
        )
    tier = Tier(n, seed, root, corpus, articles, embedder, settings, cached, backend, canonical)
    tier.wall["corpus"] = time.perf_counter() - start
    words = sum(len(a.content.split()) for a in articles)
    print(f"[{n}] corpus: {n} articles, {words:,} words in {corpus}", flush=True)
    tier.section = "corpus"
    tier.note(f"corpus: {n} articles, {words:,} words, seed {seed}")
    print(f"[{n}] newsdesk embeds with {backend}, the canonical pipeline with torch", flush=True)
    for c in caches:
        print(f"[{n}] embedding cache: {len(c.vectors):,} vectors in {c.path}", flush=True)
    # newsdesk embeds about one chunk per article (each head), the canonical pipeline one to
    # two; a cache short of that embeds the rest for real.
    if caches and min(len(c.vectors) for c in caches) < n:
        print(
            f"[{n}] NOTE: an embedding cache holds fewer than the {n:,} vectors this tier needs: "
            "the missing ones are embedded for real now and kept for later runs (newsdesk's "
            "heads through int8 at ~50-90 chunks/s; the canonical pipeline's ~1.6 long chunks "
            "per article through torch at ~8-20 chunks/s take the longest). To fill them alone: "
            f"python -m bench.run --tiers {n} --sections indexing",
            flush=True,
        )
    # Tagging entities is real work the embedding cache does not cover (see CachingTagger).
    tagger = CachingTagger() if cached and sections else None
    # Each section's "DATE UTC at commit SHA", kept in figures.json with its figures.
    when: dict[str, str] = {}
    try:
        for name, fn in SECTIONS:
            tier.section = name
            if name in sections:
                start = time.perf_counter()
                # Only where articles are indexed: the tags a question adds past the heads
                # (IndexReader.tag_sentences) are part of what ask() costs, so they are real.
                cache_tags = tagger is not None and name in INDEXING_SECTIONS
                with tagger.installed() if cache_tags else contextlib.nullcontext():
                    fn(tier)
                tier.wall[name] = time.perf_counter() - start
                when[name] = measured
                print(f"[{n}] {name}: {tier.wall[name]:.0f} s", flush=True)
            elif name in saved:
                when[name] = saved[name].get("measured") or earlier
                # Figures of an earlier run on the same corpus and index, kept as they were.
                for f in saved[name]["figures"]:
                    tier.figures.append(Figure(**f))
                    tier.by_section.setdefault(name, {"figures": [], "notes": []})[
                        "figures"
                    ].append(Figure(**f))
                for text in saved[name]["notes"]:
                    tier.note(text)
    finally:
        tier.section = "cache"
        for c in caches:
            tier.note(f"embedding cache: {c.hits} hits, {c.misses} misses ({c.path.name})")
            c.save()
        if tagger:
            tier.note(
                f"entity cache: {tagger.hits} hits, {tagger.misses} misses ({tagger.path.name})"
            )
            tagger.save()
        saved_path.parent.mkdir(parents=True, exist_ok=True)
        saved_path.write_text(
            json.dumps(
                {
                    name: {
                        "figures": [asdict(f) for f in part["figures"]],
                        "notes": part["notes"],
                        "measured": when.get(name, measured),
                    }
                    for name, part in tier.by_section.items()
                },
                indent=1,
            ),
            encoding="utf-8",
        )
    return tier


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--query-child"]:
        return query_child(Path(argv[1]), Path(argv[2]))
    parser = argparse.ArgumentParser(description="Benchmark newsdesk indexing.")
    parser.add_argument("--articles", type=int, default=200, help="size of the single tier")
    parser.add_argument("--tiers", help="comma-separated tier sizes, e.g. 1000,10000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=NewsdeskSettings().embed_batch_size)
    parser.add_argument(
        "--sections", default=",".join(name for name, _ in SECTIONS), help="which sections"
    )
    parser.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument(
        "--cache",
        choices=["auto", "on", "off"],
        default="auto",
        help=f"embedding cache: auto = tiers of {CACHE_MIN_ARTICLES:,}+ articles only",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep each tier's corpus and index from the last run; sections not chosen keep "
        "that run's figures",
    )
    parser.add_argument(
        "--real", action="store_true", help="also run the real-news tier (news-dev), first"
    )
    parser.add_argument(
        "--real-limit",
        type=int,
        metavar="N",
        help="the real tier on the first N articles only, and the questions they answer "
        "(implies --real; no verdict on the targets)",
    )
    parser.add_argument(
        "--real-only",
        action="store_true",
        help="run only the real tier; the synthetic tiers keep the figures of their last run "
        "(those that have one)",
    )
    args = parser.parse_args(argv)
    set_offline_env()
    sizes = [int(x) for x in args.tiers.split(",")] if args.tiers else [args.articles]
    sections = args.sections.split(",")
    real_wanted = args.real or args.real_only or args.real_limit is not None
    reuse = args.reuse or args.real_only
    if args.real_only:
        # Only tiers whose corpus, index and figures are there can be kept as they were.
        sections = []
        sizes = [n for n in sizes if (WORK / f"tier{n}" / "index").is_dir()]
    info = machine()
    if reuse:
        for n in sizes:
            saved = WORK / f"tier{n}" / "figures.json"
            if saved.is_file():
                # Each kept section says when it was measured (see undated for older saves).
                unknown = undated(saved)
                data = json.loads(saved.read_text(encoding="utf-8"))
                kept: dict[str, list[str]] = {}
                for name, _ in SECTIONS:
                    if name not in sections and name in data:
                        kept.setdefault(data[name].get("measured") or unknown, []).append(name)
                info[f"tier {n}: kept from earlier runs"] = "; ".join(
                    f"{', '.join(names)}: measured {at}" for at, names in kept.items()
                )
    for k, v in info.items():
        print(f"{k}: {v}")
    cache = {"auto": None, "on": True, "off": False}[args.cache]
    start = time.perf_counter()
    real: RealTier | None = None
    if real_wanted:
        real = run_real(args.real_limit, f"{info['date']} at commit {info['git commit']}")
    elif reuse:
        real = load_saved()
    now = f"{info['date']} at commit {info['git commit']}"
    tiers = [run_tier(n, args.seed, args.batch_size, sections, cache, reuse, now) for n in sizes]
    walls = ([real] if real_wanted and real else []) + tiers
    info["wall time of this run"] = f"{(time.perf_counter() - start) / 60:.1f} min; " + "; ".join(
        ("real tier" if isinstance(t, RealTier) else f"tier {t.n}")
        + ": "
        + ", ".join(f"{k} {v:.0f} s" for k, v in t.wall.items())
        for t in walls
    )
    write_results(args.out, info, tiers, argv, real)
    # Where the time went, for whoever keeps `make bench` under its 20 minutes.
    print(f"wall time of this run: {info['wall time of this run']}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
