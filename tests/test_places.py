"""Kinds of place: which country, state or city a question asks for, from the gazetteer."""

from __future__ import annotations

import pytest

from assistant.evidence import Evidence, _sentence_entities, stems_of
from assistant.places import OTHER_KIND, as_place, countries_named, country_of, place_kind
from assistant.voting import vote
from tests.test_answer_engine import _article, _evidence


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Huge crowds lined the streets of which country this week?", "country"),
        ("A deadly plane crash recently occurred in which South Asian country?", "country"),
        ("Which country's prime minister announced she will resign?", "country"),
        ("Which US state is represented by congressman Kevin McCarthy?", "state"),
        ("Residents of which European capital are to vote on e-scooters?", "city"),
        ("Workers brought which major city to a standstill?", "city"),
        ("Who visited Kursk and when?", None),
        ("Which company cut 12,000 jobs?", None),
    ],
)
def test_place_kind_follows_the_noun_asked_about(question: str, kind: str | None) -> None:
    assert place_kind(question) == kind


def test_the_gazetteer_knows_countries_by_other_names() -> None:
    assert country_of("U.S.") == "United States"
    assert country_of("the U.K.") == "United Kingdom"
    assert country_of("Ukraine") == "Ukraine"
    assert country_of("Florida") is None


def test_a_demonym_or_capital_stands_for_its_country() -> None:
    assert as_place("Chinese", "NORP", "country") == ("China", "GPE", 1.0)
    name, label, weight = as_place("Kyiv", "GPE", "country")
    assert (name, label) == ("Ukraine", "GPE") and 0 < weight < 1
    # Asked for a people or a city, a demonym stays what it is.
    assert as_place("Chinese", "NORP", "city") == ("Chinese", "NORP", 1.0)
    assert as_place("Witkoff", "PERSON", "country") is None


def test_places_of_another_kind_count_less() -> None:
    assert as_place("California", "GPE", "country")[2] == OTHER_KIND
    # A province's capital, from the gazetteer's "Sums'ka (Sumy)".
    assert as_place("Sumy", "GPE", "country")[2] == OTHER_KIND
    assert as_place("France", "GPE", "city")[2] == OTHER_KIND
    assert as_place("California", "GPE", "state")[2] == 1.0
    # Georgia is a country and a US state: whichever is asked for.
    assert as_place("Georgia", "GPE", "state")[2] == as_place("Georgia", "GPE", "country")[2]


def test_which_country_is_answered_with_a_country() -> None:
    # "US fighter jets shot down a spy balloon. Which country did it belong to?"
    art, ents = _article(
        "A jet shot down the suspected Chinese spy balloon off the South Carolina coast.\n\n"
        "The balloon had drifted across Idaho and Montana for days.",
        [("Chinese", "NORP"), ("South Carolina", "GPE"), ("Idaho", "GPE"), ("Montana", "GPE")],
    )
    labels = {"GPE": 0.8, "NORP": 0.1}
    evidence = _evidence(art, ents, [0.9, 0.6])
    # Without the kind of place, the state outvotes the demonym.
    assert vote(evidence, labels)[0].text == "South Carolina"
    picks = vote(evidence, labels, place="country")
    assert picks[0].shown == "China"
    assert picks[0].share > 0.5


def test_a_capital_of_a_country_the_question_names_is_no_answer() -> None:
    art, ents = _article(
        "Zelenskyy left Kyiv for London on Wednesday.",
        [("Kyiv", "GPE"), ("London", "GPE")],
    )
    terms = {"zelenskyy", "trip", "outsid", "ukrain"}
    picks = vote(_evidence(art, ents, [0.9]), {"GPE": 1.0}, terms, place="country")
    assert [p.shown for p in picks] == ["United Kingdom"]


def test_a_place_inside_a_name_of_another_kind_keeps_its_votes() -> None:
    art, ents = _article(
        "DeSantis touted his defense of Florida freedom.\n\nHe spoke at the University of Florida.",
        [("Florida", "GPE"), ("the University of Florida", "ORG")],
    )
    ents = [e for e in ents if not (art.text[e.start : e.end] == "Florida" and e.start > 60)]
    picks = vote(_evidence(art, ents, [0.9, 0.5]), {"GPE": 0.9, "ORG": 0.06}, place="state")
    assert picks[0].text == "Florida"


def test_a_country_the_question_names_is_no_answer_by_any_spelling() -> None:
    question = "US fighter jets shot down a spy balloon. Which country did it belong to?"
    assert countries_named(question) == {"United States"}
    assert countries_named("Did the U.K. and the Chinese agree?") == {"United Kingdom", "China"}
    # A lower-case "us" is a pronoun, no country.
    assert countries_named("Tell us who won") == frozenset()
    art, ents = _article(
        "A U.S. warplane shot down the suspected Chinese spy balloon.\n\n"
        "The United States said it drifted for days.",
        [("U.S.", "GPE"), ("Chinese", "NORP"), ("The United States", "GPE")],
    )
    q_stems = stems_of(question)
    # Its stems alone ("us") do not match "U.S." or "United States".
    kept = [art.text[e.start : e.end] for e in _sentence_entities(art, 0, ents, q_stems)]
    assert "U.S." in kept
    countries = countries_named(question)
    evidence = [
        Evidence(art, i, score=s, entities=_sentence_entities(art, i, ents, q_stems, countries))
        for i, s in enumerate([0.9, 0.6])
    ]
    assert [art.text[e.start : e.end] for ev in evidence for e in ev.entities] == ["Chinese"]
    picks = vote(evidence, {"GPE": 0.8, "NORP": 0.1}, place="country")
    assert [p.shown for p in picks] == ["China"]
