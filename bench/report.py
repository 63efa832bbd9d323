"""Writing bench/RESULTS.md: the machine a run was on, the issue-5 target rows (met or missed,
why, and what would close it), how figures grow across tiers, and one table per tier."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bench.common import (
    BENCH,
    COLD_TARGET_S,
    MEMORY_TARGET_MB,
    REINDEX_TARGET_S,
    Figure,
    Tier,
)

if TYPE_CHECKING:
    from bench.real import RealTier


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


def _num(f: Figure | None) -> float | None:
    """A figure's numeric value, or None."""
    return float(f.value) if f is not None and isinstance(f.value, int | float) else None


def _count(f: Figure | None) -> int | None:
    """The leading count in a figure's note ("1171 chunks" -> 1171)."""
    with contextlib.suppress(AttributeError, ValueError, IndexError):
        return int(f.note.split()[0].replace(",", ""))  # type: ignore[union-attr]
    return None


def scale_rows(tiers: list[Tier]) -> list[str]:
    """Markdown rows: how each figure grows from the smallest tier to the largest."""
    rows = [
        ("ask() warm p50", "ms"),
        ("ask() warm p95", "ms"),
        ("retrieval (hybrid) p50", "ms"),
        ("answer composition p50", "ms"),
        ("IndexReader.refresh() load (median of 3)", "s"),
        ("index size on disk", "MB"),
        ("peak RSS while indexing", "MB"),
        ("peak RSS while querying", "MB"),
        ("ask() accuracy", ""),
    ]
    head = " | ".join(f"{t.n:,} articles" for t in tiers)
    out = [f"| figure | {head} | largest / smallest |", "|---|" + "---:|" * (len(tiers) + 1)]
    for name, unit in rows:
        vals = [_num(t.get(name)) for t in tiers]
        cells = " | ".join(Figure("", v if v is not None else "–").fmt(v or "–") for v in vals)
        ratio = f"{vals[-1] / vals[0]:.2f}×" if vals[0] and vals[-1] is not None else ""
        out.append(f"| {name} {f'({unit})' if unit else ''} | {cells} | {ratio} |")
    floors = [t.get("ask() warm p50") for t in tiers]
    cells = " | ".join(Figure("", 0).fmt(f.ref_value) if f else "–" for f in floors)
    out.append(f"| floor (query embed + Chroma top-k) p50 (ms) | {cells} | |")
    return out


def _verdict(ok: bool | None, text: str) -> str:
    """A table cell: met / missed / not measured, then the figures."""
    if ok is None:
        return f"not measured — {text}"
    return f"**{'met' if ok else 'MISSED'}** — {text}"


