"""What each built-in `newsdesk` subcommand does: index, status, ask, eval, feedback, watch.

The parser that reaches them, and the options they share, are in assistant/cli.py. Every
command takes the parsed arguments and returns the process's exit code.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assistant.models import Answer, QuestionError
from assistant.settings import NewsdeskSettings
from prompts import render

EXIT_ERROR = 1  # the index is missing, busy or broken; `eval` below --min-accuracy
EXIT_USAGE = 2  # a question or question file newsdesk cannot use
EXIT_SKIPPED = 3  # `index` skipped some inputs (each reported with its reason)


def settings_of(args: argparse.Namespace) -> NewsdeskSettings:
    """The settings from the environment, with what the command line overrides."""
    settings = NewsdeskSettings()
    if getattr(args, "index_dir", None):
        settings = settings.model_copy(update={"index_dir": Path(args.index_dir)})
    return settings


# --- index, status -------------------------------------------------------------------------


def cmd_index(args: argparse.Namespace) -> int:
    """Index article files incrementally, or rebuild the index afresh."""
    from index import Indexer

    settings = settings_of(args)
    # As typed: the indexer tells URLs ("https://...") from paths (Path() would fold "//").
    report = Indexer(settings).run(list(args.paths) or None, rebuild=args.rebuild)
    for problem in report.problems:
        print(f"skipped {problem}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.summary())
    return EXIT_SKIPPED if report.problems else 0


def cmd_watch(args: argparse.Namespace) -> int:
    """Index files, folders and URLs, then again as they change; Ctrl-C (or SIGTERM) stops it."""
    import signal
    import time

    from index import IndexReport, Problem
    from index.fetch import is_url
    from index.watch import Watcher

    settings = settings_of(args)
    missing = [i for i in args.inputs if not is_url(i) and not Path(i).exists()]
    if missing:
        print(render("watch", "missing", "watch.toml", paths=", ".join(missing)), file=sys.stderr)
        return EXIT_USAGE

    def on_run(report: IndexReport, fresh: list[Problem]) -> None:
        for problem in fresh:
            print(f"skipped {problem}", file=sys.stderr)
        line = json.dumps(report.to_dict()) if args.json else report.summary()
        print(line if args.json else f"{time.strftime('%H:%M:%S')} {line}", flush=True)

    def on_busy(message: str) -> None:
        print(render("watch", "busy", "watch.toml", message=message), file=sys.stderr, flush=True)

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # A service manager stops it with SIGTERM: as cleanly as Ctrl-C.
    signal.signal(signal.SIGTERM, interrupt)
    urls = [i for i in args.inputs if is_url(i)]
    start = render(
        "watch",
        "start",
        "watch.toml",
        paths=len(args.inputs) - len(urls),
        urls=len(urls),
        interval=f"{args.interval:g}",
    )
    print(start, file=sys.stderr, flush=True)
    try:
        Watcher(settings, list(args.inputs), args.interval, on_run, on_busy).run()
    except KeyboardInterrupt:
        print(render("watch", "stopped", "watch.toml"), file=sys.stderr)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Print what the index holds and whether it is whole; exit 1 if it is not."""
    from index import StoreError, index_status
    from index.encoders import DEFAULT_BACKEND
    from index.health import check

    settings = settings_of(args)
    health = check(settings, deep=args.check)
    try:
        status: dict[str, Any] | None = index_status(settings)
    except StoreError:
        status = None  # the damage is among the findings
    if args.json:
        print(json.dumps({**(status or {}), "health": health.to_dict()}, indent=2))
        return 0 if health.healthy else EXIT_ERROR
    if status is not None:
        print(f"index:    {status['index_dir']} ({status['backend']}, {status['collection']})")
        print(f"articles: {status['articles']}")
        print(f"chunks:   {status['chunks']}")
        print(f"dates:    {status['first_date'] or '-'} .. {status['last_date'] or '-'}")
        print(f"sources:  {', '.join(status['sources']) or '-'}")
        print(f"model:    {status['model']}")
        print(f"encoder:  {status['embed_backend']} (stored with the index; updates keep it)")
        print(
            f"          a new index gets {status['new_index_backend']} "
            f"(NEWSDESK_EMBED_BACKEND; unset: {DEFAULT_BACKEND})"
        )
        if status["embed_backend_conflict"]:
            print(f"  note: `newsdesk index` will refuse: {status['embed_backend_conflict']}")
        print(f"built:    {status['built_at']}  (updated {status['updated_at']})")
        for a in status["articles_list"]:
            flag = " (inferred)" if a["date_inferred"] else ""
            print(f"  - {a['published'] or 'undated'}{flag}  {a['title']}")
    checked = ", ".join(health.checked)
    if health.healthy:
        print(f"health:   healthy ({checked}; {health.seconds:.1f} s)")
    else:
        print(f"health:   NOT healthy ({checked}; {health.seconds:.1f} s)")
        for finding in health.findings:
            print(f"  - {finding.what}. To fix it: {finding.fix}")
    for note in health.notes:
        print(f"  note: {note}")
    return 0 if health.healthy else EXIT_ERROR


