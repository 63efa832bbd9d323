"""The generative answer: prompt the configured LLM, keep only verified sentences, else fall back."""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from assistant.answering import Context
from assistant.compose import citation
from assistant.evidence import Evidence
from assistant.followup import PRONOUN
from assistant.generative.backends import BackendError, backend_label, backend_where, build_llm
from assistant.generative.prompting import (
    Source,
    condense_messages,
    fit_prompt,
    select_sources,
)
from assistant.generative.verify import MARKER, Verdict, Verifier, split_claims
from assistant.models import Answer, Citation
from assistant.text import WORD
from prompts import render

if TYPE_CHECKING:
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.llms import LLM

    from assistant.settings import NewsdeskSettings
    from index import TextEncoder

log = logging.getLogger(__name__)

_MARKER_ONLY = re.compile(r"^(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+")
_END = re.compile(r"[.!?\n]")
_THINK = re.compile(r"<think>.*?</think>\s*", re.DOTALL)
# "The sources do not answer this question." and the ways small models reword it.
_DECLINE = re.compile(
    r"\b(?:sources?|articles?|context)\b[^.!?]{0,40}\b(?:do|does|did)\s*(?:not|n[o’']t)\s+"
    r"(?:answer|say|mention|contain|provide|state|include)",
    re.IGNORECASE,
)


class LLMTimeout(TimeoutError):
    """The LLM did not finish within the configured deadline."""


def _render(key: str, **values: Any) -> str:
    return render("notes", key, file="generative.toml", **values)


def stream_deltas(llm: LLM, messages: list[ChatMessage], timeout_s: float) -> Iterator[str]:
    """The reply's text deltas, under a hard deadline whatever the backend does.

    The backend runs in a daemon thread: a server that accepts and never answers, or an
    in-process model that is too slow, cannot hold the caller past the deadline.
    """
    inbox: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        try:
            for chunk in llm.stream_chat(messages):
                if stop.is_set():
                    return
                inbox.put(("delta", chunk.delta or ""))
            inbox.put(("end", None))
        except BaseException as exc:  # handed to the caller's thread, which reports it
            inbox.put(("error", exc))

    threading.Thread(target=work, name="newsdesk-llm", daemon=True).start()
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LLMTimeout
            try:
                kind, value = inbox.get(timeout=remaining)
            except queue.Empty:
                raise LLMTimeout from None
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def failure_note(exc: BaseException, settings: NewsdeskSettings) -> str:
    """The one-line note users see when the LLM failed, by kind of failure."""
    where = backend_where(settings)
    chain = _chain(exc)
    names = {type(e).__name__ for e in chain}
    if isinstance(exc, LLMTimeout) or names & {
        "APITimeoutError",
        "ReadTimeout",
        "ConnectTimeout",
        "TimeoutException",
        "TimeoutError",
    }:
        return _render("timeout", where=where, seconds=settings.llm_timeout_s)
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return _render("unreachable", where=where, reason="connection refused")
    if names & {
        "APIConnectionError",
        "ConnectError",
        "ConnectionError",
        "RemoteProtocolError",
    } or any(isinstance(e, ConnectionError | OSError) for e in chain):
        reason = " ".join(str(chain[-1]).split())[:160] or type(chain[-1]).__name__
        return _render("unreachable", where=where, reason=reason)
    reason = " ".join(str(exc).split())[:160] or type(exc).__name__
    return _render("error", where=where, reason=reason)


def _complete(buffer: str) -> tuple[str, str]:
    """Split a streaming buffer into (whole sentences, the sentence still being written)."""
    from index.sentences import split_sentences

    spans = split_sentences(buffer)
    if len(spans) < 2:
        return "", buffer
    start = spans[-1][0]
    done, rest = buffer[:start], buffer[start:]
    lead = _MARKER_ONLY.match(rest)
    if lead:
        done, rest = done.rstrip() + lead.group(), rest[lead.end() :]
    # "...Wednesday. [1" : wait until the next sentence has begun, so its markers are whole.
    if not WORD.search(MARKER.sub("", rest)):
        return "", buffer
    return done, rest


