"""The Assistant: validates a question, retrieves, weighs the evidence and composes the answer."""

from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.answer_types import NONE, asked_parts
from assistant.compose import Plan, choose_quotes, compose, related
from assistant.evidence import Candidate, Evidence, build_evidence
from assistant.followup import condense
from assistant.generative import Generator
from assistant.models import Answer, QuestionError
from assistant.question import Question, analyse
from assistant.ranking import load_model, rank
from assistant.retrieval import RRF_K, Filters, Hit, IndexView
from assistant.templates import render
from assistant.voting import Pick, vote
from index.embedding import TextEncoder, offline_env, shared_embedder
from index.onnx_model import OnnxQueryEncoder, onnx_path
from index.settings import NewsdeskSettings
from index.store import IndexMissingError, StoreError

if TYPE_CHECKING:
    from index.pipeline import IndexReport


def _as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise QuestionError(render("errors", "bad_date", value=value)) from None


def clean_question(question: Any, limit: int) -> str:
    """Strip control characters and check length; raise QuestionError with a clear message."""
    text = "" if question is None else str(question)
    if len(text) > limit:
        raise QuestionError(render("errors", "too_long", length=len(text), limit=limit))
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = " ".join(text.split())
    if not text:
        raise QuestionError(render("errors", "empty"))
    return text


def query_encoder(settings: NewsdeskSettings) -> TextEncoder:
    """The ONNX copy of the model the indexer exported (no torch import), else the torch model."""
    path = onnx_path(settings.model_cache_dir)
    if path.is_file():
        return OnnxQueryEncoder(path)
    return shared_embedder(settings.embed_batch_size)


def _store_failure(exc: BaseException) -> bool:
    """Whether an error came from the vector store or its connection (not from our code)."""
    import sqlite3

    module = type(exc).__module__
    return isinstance(
        exc, StoreError | sqlite3.Error | OSError | ConnectionError
    ) or module.startswith(("chromadb", "httpx", "httpcore"))


