"""What kind of place a question asks for, and which named places are of that kind.

"Which country ...?" is answered by a country, not by the city or state a sentence also
names; "the suspected Chinese spy balloon" answers it with China, and "Biden arrived in
Kyiv" with Ukraine. spaCy tags all of these GPE (or NORP), so the kind comes from a
gazetteer: the countryinfo package (MIT), whose data lists each country's name, other
spellings, demonym, capital and states or provinces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.answer_types import question_cues

# The noun after "which"/"what" that asks for a kind of place.
_KIND_OF_NOUN = {
    "country": "country",
    "countries": "country",
    "nation": "country",
    "nations": "country",
    "state": "state",
    "states": "state",
    "province": "state",
    "provinces": "state",
    "city": "city",
    "cities": "city",
    "capital": "city",
    "town": "city",
}
# How much a place of another kind than asked still counts: a sentence's "Florida" is no
# answer to "which country", but a place the gazetteer does not know ("Britain", a town)
# may be one.
UNKNOWN = 0.5
OTHER_KIND = 0.15
# A capital standing for its country ("arrived in Kyiv" for "which country"): a step removed.
CAPITAL_FOR_COUNTRY = 0.8
PLACE_LABELS = frozenset({"GPE", "LOC", "NORP"})


@dataclass(frozen=True)
class Gazetteer:
    """Folded place names by kind (see _fold)."""

    countries: dict[str, str]  # name or other spelling -> the country's name
    codes: dict[str, str]  # "US", "UK": upper-case codes, matched as written
    demonyms: dict[str, str]  # "chinese" -> "China"
    capitals: dict[str, str]  # "kyiv" -> "Ukraine"
    regions: frozenset[str]  # states and provinces ("california", "bavaria")
    cities: frozenset[str]  # capitals of provinces ("sumy"), capitals of countries too


def _fold(name: str) -> str:
    """A name as looked up: case, dots and a leading "the" dropped ("the U.K." is "uk")."""
    text = name.casefold().replace(".", "").replace("’", "'").strip()
    text = re.sub(r"^the\s+", "", text)
    return " ".join(text.split())


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The countryinfo data, indexed by folded name (loaded on first use, ~50 ms)."""
    from countryinfo import CountryInfo

    countries: dict[str, str] = {}
    codes: dict[str, str] = {}
    demonyms: dict[str, list[tuple[int, str]]] = {}
    capitals: dict[str, str] = {}
    regions: set[str] = set()
    cities: set[str] = set()
    for info in CountryInfo.all().values():
        name = info.get("name")
        if not name:
            continue
        countries[_fold(name)] = name
        for alt in info.get("altSpellings") or []:
            if re.fullmatch(r"[A-Z]{2,3}", alt):
                codes[alt] = name
            elif len(alt) > 3:
                countries.setdefault(_fold(alt), name)
        if demonym := info.get("demonym"):
            demonyms.setdefault(_fold(demonym), []).append((info.get("population") or 0, name))
        # A country with several capitals (South Africa) lists them.
        capital = info.get("capital") or []
        for city in [capital] if isinstance(capital, str) else capital:
            capitals.setdefault(_fold(city), name)
        for province in info.get("provinces") or []:
            # "Sums'ka (Sumy)": the province, and in brackets its capital.
            region, _, city = province.partition(" (")
            regions.add(_fold(region))
            if city:
                cities.add(_fold(city.rstrip(")")))
    return Gazetteer(
        countries=countries,
        codes=codes,
        # "Chinese" is the demonym of China, Hong Kong and Macau too: the most populous is
        # the one a news sentence means.
        demonyms={k: max(v)[1] for k, v in demonyms.items()},
        capitals=capitals,
        regions=frozenset(regions),
        cities=frozenset(cities | set(capitals)),
    )


def place_kind(question: str) -> str | None:
    """The kind of place a question asks for: "country", "state", "city", or None."""
    for cue in question_cues(question):
        wh, _, noun = cue.partition(":")
        if wh in ("which", "what") and noun in _KIND_OF_NOUN:
            return _KIND_OF_NOUN[noun]
    return None


def country_of(surface: str) -> str | None:
    """The country a name is ("U.S.", "Ukraine"), if the gazetteer knows it as one."""
    g = gazetteer()
    code = re.sub(r"^[Tt]he\s+", "", surface.replace(".", "").strip())
    return g.codes.get(code) or g.countries.get(_fold(surface))


def country_meant(surface: str, label: str) -> str | None:
    """The country a place name, code or demonym stands for ("U.S.", "Chinese"), if any."""
    if label == "NORP":
        return gazetteer().demonyms.get(_fold(surface))
    return country_of(surface) if label in PLACE_LABELS else None


# A word as a country's name may be written: "US", "U.S.", "Chinese", "Ukraine’s".
_WORD = re.compile(r"[A-Za-z][\w.’']*")


# Kept: a question's evidence is built, then retagged, and both ask for its countries.
@lru_cache(maxsize=256)
def countries_named(text: str) -> frozenset[str]:
    """The countries a question names, however it spells them: "US fighter jets" names the
    country a sentence's "U.S." and "United States" name too, which its word stems miss.
    Runs of up to three words that start with a capital are looked up, longest first."""
    g = gazetteer()
    found: set[str] = set()
    tokens = list(_WORD.finditer(text))
    for i, tok in enumerate(tokens):
        if not tok.group()[:1].isupper():
            continue
        for n in (3, 2, 1):
            if i + n > len(tokens):
                continue
            span = text[tok.start() : tokens[i + n - 1].end()].rstrip(".’'")
            if span.endswith(("’s", "'s")):
                span = span[:-2]
            country = country_of(span) or g.demonyms.get(_fold(span))
            if country:
                found.add(country)
                break
    return frozenset(found)


def as_place(surface: str, label: str, kind: str) -> tuple[str, str, float] | None:
    """A named place as an answer to a question asking for `kind` of place.

    Returns (the answer's name, its label, how much it counts), or None when the entity is
    no place. A demonym or capital stands for its country when a country is asked for.
    """
    if label not in PLACE_LABELS:
        return None
    g = gazetteer()
    folded = _fold(surface)
    if label == "NORP":
        # "Chinese" answers "which country"; as a people it answers no other kind of place.
        demonym = g.demonyms.get(folded)
        if kind == "country" and demonym:
            return demonym, "GPE", 1.0
        return surface, label, 1.0
    country = country_of(surface)
    if kind == "country":
        if country:
            return surface, label, 1.0
        if folded in g.capitals:
            return g.capitals[folded], label, CAPITAL_FOR_COUNTRY
        known = folded in g.regions or folded in g.cities
        return surface, label, OTHER_KIND if known else UNKNOWN
    if kind == "state":
        if folded in g.regions:
            return surface, label, 1.0
        return surface, label, OTHER_KIND if country or folded in g.capitals else UNKNOWN
    # A city: anything but a country (a state's name is often its city's too: New York).
    return surface, label, OTHER_KIND if country else 1.0
