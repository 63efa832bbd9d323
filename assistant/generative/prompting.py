"""The grounded prompt: fenced, numbered sources with titles and dates, within a token budget."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.evidence import Evidence
from assistant.text import looks_like_instruction
from assistant.timeexpr import long_date
from index.chunking import TokenCounter, tiktoken_counter
from prompts import render, table
from prompts import text as prompt_text

if TYPE_CHECKING:
    from llama_index.core.base.llms.types import ChatMessage

    from index.articles import Article

# Chat templates wrap each message in a few special tokens (ChatML: about 5) and the reply opens
# with a header; 16 per message is a safe upper bound across ChatML, Llama 3 and Mistral.
MESSAGE_OVERHEAD = 16
# The budget is counted in cl100k tokens, but small models have smaller vocabularies: SmolLM2's
# tokenizer needs up to ~1.2x as many tokens for the same news text (measured on the seed and
# the test articles), so the count is scaled up before it is compared with the window.
TOKENIZER_SLACK = 1.25

_PRONOUN_START = re.compile(r"^\W*(?:he|she|they|it|this|that)\b", re.IGNORECASE)


def _escape(text: str) -> str:
    # The fence is XML-like; an article must not be able to close it and speak as the user.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(text: str) -> str:
    return " ".join(_escape(text).replace('"', "&quot;").split())


@dataclass
class Source:
    """One numbered source: sentences of an article (the evidence, with the one before it when
    the evidence opens with a pronoun), offered to the model and checked against its answer."""

    n: int
    article: Article
    sentences: list[int]
    evidence: dict[int, Evidence] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The sentences, verbatim, as one passage."""
        start = self.article.sentences[self.sentences[0]][0]
        end = self.article.sentences[self.sentences[-1]][1]
        return self.article.text[start:end]

    def sentence_texts(self) -> list[str]:
        """Each sentence of the passage, verbatim."""
        return [self.article.sentence_text(i) for i in self.sentences]

    @property
    def published(self) -> str:
        """The publication date as the prompt shows it (weekday included, for relative days)."""
        if self.article.published is None:
            return render("prompt", "undated", file="generative.toml")
        return long_date(self.article.published)

    def render(self) -> str:
        """The fenced form the prompt carries."""
        return (
            prompt_text("grounded_source.txt")
            .format(
                n=self.n,
                title=_attr(self.article.title),
                published=self.published,
                text=_escape(self.text),
            )
            .strip()
        )


def select_sources(ranked: list[Evidence], limit: int) -> list[Source]:
    """The best-ranked evidence sentences as numbered sources, without injected instructions."""
    sources: list[Source] = []
    used: set[tuple[str, int]] = set()
    for ev in ranked:
        if len(sources) == limit:
            break
        art = ev.article
        key = (art.article_id, ev.index)
        if key in used or looks_like_instruction(ev.text) or ev.coverage <= 0:
            continue
        indices = [ev.index]
        prev = (art.article_id, ev.index - 1)
        # "He told the outlet...": without the sentence before, the model cannot tell who.
        if (
            ev.index > 0
            and _PRONOUN_START.match(ev.text)
            and prev not in used
            and not looks_like_instruction(art.sentence_text(ev.index - 1))
        ):
            indices.insert(0, ev.index - 1)
        used.update((art.article_id, i) for i in indices)
        sources.append(Source(len(sources) + 1, art, indices, {ev.index: ev}))
    return sources


def prompt_tokens(messages: list[ChatMessage], counter: TokenCounter | None = None) -> int:
    """The prompt's size in tokens as the budget counts it (with chat-template overhead)."""
    count = counter or tiktoken_counter()
    raw = sum(count(str(m.content or "")) + MESSAGE_OVERHEAD for m in messages) + MESSAGE_OVERHEAD
    return int(raw * TOKENIZER_SLACK) + 1


def build_messages(question: str, sources: list[Source]) -> list[ChatMessage]:
    """The system and user messages for a question and its numbered sources."""
    from llama_index.core.base.llms.types import ChatMessage, MessageRole

    body = "\n\n".join(s.render() for s in sources)
    user = prompt_text("grounded_qa.txt").format(sources=body, question=question.strip())
    return [
        ChatMessage(role=MessageRole.SYSTEM, content=prompt_text("grounded_qa_system.txt").strip()),
        ChatMessage(role=MessageRole.USER, content=user.strip()),
    ]


def fit_prompt(
    question: str,
    sources: list[Source],
    context_window: int,
    max_tokens: int,
    counter: TokenCounter | None = None,
) -> tuple[list[ChatMessage], list[Source]]:
    """The prompt with as many of the best sources as fit beside the reply in the window.

    Sources are dropped from the lowest-ranked up and the survivors renumbered, so the prompt
    plus max_tokens never exceeds the window. Returns ([], []) when not even one source fits.
    """
    budget = context_window - max_tokens
    kept = list(sources)
    while kept:
        for i, s in enumerate(kept, 1):
            s.n = i
        messages = build_messages(question, kept)
        if prompt_tokens(messages, counter) <= budget:
            return messages, kept
        kept.pop()
    return [], []


def condense_messages(question: str, history: list[dict[str, Any]]) -> list[ChatMessage]:
    """The condense-question prompt for a follow-up, with the last few turns."""
    from llama_index.core.base.llms.types import ChatMessage, MessageRole

    from assistant.followup import _content

    line = table("generative.toml")["prompt"]["history_line"]
    turns = [
        line.format(role=str(m.get("role", "user")), content=" ".join(_content(m).split())[:600])
        for m in history[-6:]
        if isinstance(m, dict)
    ]
    text = prompt_text("condense_question.txt").format(
        history="\n".join(turns), question=question.strip()
    )
    return [ChatMessage(role=MessageRole.USER, content=text.strip())]
