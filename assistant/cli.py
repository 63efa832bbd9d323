"""The `newsdesk` command line: index, status, ask, eval (and ui, registered by the ui package)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from importlib.metadata import entry_points
from pathlib import Path

from assistant.settings import NewsdeskSettings

EXIT_SKIPPED = 3
EXIT_ERROR = 1


def _settings(args: argparse.Namespace) -> NewsdeskSettings:
    settings = NewsdeskSettings()
    if getattr(args, "index_dir", None):
        settings = settings.model_copy(update={"index_dir": Path(args.index_dir)})
    return settings


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def cmd_index(args: argparse.Namespace) -> int:
    """Index article files incrementally, or rebuild the index afresh."""
    from index import Indexer

    settings = _settings(args)
    report = Indexer(settings).run([Path(p) for p in args.paths] or None, rebuild=args.rebuild)
    for problem in report.problems:
        print(f"skipped {problem}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.summary())
    return EXIT_SKIPPED if report.problems else 0


def cmd_status(args: argparse.Namespace) -> int:
    """Print what the index holds."""
    from index import index_status

    status = index_status(_settings(args))
    if args.json:
        print(json.dumps(status, indent=2))
        return 0
    print(f"index:    {status['index_dir']} ({status['backend']}, {status['collection']})")
    print(f"articles: {status['articles']}")
    print(f"chunks:   {status['chunks']}")
    print(f"dates:    {status['first_date'] or '-'} .. {status['last_date'] or '-'}")
    print(f"sources:  {', '.join(status['sources']) or '-'}")
    print(f"model:    {status['model']}")
    print(f"built:    {status['built_at']}  (updated {status['updated_at']})")
    for a in status["articles_list"]:
        flag = " (inferred)" if a["date_inferred"] else ""
        print(f"  - {a['published'] or 'undated'}{flag}  {a['title']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="newsdesk", description="Grounded, cited answers from news articles, offline."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="index article files (default: seeds/)")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (recursive)")
    p.add_argument("--index-dir", help="index location (default ./data/index)")
    p.add_argument("--rebuild", action="store_true", help="build afresh, switch when complete")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("status", help="show what the index holds")
    p.add_argument("--index-dir")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    from assistant.cli_ask import add_ask_commands

    add_ask_commands(sub, _settings, _iso_date)
    for ep in entry_points(group="newsdesk.commands"):
        ep.load()(sub, _settings)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the newsdesk command line."""
    from index import IndexBusyError, IndexMissingError, StoreError, set_offline_env

    set_offline_env()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except IndexMissingError:
        from assistant.templates import render

        settings = _settings(args)
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
