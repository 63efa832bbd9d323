"""An OpenAI-compatible API (/v1/chat/completions, /v1/models) so other chat tools can ask newsdesk.

The reply text is the answer with its `[n]` markers, then a numbered sources list, so a plain
chat client shows where the answer comes from; the structured citations travel beside it as
`message.citations` (the last chunk's `delta.citations` when streaming). Served by `newsdesk
serve` and mounted on the chat's own server (`newsdesk ui`).
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.routing import Mount

from assistant import Answer, Assistant, QuestionError
from assistant.service import final_answer
from index import IndexBusyError, IndexMissingError, StoreError
from prompts import render, table
from ui.settings import ChatSettings

MODEL_ID = "newsdesk"
# Pieces an extractive answer (whole at once) is streamed in, so clients render it as it comes.
STREAM_PIECES = 8

log = logging.getLogger("newsdesk.api")


def _words(section: str, key: str, **values: Any) -> str:
    return render(section, key, file="api.toml", **values)


class ApiError(Exception):
    """An error answered in OpenAI's shape: {"error": {"message", "type", "param", "code"}}."""

    def __init__(
        self,
        status: int,
        message: str,
        kind: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        retry: bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = {"message": message, "type": kind, "param": param, "code": code}
        # The openai client retries 5xx twice unless told not to; a missing index stays missing.
        self.headers = (headers or {}) | ({} if retry else {"x-should-retry": "false"})

    def body(self) -> dict[str, Any]:
        """The JSON error object."""
        return {"error": self.error}


def api_error(exc: BaseException) -> ApiError:
    """The HTTP error a failure while answering becomes (never a traceback)."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, QuestionError):
        return ApiError(400, str(exc), code="invalid_question", param="messages")
    if isinstance(exc, IndexMissingError):
        return ApiError(503, str(exc), "server_error", "index_missing", retry=False)
    if isinstance(exc, IndexBusyError | StoreError):
        return ApiError(503, str(exc), "server_error", "index_unavailable", retry=False)
    log.exception("answering failed")
    return ApiError(500, _words("errors", "failed", error=exc), "server_error", "internal_error")


# --- the request ---------------------------------------------------------------------------


class Message(BaseModel):
    """One turn of the conversation; content is a string or OpenAI's list of parts."""

    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None


class Options(BaseModel):
    """newsdesk's own options, in the request's extra field "newsdesk" (see AskOptions)."""

    # A misspelt option is an error, not a silently unfiltered answer.
    model_config = ConfigDict(extra="forbid")

    since: str | None = None
    until: str | None = None
    sources: list[str] | str | None = None
    as_of: str | None = None
    top_k: int | None = Field(default=None, ge=1, le=100)


class ChatRequest(BaseModel):
    """A chat completion request; sampling parameters (temperature, max_tokens ...) are ignored."""

    model_config = ConfigDict(extra="allow")

    model: str | None = None
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    newsdesk: Options = Field(default_factory=Options)


def parse_request(raw: bytes) -> ChatRequest:
    """The request body, checked; ApiError(400) saying what is wrong."""
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, _words("errors", "bad_json", error=exc), code="invalid_json") from None
    try:
        return ChatRequest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        message = _words("errors", "bad_field", field=where, error=first["msg"])
        raise ApiError(400, message, param=where) from None


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if p.get("type") == "text")
    return content or ""


def conversation(messages: list[Message]) -> tuple[str, list[dict[str, str]]]:
    """(question, history): the last user message, and the user/assistant turns before it."""
    if messages[-1].role != "user":
        raise ApiError(400, _words("errors", "no_question"), param="messages")
    history = [
        {"role": m.role, "content": strip_appendix(_text(m.content))}
        for m in messages[:-1]
        if m.role in ("user", "assistant")
    ]
    return _text(messages[-1].content), history


# --- the reply -----------------------------------------------------------------------------


