"""The time words an answer applied (Answer.time_window) and asking again without them."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant
from assistant.settings import NewsdeskSettings
from index import Indexer

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_f6cdbc7b12bc632a.txt"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """An assistant over a real index of the seed (one article of 2025-03-13)."""
    settings = NewsdeskSettings(index_dir=tmp_path_factory.mktemp("index"))
    Indexer(settings).run([SEED], progress=False)
    return Assistant(settings)


def test_a_named_month_is_a_range_and_ignoring_it_answers(assistant: Assistant) -> None:
    narrowed = assistant.ask("Who visited Kursk in March 2024?")
    assert not narrowed.answered
    assert narrowed.time_window == {
        "kind": "range",
        "since": "2024-03-01",
        "until": "2024-03-31",
        "words": "in March 2024",
    }
    again = assistant.ask("Who visited Kursk in March 2024?", ignore_time_words=True)
    assert again.answered and "Vladimir Putin" in again.text
    assert again.time_window is None


def test_this_week_is_a_preferred_window_read_against_as_of(assistant: Assistant) -> None:
    answer = assistant.ask("Who visited Kursk this week?", as_of="2025-03-14")
    assert answer.time_window == {
        "kind": "window",
        "since": "2025-03-07",
        "until": "2025-03-14",
        "words": "this week",
    }
    # The user's own dates are filters, not time words: no window to take away.
    plain = assistant.ask("Who visited Kursk?", since="2025-03-01", until="2025-03-31")
    assert plain.answered and plain.time_window is None
