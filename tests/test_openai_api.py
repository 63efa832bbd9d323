"""The OpenAI-compatible API (ui/api.py) through the real `openai` client, on loopback.

A real index of the seed article, the real embedding model, the real server (uvicorn in a
thread, `newsdesk serve` and `newsdesk ui` as processes) and the `openai` package pointed at it.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import openai
import pytest
import uvicorn
from conftest import NEWSDESK, SEED, SEED_TITLE, settings_for
from openai import OpenAI
from ui_server import free_port, running_ui

from assistant import Assistant
from index import Indexer
from ui.api import create_app, pieces, strip_appendix
from ui.settings import ChatSettings

KURSK = "Who visited Kursk and when?"
SEED_TEXT = SEED.read_text(encoding="utf-8")


@contextmanager
def api_server(settings: ChatSettings, assistant: Assistant) -> Iterator[str]:
    """The API app served by uvicorn on a free loopback port, in a thread; yields its /v1 URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, assistant), host="127.0.0.1", port=port, log_config=None
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def seed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the seed article."""
    index_dir = tmp_path_factory.mktemp("api-index")
    Indexer(settings_for(index_dir)).run([SEED], progress=False)
    return index_dir


@pytest.fixture(scope="module")
def assistant(seed_dir: Path) -> Assistant:
    """One warm assistant over the seed, shared by the servers of this module."""
    a = Assistant(ChatSettings(index_dir=seed_dir))
    a.warm()
    return a


@pytest.fixture(scope="module")
def url(seed_dir: Path, assistant: Assistant) -> Iterator[str]:
    """The API with no login."""
    with api_server(ChatSettings(index_dir=seed_dir), assistant) as base:
        yield base


def client(base_url: str, api_key: str = "none") -> OpenAI:
    """The openai client, not retrying, so a test sees the first answer."""
    return OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=120)


def check_kursk(text: str, citations: list[dict], assistant: Assistant) -> None:
    """The Kursk answer: Putin, the resolved date, and citations quoting the article verbatim."""
    assert "Putin" in text and "March 12, 2025" in text
    assert "[1]" in text and citations and citations[0]["n"] == 1
    reader = assistant.reader.snapshot()
    for c in citations:
        # The quote is the article's own text at its offsets (the clean text of the seed).
        assert reader.article(c["article_id"]).text[c["start"] : c["end"]] == c["quote"]
        assert " ".join(c["quote"].split()) in " ".join(SEED_TEXT.split())
        assert c["title"] == SEED_TITLE
    assert any("visited Kursk" in c["quote"] for c in citations)
    # The plain text carries the sources list too, for clients that show only the text.
    assert f"[1] {SEED_TITLE}" in text and f"“{citations[0]['quote']}”" in text


def test_non_streamed_completion_names_putin_and_the_date_with_citations(
    url: str, assistant: Assistant
) -> None:
    reply = client(url).chat.completions.create(
        model="newsdesk", messages=[{"role": "user", "content": KURSK}]
    )
    choice = reply.choices[0]
    assert reply.object == "chat.completion" and reply.model == "newsdesk"
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    citations = choice.message.citations  # an extra field: the client keeps it
    assert citations == choice.message.model_extra["citations"]
    check_kursk(choice.message.content, citations, assistant)
    assert reply.newsdesk["answered"] is True


def test_streamed_completion_names_putin_and_the_date_with_citations(
    url: str, assistant: Assistant
) -> None:
    stream = client(url).chat.completions.create(
        model="newsdesk", messages=[{"role": "user", "content": KURSK}], stream=True
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert len(chunks) > 4, "the answer came in one piece"
    assert chunks[0].choices[0].delta.role == "assistant"
    last = chunks[-1]
    assert last.object == "chat.completion.chunk" and last.choices[0].finish_reason == "stop"
    check_kursk(text, last.choices[0].delta.citations, assistant)
    whole = client(url).chat.completions.create(
        model="newsdesk", messages=[{"role": "user", "content": KURSK}]
    )
    assert text == whole.choices[0].message.content


def test_models_lists_newsdesk(url: str) -> None:
    models = client(url).models.list()
    assert [m.id for m in models.data] == ["newsdesk"]
    assert client(url).models.retrieve("newsdesk").id == "newsdesk"
    with pytest.raises(openai.NotFoundError):
        client(url).models.retrieve("gpt-4o")


def test_a_follow_up_reads_the_history(url: str) -> None:
    c = client(url)
    first = c.chat.completions.create(
        model="newsdesk", messages=[{"role": "user", "content": "Who visited Kursk?"}]
    )
    earlier = first.choices[0].message.content
    follow_up = c.chat.completions.create(
        model="newsdesk",
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Who visited Kursk?"},
            {"role": "assistant", "content": earlier},
            {"role": "user", "content": [{"type": "text", "text": "What did he order?"}]},
        ],
    )
    assert "Putin" in follow_up.newsdesk["standalone_question"]
    text = follow_up.choices[0].message.content
    assert "finish the job" in text and follow_up.choices[0].message.citations


def test_filters_travel_in_the_newsdesk_field(url: str) -> None:
    c = client(url)
    messages = [{"role": "user", "content": KURSK}]
    before = c.chat.completions.create(
        model="newsdesk", messages=messages, extra_body={"newsdesk": {"until": "2025-01-01"}}
    )
    assert before.choices[0].message.citations == []
    assert before.newsdesk["answered"] is False
    with pytest.raises(openai.BadRequestError) as bad:
        c.chat.completions.create(
            model="newsdesk", messages=messages, extra_body={"newsdesk": {"untill": "2025"}}
        )
    assert "untill" in bad.value.message


def test_bad_requests_get_openai_error_shapes(url: str) -> None:
    c = client(url)
    with pytest.raises(openai.BadRequestError) as empty:
        c.chat.completions.create(model="newsdesk", messages=[{"role": "user", "content": "  "}])
    assert empty.value.status_code == 400
    assert empty.value.body["message"] == "Please type a question: it was empty."
    assert empty.value.body["type"] == "invalid_request_error"
    with pytest.raises(openai.BadRequestError) as streamed:
        c.chat.completions.create(
            model="newsdesk", messages=[{"role": "user", "content": ""}], stream=True
        )
    assert "empty" in streamed.value.message
    with pytest.raises(openai.BadRequestError) as last:
        c.chat.completions.create(
            model="newsdesk", messages=[{"role": "assistant", "content": "Hello"}]
        )
    assert "last message" in last.value.message
    raw = httpx.post(f"{url}/chat/completions", content=b"{not json", timeout=30)
    assert raw.status_code == 400 and "not valid JSON" in raw.json()["error"]["message"]
    raw = httpx.post(f"{url}/chat/completions", json={"messages": []}, timeout=30)
    assert raw.status_code == 400 and raw.json()["error"]["param"] == "messages"
    raw = httpx.get(f"{url}/nothing-here", timeout=30)
    assert raw.status_code == 404 and raw.json()["error"]["type"] == "invalid_request_error"


def test_the_chat_login_is_required_when_set(seed_dir: Path, assistant: Assistant) -> None:
    settings = ChatSettings(index_dir=seed_dir, ui_user="desk", ui_password="s3cret")
    messages = [{"role": "user", "content": KURSK}]
    with api_server(settings, assistant) as base:
        for key in ("wrong", "desk:wrong", "desk"):
            with pytest.raises(openai.AuthenticationError) as denied:
                client(base, key).chat.completions.create(model="newsdesk", messages=messages)
            assert denied.value.body["code"] == "invalid_api_key"
        with pytest.raises(openai.AuthenticationError):
            client(base, "wrong").models.list()
        # No key at all (the client insists on one, so plain HTTP).
        assert httpx.get(f"{base}/models", timeout=30).status_code == 401
        denied = httpx.post(f"{base}/chat/completions", json={"messages": messages}, timeout=30)
        assert denied.status_code == 401 and denied.json()["error"]["code"] == "invalid_api_key"
        reply = client(base, "s3cret").chat.completions.create(model="newsdesk", messages=messages)
        assert "Putin" in reply.choices[0].message.content
        # HTTP Basic user:password, as curl -u sends it.
        ok = httpx.get(f"{base}/models", auth=("desk", "s3cret"), timeout=30)
        assert ok.status_code == 200 and ok.json()["data"][0]["id"] == "newsdesk"
        assert httpx.get(f"{base}/models", auth=("desk", "nope"), timeout=30).status_code == 401


def test_serve_command_with_no_index_says_so(tmp_path: Path) -> None:
    """`newsdesk serve` on an empty index dir serves, and a question gets the clear message."""
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(NEWSDESK), "serve", "--port", str(port), "--index-dir", str(tmp_path / "none")],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=os.environ.copy(),
        )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        with pytest.raises(openai.InternalServerError) as missing:
            client(base).chat.completions.create(
                model="newsdesk", messages=[{"role": "user", "content": KURSK}]
            )
        assert missing.value.status_code == 503
        assert missing.value.body["message"].startswith("There is no index yet in")
        assert "Traceback" not in log.read_text()
        # A second server on the same port is a one-line message, not a traceback.
        second = subprocess.run(
            [str(NEWSDESK), "serve", "--port", str(port), "--index-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1 and "cannot serve on" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_the_chat_server_serves_the_api_too(
    seed_dir: Path, assistant: Assistant, tmp_path: Path
) -> None:
    """`newsdesk ui` mounts the same API at /v1, behind the same login."""
    env = {"NEWSDESK_UI_USER": "desk", "NEWSDESK_UI_PASSWORD": "s3cret"}
    with running_ui(seed_dir, tmp_path / "ui.log", env=env) as ui_url:
        base = f"{ui_url}v1"
        with pytest.raises(openai.AuthenticationError):
            client(base, "wrong").models.list()
        stream = client(base, "s3cret").chat.completions.create(
            model="newsdesk", messages=[{"role": "user", "content": KURSK}], stream=True
        )
        chunks = list(stream)
        text = "".join(c.choices[0].delta.content or "" for c in chunks)
        check_kursk(text, chunks[-1].choices[0].delta.citations, assistant)


def test_pieces_join_back_and_history_drops_the_sources() -> None:
    text = "  **Vladimir Putin**, on\n\n> a quote [1]\n\n"
    assert "".join(pieces(text)) == text and len(pieces(text, 3)) <= 3
    assert pieces("") == []
    reply = "Putin visited [1].\n\n---\n\n**Sources**\n\n[1] Title — 2025-03-13\n> “quote”"
    assert strip_appendix(reply) == "Putin visited [1]."
    assert strip_appendix("A rule\n\n---\n\nnot ours") == "A rule\n\n---\n\nnot ours"