class Assistant:
    """Answers questions from one index; holds the model and the index view, kept warm."""

    def __init__(
        self, settings: NewsdeskSettings | None = None, embedder: TextEncoder | None = None
    ) -> None:
        offline_env()
        self.settings = settings or NewsdeskSettings()
        self.embedder = embedder or query_encoder(self.settings)
        self.view = IndexView(self.settings, self.embedder)
        # The optional LLM answerer (issue 7); it builds nothing until a question needs it.
        self.generator = Generator(self.settings, self.embedder)

    def warm(self) -> None:
        """Load the model and the index now rather than on the first question."""
        self._refresh()
        self.embedder.embed_query("warm up")

    def _refresh(self) -> None:
        try:
            self.view.refresh()
        except IndexMissingError as exc:
            raise IndexMissingError(
                render("errors", "no_index", index_dir=self.settings.index_dir)
            ) from exc

    def _search(
        self,
        view: IndexView,
        query: str,
        k: int,
        filters: Filters,
        vector: list[float] | None = None,
    ) -> tuple[list, IndexView]:
        """Search a snapshot; if the index changed or its store failed under us, reload once.

        Returns the hits and the snapshot they come from, whose articles they cite.
        """
        try:
            return view.search(query, k, filters, vector), view
        except Exception as first:
            if not _store_failure(first):
                raise
            # A rebuild that finished between our refresh and the query deletes the collection
            # we held; the new live build answers instead.
            try:
                self.view.refresh(force=True)
                view = self.view.snapshot()
                return view.search(query, k, filters, vector), view
            except Exception as exc:
                if isinstance(exc, StoreError | IndexMissingError) or not _store_failure(exc):
                    raise
                raise StoreError(f"the index cannot be searched right now: {exc}") from exc

    def status(self) -> dict[str, Any]:
        """What the index holds (articles, chunks, dates, sources, when built)."""
        from index.pipeline import index_status

        return index_status(self.settings)

    def add_articles(
        self, paths: list[Path], on_progress: Callable[[int, int], None] | None = None
    ) -> IndexReport:
        """Index article files incrementally (the same run as `newsdesk index PATH`)."""
        from index.pipeline import Indexer

        return Indexer(self.settings).run(paths, progress=False, on_progress=on_progress)

    def ask(
        self,
        question: str,
        *,
        history: list[dict[str, Any]] | None = None,
        top_k: int | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        sources: list[str] | tuple[str, ...] | str | None = None,
        as_of: date | str | None = None,
    ) -> Answer:
        """Answer a question from the indexed articles, citing the sentences it rests on.

        as_of: the day the question is asked on (default today); "this week" and "recently"
        are read against it.
        """
        final: Answer | None = None
        for event in self.ask_stream(
            question,
            history=history,
            top_k=top_k,
            since=since,
            until=until,
            sources=sources,
            as_of=as_of,
        ):
            if isinstance(event, Answer):
                final = event
        assert final is not None
        return final

    # -- generative answers (issue 7): the LLM answers from the ranked evidence, verified ------

    def ask_stream(
        self,
        question: str,
        *,
        history: list[dict[str, Any]] | None = None,
        top_k: int | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        sources: list[str] | tuple[str, ...] | str | None = None,
        as_of: date | str | None = None,
    ) -> Iterator[str | Answer]:
        """Yield the answer's verified sentences as an LLM writes them, then the final Answer.

        Without an LLM backend it yields the extractive Answer alone. The final Answer is always
        the last item and replaces what was streamed (it may be the extractive fallback, with a
        note, when the LLM failed). QuestionError is raised on the first iteration.
        """
        answer, ranked, llm_note = self._extractive(
            question, history, top_k, since, until, sources, as_of
        )
        if not self.generator.enabled:
            yield answer
            return
        yield from self.generator.stream(answer.standalone_question, ranked, answer, llm_note)

    def _extractive(
        self,
        question: str,
        history: list[dict[str, Any]] | None,
        top_k: int | None,
        since: date | str | None,
        until: date | str | None,
        sources: list[str] | tuple[str, ...] | str | None,
        as_of: date | str | None = None,
        exclude: frozenset[str] = frozenset(),
    ) -> tuple[Answer, list, str | None]:
        """The extractive answer, the ranked evidence, and a note if the LLM failed already."""
        t0 = time.perf_counter()
        text = clean_question(question, self.settings.max_question_chars)
        if isinstance(sources, str):
            sources = [sources]
        filters = Filters(
            _as_date(since), _as_date(until), tuple(s for s in sources or () if s), exclude
        )
        if filters.since and filters.until and filters.since > filters.until:
            raise QuestionError(
                render(
                    "errors",
                    "bad_range",
                    since=filters.since.isoformat(),
                    until=filters.until.isoformat(),
                )
            )
        today = _as_date(as_of) or date.today()
        self._refresh()
        # Chunks, articles and statistics of one question all come from one committed state.
        view = self.view.snapshot()
        standalone, context = condense(text, history)
        llm_note = None
        if self.generator.enabled and history:
            # A configured LLM rewrites follow-ups better than the pronoun rules (issue 7).
            rewritten, llm_note = self.generator.condense(text, history)
            standalone = rewritten or standalone
        q = analyse(standalone)
        q.terms = {t: w * view.rarity(t) for t, w in q.terms.items()}
        if not (filters.since or filters.until):
            # "in March 2023" narrows the search; "this week" only prefers what is recent.
            lo, hi = q.explicit_range(today)
            filters = Filters(lo, hi, filters.sources, exclude)
        window = q.window(today)
        parts = asked_parts(standalone)
        k = top_k or self.settings.top_k
        t1 = time.perf_counter()
        query = f"{standalone} {context}".strip()
        vector = self.embedder.embed_query(query)
        hits, view = self._search(view, query, k, filters, vector)
        if window is not None:
            # The window only narrows what the user's own dates allow, never widens it.
            recent = Filters(
                max(window[0], filters.since or window[0]),
                min(window[1], filters.until or window[1]),
                filters.sources,
                exclude,
            )
            if recent.since <= recent.until:
                extra, _ = self._search(view, query, k, recent, vector)
                have = {h.chunk.chunk_id for h in hits}
                hits += [h for h in extra if h.chunk.chunk_id not in have]
        t2 = time.perf_counter()
        ranked = self._rank(view, q, hits, window, parts[0])
        model = load_model()
        if ranked and ranked[0].score >= model.decline_below and not _unmentioned(q, ranked):
            picks = self._picks(q, parts, ranked, model.lead_share)
            quotes = choose_quotes(ranked, picks, model.decline_below)
            stale = None
            if window is not None and not any(
                ev.article.published and window[0] <= ev.article.published for ev in quotes
            ):
                stale = window
            asks_when = any(max(p, key=p.get) in ("DATE", "TIME") for p in parts)
            answer_text, citations = compose(Plan(picks, quotes, stale, asks_when))
            answer = Answer(text, answer_text, True, citations, [], standalone_question=standalone)
        else:
            answer = self._decline(text, standalone, filters, ranked, view)
        t3 = time.perf_counter()
        answer.timings_ms = {
            "retrieval": (t2 - t1) * 1000,
            "answer": (t3 - t2) * 1000,
            "total": (t3 - t0) * 1000,
        }
        return answer, ranked, llm_note

    @staticmethod
    def _picks(
        q: Question, parts: list[dict[str, float]], ranked: list[Evidence], lead_share: float
    ) -> list[Pick]:
        """The short answers that won their vote clearly, one per thing asked."""
        picks: list[Pick] = []
        terms = set(q.terms)
        for labels in parts:
            if labels.get(NONE, 0.0) >= 0.5:
                continue
            voters = ranked
            if picks:
                # "... and when?": the date of what the first answer did, from its sentences.
                first = picks[0].text.casefold()
                voters = [ev for ev in ranked if first in ev.text.casefold()] or ranked
            won = vote(voters, labels, terms, prefer_new=q.recency)
            if won and won[0].share >= lead_share:
                picks.append(won[0])
            elif not picks:
                break
        return picks

    def _rank(
        self,
        view: IndexView,
        q: Question,
        hits: list[Hit],
        window: tuple[date, date] | None,
        labels: dict[str, float],
    ) -> list[Evidence]:
        """The sentences of the retrieved chunks, scored by the learned ranker.

        labels: the entity labels the question asks for (answer_types.asked_parts).
        """
        candidates = []
        seen = set()
        for position, hit in enumerate(hits):
            article = view.article(hit.chunk.article_id)
            ents = view.entities(article.article_id)
            for i in range(hit.chunk.first_sentence, hit.chunk.last_sentence + 1):
                if (article.article_id, i) in seen:
                    continue
                seen.add((article.article_id, i))
                candidates.append(
                    Candidate(article, i, position, hit.score * RRF_K, ents, hit.dense_score or 0.0)
                )
        return rank(build_evidence(q, candidates, labels, window))

    def _decline(
        self, text: str, standalone: str, filters: Filters, ranked: list[Evidence], view: IndexView
    ) -> Answer:
        what = ""
        if filters.active:
            bits = []
            if filters.since:
                bits.append(f"from {filters.since.isoformat()}")
            if filters.until:
                bits.append(f"up to {filters.until.isoformat()}")
            if filters.sources:
                bits.append("from " + ", ".join(filters.sources))
            what = render("decline", "filters", what=" ".join(bits))
        lines = [render("decline", "text", question=text, filters=what)]
        rel = related(ranked)
        if rel:
            lines.append(render("decline", "related"))
        elif not view.chunks:
            lines.append(render("decline", "empty_index"))
        return Answer(text, "\n\n".join(lines), False, [], rel, standalone_question=standalone)


