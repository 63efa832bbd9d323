"""The `newsdesk ui` subcommand, registered through the newsdesk.commands entry point."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def register(sub: Any, settings_of: Callable, shared: Any) -> None:
    """Add `newsdesk ui` to the command line (hook: see assistant/cli.py)."""
    p = sub.add_parser("ui", parents=[shared.index_dir], help="serve the chat in the browser")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=7860, help="port to serve on (default 7860)")

    def run(args: Any) -> int:
        from ui.app import serve
        from ui.settings import ChatSettings

        # The assistant's settings as the command line set them, and the chat server's own.
        settings = ChatSettings(**settings_of(args).model_dump())
        return serve(settings, host=args.host, port=args.port)

    p.set_defaults(func=run)
