"""Scale section: index size on disk, the index reader's load time, and the memory of a fresh
querying process (the `--query-child` mode of bench.run)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import (
    LOAD_RUNS,
    MEMORY_TARGET_MB,
    Figure,
    Stopwatch,
    Tier,
    child_peak,
    contains,
    du_mb,
    pct,
    replaced,
    rss_mb,
    sample,
)
from index import IndexReader, disk_usage

# The querying-memory child answers this many questions after loading (issue 5).
QUERY_CHILD_QUESTIONS = 100


def _refuse(*args: Any, **kwargs: Any) -> None:
    raise OSError("bench: the saved BM25 index is not used for this figure")


def section_scale(t: Tier) -> None:
    """Index size on disk, index reader load time, and the memory of a querying process."""
    import bm25s
    from llama_index.retrievers.bm25 import BM25Retriever

    print(f"[{t.n}] scale: disk, load, memory", flush=True)
    index = t.settings.index_dir
    corpus_mb = du_mb(t.corpus)
    parts = {k: v / 1e6 for k, v in disk_usage(index).items()}
    t.add(
        Figure("index size on disk", du_mb(index), "MB", "corpus files", corpus_mb),
        Figure("  chroma", parts["chroma"], "MB", "corpus files", corpus_mb),
        Figure("  builds (SQLite + BM25)", parts["builds"], "MB", "corpus files", corpus_mb),
        Figure(
            "    of which the saved BM25 index", parts["keyword"], "MB", "corpus files", corpus_mb
        ),
    )
    # IndexReader.refresh() on a fresh reader: what a process pays before its first answer,
    # and what every process pays again after each index update.
    watch = Stopwatch()
    loads: list[float] = []
    # bm25s is what the reader loads the indexer's saved keyword index with.
    with watch.patch(bm25s.BM25, "load", "BM25 load (saved, mmap)"):
        for _ in range(LOAD_RUNS):
            reader = IndexReader(t.settings)
            start = time.perf_counter()
            reader.refresh()
            loads.append(time.perf_counter() - start)
    load = float(np.median(loads))
    chunks = len(reader.chunk_order)
    # The reference: the same load when the saved BM25 index cannot be used and is rebuilt,
    # as every process did before the indexer saved it. Loading the save fails and saving the
    # rebuilt one is refused (both are third-party calls; the reader falls back on its own).
    built: list[float] = []
    with (
        replaced(bm25s.BM25, "load", _refuse),
        replaced(BM25Retriever, "persist", _refuse),
    ):
        for _ in range(LOAD_RUNS):
            reader = IndexReader(t.settings)
            start = time.perf_counter()
            reader.refresh()
            built.append(time.perf_counter() - start)
    t.add(
        Figure(
            f"IndexReader.refresh() load (median of {LOAD_RUNS})",
            load,
            "s",
            f"the same, BM25 rebuilt instead of loaded (median of {LOAD_RUNS})",
            float(np.median(built)),
            note=f"{chunks:,} chunks; runs {', '.join(f'{x:.2f}' for x in loads)} s",
        )
    )
    for label, s in sorted(watch.seconds.items(), key=lambda kv: -kv[1]):
        t.add(Figure(f"  load: {label}", s / LOAD_RUNS, "s", "load", load))
    # A separate process loads the Assistant and answers questions: its peak RSS is the
    # querying footprint without the bench's torch model, corpus and canonical run.
    qs = sample(t.articles, QUERY_CHILD_QUESTIONS)
    qfile = t.root / "questions.jsonl"
    qfile.write_text(
        "".join(json.dumps({"question": a.question, "answer": a.answer}) + "\n" for a in qs),
        encoding="utf-8",
    )
    cmd = [sys.executable, "-m", "bench.run", "--query-child", str(index), str(qfile)]
    wall, peak, done = child_peak(cmd)
    assert done.returncode == 0, done.stderr[-2000:]
    child = json.loads(done.stdout.strip().splitlines()[-1])
    t.add(
        Figure(
            "peak RSS while querying",
            peak if peak is not None else child["maxrss_mb"],
            "MB",
            "target",
            MEMORY_TARGET_MB,
            note=f"fresh process: load the Assistant, answer {len(qs)} questions; "
            f"RSS {child['rss_imports_mb']:.0f} MB after imports, "
            f"{child['rss_loaded_mb']:.0f} MB after warm()",
        ),
        Figure(
            "  of which the loaded index view and model",
            child["rss_loaded_mb"] - child["rss_imports_mb"],
            "MB",
            "peak RSS while querying",
            peak if peak is not None else child["maxrss_mb"],
        ),
        Figure(
            "  first Assistant.warm() in a fresh process",
            child["warm_s"],
            "s",
            "IndexReader.refresh() load",
            load,
            note="imports of the retrieval stack, model load, index view load",
        ),
        Figure(
            "  ask() p50 in that process",
            child["p50_ms"],
            "ms",
            note=f"accuracy {child['accuracy']:.3f}; whole child {wall:.1f} s",
        ),
    )


def query_child(index_dir: Path, questions: Path) -> int:
    """Child mode: load the Assistant on index_dir, answer the questions, print JSON stats."""
    import resource

    from assistant import Assistant
    from assistant.settings import NewsdeskSettings
    from index import set_offline_env

    set_offline_env()
    rows = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines()]
    rss_imports = rss_mb()
    assistant = Assistant(NewsdeskSettings(index_dir=index_dir, collection_prefix="bench"))
    start = time.perf_counter()
    assistant.warm()
    warm_s = time.perf_counter() - start
    rss_loaded = rss_mb()
    totals: list[float] = []
    correct = 0
    for row in rows:
        answer = assistant.ask(row["question"])
        totals.append(answer.timings_ms["total"])
        correct += answer.answered and contains(answer.text, row["answer"])
    stats = {
        "rss_imports_mb": rss_imports,
        "rss_loaded_mb": rss_loaded,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6,
        "warm_s": warm_s,
        "p50_ms": pct(totals, 50),
        "accuracy": correct / max(1, len(rows)),
    }
    print(json.dumps(stats))
    return 0