class _Draft:
    """The verified answer being built: kept sentences, renumbered citations, drop count."""

    def __init__(self, sources: list[Source]) -> None:
        self.sources = {s.n: s for s in sources}
        self.sentences: list[str] = []
        self.citations: list[Citation] = []
        self.numbers: dict[tuple[str, int], int] = {}
        self.dropped = 0
        self.declined = False
        self.raw = ""

    def add(self, verdict: Verdict) -> str | None:
        """The sentence as shown (markers renumbered), or None when it was dropped."""
        if not verdict.supported:
            self.dropped += 1
            log.info("dropped generated sentence (%s): %s", verdict.reason, verdict.sentence)
            return None
        ns: list[int] = []
        for source_n, index in verdict.support:
            src = self.sources[source_n]
            key = (src.article.article_id, index)
            if key not in self.numbers:
                self.numbers[key] = len(self.citations) + 1
                ev = src.evidence.get(index) or Evidence(src.article, index)
                # The same exact-slice quotes the extractive answer gives.
                self.citations.append(citation(self.numbers[key], ev))
            if self.numbers[key] not in ns:
                ns.append(self.numbers[key])
        claim = verdict.claim
        end = re.search(r"[.!?][\"'”’)]*$", claim)
        body, punct = (claim[: end.start()], claim[end.start() :]) if end else (claim, ".")
        shown = f"{body.rstrip()} {''.join(f'[{n}]' for n in sorted(ns))}{punct}"
        self.sentences.append(shown)
        return shown


