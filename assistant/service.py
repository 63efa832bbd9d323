"""The Assistant: checks a question, retrieves and ranks the evidence, hands it to the answerer."""

from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from typing_extensions import Unpack

from assistant.answer_types import NONE, asked_parts
from assistant.answering import Answerer, Context, build_answerer
from assistant.briefs import wants_brief
from assistant.evidence import Candidate, Evidence, build_evidence, one_label_each, retag
from assistant.followup import condense
from assistant.language import foreign_language
from assistant.models import Answer, QuestionError
from assistant.question import FRESH_DAYS, Question, analyse
from assistant.ranking import rank
from assistant.retrieval import (
    RRF_K,
    ArticleKeywordRetriever,
    FusionRetriever,
    Hit,
    Query,
    Reranker,
    hybrid,
)
from assistant.settings import NewsdeskSettings
from assistant.spelling import respell
from assistant.text import looks_like_instruction
from assistant.voting import VOTERS
from index import (
    Entity,
    Filters,
    IndexMissingError,
    IndexReader,
    StoreError,
    TextEncoder,
    query_encoder,
)
from index.plugins import RERANKERS, load
from prompts import render

if TYPE_CHECKING:
    from index import IndexReport


# How many of the best sentences a question tags past the heads: twice the voters, since a
# sentence ranked below them holding the type asked for ("won her first title in 2001" for
# "when") climbs once its entities are known. news-dev's tuning part: 8 -> 16 took accuracy
# 0.695 -> 0.711 (held-out 0.68 -> 0.69); 24 to 300 added nothing. It costs ~8 ms a question
# (p50, asked in one process alternating with 8).
TAGGED_AT_QUERY = 2 * VOTERS


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


def _store_failure(exc: BaseException) -> bool:
    """Whether an error came from the vector store or its connection (not from our code)."""
    import sqlite3

    module = type(exc).__module__
    return isinstance(
        exc, StoreError | sqlite3.Error | OSError | ConnectionError
    ) or module.startswith(("chromadb", "httpx", "httpcore"))


class AskOptions(TypedDict, total=False):
    """What may come with a question, besides the question itself."""

    # The conversation so far ({"role", "content"} turns): follow-ups are read against it.
    history: list[dict[str, Any]] | None
    # How many chunks to retrieve (default NEWSDESK_TOP_K).
    top_k: int | None
    # Only articles published in this range (dates or YYYY-MM-DD).
    since: date | str | None
    until: date | str | None
    # Only articles from these sources.
    sources: list[str] | tuple[str, ...] | str | None
    # The day the question is asked on (default today): "this week" is read against it.
    as_of: date | str | None
    # Read the question as if it had no time words ("this week", "in March 2023"): the chat's
    # time chip, removed, asks again with this.
    ignore_time_words: bool


def final_answer(events: Iterable[str | Answer]) -> Answer:
    """The final Answer of a stream of events (it is always the last)."""
    final: Answer | None = None
    for event in events:
        if isinstance(event, Answer):
            final = event
    assert final is not None
    return final


