"""Relative dates resolved against the publication date, and question analysis."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.question import analyse
from assistant.timeexpr import find_times

THURSDAY = date(2025, 3, 13)


@pytest.mark.parametrize(
    ("sentence", "words", "resolved"),
    [
        ("Putin visited Kursk on Wednesday and ordered", "on Wednesday", date(2025, 3, 12)),
        ("Russia said on Thursday there was", "on Thursday", date(2025, 3, 13)),
        ("The US on Tuesday lifted its suspension", "on Tuesday", date(2025, 3, 11)),
        ("It happened last Thursday", "last Thursday", date(2025, 3, 6)),
        ("Talks resume next Monday", "next Monday", date(2025, 3, 17)),
        ("the war on August 6 last year by storming", "on August 6 last year", date(2024, 8, 6)),
        ("its March 3 suspension", "March 3", date(2025, 3, 3)),
        ("a deal signed in December 20 talks", "December 20", date(2024, 12, 20)),
        ("the ferry service starts on June 1", "on June 1", date(2025, 6, 1)),
        ("released on March 13, 2025, shows", "March 13, 2025", date(2025, 3, 13)),
        ("officials said yesterday", "yesterday", date(2025, 3, 12)),
    ],
)
def test_time_expressions_resolve_against_publication(sentence, words, resolved) -> None:
    found = {t.text: t for t in find_times(sentence, THURSDAY)}
    assert words in found, found
    assert found[words].resolved == resolved


def test_unknown_publication_date_keeps_the_words() -> None:
    (t,) = find_times("visited Kursk on Wednesday", None)
    assert t.resolved is None and t.label == "Wednesday"


def test_question_analysis() -> None:
    q = analyse("Who visited Kursk and when?")
    assert q.entities == ["Kursk"]
    assert analyse("What happened last week?").window_days == 7
    assert analyse("Who was named coach in March?").entities == []