class Generator:
    """The optional generative answerer of an Assistant; the LLM is built on first use."""

    def __init__(self, settings: NewsdeskSettings, encoder: TextEncoder) -> None:
        self.settings = settings
        self.encoder = encoder
        self._llm: LLM | None = None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether a backend is configured (none = the extractive answerer alone)."""
        return self.settings.llm_backend_name is not None

    @property
    def label(self) -> str:
        """The backend's name as Answer.backend reports it."""
        return backend_label(self.settings)

    def llm(self) -> LLM:
        """The backend's llama-index LLM, built once (a GGUF file is loaded here)."""
        if self._llm is None:
            with self._lock:
                if self._llm is None:
                    self._llm = build_llm(self.settings)
        return self._llm

    def condense(
        self, question: str, history: list[dict[str, Any]]
    ) -> tuple[str | None, str | None]:
        """(standalone follow-up question or None, failure note or None) from the LLM."""
        if not history or not PRONOUN.search(question):
            return None, None
        try:
            llm = self.llm()
            text = ""
            for delta in stream_deltas(
                llm, condense_messages(question, history), self.settings.llm_timeout_s
            ):
                text += delta
                # One line is asked for; the rest is the model rambling on.
                if "\n" in text.strip() or len(text) > 400:
                    break
        except BackendError as exc:
            return None, _render("unusable", reason=str(exc))
        except Exception as exc:
            log.warning("condensing the follow-up failed: %s", exc)
            return None, failure_note(exc, self.settings)
        line = _THINK.sub("", text).strip().split("\n", 1)[0].strip().strip('"“”')
        line = re.sub(r"^(?:standalone question|question)\s*:\s*", "", line, flags=re.I)
        asked = {m.group().casefold() for m in WORD.finditer(question)}
        got = {m.group().casefold() for m in WORD.finditer(line)}
        # A rewrite keeps most of the question's words; anything else is an answer or noise.
        if not line or len(line) > 300 or len(asked & got) < len(asked) / 2:
            return None, None
        return line, None

    def _fallback(
        self, extractive: Answer, note: str | None, dropped: int, started: float
    ) -> Answer:
        text = extractive.text if not note else f"{extractive.text}\n\n{note}"
        out = replace(extractive, text=text, backend="extractive", dropped_sentences=dropped)
        out.timings_ms = {**extractive.timings_ms, "llm": (time.perf_counter() - started) * 1000}
        out.note = note or ""
        return out

    def stream(
        self,
        question: str,
        ranked: list[Evidence],
        extractive: Answer,
        failed: str | None = None,
    ) -> Iterator[str | Answer]:
        """Verified sentences as they are generated, then the final Answer (always last).

        The final Answer is authoritative: the LLM's verified sentences, or the extractive
        answer (with a note saying why) when the LLM failed or nothing it wrote held up.
        """
        started = time.perf_counter()
        if failed:
            yield self._fallback(extractive, failed, 0, started)
            return
        s = self.settings
        sources = select_sources(ranked, s.llm_max_sources)
        if not sources:
            # Nothing retrieved: the extractive decline already says so.
            yield self._fallback(extractive, None, 0, started)
            return
        messages, sources = fit_prompt(question, sources, s.llm_context_window, s.llm_max_tokens)
        if not messages:
            yield self._fallback(
                extractive, _render("no_room", window=s.llm_context_window), 0, started
            )
            return
        try:
            llm = self.llm()
        except BackendError as exc:
            yield self._fallback(extractive, _render("unusable", reason=str(exc)), 0, started)
            return
        except Exception as exc:
            log.warning("building the LLM failed: %s", exc)
            yield self._fallback(extractive, failure_note(exc, s), 0, started)
            return
        verifier = Verifier(self.encoder, sources, s.verify_min_similarity, s.verify_min_overlap)
        draft = _Draft(sources)
        buffer = ""
        pending = False  # whether the buffer may hold a finished sentence
        try:
            for delta in stream_deltas(llm, messages, s.llm_timeout_s):
                draft.raw += delta
                buffer += delta
                if "<think>" in buffer:
                    # Reasoning models think aloud first; only what follows is the answer.
                    if "</think>" not in buffer:
                        continue
                    buffer = _THINK.sub("", buffer)
                pending = pending or bool(_END.search(delta))
                if not pending:
                    continue
                done, buffer = _complete(buffer)
                if done:
                    pending = bool(_END.search(buffer))
                    yield from self._emit(verifier, draft, done)
            yield from self._emit(verifier, draft, buffer)
        except Exception as exc:
            log.warning("the LLM failed: %s", exc)
            yield self._fallback(extractive, failure_note(exc, s), draft.dropped, started)
            return
        if not draft.sentences:
            if draft.declined:
                note = _render("declined") if extractive.answered else None
                yield self._fallback(extractive, note, draft.dropped, started)
            else:
                yield self._fallback(extractive, _render("unverified"), draft.dropped, started)
            return
        elapsed = (time.perf_counter() - started) * 1000
        timings = dict(extractive.timings_ms)
        timings["llm"] = elapsed
        if "total" in timings:
            timings["total"] += elapsed
        yield Answer(
            question=extractive.question,
            text=" ".join(draft.sentences),
            answered=True,
            citations=draft.citations,
            related=[],
            timings_ms=timings,
            standalone_question=extractive.standalone_question,
            backend=self.label,
            dropped_sentences=draft.dropped,
        )

    def _emit(self, verifier: Verifier, draft: _Draft, text: str) -> Iterator[str]:
        """Verify the whole sentences of text and yield the kept ones (space-joined)."""
        for sentence in split_claims(_THINK.sub("", text)):
            if _DECLINE.search(sentence) and not MARKER.search(sentence):
                # Saying the sources do not answer is not a claim to check (nor a dropped one).
                draft.declined = True
                continue
            shown = draft.add(verifier.check(sentence))
            if shown is not None:
                yield shown if len(draft.sentences) == 1 else " " + shown

    def answer(
        self, question: str, ranked: list[Evidence], extractive: Answer, failed: str | None = None
    ) -> Answer:
        """The final Answer of stream(), without the intermediate text."""
        final: Answer | None = None
        for event in self.stream(question, ranked, extractive, failed):
            if isinstance(event, Answer):
                final = event
        assert final is not None
        return final


class GenerativeAnswerer:
    """An LLM writes the answer from the ranked sentences; each sentence it writes is checked
    against the source it cites, and the extractive answer stands in when nothing holds up."""

    streams = True

    def __init__(self, settings: NewsdeskSettings, encoder: TextEncoder) -> None:
        from assistant.extractive import ExtractiveAnswerer

        self.generator = Generator(settings, encoder)
        self.extractive = ExtractiveAnswerer(settings, encoder)

    def condense(
        self, question: str, history: list[dict[str, Any]]
    ) -> tuple[str | None, str | None]:
        """The LLM's standalone rewrite of a follow-up (better than the pronoun rules)."""
        return self.generator.condense(question, history)

    def stream(self, ctx: Context) -> Iterator[str | Answer]:
        """Verified sentences as the LLM writes them, then the final Answer."""
        fallback = self.extractive.answer(ctx)
        if ctx.language:
            # Verification compares English words; a question in another language gets the
            # extractive answer that says the index answers English questions.
            yield fallback
            return
        yield from self.generator.stream(ctx.standalone, ctx.ranked, fallback, ctx.note)
