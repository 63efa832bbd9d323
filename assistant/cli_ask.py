"""The `ask` and `eval` subcommands."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.models import Answer, QuestionError
from assistant.templates import render

EXIT_USAGE = 2


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
            where = ", ".join(x for x in (c.source, date, c.url) if x)
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


def cmd_ask(args: argparse.Namespace, settings_of: Callable) -> int:
    """Answer one question from the command line."""
    from assistant.service import Assistant

    assistant = Assistant(settings_of(args))
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
    if args.json:
        print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
    elif streamed and streamed.strip() == answer.text.strip():
        print("\n\n" + format_sources(answer))
    else:
        # Nothing streamed, or the LLM's answer fell back to the extractive one: show it whole.
        print(("\n\n" if streamed else "") + format_answer(answer))
    return 0


def cmd_eval(args: argparse.Namespace, settings_of: Callable) -> int:
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
    return 0 if report.accuracy >= args.min_accuracy else 1


def add_ask_commands(sub: Any, settings_of: Callable, iso_date: Callable) -> None:
    """Register `ask` and `eval`."""
    p = sub.add_parser("ask", help="answer a question from the indexed articles")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print Answer.to_dict() as JSON")
    p.add_argument("--index-dir")
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--since", type=iso_date, help="only articles published on/after (YYYY-MM-DD)")
    p.add_argument("--until", type=iso_date, help="only articles published on/before")
    p.add_argument("--source", action="append", help="only this source (repeatable)")
    p.add_argument(
        "--as-of",
        type=iso_date,
        help="the day the question is asked on (default today): 'this week' is read against it",
    )
    p.set_defaults(func=lambda a: cmd_ask(a, settings_of))

    p = sub.add_parser("eval", help="run a question set (JSONL) and score the answers")
    p.add_argument("questions", help="JSONL: question, expect, answerable")
    p.add_argument("--index-dir")
    p.add_argument("--json", action="store_true")
    p.add_argument("--min-accuracy", type=float, default=0.0, help="exit 1 below this accuracy")
    p.set_defaults(func=lambda a: cmd_eval(a, settings_of))
