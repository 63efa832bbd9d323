"""A helper process that loads something slow beside this one and then answers requests,
one JSON line each way: the base of the entity tagger's and Chroma's child processes."""

from __future__ import annotations

import atexit
import contextlib
import json
import subprocess
import sys
import threading
from typing import Any


class WorkerProcess:
    """`python -m MODULE ARGS...` with pipes to it; its first line says whether it is ready.

    Whatever goes wrong with the child (it cannot start, it says it failed, it dies) ends
    it, and the caller does the work in this process instead: the child is only ever a head
    start, never the one place a request can be served.
    """

    def __init__(self, module: str, *args: str) -> None:
        self._lock = threading.Lock()
        self._child: subprocess.Popen[str] | None = None
        self._hello: dict[str, Any] | None = None
        # A child that cannot start (no fork, no executable) leaves the work to this process.
        with contextlib.suppress(OSError):
            self._child = subprocess.Popen(
                [sys.executable, "-m", module, *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
            )
        # Not left loading after a question that needed none of it.
        atexit.register(self.close)

    def hello(self) -> dict[str, Any] | None:
        """The child's first line once it is ready (waits for it); None once given up."""
        with self._lock:
            return self._ready()

    def request(self, payload: Any) -> Any | None:
        """The child's answer to one request (waits for readiness first); None once given up."""
        with self._lock:
            child = self._child
            if self._ready() is None or child is None:
                return None
            assert child.stdin is not None and child.stdout is not None
            try:
                child.stdin.write(json.dumps(payload) + "\n")
                child.stdin.flush()
                answer = json.loads(child.stdout.readline() or "null")
                if answer is None or (isinstance(answer, dict) and "error" in answer):
                    raise ValueError("the child failed")
                return answer
            except (OSError, ValueError):
                self.close()
                return None

    def _ready(self) -> dict[str, Any] | None:
        child = self._child
        if child is None or child.stdout is None:
            return None
        if self._hello is None:
            try:
                hello = json.loads(child.stdout.readline() or "{}")
            except ValueError:
                hello = {}
            if not hello.get("ready"):
                self.close()
                return None
            self._hello = hello
        return self._hello

    @property
    def running(self) -> bool:
        """Whether the child still serves (False once given up)."""
        return self._child is not None

    def close(self) -> None:
        """End the child (it also ends by itself when this process closes its input)."""
        child, self._child = self._child, None
        if child is not None:
            with contextlib.suppress(OSError):
                child.kill()
            child.wait()
