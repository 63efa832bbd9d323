"""A real `newsdesk ui` served on loopback for the UI tests, with a real index."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NEWSDESK = Path(sys.executable).parent / "newsdesk"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_ui(index_dir: Path, log: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start `newsdesk ui` on a free loopback port; yield its URL; stop it afterwards."""
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(NEWSDESK), "ui", "--port", str(port), "--index-dir", str(index_dir)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"newsdesk ui exited: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"newsdesk ui did not start: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def require_chromium() -> None:
    """Fail (not skip) with the fix when Debian's chromium is missing."""
    if not CHROMIUM.exists():
        raise RuntimeError(
            "browser tests need Debian's chromium: run `apt-get install -y chromium` "
            "(make test does this)"
        )
