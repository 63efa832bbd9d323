"""The `newsdesk serve` subcommand (the OpenAI-compatible API of ui/api.py), registered through
the newsdesk.commands entry point; kept apart from ui/api.py so `newsdesk ask` imports no FastAPI."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from typing import Any

from ui.settings import ChatSettings


def register(sub: Any, settings_of: Callable, shared: Any) -> None:
    """Add `newsdesk serve` to the command line (hook: see assistant/cli.py)."""
    p = sub.add_parser(
        "serve",
        parents=[shared.index_dir],
        help="serve an OpenAI-compatible API (/v1/chat/completions, /v1/models)",
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to serve on (default 8000)")

    def run(args: Any) -> int:
        # The assistant's settings as the command line set them, and the chat's login.
        settings = ChatSettings(**settings_of(args).model_dump())
        return serve(settings, host=args.host, port=args.port, verbose=args.verbose)

    p.set_defaults(func=run)


def serve(
    settings: ChatSettings, host: str = "127.0.0.1", port: int = 8000, verbose: bool = False
) -> int:
    """Serve the API until interrupted; the model and index load once, before the first question."""
    import uvicorn

    from assistant import Assistant
    from ui.api import create_app

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        # Bound first, so a port in use is a one-line message at once, not a uvicorn log line
        # after the model has loaded.
        sock = socket.create_server((host, port), family=family)
    except OSError as exc:
        why = os.strerror(exc.errno) if exc.errno else str(exc)
        print(f"newsdesk: cannot serve on {host}:{port}: {why}", file=sys.stderr)
        return 1
    with sock:
        assistant = Assistant(settings)
        try:
            assistant.warm()
        except Exception as exc:  # no index yet still serves; questions get the message
            print(f"newsdesk: {exc}", flush=True)
        print(f"newsdesk: serving the API on http://{host}:{port}/v1", flush=True)
        # log_config=None: uvicorn's lines go through newsdesk's logging (shown with --verbose).
        config = uvicorn.Config(
            create_app(settings, assistant), log_config=None, access_log=verbose
        )
        uvicorn.Server(config).run(sockets=[sock])
    return 0
