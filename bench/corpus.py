"""A deterministic generator of realistic synthetic news articles, each with one known fact.

Every article carries exactly one "key fact" sentence (a cost, a vote, an appointment or a
count of people affected) placed anywhere in its body, and a question that only that sentence
answers; the benchmark uses them to score retrieval. Articles come as .txt (headline first
line, plain text) or .md (YAML front matter with title, published, source and url).
The word tables it draws names and places from are bench/corpus_words.py (pure data); the
sentence templates stay here, beside the code that fills them.

    python -m bench.corpus OUT_DIR --articles 200 --seed 7 [--questions questions.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from bench.corpus_words import (
    AGENCIES,
    COMPANIES,
    EVENTS,
    FACILITIES,
    FIRST,
    LAST,
    MEASURES,
    MONTHS,
    PLACES,
    POSITIONS,
    ROLES,
    SOURCES,
    SYLLABLES,
    UNIONS,
    WEEKDAYS,
)


def _long_date(d: date) -> str:
    return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"


@dataclass
class GenArticle:
    """One generated article: its file name and contents, and the question it answers."""

    filename: str
    content: str
    title: str
    published: str
    question: str
    # A verbatim piece of the answer sentence: a chunk holding it holds the answer.
    answer: str
    fact_kind: str


class _Writer:
    """Fills templates for one article with a consistent cast and calendar."""

    def __init__(self, rng: random.Random, published: date) -> None:
        self.rng = rng
        self.published = published
        self.city, self.region = rng.choice(PLACES)
        self.company = rng.choice(COMPANIES)
        self.agency = rng.choice(AGENCIES)
        self.union = rng.choice(UNIONS)
        self.people = [self.person() for _ in range(4)]

    def person(self) -> tuple[str, str]:
        return (f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}", self.rng.choice(ROLES))

    def weekday(self) -> str:
        """A day of the week before publication, as a reporter would write it."""
        back = self.rng.randint(1, 6)
        return WEEKDAYS[(self.published - timedelta(days=back)).weekday()]

    def past_date(self) -> str:
        return _long_date(self.published - timedelta(days=self.rng.randint(8, 900)))

    def fill(self, template: str) -> str:
        (p1, r1), (p2, r2), (p3, r3), _ = self.people
        return template.format(
            city=self.city,
            region=self.region,
            company=self.company,
            agency=self.agency,
            Agency=self.agency[0].upper() + self.agency[1:],
            union=self.union,
            p1=p1,
            r1=r1,
            p2=p2,
            r2=r2,
            p3=p3,
            r3=r3,
            last1=p1.split()[-1],
            last2=p2.split()[-1],
            day=self.weekday(),
            day2=self.weekday(),
            date=self.past_date(),
            pctf=f"{self.rng.uniform(0.2, 19.5):.1f} percent",
            money=f"${self.rng.randint(2, 900)} million",
            count=f"{self.rng.randint(120, 98000):,}",
            pct=self.rng.randint(2, 40),
            year=self.published.year,
            prev=self.published.year - 1,
            other=self.rng.choice(PLACES)[0],
        )


HEADLINES = [
    "Officials in {region} weigh emergency measures after {day} vote",
    "{company} faces questions in {city} as {agency} widens inquiry",
    "{city} braces for strike as {union} rejects pay offer",
    "{Agency} unveils plan to cut costs by {pct} percent",
    "Court in {city} hears challenge to {company} contract",
    "{company} shares slide after profit warning",
    "Protesters gather in {city} over rising rents",
    "{company} to cut jobs in {city} amid slowing demand",
    "Talks between {company} and {union} stall for a second week",
    "{city} mayor defends budget as deficit grows",
]
STANDFIRSTS = [
    "Officials say the decision could reshape the regional economy; critics warn of delays",
    "The move follows months of pressure from residents and business groups",
    "Analysts expect the announcement to weigh on investment in the coming quarter",
]
LEADS = [
    "{city_upper} — {Agency} said on {day} it would review the contracts awarded to {company}, after auditors found what they called serious gaps in the tender process.",
    "{city_upper} — Thousands of people marched through central {city} on {day} to protest a plan by {company} that residents say will raise costs for households.",
    "{city_upper} — {company} said on {day} that quarterly revenue fell {pctf}, sending its shares lower and raising fresh doubts about its expansion in {region}.",
    "{city_upper} — Members of {union} voted on {day} to reject the latest offer, setting the stage for a walkout that could disrupt services across {region}.",
    "{city_upper} — A court in {city} on {day} began hearing a case brought by residents against {agency}, which they accuse of ignoring warnings about the project.",
]
BODY = [
    "The figures, published on {day}, showed a decline of {pctf} compared with the same period a year earlier.",
    "{p1}, the {r1}, told reporters that the decision had been taken after careful consultation.",
    "Critics say the plan was rushed through without proper scrutiny, a charge {agency} denies.",
    "The dispute dates back to {date}, when {company} first won the contract.",
    "Local businesses said footfall had dropped by {pctf} since the works began.",
    "{p2}, a {r2}, said the numbers were worse than most forecasts had suggested.",
    "The city has struggled with rising costs since {prev}, when energy prices surged across {region}.",
    "According to documents seen by reporters, officials were warned about the risks as early as {date}.",
    "Shares of {company} closed down {pct} percent on {day2}, their steepest fall in months.",
    "Residents of {city} have complained for years about delays and cost overruns.",
    "{Agency} is expected to publish its full findings before the end of {year}.",
    "The opposition called for an independent inquiry and for the minister to appear before parliament.",
    "Negotiators from both sides met for more than nine hours on {day2} without reaching a deal.",
    "The proposal would also freeze fees for {count} households, a measure welcomed by consumer groups.",
    "Traffic in the centre of {city} was diverted for most of the afternoon.",
    "Economists at Pinecrest Capital estimate the measure could add {money} to annual costs.",
    "Police said the protest had been largely peaceful, though two people were detained.",
    "The company employs about {count} people in {region}, many of them at its plant outside {city}.",
    "A similar scheme in {other} was abandoned in {prev} after costs doubled.",
    "The ministry did not respond to a request for comment on {day2}.",
    "Talks are due to resume next week, {last1} said, adding that she remained hopeful.",
    "Turnout in the last local election was {pct} percent higher than expected, officials said.",
    "{company} said it had set aside {money} to cover possible claims.",
    "The inquiry will also look at how the contract was awarded on {date}.",
]
QUOTES = [
    '"We have listened to people, and we will keep listening," {p1} said. "But we cannot stand still."',
    '"This is a bad deal for {city} and a worse one for the people who live here," said {p2}, a {r2}.',
    '"Nobody expected the numbers to be this weak," {last2} said in an interview on {day2}.',
    '"The process was fair and transparent, and we will show that in court," a spokesperson for {company} said.',
    '"We are not going to accept cuts dressed up as reform," {p3}, a {r3}, told a rally in {city}.',
    '"It will take years, not months, to repair the damage," {last1} said.',
]
# Parts of free sentences, so long articles do not repeat the fixed templates above.
SUBJECTS = [
    "{p1}, the {r1},",
    "{p2}, a {r2},",
    "{p3}, who has followed the case for years,",
    "A spokesperson for {company}",
    "{Agency}",
    "Officials in {city}",
    "Several residents interviewed by reporters",
    "Analysts at Marlow Bank",
    "{last1}",
    "A senior official who asked not to be named",
    "Members of {union}",
]
VERBS = ["said", "warned", "argued", "told reporters", "estimated", "noted", "insisted", "added"]
CLAUSES = [
    "that costs had risen by {pctf} since {date}",
    "that the project in {city} would need another {money} before it could open",
    "that talks with {company} were likely to drag on into {year}",
    "that the plan would hit smaller firms in {region} hardest",
    "that about {count} households could be affected",
    "that a decision was expected within weeks",
    "that the figures published on {day} understated the problem",
    "that similar projects in {other} had run {pct} percent over budget",
    "that inflation in {region} had slowed to {pct} percent",
    "that {company} had been warned about safety problems on {date}",
    "that the government should have acted sooner",
    "that the number of complaints had doubled to {count}",
]
TIMES = ["", "", " on {day2}", " last month", " earlier this year", " at a briefing in {city}"]
FURNITURE = ["Advertisement", "Read more:", "Story continues below advertisement"]
TAIL = ["Most Popular", "Related Stories", "Sign up for our daily newsletter"]


def _name(rng: random.Random, parts: int = 2) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def _fact(w: _Writer, rng: random.Random, used: set[str]) -> tuple[str, str, str, str]:
    """One key fact no other article states: (sentence, question, answer piece, kind)."""
    for _ in range(1000):
        kind = rng.choice(["cost", "vote", "appointment", "affected"])
        code = _name(rng, rng.choice([2, 3]))
        if kind == "cost":
            facility = rng.choice(FACILITIES)
            amount = f"${rng.randint(11, 990)}.{rng.randint(1, 9)} million"
            key = f"cost:{code}:{facility}"
            sentence = (
                f"{w.company} will spend {amount} on the {code} {facility} near {w.city}, "
                f"{w.people[0][0]} told reporters on {w.weekday()}."
            )
            question = f"How much will {w.company} spend on the {code} {facility}?"
            answer = amount
        elif kind == "vote":
            measure = rng.choice(MEASURES)
            yes = rng.randint(20, 80)
            no = rng.randint(3, yes - 1)
            key = f"vote:{code}:{measure}"
            sentence = (
                f"Councillors voted {yes} to {no} on {w.weekday()} to approve the {code} "
                f"{measure}, which opponents had tried to delay until after the summer."
            )
            question = f"What was the result of the vote on the {code} {measure}?"
            answer = f"{yes} to {no}"
        elif kind == "appointment":
            position = rng.choice(POSITIONS)
            org = f"{code} {rng.choice(['Holdings', 'Group', 'Partners', 'Industries'])}"
            who = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            key = f"appointment:{org}:{position}"
            start = _long_date(w.published + timedelta(days=rng.randint(10, 120)))
            sentence = (
                f"{org} named {who}, a former {rng.choice(ROLES)} from {w.city}, as its new "
                f"{position}, effective {start}."
            )
            question = f"Who did {org} appoint as its {position}?"
            answer = f"{who}, a former"
        else:
            event = rng.choice(EVENTS)
            village = _name(rng, 3)
            count = f"{rng.randint(150, 48000):,}"
            key = f"affected:{village}:{event}"
            sentence = (
                f"The {event} near the village of {village} forced {count} people from their "
                f"homes, emergency services said."
            )
            question = (
                f"How many people had to leave their homes because of the {event} near {village}?"
            )
            answer = f"forced {count} people"
        if key not in used and answer not in used:
            used.update((key, answer))
            return sentence, question, answer, kind
    raise RuntimeError("could not find a unique fact; enlarge the name pools")


def make_article(rng: random.Random, i: int, used: set[str]) -> GenArticle:
    """One article of 300–1,200 words with one key fact at a random place in its body."""
    published = date(2023, 1, 1) + timedelta(days=rng.randint(0, 900))
    w = _Writer(rng, published)
    title = w.fill(rng.choice(HEADLINES))
    title = title[0].upper() + title[1:]
    target = rng.randint(300, 1200)
    lead = rng.choice(LEADS).replace("{city_upper}", w.city.upper())
    sentences = [w.fill(lead)]
    # A dated sentence lets date inference work on .txt articles without metadata.
    sentences.append(
        f"The announcement came on {_long_date(published)}, days after {w.fill('{p1}')} "
        f"met officials in {w.city}."
    )
    words = sum(len(s.split()) for s in sentences)
    pool = [*BODY, *QUOTES]
    rng.shuffle(pool)
    while words < target:
        if pool and rng.random() < 0.5:
            s = w.fill(pool.pop())
        else:
            s = w.fill(
                f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)}{rng.choice(TIMES)} "
                f"{rng.choice(CLAUSES)}."
            )
        # Fresh people now and then so long articles are not a cast of four.
        if rng.random() < 0.15:
            w.people[rng.randrange(4)] = w.person()
        sentences.append(s)
        words += len(s.split())
    fact, question, answer, kind = _fact(w, rng, used)
    sentences.insert(rng.randint(1, len(sentences)), fact)
    paragraphs: list[str] = []
    j = 0
    while j < len(sentences):
        k = rng.choice([1, 2, 2, 3])
        paragraphs.append(" ".join(sentences[j : j + k]))
        j += k
    if rng.random() < 0.3:
        paragraphs.insert(rng.randint(2, max(2, len(paragraphs) - 1)), rng.choice(FURNITURE))
    if rng.random() < 0.2:
        paragraphs += [rng.choice(TAIL), w.fill(rng.choice(HEADLINES))]
    body = "\n\n".join(paragraphs)
    source, domain = rng.choice(SOURCES)
    slug = "-".join(title.lower().split()[:6]).replace("'", "")
    stem = f"{i:05d}_{slug}"
    if rng.random() < 0.5:
        head = [title, ""]
        if rng.random() < 0.4:
            head += [rng.choice(STANDFIRSTS), ""]
        if rng.random() < 0.5:
            head += [f"By {rng.choice(FIRST)} {rng.choice(LAST)}", ""]
        content = "\n".join(head) + "\n" + body + "\n"
        filename = stem + ".txt"
    else:
        published_text = published.isoformat() if rng.random() < 0.7 else _long_date(published)
        front = [
            "---",
            f"title: {json.dumps(title, ensure_ascii=False)}",
            f"published: {json.dumps(published_text)}",
            f"source: {json.dumps(source)}",
            f"url: https://{domain}/{published.year}/{published.month:02d}/{slug}-{i}",
            "---",
            "",
        ]
        content = "\n".join(front) + body + "\n"
        filename = stem + ".md"
    return GenArticle(filename, content, title, published.isoformat(), question, answer, kind)


def generate(n: int, seed: int) -> list[GenArticle]:
    """N articles, the same for the same (n, seed); a smaller n gives a prefix of a larger one."""
    rng = random.Random(seed)
    used: set[str] = set()
    return [make_article(rng, i, used) for i in range(n)]


def write_articles(directory: Path, articles: list[GenArticle]) -> list[Path]:
    """Write generated articles as files into directory."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for a in articles:
        path = directory / a.filename
        path.write_text(a.content, encoding="utf-8")
        paths.append(path)
    return paths


def write_corpus(directory: Path, n: int, seed: int = 7) -> list[Path]:
    """Generate n articles with the seed and write them into directory."""
    return write_articles(Path(directory), generate(n, seed))


def main(argv: list[str] | None = None) -> int:
    """CLI: write a corpus, optionally with its questions as JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--questions", type=Path, help="write questions here (not in OUT)")
    args = parser.parse_args(argv)
    articles = generate(args.articles, args.seed)
    paths = write_articles(args.out, articles)
    if args.questions:
        with args.questions.open("w", encoding="utf-8") as fh:
            for a in articles:
                row = {k: v for k, v in asdict(a).items() if k != "content"}
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    words = sum(len(a.content.split()) for a in articles)
    print(f"wrote {len(paths)} articles ({words:,} words) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