def target_rows(tiers: list[Tier]) -> list[str]:
    """Markdown rows: each issue-5 target, met or missed by how much, why, what would close it."""
    whole = [t for t in tiers if not t.cached] or tiers
    t1k = min(whole, key=lambda t: abs(t.n - 1000))
    big = max(tiers, key=lambda t: t.n)
    at = f"{big.n:,}" + ("" if big.n >= 10_000 else "; the 10k tier was not run")
    out = ["| target | result | why, and what would close it |", "|---|---|---|"]

    idx = t1k.get("newsdesk chunks embedded/s")
    r = idx.value / idx.ref_value if idx and idx.ref_value else None  # type: ignore[operator]
    if t1k.cached:
        # A tier indexed from the embedding cache is not encode-bound: no verdict from it.
        r = idx = None
    emb = _num(t1k.get("stage: embedding"))
    fresh = _num(t1k.get("newsdesk fresh index"))
    chunks = _count(t1k.get("newsdesk fresh index"))
    why = ""
    if r is not None and emb and fresh and chunks and idx and idx.ref_value:
        stages = sorted(
            (
                f
                for f in t1k.figures
                if f.name.strip().startswith("stage: ") and f.name.strip() != "stage: embedding"
            ),
            key=lambda f: -_num(f),  # type: ignore[operator]
        )
        top = ", ".join(f"{f.name.strip()[7:]} {_num(f):.1f} s" for f in stages[:3])
        why = (
            "The ceiling is the index's own encoder encoding, alone, the chunk texts the index "
            "embeds (its reference says which encoder), bracketed (before/after) because other "
            f"work shares the 2 cores. Embedding is {emb / fresh:.0%} of the fresh index; "
            f"inside the index it ran at {chunks / emb:.1f} chunks/s = "
            f"{chunks / emb / idx.ref_value:.2f}× the ceiling. The other "
            f"{fresh - emb:.1f} s of the {fresh:.1f} s are work that is not encoding (largest "
            f"stages: {top}), so that work, not the encoder, is what would close the gap."
        )
    out.append(
        f"| indexing ≥ 90% of raw encode ceiling ({t1k.n:,}) | "
        + _verdict(None if r is None else r >= 0.9, f"{r:.2f}× of the ceiling" if r else "")
        + f" | {why} |"
    )

    art = next((f for f in t1k.figures if f.name == "newsdesk articles/s" and f.reference), None)
    art = None if t1k.cached else art
    q = t1k.get("newsdesk answer in top-5 chunks")
    rc = art.value / art.ref_value if art and art.ref_value else None  # type: ignore[operator]
    canon = _count(t1k.get("canonical fresh index"))
    over = _num(t1k.get("canonical chunks over the 256-piece window"))
    why = ""
    if rc is not None and chunks and canon:
        why = (
            f"newsdesk embeds {chunks:,} chunks with its index's encoder, the canonical "
            f"pipeline {canon:,} with torch (as plain LlamaIndex with a HuggingFace embedding "
            f"does); {over or 0:.0f}% of the canonical chunks overflow MiniLM's 256-piece "
            "window, so the model reads only their first 256 pieces and the rest of their text "
            "is never embedded. The stages in the tier's table say where each pipeline's time "
            "goes."
        )
    quality = f"; answer in top-5 chunks {q.value:.3f} vs {q.ref_value:.3f}" if q else ""
    out.append(
        f"| ≥ 2× canonical articles/s at equal or better quality ({t1k.n:,}) | "
        + _verdict(
            None if rc is None else rc >= 2 and bool(q and q.ratio and q.value >= q.ref_value),  # type: ignore[operator]
            f"{rc:.2f}× canonical articles/s{quality}" if rc is not None else "",
        )
        + f" | {why} |"
    )

    re_s = _num(t1k.get("re-index, unchanged corpus"))
    re_n = _num(t1k.get("chunks embedded (must be 0)"))
    cli = next((f for f in t1k.figures if f.name.startswith("re-index, unchanged corpus: ")), None)
    cli_s = _num(cli)
    worst = max((v for v in (re_s, cli_s) if v is not None), default=None)
    out.append(
        f"| unchanged re-index: 0 embeds, < 2 s ({t1k.n:,}) | "
        + _verdict(
            None if worst is None else worst < REINDEX_TARGET_S and re_n == 0,
            (f"`newsdesk index` {cli_s:.2f} s wall as a fresh process; " if cli_s else "")
            + (f"{re_s:.2f} s inside a warm process, {re_n:.0f} chunks embedded" if re_s else ""),
        )
        + " | File hashes match, so nothing is read past the hash, split or embedded; the "
        "store's revision does not move, so the keyword index is not rebuilt and readers do "
        "not reload, and llama-index is not even imported. What is left is hashing the files, "
        "importing and opening Chroma (~0.6 s) and checking it for vectors an interrupted run "
        "left behind. |"
    )

    p50, p95 = _num(big.get("ask() warm p50")), _num(big.get("ask() warm p95"))
    ret = _num(big.get("retrieval (hybrid) p50"))
    f50 = big.get("ask() warm p50")
    why = ""
    if p50 is not None and ret is not None and f50 and f50.ref_value:
        why = (
            f"Retrieval is {ret / p50:.0%} of p50; the floor alone (query embed + Chroma) is "
            f"{f50.ref_value:.1f} ms. See the scale table for growth with corpus size."
        )
    out.append(
        f"| warm ask() p50 < 50 ms and p95 < 150 ms ({at}) | "
        + _verdict(
            None if p50 is None or p95 is None else p50 < 50 and p95 < 150,
            f"p50 {p50:.1f} ms ({p50 / 50:.2f}× the bar), p95 {p95:.1f} ms ({p95 / 150:.2f}×)"
            if p50 is not None and p95 is not None
            else "",
        )
        + f" | {why} |"
    )

    cold = next((f for f in big.figures if f.name.startswith("cold newsdesk ask, wall (")), None)
    cold_v = _num(cold)
    out.append(
        f"| cold `newsdesk ask` < 4 s ({big.n:,}) | "
        + _verdict(
            None if cold_v is None else cold_v < COLD_TARGET_S,
            f"{cold_v:.2f} s ({cold_v / COLD_TARGET_S:.2f}× the bar; importing "
            f"sentence-transformers alone takes {cold.ref_value:.2f} s)"  # type: ignore[union-attr]
            if cold_v is not None
            else "",
        )
        + " | Queries embed with the ONNX copy of the model (onnxruntime + tokenizers) and go "
        "to Chroma and bm25s directly, so the CLI imports neither torch and "
        "sentence-transformers nor llama-index (~1 s); the BM25 index is loaded memory-mapped "
        "from the indexer's save instead of being rebuilt, and the chunk table (each chunk's "
        "article, span and date, as columns) from its save beside it; Chroma opens on a thread "
        "beside them, and spaCy (to tag the answer's "
        "sentences past the heads) loads in a child process on the second core. |"
    )

    mem = _num(big.get("peak RSS while querying"))
    out.append(
        f"| < 1.5 GB peak while querying ({at}) | "
        + _verdict(
            None if mem is None else mem < MEMORY_TARGET_MB,
            f"{mem:,.0f} MB ({mem / MEMORY_TARGET_MB:.2f}× the bar)" if mem is not None else "",
        )
        + " | A fresh process: Assistant load, warm(), 100 questions; peak by /usr/bin/time. |"
    )
    return out


