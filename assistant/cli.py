"""The `newsdesk` command line, declared in one place: the parser, its shared options, main().

The built-in subcommands (index, status, ask, eval, feedback) are in assistant/commands.py. Other
packages add theirs through the newsdesk.commands entry point (`ui` is one: ui/command.py),
so that assistant never imports ui (ui -> assistant -> index). An entry point there names a
hook called as `register(sub, settings_of, shared)`: `sub` is the subparsers object to add a
parser to, `settings_of(args)` gives the settings a parsed command line asks for, and
`shared` holds the parent parsers of the shared options (pass them as `parents=[...]`).
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from importlib.metadata import entry_points
from typing import NamedTuple

from assistant.commands import (
    EXIT_ERROR,
    cmd_ask,
    cmd_eval,
    cmd_feedback,
    cmd_index,
    cmd_status,
    cmd_watch,
    settings_of,
)
from index.plugins import COMMANDS


class SharedOptions(NamedTuple):
    """Parent parsers of the options more than one subcommand takes (argparse `parents=`)."""

    index_dir: argparse.ArgumentParser  # --index-dir, --verbose
    json: argparse.ArgumentParser  # --json
    filters: argparse.ArgumentParser  # --since, --until, --source, --as-of


def iso_date(value: str) -> date:
    """An argparse type: a YYYY-MM-DD date."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def seconds(value: str) -> float:
    """An argparse type: a number of seconds above zero."""
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not number > 0:
        raise argparse.ArgumentTypeError(f"not a number of seconds above 0: {value!r}")
    return number


def shared_options() -> SharedOptions:
    """Each shared option, declared once."""
    index_dir = argparse.ArgumentParser(add_help=False)
    index_dir.add_argument(
        "--index-dir",
        metavar="DIR",
        help="index location (default $NEWSDESK_INDEX_DIR, else ./data/index)",
    )
    # Every command takes it, so it rides with --index-dir (ui's hook takes that parent too).
    index_dir.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show the libraries' own log lines (bm25s, chromadb, httpx ...)",
    )

    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print the result as JSON")

    filters = argparse.ArgumentParser(add_help=False)
    filters.add_argument(
        "--since", type=iso_date, help="only articles published on/after (YYYY-MM-DD)"
    )
    filters.add_argument("--until", type=iso_date, help="only articles published on/before")
    filters.add_argument("--source", action="append", help="only this source (repeatable)")
    filters.add_argument(
        "--as-of",
        type=iso_date,
        help="the day the question is asked on (default today): 'this week' is read against it",
    )
    return SharedOptions(index_dir=index_dir, json=as_json, filters=filters)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand, the registered ones included."""
    parser = argparse.ArgumentParser(
        prog="newsdesk", description="Grounded, cited answers from news articles, offline."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    shared = shared_options()
    store = [shared.index_dir, shared.json]

    p = sub.add_parser("index", parents=store, help="index article files (default: seeds/)")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files, folders (recursive) or URLs")
    p.add_argument("--rebuild", action="store_true", help="build afresh, switch when complete")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("status", parents=store, help="show what the index holds and if it is whole")
    p.add_argument(
        "--check",
        action="store_true",
        help="check deeper: SQLite's full integrity check and every chunk's vector by id",
    )
    p.set_defaults(func=cmd_status)

    p = sub.add_parser(
        "ask", parents=[*store, shared.filters], help="answer a question from the indexed articles"
    )
    p.add_argument("question")
    p.add_argument(
        "--top-k",
        type=int,
        default=None,
        help="chunks to retrieve (default $NEWSDESK_TOP_K, else 8)",
    )
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser(
        "eval", parents=store, help="run a question set (JSONL) and score the answers"
    )
    p.add_argument("questions", help="JSONL: question, expect, answerable")
    p.add_argument("--min-accuracy", type=float, default=0.0, help="exit 1 below this accuracy")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser(
        "feedback",
        parents=[shared.index_dir],
        help="the chat's 👍/👎 and chosen sentences as a question set for `newsdesk eval`",
    )
    # One action today; a positional keeps every option on this parser (and its README row).
    p.add_argument("action", choices=["export"], help="export: write the question set (JSONL)")
    p.add_argument("--out", metavar="FILE", help="write it to FILE (default: standard output)")
    p.set_defaults(func=cmd_feedback)

    p = sub.add_parser(
        "watch",
        parents=store,
        help="index files, folders and URLs, then keep the index current as they change",
    )
    p.add_argument(
        "inputs", nargs="+", metavar="PATH|URL", help="files, folders (recursive) or URLs (feeds)"
    )
    p.add_argument(
        "--interval",
        type=seconds,
        default=300.0,
        metavar="SECONDS",
        help="fetch the URLs again this often (default 300); files are indexed as they change",
    )
    p.set_defaults(func=cmd_watch)

    for ep in entry_points(group=COMMANDS):
        ep.load()(sub, settings_of, shared)
    return parser


def quiet_logging(verbose: bool) -> None:
    """Keep the libraries' log lines off the terminal unless --verbose asks for them.

    bm25s sets its logger to DEBUG, and any library's logging.warning() installs a root
    handler, after which those lines reach stderr; one handler that lets through only what
    --verbose asks for stops them all.
    """
    handler = logging.StreamHandler()
    handler.setLevel(logging.DEBUG if verbose else logging.CRITICAL)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logging.basicConfig(
        handlers=[handler], level=logging.INFO if verbose else logging.WARNING, force=True
    )


def main(argv: list[str] | None = None) -> int:
    """Run the newsdesk command line."""
    from index import IndexBusyError, IndexMissingError, StoreError, set_offline_env

    set_offline_env()
    args = build_parser().parse_args(argv)
    quiet_logging(getattr(args, "verbose", False))
    try:
        return args.func(args)
    except IndexMissingError:
        from prompts import render

        settings = settings_of(args)
        print(
            f"newsdesk: {render('errors', 'no_index', index_dir=settings.index_dir)}",
            file=sys.stderr,
        )
        return EXIT_ERROR
    except (IndexBusyError, StoreError) as exc:
        print(f"newsdesk: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader (`| head`) went away; nothing left to say.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("newsdesk: interrupted", file=sys.stderr)
        return 130