# --- ask, eval -----------------------------------------------------------------------------


def format_answer(answer: Answer) -> str:
    """The plain-text form: the answer, then a numbered source list."""
    return f"{answer.text}\n\n{format_sources(answer)}".rstrip()


def format_sources(answer: Answer) -> str:
    """The numbered source list (and related passages) of an answer."""
    lines = []
    if answer.citations:
        lines.append(render("cli", "sources"))
        for c in answer.citations:
            date = c.published or render("cli", "undated")
            if c.published and c.date_inferred:
                date += render("cli", "inferred")
            page = render("cli", "page", page=c.page) if c.page is not None else None
            where = ", ".join(x for x in (c.source, date, page, c.url) if x)
            lines.append(render("cli", "source_line", n=c.n, title=c.title, where=where))
            lines.append(render("cli", "quote_line", quote=c.quote, start=c.start, end=c.end))
    if answer.related:
        lines.append(render("cli", "related"))
        for r in answer.related:
            published = r.published or render("cli", "undated")
            lines.append(
                render("cli", "related_line", title=r.title, published=published, quote=r.quote)
            )
    return "\n".join(lines).rstrip()


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer one question from the command line."""
    from assistant.service import Assistant

    assistant = Assistant(settings_of(args))
    assistant.preload()
    streamed = ""
    answer: Answer | None = None
    try:
        for event in assistant.ask_stream(
            args.question,
            top_k=args.top_k,
            since=args.since,
            until=args.until,
            sources=args.source,
            as_of=args.as_of,
        ):
            if isinstance(event, Answer):
                answer = event
            elif not args.json:
                # An LLM's verified sentences appear as it writes them.
                sys.stdout.write(event)
                sys.stdout.flush()
                streamed += event
    except QuestionError as exc:
        print(f"newsdesk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    assert answer is not None
    gap = assistant.reader.missing_vectors
    if gap:
        # It still answers, from keywords alone for those chunks: say so, and how to mend it.
        total = assistant.reader.dense_chunks
        print(render("errors", "missing_vectors", missing=gap, total=total), file=sys.stderr)
    if args.json:
        print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
    elif streamed and streamed.strip() == answer.text.strip():
        print("\n\n" + format_sources(answer))
    else:
        # Nothing streamed, or the LLM's answer fell back to the extractive one: show it whole.
        print(("\n\n" if streamed else "") + format_answer(answer))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Run a question set and print accuracy, citation precision and decline rate."""
    from assistant.evaluation import evaluate, load_cases
    from assistant.service import Assistant

    try:
        cases = load_cases(Path(args.questions))
    except (OSError, ValueError) as exc:
        print(f"newsdesk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    report = evaluate(Assistant(settings_of(args)), cases)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        for r in report.results:
            mark = "ok  " if r.correct else "FAIL"
            print(f"{mark} {r.question}")
            if not r.correct:
                print(
                    f"     expected {r.expect!r} answerable={r.answerable}; got: {r.answer[:160]!r}"
                )
        print(report.summary())
    return 0 if report.accuracy >= args.min_accuracy else EXIT_ERROR


# --- feedback --------------------------------------------------------------------------------


def cmd_feedback(args: argparse.Namespace) -> int:
    """Export the chat's feedback as a question set `newsdesk eval` runs; counts on stderr."""
    from assistant.feedback import feedback_cases
    from index import read_feedback

    settings = settings_of(args)
    log = read_feedback(settings.index_dir)
    if not log.records:
        print(
            f"newsdesk: {render('export', 'none', 'feedback.toml', index_dir=settings.index_dir)}",
            file=sys.stderr,
        )
        return EXIT_ERROR
    export = feedback_cases(log.records)
    if args.out:
        Path(args.out).write_text(export.jsonl(), encoding="utf-8")
        print(render("export", "wrote", "feedback.toml", path=args.out), file=sys.stderr)
    else:
        sys.stdout.write(export.jsonl())
        sys.stdout.flush()
    print(export.summary(log.unreadable), file=sys.stderr)
    return 0
