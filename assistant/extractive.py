"""The extractive answerer: short answers voted from the ranked sentences, quoted and cited.

Works with no LLM. It answers when the best sentence scores above the learned threshold and
the question's names are in the retrieved articles; otherwise it declines and shows the
closest passages.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from assistant import briefs
from assistant.answer_types import NONE, asks_ahead, asks_doer, asks_done_to, asks_when
from assistant.answering import Context
from assistant.compose import Plan, choose_quotes, compose, related
from assistant.evidence import Evidence
from assistant.models import Answer
from assistant.places import place_kind
from assistant.question import Question
from assistant.ranking import load_model
from assistant.voting import Pick, vote
from prompts import render

if TYPE_CHECKING:
    from assistant.settings import NewsdeskSettings
    from index import TextEncoder
    from index.articles import Article

# How many first sentences, with the headline, say what an article is about.
OPENING = 3


class ExtractiveAnswerer:
    """Answers with the articles' own sentences: a bold short answer, then the quotes."""

    streams = False

    def __init__(
        self, settings: NewsdeskSettings | None = None, encoder: TextEncoder | None = None
    ) -> None:
        self.settings = settings
        # Briefs merge sentences that say the same thing by their vectors; without an encoder
        # only identical sentences are merged.
        self.encoder = encoder

    def condense(
        self, question: str, history: list[dict[str, Any]]
    ) -> tuple[str | None, str | None]:
        """No rewrite beyond the rule-based one (assistant/followup.py)."""
        return None, None

    def stream(self, ctx: Context) -> Iterator[str | Answer]:
        """The final Answer alone: nothing is written word by word."""
        yield self.answer(ctx)

    def answer(self, ctx: Context) -> Answer:
        """The extractive answer, or a decline with related passages."""
        ranked = ctx.ranked
        model = load_model()
        q, parts, window = ctx.analysed, ctx.parts, ctx.window
        # The best sentence's P that answers, higher in a small archive (assistant/ranking.py).
        floor = model.decline_threshold(ctx.archive)
        if ctx.language:
            # The ranker and the answer types read English: say so rather than "the articles
            # don't say", and still show what the search found.
            answer = self._decline(ctx)
        elif ctx.brief and (bullets := self._brief(ctx, model.decline_below)):
            text, citations = briefs.compose_brief(bullets, window)
            answer = Answer(
                ctx.question, text, True, citations, [], standalone_question=ctx.standalone
            )
        elif _shares_words(ranked, floor) and not _unmentioned(q, ranked):
            picks = self._picks(q, parts, ranked, model.lead_share)
            quotes = choose_quotes(ranked, picks, model.decline_below)
            stale = None
            if window is not None and not any(
                ev.article.published and window[0] <= ev.article.published for ev in quotes
            ):
                stale = window
            asks_date = any(max(p, key=p.get) in ("DATE", "TIME") for p in parts)
            answer_text, citations = compose(Plan(picks, quotes, stale, asks_date))
            answer = Answer(
                ctx.question, answer_text, True, citations, [], standalone_question=ctx.standalone
            )
        else:
            answer = self._decline(ctx)
        now = time.perf_counter()
        answer.timings_ms = {
            **ctx.timings_ms,
            "answer": (now - ctx.retrieved) * 1000,
            "total": (now - ctx.started) * 1000,
        }
        return answer

    def _brief(self, ctx: Context, floor: float) -> list[briefs.Bullet]:
        """The bullets of a brief: the newest articles' openings when the question names no
        subject ("Summarize the article"), else the best sentences on it."""
        if not briefs.has_subject(ctx.standalone):
            return briefs.overview(ctx.reader, ctx.filters, ctx.today)
        if _unmentioned(ctx.analysed, ctx.ranked):
            return []
        bullets = briefs.pick(ctx.ranked, floor, self.encoder)
        if bullets or not ctx.analysed.entities:
            return bullets
        # Too few sentences on it score well ("Tell me about the Kursk offensive" where the
        # articles say "incursion"): the openings of the articles that are about what it
        # names, by their headline and first sentences (one that names it further down is
        # about something else).
        articles = {ev.article.article_id: ev.article for ev in ctx.ranked}.values()
        about = [a for a in articles if _names(ctx.analysed, _opening(a))]
        return briefs.openings(about[: briefs.MIN_BULLETS])

    @staticmethod
    def _picks(
        q: Question, parts: list[dict[str, float]], ranked: list[Evidence], lead_share: float
    ) -> list[Pick]:
        """The short answers that won their vote clearly, one per thing asked."""
        picks: list[Pick] = []
        for n, labels in enumerate(parts):
            if labels.get(NONE, 0.0) >= 0.5:
                continue
            won = candidates(q, labels, ranked, n, picks[0] if picks else None)
            if won and won[0].share >= lead_share:
                picks.append(won[0])
            elif not picks:
                break
        return picks

    @staticmethod
    def _decline(ctx: Context) -> Answer:
        """The articles do not say: say so, with the filters that applied and related passages."""
        text, standalone, filters, ranked = ctx.question, ctx.standalone, ctx.filters, ctx.ranked
        what = ""
        if filters.active:
            bits = []
            if filters.since:
                bits.append(f"from {filters.since.isoformat()}")
            if filters.until:
                bits.append(f"up to {filters.until.isoformat()}")
            if ctx.year:
                bits.append(f"or naming {ctx.year}")
            if filters.sources:
                bits.append("from " + ", ".join(filters.sources))
            what = render("decline", "filters", what=" ".join(bits))
        lines = [render("decline", "text", question=text, filters=what)]
        if ctx.language:
            lines = [render("decline", "language", code=ctx.language)]
        rel = related(ranked)
        if rel:
            lines.append(render("decline", "related"))
        elif not ctx.reader.chunks:
            lines.append(render("decline", "empty_index"))
        return Answer(text, "\n\n".join(lines), False, [], rel, standalone_question=standalone)


