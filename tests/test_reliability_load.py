"""Load: 50 concurrent users ask the running UI for 60 s; every answer is right."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import SEED, settings_for
from ui_server import running_ui

from index import Indexer

USERS = 50
SECONDS = 60
QUESTIONS = [
    ("Who visited Kursk and when?", ["Vladimir Putin", "March 12, 2025"]),
    ("How many civilians were rescued from Sudzha?", ["120"]),
    ("Who is the Kremlin spokesman?", ["Dmitry Peskov"]),
]


@pytest.fixture(scope="module")
def ui_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`newsdesk ui` over the seed."""
    index_dir = tmp_path_factory.mktemp("index")
    Indexer(settings_for(index_dir)).run([SEED], progress=False)
    with running_ui(index_dir, Path(tmp_path_factory.mktemp("log")) / "ui.log") as url:
        yield url


@pytest.mark.slow
def test_fifty_users_for_a_minute(ui_url: str) -> None:
    from gradio_client import Client

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + SECONDS

    def user(i: int) -> int:
        client = Client(ui_url, verbose=False)
        asked = 0
        while time.monotonic() < stop:
            question, expect = QUESTIONS[(i + asked) % len(QUESTIONS)]
            t0 = time.perf_counter()
            try:
                data = client.predict(question, api_name="/ask")
                ok = data.get("answered") and all(e in data["answer"] for e in expect)
                problem = None if ok else f"wrong answer to {question!r}: {data}"
            except Exception as exc:  # every failure is collected and reported below
                problem = f"{type(exc).__name__}: {exc}"
            with lock:
                latencies.append(time.perf_counter() - t0)
                if problem:
                    errors.append(problem)
            asked += 1
        return asked

    with ThreadPoolExecutor(max_workers=USERS) as pool:
        total = sum(pool.map(user, range(USERS)))
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(
        f"\n{USERS} users, {SECONDS} s: {total} answers, p50 {p50 * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, {len(errors)} errors"
    )
    assert not errors, errors[:5]
    assert total >= USERS
