"""Score the assistant on the real-news dev set and write bench/EVAL.md (`make eval-news`).

The corpus (../shared/eval/news-dev/corpus, 2,368 scraped articles) is indexed once into
bench/work/news-dev/index; later runs only check it (an unchanged index costs seconds).
Questions are asked with `as_of` = the day the quiz asked them. The held-out part, never
looked at while tuning, is the March 2023 questions and the November 2023 unanswerable ones;
the tuning part is the rest. Per-question results of the tuning part only go to
bench/work/news-dev/tune_results.jsonl, for reading misses.

    python -m bench.eval_news [--dev DIR] [--index-dir DIR] [--out bench/EVAL.md]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from assistant import Assistant
from assistant.evaluation import Case, Report, evaluate, load_cases
from assistant.settings import NewsdeskSettings
from index import Indexer, set_offline_env

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "eval" / "news-dev"
WORK = ROOT / "bench" / "work" / "news-dev"


def held_out(case: Case) -> bool:
    """March 2023 (answerable) and November 2023 (unanswerable) questions are held out."""
    return (case.as_of or "")[:7] in ("2023-03", "2023-11")


def load_dev(dev: Path) -> list[Case]:
    """The dev questions, in `newsdesk eval` form with as_of set."""
    return load_cases(dev / "questions.jsonl")


def ensure_index(dev: Path, index_dir: Path) -> NewsdeskSettings:
    """Index the dev corpus (incrementally: a second run embeds nothing)."""
    settings = NewsdeskSettings(index_dir=index_dir)
    started = time.perf_counter()
    report = Indexer(settings).run([dev / "corpus"], progress=True)
    print(f"index: {report.summary()} ({time.perf_counter() - started:.0f} s)")
    return settings


def _row(name: str, r: Report) -> str:
    ans = sum(x.answerable for x in r.results)
    un = len(r.results) - ans
    return (
        f"| {name} | {ans} / {un} | {r.answerable_accuracy:.2f} | {r.direct_accuracy:.2f} | "
        f"{r.false_decline_rate:.2f} | {r.decline_rate:.2f} | {r.citation_precision:.2f} | "
        f"{r.latency_ms(50):.0f} | {r.latency_ms(95):.0f} |"
    )


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def _commit() -> str:
    try:
        dirty = _git("status", "--porcelain", "--untracked-files=no")
        return _git("rev-parse", "--short", "HEAD") + (
            " (with uncommitted changes)" if dirty else ""
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_report(out: Path, whole: Report, tune: Report, held: Report) -> str:
    """EVAL.md: the figures of the whole set, the tuning part and the held-out part."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Answer quality on real news (news-dev)",
        "",
        f"Written by `make eval-news` at commit {_commit()}, {stamp}, on this 2-core CPU.",
        "Corpus: 2,368 scraped news articles (RealTimeQA, Jan-Mar 2023); questions asked with",
        "`as_of` = the day the quiz asked them. Held out: the March 2023 questions and the",
        "November 2023 unanswerable ones, never looked at one by one while tuning.",
        "",
        "| part | answerable / unanswerable | accuracy | direct answer | false declines |"
        " unanswerable declined | citation precision | p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        _row("whole set", whole),
        _row("tuning part", tune),
        _row("held-out part", held),
        "",
        "- accuracy: answerable questions whose answer text with its quotes contains the",
        "  expected answer; direct answer: the first line alone contains it.",
        "- false declines: answerable questions declined; unanswerable declined: share of the",
        "  unanswerable questions declined. Citation precision: quotes that are the exact slice",
        "  of their article's clean text. Latency: warm `ask()`, retrieval and answering.",
        "- Targets (issue 12): accuracy >= 0.80, direct >= 0.50, false declines <= 0.10,",
        "  unanswerable declined >= 0.70.",
        "",
    ]
    text = "\n".join(lines)
    out.write_text(text, encoding="utf-8")
    return text


def main() -> None:
    """Index if needed, ask every question, write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--index-dir", type=Path, default=WORK / "index")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "EVAL.md")
    args = parser.parse_args()
    set_offline_env()
    settings = ensure_index(args.dev, args.index_dir)
    cases = load_dev(args.dev)
    assistant = Assistant(settings)
    assistant.warm()
    tune_cases = [c for c in cases if not held_out(c)]
    held_cases = [c for c in cases if held_out(c)]
    tune = evaluate(assistant, tune_cases)
    held = evaluate(assistant, held_cases)
    whole = Report(tune.results + held.results)
    WORK.mkdir(parents=True, exist_ok=True)
    with open(WORK / "tune_results.jsonl", "w", encoding="utf-8") as fh:
        for r in tune.results:
            fh.write(json.dumps(asdict(r), ensure_ascii=False) + "\n")
    print(write_report(args.out, whole, tune, held))


if __name__ == "__main__":
    main()