def candidates(
    q: Question,
    labels: dict[str, float],
    ranked: list[Evidence],
    n: int = 0,
    first: Pick | None = None,
) -> list[Pick]:
    """The short answers to the n-th thing asked, most votes first, as the answerer votes
    them (bench/learn_ranker.py sets the lead share on these very votes).

    labels: the entity labels that thing asks for; first: the first thing's answer, when
    this is a later part ("... and when?").
    """
    voters = ranked
    if first is not None:
        # "... and when?": the date of what the first answer did, from its sentences.
        name = first.text.casefold()
        voters = [ev for ev in ranked if name in ev.text.casefold()] or ranked
    whens = asks_when(q.text)
    return vote(
        voters,
        labels,
        set(q.terms),
        prefer_new=q.recency,
        when=whens[n] if n < len(whens) else None,
        place=place_kind(q.text) if n == 0 else None,
        doer=n == 0 and asks_doer(q.text),
        done_to=n == 0 and asks_done_to(q.text),
        ahead=n == 0 and asks_ahead(q.text),
    )


def _shares_words(ranked: list[Evidence], floor: float) -> bool:
    """Whether a sentence that scores above the floor has any of the question's words (so
    the best sentence, first in ranked, scores above it too).

    The ranker's other signals (an article's first sentence, of the retrieved chunk ranked
    first, from the last days) can lift a sentence that says nothing of what was asked over
    the threshold where an archive holds little else ("Who scored twice in the cup final?"
    since a date only a council report passes). None of news-dev's 250 questions changes
    its answer with this check.
    """
    return any(ev.score >= floor and ev.coverage > 0 for ev in ranked)


def _unmentioned(q: Question, ranked: list[Evidence]) -> bool:
    """Whether a name the question gives is in none of the retrieved articles: then they are
    about something else ("When did Putin visit Paris?")."""
    texts = {ev.article.article_id: f"{ev.article.title}\n{ev.article.text}" for ev in ranked}
    folded = [_fold(t) for t in texts.values()]
    return any(not any(_named(q, e, t) for t in folded) for e in q.entities)


def _opening(article: Article) -> str:
    """An article's headline and first sentences (OPENING of them)."""
    end = article.sentences[min(OPENING, len(article.sentences)) - 1][1] if article.sentences else 0
    return f"{article.title}\n{article.text[:end]}"


def _names(q: Question, text: str) -> bool:
    """Whether a text names every name the question gives."""
    folded = _fold(text)
    return all(_named(q, e, folded) for e in q.entities)


def _named(q: Question, entity: str, folded: str) -> bool:
    """Whether a folded text names one of the question's names (a capitalised word opening
    the question, which need not be a name, always passes)."""
    # "Ukraine's" in the question is "Ukraine’s" (or "Ukraine") in the article.
    parts = [_fold(w).removesuffix("'s") for w in entity.split()]
    at = q.text.find(entity)
    # One capitalised word opening a sentence ("Huge crowds ...") need not be a name.
    if len(parts) == 1 and (at <= 0 or q.text[:at].rstrip()[-1:] in ".?!:"):
        return True
    # Most of its words: "Rapper Gangsta Boo" is "Gangsta Boo" there.
    return sum(p in folded for p in parts) * 2 >= len(parts)


def _fold(text: str) -> str:
    """Case and apostrophes folded, so a question's words match an article's."""
    return text.casefold().replace("’", "'")