def real_rows(t: RealTier) -> list[str]:
    """Markdown: the real tier's section, its issue-14 target row first, then its figures."""
    what = f"{t.n:,} of the {t.total:,} articles" if t.subset else f"all {t.n:,} articles"
    out = [
        "## Real news (news-dev)",
        "",
        f"Measured {t.stamp}: {what} of ../shared/eval/news-dev (RealTimeQA, Jan-Mar 2023, "
        f"scraped as is), {t.questions} questions. Reference = the canonical llama-index "
        "pipeline in the same run unless named.",
        "",
        "| target (issue 14) | result | why |",
        "|---|---|---|",
    ]
    art, r5, acc = t.get("articles/s"), t.get("R@5 (hybrid)"), t.get("ask() accuracy")
    rc = art.value / art.ref_value if art and art.ref_value else None  # type: ignore[operator]
    parts = []
    if rc is not None:
        parts.append(f"{rc:.2f}× canonical articles/s ({art.value:.2f} vs {art.ref_value:.2f})")  # type: ignore[union-attr]
    if r5 is not None:
        parts.append(f"R@5 {r5.value:.3f} vs {r5.ref_value:.3f}")
    if acc is not None:
        ref = f" vs {acc.ref_value:.2f} ({acc.reference})" if acc.ref_value is not None else ""
        parts.append(f"ask() accuracy {acc.value:.2f}{ref}")
    ok: bool | None = None
    if not t.subset and rc is not None and r5 and acc and acc.ref_value is not None:
        ok = rc >= 2 and r5.value >= r5.ref_value and acc.value >= acc.ref_value  # type: ignore[operator]
    why = (
        f"not judged on a subset ({t.n:,} of {t.total:,} articles)"
        if t.subset
        else "the accuracy reference is news-dev's whole set before issue 14 changed the index"
    )
    chunks, emb = t.get("chunks embedded per article"), t.get("newsdesk stage: embedding")
    idx = t.get("index time")
    if chunks and emb and idx:
        why += (
            f"; newsdesk embeds {chunks.value:.1f} chunks per article, canonical "
            f"{chunks.ref_value:.1f}; embedding is {emb.value / idx.value:.0%} of newsdesk's "  # type: ignore[operator]
            "index time"
        )
    result = f"not judged — {'; '.join(parts)}" if t.subset else _verdict(ok, "; ".join(parts))
    out.append(
        "| ≥ 2× canonical articles/s with R@5 ≥ canonical's and ask() accuracy not lower | "
        + f"{result} | {why} |"
    )
    out += ["", *_table(t.figures, "newsdesk")]
    if t.notes:
        out += ["", *[f"- {n}" for n in t.notes]]
    return out


