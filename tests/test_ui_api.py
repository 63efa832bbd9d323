"""The running UI's `ask` API through gradio_client, under concurrent load."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from ui_server import running_ui

from assistant.settings import NewsdeskSettings
from index import Indexer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ui_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`newsdesk ui` over the seed."""
    index_dir = tmp_path_factory.mktemp("index")
    Indexer(NewsdeskSettings(index_dir=index_dir)).run([ROOT / "seeds"], progress=False)
    with running_ui(index_dir, tmp_path_factory.mktemp("log") / "ui.log") as url:
        yield url


def test_api_ask_returns_the_answer_json(ui_url: str) -> None:
    from gradio_client import Client

    data = Client(ui_url, verbose=False).predict("Who visited Kursk and when?", api_name="/ask")
    assert list(data) == ["question", "answer", "answered", "citations", "related", "timings_ms"]
    assert data["answered"] and "Vladimir Putin" in data["answer"]
    assert data["citations"][0]["quote"].startswith("President Vladimir Putin")
    empty = Client(ui_url, verbose=False).predict("   ", api_name="/ask")
    assert "empty" in empty["error"]


def test_twenty_concurrent_questions_all_answered(ui_url: str) -> None:
    from gradio_client import Client

    def one(_: int) -> dict:
        return Client(ui_url, verbose=False).predict("Who visited Kursk and when?", api_name="/ask")

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(one, range(20)))
    assert len(results) == 20
    for r in results:
        assert r["answered"]
        assert "Vladimir Putin" in r["answer"] and "March 12, 2025" in r["answer"]


def test_login_and_no_index_yet(tmp_path: Path) -> None:
    """With NEWSDESK_UI_USER/PASSWORD set the page needs a login; no index is a clear message."""
    from gradio_client import Client

    env = {"NEWSDESK_UI_USER": "desk", "NEWSDESK_UI_PASSWORD": "s3cret"}
    with running_ui(tmp_path / "none", tmp_path / "ui.log", env=env) as url:
        with pytest.raises(Exception):  # noqa: B017 (the client's own error type varies)
            Client(url, verbose=False).predict("Who visited Kursk and when?", api_name="/ask")
        client = Client(url, auth=("desk", "s3cret"), verbose=False)
        data = client.predict("Who visited Kursk and when?", api_name="/ask")
        assert "There is no index yet" in data["error"]
