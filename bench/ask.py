"""Asking sections: warm ask() latency by stage beside the bare retrieval floor, its accuracy,
and the cold start of `newsdesk ask` as a fresh process."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from bench.common import (
    COLD_RUNS,
    COLD_TARGET_S,
    Figure,
    Tier,
    child_peak,
    chunk_texts,
    cli,
    contains,
    pct,
    sample,
)

# Warm ask() latency is taken over this many of the tier's questions (all of them up to it).
ASK_QUESTIONS = 300


def section_ask(t: Tier) -> None:
    """Warm ask() latency split by stage, beside the bare retrieval floor, and its accuracy."""
    from assistant import Assistant

    print(f"[{t.n}] warm ask() latency and accuracy", flush=True)
    assistant = Assistant(t.settings)
    start = time.perf_counter()
    assistant.warm()
    warm_s = time.perf_counter() - start
    encoder = assistant.embedder
    # The live collection as the assistant's reader opened it (warm() loaded it).
    collection = assistant.reader.collection
    k = t.settings.top_k

    def floor(question: str) -> None:
        collection.query(query_embeddings=[encoder.embed_query(question)], n_results=k)

    qs = sample(t.articles, ASK_QUESTIONS)
    # One untimed round of each path: first calls pay for lazy imports and caches.
    floor(qs[0].question)
    assistant.ask(qs[0].question)
    floor_ms: list[float] = []
    stage: dict[str, list[float]] = {"total": [], "retrieval": [], "answer": [], "before": []}
    answered = correct = 0
    # Floor and ask() alternate question by question, so load drift on a shared machine hits
    # both alike.
    for a in qs:
        s = time.perf_counter()
        floor(a.question)
        floor_ms.append((time.perf_counter() - s) * 1000)
        answer = assistant.ask(a.question)
        tm = answer.timings_ms
        for key in ("total", "retrieval", "answer"):
            stage[key].append(tm[key])
        stage["before"].append(tm["total"] - tm["retrieval"] - tm["answer"])
        answered += answer.answered
        correct += answer.answered and contains(answer.text, a.answer)
    # The reference for accuracy: how often the floor's own top-k holds the answer sentence.
    res = collection.query(
        query_embeddings=encoder.embed([a.question for a in qs]).tolist(),
        n_results=k,
        include=[],
    )
    text_of = chunk_texts(t)
    in_floor = sum(
        any(contains(text_of[i], a.answer) for i in ids)
        for a, ids in zip(qs, res["ids"], strict=True)
    )
    n = len(qs)
    enc = type(encoder).__name__
    f50, f95 = pct(floor_ms, 50), pct(floor_ms, 95)
    floor_ref = f"floor: query embed ({enc}) + Chroma top-{k}"
    t.add(
        Figure("ask() warm p50", pct(stage["total"], 50), "ms", f"{floor_ref} p50", f50),
        Figure("ask() warm p95", pct(stage["total"], 95), "ms", f"{floor_ref} p95", f95),
        Figure("  retrieval (hybrid) p50", pct(stage["retrieval"], 50), "ms", "floor p50", f50),
        Figure("  retrieval (hybrid) p95", pct(stage["retrieval"], 95), "ms", "floor p95", f95),
        *(
            Figure(
                f"  {label} p{q}", pct(stage[key], q), "ms", f"ask() p{q}", pct(stage["total"], q)
            )
            for key, label in (
                ("answer", "answer composition"),
                ("before", "question analysis + index check"),
            )
            for q in (50, 95)
        ),
        Figure("ask() answered", answered / n, "", note=f"{n} generated questions"),
        Figure(
            "ask() accuracy",
            correct / n,
            "",
            f"answer sentence in the floor's top-{k} chunks",
            in_floor / n,
            note="answered and the answer text contains the expected answer",
        ),
        Figure("Assistant.warm()", warm_s, "s", note="model + index view load, in-process"),
    )
    t.note(
        f"ask(): {n} questions spread over the tier, warm, one at a time; each question's floor "
        f"call (the same {enc} query encoder, then Chroma collection.query top-{k} on the live "
        "collection) runs just before its ask(). timings_ms splits ask() into retrieval (dense + "
        "BM25 + fusion), answer composition, and what comes before retrieval."
    )


def section_cold(t: Tier) -> None:
    """Cold `newsdesk ask` as a fresh process, beside importing sentence-transformers alone."""
    print(f"[{t.n}] cold start", flush=True)
    a = t.articles[len(t.articles) // 2]
    ask_cmd = [*cli(), "ask", a.question, "--index-dir", str(t.settings.index_dir)]
    import_cmd = [sys.executable, "-c", "import sentence_transformers"]
    asks: list[tuple[float, float | None]] = []
    imports: list[tuple[float, float | None]] = []
    right = 0
    # Interleaved, so both see the same load; the page cache is warm for both after round one.
    for _ in range(COLD_RUNS):
        wall, peak, done = child_peak(ask_cmd)
        assert done.returncode == 0, done.stderr[-2000:]
        right += contains(done.stdout, a.answer)
        asks.append((wall, peak))
        wall, peak, done = child_peak(import_cmd)
        imports.append((wall, peak))
    ask_wall = float(np.median([w for w, _ in asks]))
    imp_wall = float(np.median([w for w, _ in imports]))
    ask_peak = max((p for _, p in asks if p is not None), default=0.0)
    imp_peak = max((p for _, p in imports if p is not None), default=0.0)
    t.add(
        Figure(
            f"cold newsdesk ask, wall (median of {COLD_RUNS})",
            ask_wall,
            "s",
            "python -c 'import sentence_transformers'",
            imp_wall,
            note=f"runs {', '.join(f'{w:.2f}' for w, _ in asks)} s; "
            f"answer right in {right}/{COLD_RUNS}",
        ),
        Figure("cold newsdesk ask, wall", ask_wall, "s", "target", COLD_TARGET_S),
        Figure(
            "cold newsdesk ask, peak RSS",
            ask_peak,
            "MB",
            "python -c 'import sentence_transformers'",
            imp_peak,
            note=("/usr/bin/time %M" if Path("/usr/bin/time").is_file() else "RUSAGE_CHILDREN")
            + "; the process's own peak: its spaCy child (index.tag_worker, ~145 MB) is apart",
        ),
    )