def _unmentioned(q: Question, ranked: list[Evidence]) -> bool:
    """Whether a name the question gives is in none of the retrieved articles: then they are
    about something else ("When did Putin visit Paris?")."""
    texts = {ev.article.article_id: f"{ev.article.title}\n{ev.article.text}" for ev in ranked}
    folded = [t.casefold() for t in texts.values()]
    for entity in q.entities:
        parts = [w.casefold() for w in entity.split()]
        at = q.text.find(entity)
        # One capitalised word opening a sentence ("Huge crowds ...") need not be a name.
        if len(parts) == 1 and (at <= 0 or q.text[:at].rstrip()[-1:] in ".?!:"):
            continue
        # Most of its words in one article: "Rapper Gangsta Boo" is "Gangsta Boo" there.
        if not any(sum(p in t for p in parts) * 2 >= len(parts) for t in folded):
            return True
    return False


_default: dict[Path, Assistant] = {}
_default_lock = threading.Lock()


def default_assistant(index_dir: str | Path | None = None) -> Assistant:
    """The process-wide assistant for an index dir (settings from NEWSDESK_* env), kept warm."""
    settings = NewsdeskSettings()
    if index_dir is not None:
        settings = settings.model_copy(update={"index_dir": Path(index_dir)})
    key = settings.index_dir.absolute()
    with _default_lock:
        if key not in _default:
            _default[key] = Assistant(settings)
        return _default[key]


def ask(
    question: str,
    *,
    history: list[dict[str, Any]] | None = None,
    top_k: int | None = None,
    since: date | str | None = None,
    until: date | str | None = None,
    sources: list[str] | tuple[str, ...] | str | None = None,
    index_dir: str | Path | None = None,
    as_of: date | str | None = None,
) -> Answer:
    """Answer a question with the default assistant (created on first use, then kept warm)."""
    return default_assistant(index_dir).ask(
        question,
        history=history,
        top_k=top_k,
        since=since,
        until=until,
        sources=sources,
        as_of=as_of,
    )
