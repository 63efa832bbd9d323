"""Streaming a big JSON Lines dump through reading, cleaning and chunking (no embedding): speed,
memory over the run, and the progress lines a log gets.

    python -m bench.stream [--mb 200] [--out bench/STREAM.md]

It writes a dump of about --mb MB of synthetic articles (bench/corpus.py's generator; this
measures speed and scale, not quality) into a temporary folder, reads it with the .jsonl
loader, prepares (cleans, splits, dates) and chunks each article as `newsdesk index` does,
and samples the process's resident memory as it goes. Progress goes to a log file exactly as
a non-terminal `newsdesk index` prints it, a line every few seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.corpus import generate
from index.articles import ArticleError, Problem
from index.formats import JsonLinesLoader
from index.pipeline import Indexer
from index.prepare import prepare
from index.progress import Progress
from index.settings import IndexSettings

BENCH = Path(__file__).resolve().parent
# Distinct articles generated; the dump repeats them under new ids and dates up to its size.
POOL = 1500
RSS_LIMIT_MB = 1500.0


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024 / 1e6
    return 0.0


def write_dump(path: Path, mb: float, seed: int = 7) -> int:
    """Write about mb MB of generated articles as JSON lines; returns how many."""
    pool = []
    for a in generate(POOL, seed):
        if a.content.startswith("---"):
            body = a.content.split("---\n", 2)[2]
        else:
            body = a.content.split("\n", 1)[1]
        pool.append((a.title, body))
    rng = random.Random(seed)
    target = int(mb * 1e6)
    written = count = 0
    with path.open("w", encoding="utf-8") as fh:
        while written < target:
            title, body = pool[count % POOL]
            row = {
                "id": f"bench-{count}",
                "title": title,
                "text": body,
                "published": f"20{rng.randint(10, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "source": "Bench Wire",
                "url": f"https://bench.example/{count}",
            }
            line = json.dumps(row, ensure_ascii=False) + "\n"
            fh.write(line)
            written += len(line.encode())
            count += 1
    return count


@dataclass
class Sample:
    """The state of the run at one point: how far, and the memory held."""

    seconds: float
    mb_read: float
    articles: int
    rss_mb: float


def stream(path: Path, log: Path, every_s: float) -> tuple[dict[str, float], list[Sample]]:
    """Read, prepare and chunk every article of the dump; figures and memory samples."""
    settings = IndexSettings(index_dir=path.parent / "index")
    indexer = Indexer(settings)  # the embedder loads lazily: nothing here embeds
    loader = JsonLinesLoader()
    size = path.stat().st_size
    samples: list[Sample] = []
    articles = chunks = problems = 0
    next_mark = 0.0
    with log.open("w", encoding="utf-8") as out:
        shown = Progress(stream=out, every_s=every_s)
        started, cpu_started = time.perf_counter(), time.process_time()
        shown.start_reading([path])
        shown.next_file(path)
        for item in loader.read(path, settings.max_article_bytes):
            if isinstance(item, Problem):
                problems += 1
                continue
            try:
                article = prepare(item)
            except ArticleError:
                problems += 1
                continue
            chunks += len(indexer.chunk(article))
            articles += 1
            shown.add_articles(1)
            # Ten samples over the run, by bytes read.
            if shown.bytes >= next_mark:
                samples.append(
                    Sample(
                        time.perf_counter() - started,
                        shown.bytes / 1e6,
                        articles,
                        _status_mb("VmRSS"),
                    )
                )
                while next_mark <= shown.bytes:
                    next_mark += size / 10
        shown.end_reading()
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    samples.append(Sample(seconds, size / 1e6, articles, _status_mb("VmRSS")))
    figures = {
        "mb": size / 1e6,
        "seconds": seconds,
        "articles": articles,
        "chunks": chunks,
        "problems": problems,
        "articles_per_s": articles / seconds,
        "mb_per_s": size / 1e6 / seconds,
        "cpu_seconds": cpu,
        "mb_per_cpu_s": size / 1e6 / cpu,
        # Other work on the machine slows the wall-clock figures; CPU time is what this took.
        "load": os.getloadavg()[0],
        "peak_rss_mb": _status_mb("VmHWM"),
    }
    return figures, samples


def report(figures: dict[str, float], samples: list[Sample], log: Path, mb: float) -> str:
    """The results as Markdown."""
    rss = [s.rss_mb for s in samples]
    # After the first tenth (tokenizers and Punkt loaded), memory should not grow with the dump.
    growth = max(rss[1:]) - rss[1] if len(rss) > 1 else 0.0
    lines = log.read_text(encoding="utf-8").splitlines()
    cpu = platform.processor() or platform.machine()
    out = [
        "# Streaming a JSON Lines dump (reading, cleaning, chunking; no embedding)",
        "",
        f"`python -m bench.stream --mb {mb:g}` on {cpu}, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d')}.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| dump | {figures['mb']:,.1f} MB, {figures['articles']:,.0f} articles "
        f"({figures['problems']:,.0f} skipped) |",
        f"| chunks cut | {figures['chunks']:,.0f} |",
        f"| time | {figures['seconds']:,.1f} s wall, {figures['cpu_seconds']:,.1f} s CPU "
        f"(load average {figures['load']:.1f} at the end) |",
        f"| articles/s | {figures['articles_per_s']:,.0f} |",
        f"| MB/s | {figures['mb_per_s']:,.2f} ({figures['mb_per_cpu_s']:,.2f} per CPU second) |",
        f"| peak RSS (VmHWM) | {figures['peak_rss_mb']:,.0f} MB (limit {RSS_LIMIT_MB:,.0f} MB) |",
        f"| RSS growth after the first tenth | {growth:+,.0f} MB |",
        f"| progress lines in the log | {len(lines)} |",
        "",
        "Resident memory as the dump is read:",
        "",
        "| s | MB read | articles | RSS MB |",
        "|---|---|---|---|",
        *(
            f"| {s.seconds:,.1f} | {s.mb_read:,.1f} | {s.articles:,} | {s.rss_mb:,.0f} |"
            for s in samples
        ),
        "",
        "The log (as a non-terminal `newsdesk index` prints it), first and last lines:",
        "",
        "```",
        *(lines if len(lines) <= 8 else [*lines[:4], "...", *lines[-4:]]),
        "```",
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """CLI: generate, stream, print and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=200.0, help="size of the dump (MB)")
    parser.add_argument("--out", type=Path, default=BENCH / "STREAM.md")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between log lines")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="newsdesk-stream-") as tmp:
        dump, log = Path(tmp) / "dump.jsonl", Path(tmp) / "progress.log"
        started = time.perf_counter()
        count = write_dump(dump, args.mb)
        print(
            f"wrote {count:,} articles, {dump.stat().st_size / 1e6:,.1f} MB "
            f"in {time.perf_counter() - started:.1f} s"
        )
        figures, samples = stream(dump, log, args.every)
        text = report(figures, samples, log, args.mb)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    ok = figures["peak_rss_mb"] < RSS_LIMIT_MB
    print(f"peak RSS {'under' if ok else 'OVER'} {RSS_LIMIT_MB:,.0f} MB; written to {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