class Assistant:
    """Answers questions from one index; holds the model and the index reader, kept warm.

    The parts plug in: retrieval is a FusionRetriever over a list of retrievers, an optional
    reranker reorders its hits, and the answerer (extractive, generative or another package's)
    writes the answer from the ranked evidence.
    """

    def __init__(
        self,
        settings: NewsdeskSettings | None = None,
        embedder: TextEncoder | None = None,
        retriever: FusionRetriever | None = None,
        answerer: Answerer | None = None,
    ) -> None:
        self.settings = settings or NewsdeskSettings()
        self.embedder = embedder or query_encoder(self.settings)
        self.reader = IndexReader(self.settings)
        self.retriever = retriever or hybrid()
        self.reranker: Reranker | None = (
            _instance(load(RERANKERS, self.settings.reranker)) if self.settings.reranker else None
        )
        # Nothing is loaded until a question needs it (an LLM answerer builds its model then).
        self.answerer = answerer or build_answerer(self.settings, self.embedder)

    def warm(self) -> None:
        """Load the model and the index now rather than on the first question."""
        self._refresh()
        self.embedder.embed_query("warm up")
        self.reader.load_tagger()

    def preload(self) -> None:
        """Start loading the entity tagger in a child process, for a fresh process's first
        question (`newsdesk ask`): spaCy (~1.6 s of Python) then loads on the second core
        while this one opens the index, instead of after it, when the question's best
        sentences past the heads are tagged."""
        from index import query_model_ready

        # Only where queries embed with an ONNX copy already made: otherwise the question
        # imports torch (or makes the copy, ~20 s, on both cores), and a second process
        # loading at the same time only slows it down.
        if query_model_ready(self.settings):
            self.reader.tag_in_child()

    def _refresh(self) -> None:
        try:
            self.reader.refresh()
        except IndexMissingError as exc:
            raise IndexMissingError(
                render("errors", "no_index", index_dir=self.settings.index_dir)
            ) from exc

    def _search(self, reader: IndexReader, query: Query) -> tuple[list[Hit], IndexReader]:
        """Search a snapshot; if the index changed or its store failed under us, reload once.

        Returns the hits and the snapshot they come from, whose articles they cite.
        """
        try:
            return self.retrieve(reader, query), reader
        except Exception as first:
            if not _store_failure(first):
                raise
            # A rebuild that finished between our refresh and the query deletes the collection
            # we held; the new live build answers instead.
            try:
                self.reader.refresh(force=True)
                reader = self.reader.snapshot()
                return self.retrieve(reader, query), reader
            except Exception as exc:
                if isinstance(exc, StoreError | IndexMissingError) or not _store_failure(exc):
                    raise
                raise StoreError(f"the index cannot be searched right now: {exc}") from exc

    def retrieve(self, reader: IndexReader, query: Query) -> list[Hit]:
        """The hits of a query on a snapshot: fused retrieval, then the reranker if one is set."""
        hits = self.retriever.search(reader, query)
        return self.reranker.rerank(reader, query, hits) if self.reranker else hits

    def status(self) -> dict[str, Any]:
        """What the index holds (articles, chunks, dates, sources, when built)."""
        from index import index_status

        return index_status(self.settings)

    def file_types(self) -> list[str]:
        """The file suffixes articles can be added from (every registered loader's)."""
        from index import loader_table

        return sorted(loader_table())

    def add_articles(
        self, paths: list[Path], on_progress: Callable[[int, int], None] | None = None
    ) -> IndexReport:
        """Index article files incrementally (the same run as `newsdesk index PATH`)."""
        from index import Indexer

        return Indexer(self.settings).run(paths, progress=False, on_progress=on_progress)

    def remove_articles(self, paths: list[Path]) -> IndexReport:
        """Take the articles of these files out of the index (the files are left alone)."""
        from index import remove_files

        return remove_files(self.settings, paths)

    def article_counts(self, paths: list[Path]) -> dict[Path | str, int]:
        """How many articles the index holds from each of these files."""
        from index import file_articles

        return file_articles(self.settings, paths)

    def ask(self, question: str, **options: Unpack[AskOptions]) -> Answer:
        """Answer a question from the indexed articles, citing the sentences it rests on.

        options: history, top_k, since, until, sources, as_of (see AskOptions).
        """
        return final_answer(self.ask_stream(question, **options))

    def ask_stream(self, question: str, **options: Unpack[AskOptions]) -> Iterator[str | Answer]:
        """Yield the answer's text as the answerer writes it (an LLM's verified sentences),
        then the final Answer, always last; it replaces what was streamed.

        The extractive answerer yields the Answer alone. QuestionError is raised on the first
        iteration.
        """
        ctx = self.context(question, **options)
        for event in self.answerer.stream(ctx):
            if isinstance(event, Answer) and not options.get("ignore_time_words"):
                event.time_window = time_window(ctx)
            yield event

    def context(
        self,
        question: str,
        *,
        history: list[dict[str, Any]] | None = None,
        top_k: int | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        sources: list[str] | tuple[str, ...] | str | None = None,
        as_of: date | str | None = None,
        ignore_time_words: bool = False,
        exclude: frozenset[str] = frozenset(),
    ) -> Context:
        """Check the question, retrieve and rank its evidence: what the answerer answers from.

        exclude: article ids left out (bench/learn_ranker.py asks without the answer articles).
        """
        t0 = time.perf_counter()
        text = clean_question(question, self.settings.max_question_chars)
        language = foreign_language(text)
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
        reader = self.reader.snapshot()
        standalone, extra = condense(text, history)
        note = None
        if history:
            rewritten, note = self.answerer.condense(text, history)
            standalone = rewritten or standalone
        q = analyse(standalone)
        q.recency = q.recency and not ignore_time_words
        # "visted": searched and weighed as the indexed "visit" (see assistant/spelling.py).
        fixes = respell(standalone, reader)
        q.terms = {fixes.get(t, t): w * reader.rarity(fixes.get(t, t)) for t, w in q.terms.items()}
        if not (filters.since or filters.until or ignore_time_words):
            # "in March 2023" narrows the search; "this week" only prefers what is recent.
            lo, hi = q.explicit_range(today)
            filters = Filters(lo, hi, filters.sources, exclude)
        window = q.window(today)
        # Every question prefers the news of its last days a little ("fresh" in the ranker); a
        # question's own time words ("this week") prefer their own window instead.
        fresh = window or (today - timedelta(days=FRESH_DAYS), today)
        # A "which" noun the answer types never saw is read by its nearest known ones, for the
        # vote. The ranker's type feature keeps the table's own labels: its weights and decline
        # threshold were fitted on those, where an unknown noun gets the flat "which" shares.
        parts = asked_parts(standalone, self.embedder.embed_query)
        ranking_parts = asked_parts(standalone)
        # A question with no word to search by ("What's the news?", "What is this article
        # about?") asks for the news itself: a brief of the newest articles.
        brief = wants_brief(standalone) or not q.terms
        # A brief draws on several articles, so it searches twice as deep.
        k = (top_k or self.settings.top_k) * (2 if brief else 1)
        t1 = time.perf_counter()
        words = f"{standalone} {extra}".strip()
        vector = self.embedder.embed_query(words)
        # The keyword search gets the respelled words too (its stemmer leaves a stem as is).
        words = " ".join([words, *fixes.values()])
        hits, reader = self._search(reader, Query(words, vector, k, filters))
        # The recent days are searched apart too, so that their articles are among those
        # ranked even when older ones match the words better. They only narrow what the
        # user's own dates allow, never widen it.
        recent = Filters(
            max(fresh[0], filters.since or fresh[0]),
            min(fresh[1], filters.until or fresh[1]),
            filters.sources,
            exclude,
        )

        def search_also(more_filters: Filters) -> None:
            # Another search's chunks, those the first did not find, ranked after its own.
            more, _ = self._search(reader, Query(words, vector, k, more_filters))
            have = {h.chunk.chunk_id for h in hits}
            hits.extend(h for h in more if h.chunk.chunk_id not in have)

        if recent.since <= recent.until and recent != filters:
            search_also(recent)
        # "in 2022" also admits the articles of any date that name the year: the news of a
        # year is often published after it (see Question.year_named).
        year = (
            q.year_named(today)
            if (filters.since, filters.until) == q.explicit_range(today)
            else None
        )
        naming = reader.articles_naming(year) if year else frozenset()
        if naming:
            search_also(Filters(None, None, filters.sources, exclude, within=naming))
        archive = reader.article_count(filters, naming)
        t2 = time.perf_counter()
        ranked = self._rank(reader, q, hits, window, fresh, ranking_parts)
        return Context(
            question=text,
            standalone=standalone,
            analysed=q,
            parts=parts,
            ranked=ranked,
            filters=filters,
            window=window,
            year=year,
            reader=reader,
            note=note,
            language=language,
            brief=brief,
            today=today,
            archive=archive,
            timings_ms={"retrieval": (t2 - t1) * 1000},
            started=t0,
            retrieved=t2,
        )

    def _rank(
        self,
        reader: IndexReader,
        q: Question,
        hits: list[Hit],
        window: tuple[date, date] | None,
        fresh: tuple[date, date],
        parts: list[dict[str, float]],
    ) -> list[Evidence]:
        """The sentences of the retrieved chunks, scored by the learned ranker.

        parts: the entity labels each thing the question asks for (answer_types.asked_parts).
        """
        labels = parts[0]
        candidates = []
        seen = set()
        # Each article's entities, one label per name (see one_label_each), once an article.
        labelled: dict[str, list[Entity] | None] = {}
        # The sentences this question has tagged past the heads (none until its best are
        # known): the answer is the same whatever was asked before.
        best: dict[str, list[int]] = {}

        def entities(article_id: str) -> list[Entity] | None:
            if article_id not in labelled:
                labelled[article_id] = one_label_each(
                    reader.article(article_id).text,
                    reader.entities(article_id, best.get(article_id, ())),
                )
            return labelled[article_id]

        for position, hit in enumerate(hits):
            article = reader.article(hit.chunk.article_id)
            ents = entities(article.article_id)
            within = hit.ranks.get(ArticleKeywordRetriever.name)
            # The corpus-wide retrievers' fused score (the in-article search is its own feature).
            fused = sum(
                1.0 / (RRF_K + r) for n, r in hit.ranks.items() if n != ArticleKeywordRetriever.name
            )
            for i in range(hit.chunk.first_sentence, hit.chunk.last_sentence + 1):
                if (article.article_id, i) in seen:
                    continue
                seen.add((article.article_id, i))
                if looks_like_instruction(article.sentence_text(i)):
                    # An order to an AI planted in an article is not news: never evidence,
                    # so neither answerer quotes it nor votes from it.
                    continue
                candidates.append(
                    Candidate(
                        article,
                        i,
                        position,
                        fused * RRF_K,
                        ents,
                        hit.dense_score or 0.0,
                        1.0 / (1 + within) if within is not None else 0.0,
                    )
                )
        ranked = rank(build_evidence(q, candidates, labels, window, fresh))
        if not any(set(p) - {NONE} for p in parts):
            return ranked
        # The indexer tags only each article's head; the best sentences from further down are
        # tagged now (TAGGED_AT_QUERY of them, ~10-20 ms), so that their names and dates can
        # be voted for and a sentence holding the asked type can climb above the lead.
        for ev in ranked[:TAGGED_AT_QUERY]:
            best.setdefault(ev.article.article_id, []).append(ev.index)
        if not reader.tag_sentences(best):
            return ranked
        for article_id in best:
            labelled.pop(article_id, None)  # newly tagged: labelled again
        retag(q, ranked, entities, labels, set(best))
        return rank(ranked)


def time_window(ctx: Context) -> dict[str, str] | None:
    """The dates the question's own time words applied (see Answer.time_window), if any."""
    lo, hi = ctx.analysed.explicit_range(ctx.today)
    if lo and hi and (ctx.filters.since, ctx.filters.until) == (lo, hi):
        kind, days = "range", (lo, hi)
    elif ctx.window is not None:
        kind, days = "window", ctx.window
    else:
        return None
    window = {
        "kind": kind,
        "since": days[0].isoformat(),
        "until": days[1].isoformat(),
        "words": ctx.analysed.time_words(kind),
    }
    if kind == "range" and ctx.year:
        window["naming"] = ctx.year
    return window


def _instance(registered: Any) -> Any:
    """A registered part: classes are built with no arguments, other objects used as they are."""
    return registered() if isinstance(registered, type) else registered


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
    question: str, *, index_dir: str | Path | None = None, **options: Unpack[AskOptions]
) -> Answer:
    """Answer a question with the default assistant (created on first use, then kept warm).

    options: history, top_k, since, until, sources, as_of (see AskOptions).
    """
    return default_assistant(index_dir).ask(question, **options)