def appendix(answer: Answer) -> str:
    """The numbered sources list (and related passages) that follows the answer text."""
    w = table("api.toml")["reply"]
    parts = []
    if answer.citations:
        lines = [w["sources"], ""]
        for c in answer.citations:
            date = c.published or w["undated"]
            if c.published and c.date_inferred:
                date += w["inferred"]
            page = w["page"].format(page=c.page) if c.page is not None else None
            where = ", ".join(x for x in (c.source, date, page, c.url) if x)
            lines.append(w["source_line"].format(n=c.n, title=c.title, where=where))
            # A blank line after each quote closes its Markdown block quote.
            # A quote may span two paragraphs; on one line it stays one markdown quote.
            lines += [w["quote_line"].format(quote=" ".join(c.quote.split())), ""]
        parts.append("\n".join(lines).rstrip())
    if answer.related:
        lines = [w["related"], ""]
        for r in answer.related:
            published = r.published or w["undated"]
            lines.append(
                w["related_line"].format(title=r.title, published=published, quote=r.quote)
            )
        parts.append("\n".join(lines))
    return f"\n\n{w['rule']}\n\n" + "\n\n".join(parts) if parts else ""


def strip_appendix(text: str) -> str:
    """An earlier reply without its sources list: history is the answers, not the quotes."""
    w = table("api.toml")["reply"]
    for heading in (w["sources"], w["related"]):
        marker = f"\n\n{w['rule']}\n\n{heading}"
        if marker in text:
            return text.split(marker, 1)[0]
    return text


def reply_text(answer: Answer) -> str:
    """What a chat client shows: the answer with its [n] markers, then the sources list."""
    return answer.text + appendix(answer)


def extras(answer: Answer) -> dict[str, Any]:
    """newsdesk's own fields of a reply, beside OpenAI's (the top-level "newsdesk" object)."""
    return {
        "answered": answer.answered,
        "standalone_question": answer.standalone_question,
        "backend": answer.backend,
        "note": answer.note,
        "related": [r.to_dict() for r in answer.related],
    }


def completion(answer: Answer, reply_id: str, created: int) -> dict[str, Any]:
    """A whole `chat.completion` object for an answer."""
    message = {
        "role": "assistant",
        "content": reply_text(answer),
        "refusal": None,
        "citations": [c.to_dict() for c in answer.citations],
    }
    return {
        "id": reply_id,
        "object": "chat.completion",
        "created": created,
        "model": MODEL_ID,
        "system_fingerprint": None,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}],
        "newsdesk": extras(answer),
    }


