"""The time words an answer applied (Answer.time_window) and asking again without them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.question import analyse
from assistant.settings import NewsdeskSettings
from index import Indexer

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_f6cdbc7b12bc632a.txt"


def _assistant_over(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    settings = NewsdeskSettings(index_dir=tmp_path_factory.mktemp("index"))
    Indexer(settings).run([source], progress=False)
    return Assistant(settings)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """An assistant over a real index of the seed (one article of 2025-03-13)."""
    return _assistant_over(SEED, tmp_path_factory)


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


FOOTBALL = Path(__file__).resolve().parent / "data" / "fixtures" / "football.jsonl"


@pytest.fixture(scope="module")
def coaches(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """Two articles that each name a new head coach: Peter Hahn in March, Marta Lind in June."""
    return _assistant_over(FOOTBALL, tmp_path_factory)


def test_without_time_words_the_news_of_the_asking_days_is_preferred(coaches: Assistant) -> None:
    question = "Who did Riverside Rovers name as head coach?"
    march = coaches.ask(question, as_of="2025-03-05")
    june = coaches.ask(question, as_of="2025-06-20")
    assert "Peter Hahn" in march.text.splitlines()[0], march.text
    assert "Marta Lind" in june.text.splitlines()[0], june.text
    # A preference, not a filter: both answers still draw on the whole archive.
    assert march.time_window is None and june.time_window is None


def test_a_year_after_the_asking_day_is_no_range() -> None:
    # "running for president in 2024", asked in 2023: the year the event will happen, not the
    # year of the news about it.
    asked = date(2023, 2, 16)
    q = analyse("Which politician announced she is running for president in 2024?")
    assert q.explicit_range(asked) == (None, None)
    assert q.explicit_range(date(2024, 5, 1)) == (date(2024, 1, 1), date(2024, 12, 31))


def test_only_a_bare_year_admits_the_articles_that_name_it() -> None:
    asked = date(2023, 2, 24)
    assert analyse("How much did the PAC spend on legal fees in 2022?").year_named(asked) == "2022"
    assert analyse("Who won the election in March 2022?").year_named(asked) is None
    assert analyse("Who will run for president in 2024?").year_named(asked) is None
    assert analyse("Who won the election this week?").year_named(asked) is None


LATER_REPORTS = [
    {
        "title": "PAC filings show legal bills",
        "date": "2023-02-21",
        "source": "Capitol Wire",
        "text": "The Harbor Fund spent $16 million on legal services in 2022, according to "
        "filings released on Tuesday.\n\nThe filings also list $2 million in travel costs.",
    },
    {
        "title": "Lighthouse reopens",
        "date": "2023-01-10",
        "source": "Capitol Wire",
        "text": "The old lighthouse at Gull Point reopened to visitors on Monday after a "
        "two-year restoration.",
    },
]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """An article of February 2023 on what a fund spent in 2022, and one that names no year."""
    path = tmp_path_factory.mktemp("reports") / "reports.jsonl"
    path.write_text("\n".join(json.dumps(a) for a in LATER_REPORTS) + "\n", encoding="utf-8")
    return _assistant_over(path, tmp_path_factory)


def test_a_year_is_answered_from_later_news_that_names_it(reports: Assistant) -> None:
    """ "in 2022" searches 2022's articles and those of any date that name 2022."""
    answer = reports.ask("How much did the Harbor Fund spend on legal services in 2022?")
    assert answer.answered and "$16 million" in answer.text, answer.text
    assert answer.citations[0].published == "2023-02-21"
    assert answer.time_window == {
        "kind": "range",
        "since": "2022-01-01",
        "until": "2022-12-31",
        "words": "in 2022",
        "naming": "2022",
    }
    # An article that names no such year is still outside the range.
    never = reports.ask("When did the Gull Point lighthouse reopen in 2021?")
    assert not never.answered
    assert "from 2021-01-01 up to 2021-12-31 or naming 2021" in never.text, never.text