def _table(figures: list[Figure], value: str = "value") -> list[str]:
    """Markdown rows of figures, each beside its reference and the ratio."""
    lines = [
        f"| figure | {value} | reference | ref. value | ratio | note |",
        "|---|---:|---|---:|---:|---|",
    ]
    for f in figures:
        name = f.name.strip().replace("|", "/")
        indent = "&nbsp;&nbsp;" * ((len(f.name) - len(f.name.lstrip())) // 2)
        lines.append(
            f"| {indent}{name} | {f.fmt(f.value)} {f.unit} | {f.reference} | "
            f"{f.fmt(f.ref_value)} | {f.ratio} | {f.note} |"
        )
    return lines


def write_results(
    path: Path,
    info: dict[str, str],
    tiers: list[Tier],
    argv: list[str],
    real: RealTier | None = None,
) -> None:
    """Write the results as Markdown: real news, targets, scale, then one table per tier."""
    lines = [
        "# newsdesk benchmark results",
        "",
        f"Written by `python -m bench.run {' '.join(argv)}`. Ratio = figure / reference. "
        "The machine was shared with other work, so absolute figures are noisy; ratios were "
        "measured in the same run and are the figures to compare.",
        "",
    ]
    lines += [f"- **{k}**: {v}" for k, v in info.items()]
    if any(t.cached for t in tiers):
        lines += [
            "- **embedding cache**: tiers marked so index with caching embedders (vectors keyed "
            "by sha256 of the chunk text, bench/cache/, one file per encoder: newsdesk's index "
            "backend and the canonical pipeline's torch): a hit returns the stored vector, a "
            "miss encodes for real and is stored; entity tagging goes through a cache the same "
            "way (keyed by the article text). Their indexing figures are not encode-bound; "
            "every other figure (ask, cold start, disk, memory, load) is measured as usual."
        ]
    if real is not None:
        lines += ["", *real_rows(real)]
    if tiers:
        lines += ["", "## Issue 5 targets", "", *target_rows(tiers)]
    if len(tiers) > 1:
        lines += ["", "## Scale", "", *scale_rows(tiers)]
    lines += EXTRA_NOTES
    for t in tiers:
        lines += [
            "",
            f"## {t.n} articles" + (" (embedding cache in use)" if t.cached else ""),
            "",
            *_table(t.figures),
        ]
        if t.notes:
            lines += ["", *[f"- {n}" for n in t.notes]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# Measured once by hand, outside this script (kept here so a regenerated RESULTS.md keeps it).
EXTRA_NOTES: list[str] = [
    "",
    "## HNSW search depth (measured by hand, 2026-11-25, on the bench indexes built before the change)",
    "",
    "Chroma's HNSW defaults (ef_search 100, ef_construction 100, 16 neighbours) were compared "
    "with exact search (numpy over every stored vector) for 200 generated questions per tier. "
    "Recall = share of the exact top-k chunk ids the collection returned; query time is one "
    "question at a time (Chroma only).",
    "",
    "| tier | ef_construction | ef_search | recall@5 | recall@24 | query |",
    "|---|---:|---:|---:|---:|---:|",
    "| 1,000 | 100 | 100 (default) | 0.961 | 0.935 | 1.6 ms |",
    "| 1,000 | 100 | 400 | 0.993 | 0.991 | 1.5 ms |",
    "| 10,000 | 100 | 100 (default) | 0.875 | 0.851 | 1.4 ms |",
    "| 10,000 | 100 | 400 | 0.949 | 0.937 | 2.7 ms |",
    "| 10,000 | 100 | 800 | 0.968 | 0.960 | 4.6 ms |",
    "| 10,000 | 200 | 400 | 0.976 | 0.966 | |",
    "",
    "Writing the 60k vectors of the 10k tier alone (no documents or metadata) took 20.2 s with "
    "ef_construction 100 and 28.8 s with 200 (32 neighbours: 35.1 s, no better at top-5). "
    "newsdesk now creates collections with ef_construction 200 and ef_search 400 "
    "(`NEWSDESK_HNSW_EF_*`); an index built before keeps its graph but gets the search depth "
    "on its next `newsdesk index`. The canonical pipeline keeps Chroma's defaults.",
    "",
    "## ONNX encoders (measured by hand, 2026-11-26, commit b2445c8, 400 news-dev chunks)",
    "",
    "`NEWSDESK_EMBED_BACKEND` picks the encoder that indexes: `torch` (sentence-transformers, batch 8), `onnx` (the fp32 ONNX export) or `int8` (that export quantized by onnxruntime's `quantize_dynamic`: MatMul weights only, per channel, signed int8). The texts are 400 real chunks from the news-dev index's article store (`bench/work/news-dev`: the first 400 by chunk id, i.e. by hash, an arbitrary spread; 817 characters on average), the same texts for every encoder; rounds interleaved, best of 3, in one process each run (scratch scripts, not in bench/). chunks/s is wall time; chunks per CPU second (the process's user + system time) is the steadier figure when other work shares the 2 cores: under load the torch encoder fell to 6.8 chunks/s while the single-threaded ONNX runs held up, so wall ratios measured under load overstate the gain. The table was measured on a quiet machine (load 0.3 at the start).",
    "",
    "| encoder (as newsdesk runs it) | chunks/s | vs torch | chunks per CPU s | cosine to torch (mean / p5 / min) |",
    "|---|---:|---:|---:|---|",
    "| torch, batch 8, 2 threads (the default until 2026-11-26) | 38.8 | 1.00× | 19.6 | 1 |",
    "| onnx fp32, one text per run, 2 runs side by side on 1 thread each | 43.9 | 1.13× | 22.1 | 1.0000 / 1.0000 / 1.0000 |",
    "| int8, one text per run, 2 runs side by side on 1 thread each | 90.5 | 2.33× | 45.6 | 0.9941 / 0.9915 / 0.9873 |",
    "",
    "How the ONNX settings were chosen (160 of the same chunks, best of 3 interleaved, chunks/s and in brackets chunks per CPU second; fp32 and int8 sweeps on a quiet machine, ~16:00 UTC):",
    "",
    "| runs | batch 1 | 8 | 16 | 32 | 64 |",
    "|---|---:|---:|---:|---:|---:|",
    "| fp32, 1 thread, 2 runs side by side | **44.6** (22.5) | 39.0 (20.4) | 34.1 (17.6) | 28.9 (17.8) | 25.8 (14.9) |",
    "| fp32, 2 threads, one run | 34.7 (17.4) | 36.3 (18.2) | 34.0 (17.1) | | |",
    "| int8, 1 thread, 2 runs side by side | **96.6** (48.8) | 68.5 (36.1) | 53.3 (27.7) | | 45.0 (26.4) |",
    "| int8, 2 threads, one run | 57.9 (29.1) | 58.7 (29.6) | | | |",
    "",
    "- Smaller batches were faster at every setting (less padding; texts are sorted by length across the whole call either way), and two single-threaded runs side by side beat one run on two threads: a chunk's matrices are too small to split well over two threads, and a thread pool waits on its slowest thread.",
    "- onnxruntime's parallel execution mode was slower (fp32 batch 8 on 2 threads: 15.0 against 31.2 chunks/s sequential; int8: 32.0 against 57.9): the graph is a chain. I/O binding did not help (fp32 47.0 against 47.1 chunks/s without it; int8 87.9 against 96.6, 44.5 against 48.8 per CPU second).",
    "- **int8 does not batch at all**: dynamic quantization scales activations once per run, so a text encoded in a batch of 8 gets a vector at cosine 0.9944 mean / 0.9872 min to its own vector encoded alone. Batched, stored vectors would depend on which chunks shared a batch and a query (always alone) would never meet its chunk's exact vector; alone, both are the same function of the text (tests/test_embed_backend.py). It is also the fastest setting.",
    "- Quantization variants (200 chunks, rates under load, so only their order counts; cosine on all 400): per channel 63 chunks/s at cosine 0.994; per tensor as fast but 0.948; unsigned weights 0.994 but no faster than fp32 (the CPU's VNNI path takes signed weights); ORT's BERT fusions or `quant_pre_process` before quantizing: same speed and cosine; every op quantized (measured before): slower than fp32 at 0.946.",
    "- A lone query: fp32 3.3 ms on 2 threads, 6.4 ms on 1; int8 2.0 ms either way (quiet machine), so queries keep 2 threads.",
    "",
    "Earlier, by hand (2026-11-25, 200-article synthetic tier, 1,171 chunks, 200 questions, batch 8 on 2 threads for every encoder): int8 MatMul per-channel encoded 1.47× torch and found the right chunk in the top 5 for 0.800 of the questions against torch's 0.815; every op quantized per tensor was 0.84× torch at 0.755. Answer quality on real news with an int8 index, issue 14's test for making it the default, is in the real-news tier: int8 held it (`ask()` accuracy 0.595 against torch's 0.585), and int8 is the encoder of every new index since commit cf82cab.",
]
