"""Cleaning page furniture and repeats out of article text; parsing and inferring dates."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from conftest import SEED

from index.cleaning import clean_text
from index.dates import full_dates, infer_published, parse_date

CAPTION = "In this image made from video released by the Russian Presidential Press Service"


@pytest.fixture(scope="module")
def seed_clean() -> str:
    return clean_text(SEED.read_text(encoding="utf-8"))


def test_seed_duplicated_caption_kept_once(seed_clean: str) -> None:
    assert SEED.read_text(encoding="utf-8").count(CAPTION) == 2
    assert seed_clean.count(CAPTION) == 1
    # Near-duplicates are different captions and both stay.
    assert seed_clean.count("shows destructions in the town of Sudzha") == 1
    assert seed_clean.count("shows destruction in the town of Sudzha") == 1


def test_seed_trailing_furniture_removed(seed_clean: str) -> None:
    raw = SEED.read_text(encoding="utf-8")
    assert "Most Popular" in raw and "read more:" in raw
    assert "Most Popular" not in seed_clean
    assert "read more" not in seed_clean.lower()
    assert seed_clean.endswith("with our country,” she added.")


def test_seed_paragraphs_separated_by_blank_lines(seed_clean: str) -> None:
    paragraphs = seed_clean.split("\n\n")
    assert all(p.strip() == p and p for p in paragraphs)
    assert "\n" not in "".join(paragraphs)
    assert paragraphs[0].startswith("Russia says forces poised")


def _story(middle: list[str]) -> str:
    filler = [
        f"Paragraph {i} of the report describes the budget debate in some detail."
        for i in range(14)
    ]
    return "\n\n".join(filler[:2] + middle + filler[2:])


def test_most_popular_mid_text_is_kept() -> None:
    text = _story(
        [
            "Streaming became the most popular way to watch football this season.",
            "Most popular",
            "The league's own app was the most popular download in March.",
        ]
    )
    cleaned = clean_text(text)
    assert "the most popular way to watch football" in cleaned
    # A "Most popular" line far from the end is a subheading, not the end of the story.
    assert "\n\nMost popular\n\n" in cleaned
    assert "the most popular download in March." in cleaned
    assert cleaned.endswith(
        "Paragraph 13 of the report describes the budget debate in some detail."
    )


def test_furniture_near_the_end_cuts_the_rest() -> None:
    text = _story([]) + "\n\nMost Read\n\nCelebrity chef opens third restaurant\n\nComments"
    cleaned = clean_text(text)
    assert cleaned.endswith(
        "Paragraph 13 of the report describes the budget debate in some detail."
    )
    assert "Celebrity chef" not in cleaned


def test_read_more_link_line_near_the_end_keeps_the_story_after_it() -> None:
    tail = [
        "Read more:",
        "Councillors voted 27 to 6 on Sunday to approve the Melwen transit levy, which "
        "opponents had tried to delay until after the summer.",
        "A spokesperson for the council said the levy would fund two new tram lines.",
        "Most Popular",
        "Celebrity chef opens third restaurant",
    ]
    cleaned = clean_text(_story([]) + "\n\n" + "\n\n".join(tail))
    assert "Councillors voted 27 to 6 on Sunday" in cleaned
    assert cleaned.endswith("the levy would fund two new tram lines.")
    assert "Read more" not in cleaned and "Celebrity chef" not in cleaned


def test_single_furniture_lines_and_wrapping() -> None:
    text = (
        "The port authority said on Monday that\nthe new crane would arrive in May.\n"
        "Advertisement\n\nSkip Advertisement\n\nDockers welcomed\u00a0the  news.\u200b\n"
    )
    assert clean_text(text) == (
        "The port authority said on Monday that the new crane would arrive in May.\n\n"
        "Dockers welcomed the news."
    )


def test_repeated_paragraph_with_different_spacing_is_dropped() -> None:
    text = "Rain closed the pass.\n\nTrucks waited overnight.\n\nRain  closed the pass!\n"
    assert clean_text(text) == "Rain closed the pass.\n\nTrucks waited overnight."


# -- dates ----------------------------------------------------------------------------------


def test_infer_published_takes_latest_full_date() -> None:
    text = (
        "On March 12, 2025 the president visited. Footage from 13 March 2025 shows damage. "
        "Aid was suspended on 2025-03-03. Talks are due in April 2025."
    )
    assert infer_published(text) == date(2025, 3, 13)
    spans = [(d, text[s:e]) for d, s, e in full_dates(text)]
    assert spans == [
        (date(2025, 3, 12), "March 12, 2025"),
        (date(2025, 3, 13), "13 March 2025"),
        (date(2025, 3, 3), "2025-03-03"),
    ]


def test_infer_published_ignores_partial_and_impossible_dates() -> None:
    assert infer_published("Sales fell in March 2025 and again on Feb 30, 2025.") is None
    assert infer_published("No dates here at all.") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-03-13", date(2025, 3, 13)),
        ("2025-03-13T23:10:00+02:00", date(2025, 3, 13)),
        ("Thu, 13 Mar 2025 10:00:00 GMT", date(2025, 3, 13)),
        ("March 13, 2025", date(2025, 3, 13)),
        (date(2025, 3, 13), date(2025, 3, 13)),
        (datetime(2025, 3, 13, 8, 0), date(2025, 3, 13)),
        ("", None),
        (None, None),
        ("not a date", None),
    ],
)
def test_parse_date(value: object, expected: date | None) -> None:
    assert parse_date(value) == expected