def pieces(text: str, n: int = STREAM_PIECES) -> list[str]:
    """Text cut at word boundaries into about n pieces that join back to it exactly."""
    tokens = re.findall(r"\s*\S+", text) + re.findall(r"\s+$", text)
    step = max(1, -(-len(tokens) // n))
    return ["".join(tokens[i : i + step]) for i in range(0, len(tokens), step)]


def _sse(data: dict[str, Any] | str) -> str:
    body = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {body}\n\n"


def chunks(events: Iterable[str | Answer], reply_id: str, created: int) -> Iterator[str]:
    """Server-sent `chat.completion.chunk` events for a stream of answer events, then [DONE]."""

    def chunk(delta: dict[str, Any], finish: str | None = None, **more: Any) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return _sse(
            {
                "id": reply_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": MODEL_ID,
                "system_fingerprint": None,
                "choices": [choice],
                **more,
            }
        )

    yield chunk({"role": "assistant", "content": ""})
    streamed = ""
    try:
        for event in events:
            if isinstance(event, str):
                # An LLM's verified sentences, as it writes them.
                streamed += event
                yield chunk({"content": event})
                continue
            if event.text.startswith(streamed):
                rest = pieces(event.text[len(streamed) :])
            elif streamed.strip() == event.text.strip():
                rest = []
            else:
                # The final answer replaces what streamed (the LLM's fell back): show it whole.
                rest = ["\n\n", *pieces(event.text)]
            for piece in [*rest, appendix(event)]:
                if piece:
                    yield chunk({"content": piece})
            citations = [c.to_dict() for c in event.citations]
            yield chunk({"citations": citations}, "stop", newsdesk=extras(event))
    except Exception as exc:
        # Headers are sent: the openai client raises APIError on an {"error": ...} event.
        yield _sse(api_error(exc).body())
    yield _sse("[DONE]")


# --- the app -------------------------------------------------------------------------------


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def authorized(header: str | None, user: str, password: str) -> bool:
    """Whether an Authorization header carries the login: Bearer PASSWORD (or USER:PASSWORD),
    or Basic USER:PASSWORD."""
    scheme, _, value = (header or "").partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return _same(value, password) or _same(value, f"{user}:{password}")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
            return False
        return _same(decoded, f"{user}:{password}")
    return False


def _answering(
    assistant: Assistant, gate: threading.Semaphore, question: str, **options: Any
) -> Iterator[str | Answer]:
    # At most NEWSDESK_UI_CONCURRENCY questions at once, as in the chat; the gate is held until
    # the stream is drained or closed (a client that goes away closes it).
    with gate:
        yield from assistant.ask_stream(question, **options)


def create_api(settings: ChatSettings, assistant: Assistant) -> FastAPI:
    """The /v1 app: chat completions and models, behind the chat's login when one is set."""
    user, password = settings.ui_user, settings.ui_password

    def check_login(request: Request) -> None:
        given = request.headers.get("authorization")
        if user and password and not authorized(given, user, password):
            raise ApiError(
                401,
                _words("errors", "unauthorized"),
                code="invalid_api_key",
                headers={"WWW-Authenticate": 'Bearer realm="newsdesk"'},
            )

    # Every route needs the login (when one is set), as every page of the chat does.
    api = FastAPI(
        title="newsdesk",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(check_login)],
    )
    gate = threading.BoundedSemaphore(settings.ui_concurrency)
    created = int(time.time())

    @api.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @api.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        message = _words("errors", "not_found", method=request.method, path=request.url.path)
        return JSONResponse(ApiError(exc.status_code, message).body(), status_code=exc.status_code)

    def model() -> dict[str, Any]:
        return {"id": MODEL_ID, "object": "model", "created": created, "owned_by": "newsdesk"}

    @api.get("/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [model()]}

    @api.get("/models/{name}")
    async def one_model(name: str) -> dict[str, Any]:
        if name != MODEL_ID:
            raise ApiError(
                404, _words("errors", "unknown_model", model=name), code="model_not_found"
            )
        return model()

    @api.post("/chat/completions")
    async def chat_completions(request: Request) -> Response:
        body = parse_request(await request.body())
        question, history = conversation(body.messages)
        options = body.newsdesk.model_dump(exclude_none=True)
        events = _answering(assistant, gate, question, history=history or None, **options)
        # The first event is taken before replying, so a refused question or a missing index
        # is an HTTP error, not an error inside a stream that has already said 200.
        try:
            first = await run_in_threadpool(next, events, None)
        except Exception as exc:
            raise api_error(exc) from None
        reply_id, now = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if body.stream:
            return StreamingResponse(
                chunks(chain([first], events), reply_id, now),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        try:
            answer = await run_in_threadpool(final_answer, chain([first], events))
        except Exception as exc:
            raise api_error(exc) from None
        return JSONResponse(completion(answer, reply_id, now))

    return api


def api_mount(settings: ChatSettings, assistant: Assistant) -> Mount:
    """The API as a route at /v1, to put on any Starlette or FastAPI app (the chat's too)."""
    return Mount("/v1", app=create_api(settings, assistant))


def create_app(settings: ChatSettings, assistant: Assistant) -> FastAPI:
    """The app `newsdesk serve` runs: the API at /v1 and nothing else."""
    return FastAPI(routes=[api_mount(settings, assistant)], docs_url=None, redoc_url=None)
