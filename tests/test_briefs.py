"""Briefs: open questions get 3-6 dated, cited bullets from different sentences, oldest first,
near duplicates merged; factoid questions are not taken for open ones."""

from __future__ import annotations

import re
from datetime import date

import pytest
from conftest import SEED, settings_for

from assistant import Assistant
from assistant.briefs import MAX_BULLETS, MIN_BULLETS, has_subject, pick, wants_brief
from assistant.evidence import Evidence
from index import Indexer, shared_embedder
from index.articles import Article

BULLET = re.compile(r"^- \*\*(?P<day>[^*]+)\*\* — (?P<sentence>.+) \[(?P<n>\d+)\]$")


@pytest.mark.parametrize(
    ("question", "brief"),
    [
        ("What happened in Kursk?", True),
        ("What's the latest on the ceasefire talks?", True),
        ("What did Russia say about peacekeepers?", True),
        ("Tell me about the harbour bridge", True),
        ("Who visited Kursk and when?", False),
        ("How many civilians were evacuated from Sudzha?", False),
        ("Joe Biden dropped out of the presidential race after what happened?", False),
    ],
)
def test_open_questions_are_told_from_factoid_ones(question: str, brief: bool) -> None:
    assert wants_brief(question) is brief


@pytest.fixture(scope="module")
def seed_assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    settings = settings_for(tmp_path_factory.mktemp("brief-index"))
    Indexer(settings).run([SEED], progress=False)
    return Assistant(settings)


def test_what_happened_in_kursk_is_a_dated_cited_brief(seed_assistant: Assistant) -> None:
    answer = seed_assistant.ask("What happened in Kursk?", as_of="2025-03-14")
    assert answer.answered
    bullets = [m for line in answer.text.splitlines() if (m := BULLET.match(line))]
    assert MIN_BULLETS <= len(bullets) <= MAX_BULLETS
    assert len(answer.citations) == len(bullets)
    assert len({c.quote for c in answer.citations}) == len(bullets)  # different sentences
    for m, c in zip(bullets, answer.citations, strict=True):
        assert int(m["n"]) == c.n
        assert seed_assistant.reader.article(c.article_id).text[c.start : c.end] == c.quote
    days = [date.fromisoformat(_iso(m["day"])) for m in bullets]
    assert days == sorted(days), "oldest first"
    assert any("Putin" in c.quote and "visited Kursk" in c.quote for c in answer.citations)
    # The day a sentence reports, not only its article's date: "on Wednesday" is March 12.
    assert "Wednesday, March 12, 2025" in answer.text


def test_a_factoid_question_is_still_answered_shortly(seed_assistant: Assistant) -> None:
    answer = seed_assistant.ask("Who visited Kursk and when?")
    assert answer.text.startswith("**President Vladimir Putin**")
    assert not any(BULLET.match(line) for line in answer.text.splitlines())


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        ("Summarize the article", False),
        ("What's the latest?", False),
        ("Give me an overview", False),
        ("What are the headlines?", False),
        ("What happened in Sudzha?", True),
        ("What's the latest on the ceasefire talks?", True),
    ],
)
def test_an_overview_with_no_subject_is_told_from_one_about_something(
    question: str, subject: bool
) -> None:
    assert wants_brief(question) and has_subject(question) is subject


def test_summarize_the_article_gives_its_opening(seed_assistant: Assistant) -> None:
    # No words to search by: the brief is the newest articles' openings, here the seed's only.
    answer = seed_assistant.ask("Summarize the article")
    assert answer.answered
    bullets = [m for line in answer.text.splitlines() if (m := BULLET.match(line))]
    assert len(bullets) == MIN_BULLETS == len(answer.citations)
    quotes = [c.quote for c in answer.citations]
    assert quotes[0].startswith("Kremlin says troops took border town of Sudzha")
    assert not any(q.startswith("In this image") for q in quotes), "captions are no opening"
    for c in answer.citations:
        assert seed_assistant.reader.article(c.article_id).text[c.start : c.end] == c.quote
    # Asked with no word to search by at all, the news itself is what is wanted.
    for question in ("What's the news?", "What is this article about?"):
        assert seed_assistant.ask(question).citations[0].quote == quotes[0]
    # Asked as of a day before the seed was published, there is no news yet.
    assert not seed_assistant.ask("Summarize the article", as_of="2025-01-01").answered


def test_an_overview_of_a_named_subject_the_sentences_miss_gives_its_articles_openings(
    seed_assistant: Assistant,
) -> None:
    # The seed says "incursion" and "raid", never "offensive": few sentences score, but the
    # article is about Kursk by its headline, so its opening is the brief.
    answer = seed_assistant.ask("Tell me about the Kursk offensive")
    assert answer.answered
    assert answer.citations[0].quote.startswith("Kremlin says troops took border town")
    # A name no article is about is still declined.
    assert not seed_assistant.ask("Tell me about the German election").answered


def _iso(long: str) -> str:
    from datetime import datetime

    return datetime.strptime(long, "%A, %B %d, %Y").date().isoformat()


def _article(aid: str, sentences: list[str], published: date) -> Article:
    text = "\n\n".join(sentences)
    spans, at = [], 0
    for s in sentences:
        spans.append((at, at + len(s)))
        at += len(s) + 2
    return Article(aid, f"Story {aid}", text, published, False, "Wire", None, [], aid, "h", spans)


def test_reworded_copies_of_one_fact_are_merged() -> None:
    same = [
        "The city council voted on Tuesday to close the old harbour bridge for repairs.",
        "On Tuesday the city council voted to shut the old harbour bridge for repair work.",
    ]
    other = [
        "Ferry services will run every twenty minutes while the bridge stays closed.",
        "The repairs are expected to cost about 41 million euros over eight months.",
    ]
    a = _article("a", [same[0], other[0]], date(2025, 3, 12))
    b = _article("b", [same[1], other[1]], date(2025, 3, 13))
    ranked = [
        Evidence(a, 0, coverage=0.8, score=0.9),
        Evidence(b, 0, coverage=0.8, score=0.8),
        Evidence(a, 1, coverage=0.5, score=0.5),
        Evidence(b, 1, coverage=0.5, score=0.4),
    ]
    bullets = pick(ranked, floor=0.05, encoder=shared_embedder())
    texts = [b.evidence.text for b in bullets]
    # The better-ranked copy stays; each article gives one bullet before either gives two.
    assert texts == [same[0], other[1], other[0]]
    # Without the encoder the copy is told by the words the two share.
    assert [b.evidence.text for b in pick(ranked, floor=0.05, encoder=None)] == texts


def test_too_little_on_the_topic_is_no_brief() -> None:
    a = _article(
        "a", ["The council met on Tuesday to discuss the harbour bridge."], date(2025, 3, 12)
    )
    assert pick([Evidence(a, 0, coverage=0.5, score=0.9)], floor=0.05, encoder=None) == []
