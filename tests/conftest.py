"""Shared fixtures of the indexing tests: a real model, real Chroma, article files made on the fly."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import NewsdeskSettings
from index import Indexer, IndexReport
from index.layout import read_pointer, store_path
from index.store import ArticleDB
from index.vectors import chroma_client

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_f6cdbc7b12bc632a.txt"
SEED_TITLE = (
    "Russia says forces poised to complete recapture of Kursk region as Witkoff heads to Moscow"
)
NEWSDESK = Path(sys.executable).parent / "newsdesk"
CHROMA = Path(sys.executable).parent / "chroma"


@pytest.fixture(autouse=True, scope="session")
def _clean_env() -> Iterator[None]:
    """Keep a developer's NEWSDESK_* variables (a Chroma server, say) out of the tests."""
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("NEWSDESK_"):
                mp.delenv(key)
        mp.setenv("ANONYMIZED_TELEMETRY", "False")
        mp.setenv("TOKENIZERS_PARALLELISM", "false")
        yield


# -- article files ------------------------------------------------------------------------

MD_ARTICLE = """\
---
title: "Rail union agrees pay deal, calling off weekend strikes"
published: 2024-06-03
url: https://ledger.example/rail-pay-deal
source: The Ledger
authors:
  - Clara Whitfield
  - Tomasz Novak
---
# Rail union agrees pay deal

The rail workers' union accepted a two-year pay offer on Monday, calling off strikes that had
been planned for three weekends in June and July.

Union leaders said members backed the deal by a wide margin. The offer raises pay by 4.5 per
cent this year and by 3 per cent next year, and adds two days of annual leave.

The operator said trains would run normally from Saturday. A spokesperson added that the
agreement, reached late on June 1, 2024 after talks that began on May 28, 2024, would be
signed formally on July 15, 2024.
"""

HTML_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Harbour council approves flood barrier | The Coastal Ledger</title>
<meta property="og:title" content="Harbour council approves new flood barrier after decade of delays">
<meta property="og:site_name" content="The Coastal Ledger">
<meta property="og:url" content="https://coastal-ledger.example/news/flood-barrier">
<meta property="article:published_time" content="2024-11-05T08:30:00Z">
<meta name="author" content="Ingrid Sorensen">
<link rel="canonical" href="https://coastal-ledger.example/news/flood-barrier">
</head>
<body>
<header><nav><ul>
<li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li>
<li><a href="/subscribe">Subscribe to our weekly harbour newsletter today</a></li>
</ul></nav></header>
<main>
<article>
<h1>Harbour council approves new flood barrier after decade of delays</h1>
<p class="byline">By Ingrid Sorensen</p>
<p>The harbour council voted on Monday evening to approve construction of a movable flood
barrier across the mouth of the old port, ending more than ten years of argument over how to
protect the low-lying quarter from storm surges.</p>
<p>Councillors backed the plan by eleven votes to four after a four-hour debate in which
residents of the quay district described water reaching their kitchens twice in the past
three winters.</p>
<p>The barrier, which engineers say will take three years to build, is expected to cost about
140 million euros, most of it paid by the national infrastructure fund rather than local
taxpayers.</p>
<p>Opponents argued that the design would disrupt the fishing fleet and silt up the inner
basin, and they asked for an independent review of the tidal modelling before any contract is
signed.</p>
<p>The mayor said the first tenders would be published in the spring and that fishermen would
be consulted on the opening schedule of the gates.</p>
</article>
</main>
<footer>
<p>Copyright 2024 The Coastal Ledger. All rights reserved.</p>
<ul><li><a href="/privacy">Privacy policy</a></li><li><a href="/cookies">Cookie settings</a></li>
<li><a href="/contact">Contact the newsroom</a></li></ul>
</footer>
</body>
</html>
"""

JSON_OBJECT = {
    "id": "ledger-2024-0412",
    "title": "Water authority fines brewery over river spill",
    "body": (
        "The regional water authority fined a brewery 80,000 euros on Thursday after a spill of "
        "fermented waste turned a stretch of the river brown.\n\n"
        "Inspectors said the spill killed fish along two kilometres of the bank. The brewery "
        "apologised and said it had replaced the faulty valve."
    ),
    "date": "2024-04-12",
    "source": "The Ledger",
    "url": "https://ledger.example/brewery-fine",
    "author": "Aisha Haddad; Lucas Moreau",
}

JSON_LIST = [
    {
        "title": "Ferry operator orders two electric vessels",
        "content": (
            "The ferry operator ordered two battery-electric vessels for its island routes on "
            "Tuesday. The ships are due in service in 2027 and will cut fuel use sharply."
        ),
        "publish_date": "2024-02-20",
    },
    {
        "title": "Library reopens after roof repairs",
        "text": (
            "The central library reopened on Saturday after eight months of repairs to its roof. "
            "Visitors queued before the doors opened at nine."
        ),
        "published_at": "2024-03-09T09:00:00+01:00",
        "id": "lib-reopens",
    },
]

JSONL_LINES = [
    {
        "id": "jl-1",
        "title": "Airport adds night curfew",
        "text": "The airport will ban take-offs between midnight and five from next month. Residents welcomed the rule.",
        "published": "2024-05-01",
    },
    {
        "id": "jl-2",
        "title": "Tram line extension opens",
        "body": "The tram extension to the university opened on Friday. The first trams were full by eight.",
        "date": "2024-05-10",
    },
    {
        "id": "jl-3",
        "title": "Bakery chain recalls rye bread",
        "content": "A bakery chain recalled rye bread sold in forty shops after finding glass in a loaf. No injuries were reported.",
        "publish_date": "2024-05-17",
    },
    {
        "id": "jl-4",
        "title": "Marathon route changed for roadworks",
        "text": "Organisers moved the marathon route away from the bridge, which is closed for roadworks. The race starts at eight.",
        "published_at": "2024-05-24",
    },
]


def write_formats(folder: Path) -> dict[str, Path]:
    """Write one article file of every supported format into folder; returns them by kind."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "txt": folder / "seed.txt",
        "md": folder / "rail.md",
        "html": folder / "harbour.html",
        "json": folder / "brewery.json",
        "json_list": folder / "pair.json",
        "jsonl": folder / "briefs.jsonl",
    }
    files["txt"].write_bytes(SEED.read_bytes())
    files["md"].write_text(MD_ARTICLE)
    files["html"].write_text(HTML_PAGE)
    files["json"].write_text(json.dumps(JSON_OBJECT, indent=2))
    files["json_list"].write_text(json.dumps(JSON_LIST))
    files["jsonl"].write_text("\n".join(json.dumps(x) for x in JSONL_LINES) + "\n")
    return files


def trafilatura_error() -> str | None:
    """Why trafilatura (the HTML loader) cannot be imported here, or None when it can."""
    try:
        import trafilatura  # noqa: F401
    except ImportError as exc:
        return str(exc)
    return None


_WORDS = {
    "who": ["the mayor", "the minister", "a spokesperson", "the council", "union leaders"],
    "verb": ["said", "confirmed", "told reporters", "announced", "warned"],
    "what": [
        "the budget for the new bridge had risen again",
        "inspectors would visit every school in the district",
        "the harbour would close for dredging in the autumn",
        "fares on the regional buses would stay frozen",
        "a review of the water network was under way",
        "more nurses would be hired at the county hospital",
        "the tender for the tram depot had been cancelled",
        "talks with the contractors would resume next week",
    ],
    "when": ["on Monday", "on Tuesday", "late on Wednesday", "on Thursday", "this week"],
}


# Two short articles, one story each (uploads, encoders).
BRIDGE = (
    "Harbour bridge reopens after eight months of repairs\n\n"
    "The harbour bridge reopened to traffic on Monday after eight months of repairs, city "
    "engineer Maren Holt said.\n\nHolt said the new deck would carry trams from the spring.\n"
)
ORCHARD = (
    "Orchard festival in Lindvik draws a record crowd\n\n"
    "The apple festival in Lindvik drew 12,000 visitors on Saturday, organiser Piet Varga "
    "said.\n\nVarga said the cider press ran until midnight for the first time.\n"
)


def make_article(i: int, paragraphs: int = 8) -> str:
    """A deterministic synthetic news article (headline first line), about 60 words a paragraph."""
    rnd = random.Random(i)
    day = date(2024, 1, 1) + timedelta(days=i)
    lines = [f"Council story number {i} from {day:%B %-d, %Y}", ""]
    for p in range(paragraphs):
        sentences = [
            f"{rnd.choice(_WORDS['who']).capitalize()} {rnd.choice(_WORDS['verb'])} "
            f"{rnd.choice(_WORDS['when'])} that {rnd.choice(_WORDS['what'])} "
            f"(item {i}.{p}.{k})."
            for k in range(rnd.randint(3, 5))
        ]
        lines += [" ".join(sentences), ""]
    lines.append(f"The article was published on {day:%B %-d, %Y}.")
    return "\n".join(lines) + "\n"


# -- the index ----------------------------------------------------------------------------


def settings_for(index_dir: Path, **update: Any) -> NewsdeskSettings:
    """Settings for an index dir, with NEWSDESK_* variables already cleared."""
    return NewsdeskSettings(index_dir=index_dir, **update)


def index(index_dir: Path, paths: list[Path], rebuild: bool = False, **update: Any) -> IndexReport:
    """Run the indexer through the Python API."""
    return Indexer(settings_for(index_dir, **update)).run(paths, rebuild=rebuild)


def open_live_db(index_dir: Path) -> ArticleDB:
    """The SQLite store of the live build, read-only."""
    pointer = read_pointer(index_dir)
    assert pointer is not None, f"no index in {index_dir}"
    return ArticleDB(store_path(index_dir, pointer.build), readonly=True)


def live_collection(settings: NewsdeskSettings):
    """The Chroma collection the pointer names as live."""
    pointer = read_pointer(settings.index_dir)
    assert pointer is not None
    return chroma_client(settings).get_collection(pointer.collection)


def collection_ids(settings: NewsdeskSettings) -> set[str]:
    """Every vector id in the live collection."""
    return set(live_collection(settings).get(include=[])["ids"])


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the newsdesk command line in a subprocess (the environment is already clean)."""
    return subprocess.run(
        [str(NEWSDESK), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=os.environ.copy(),
    )


@pytest.fixture(scope="session")
def formats_dir(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One file of each format, written once per session (never modified by a test)."""
    return write_formats(tmp_path_factory.mktemp("formats"))


@pytest.fixture(scope="session")
def formats_index(
    tmp_path_factory: pytest.TempPathFactory, formats_dir: dict[str, Path]
) -> tuple[NewsdeskSettings, IndexReport]:
    """An embedded Chroma index of every format, built once per session (read-only for tests)."""
    settings = settings_for(tmp_path_factory.mktemp("formats-index"))
    # Where trafilatura cannot be imported the page would only be reported as skipped, which
    # test_loaders covers; leave it out so the rest can be checked.
    paths = [p for kind, p in formats_dir.items() if kind != "html" or not trafilatura_error()]
    report = Indexer(settings).run(paths)
    return settings, report


def stuck_tag_worker() -> subprocess.Popen[str]:
    """A tagger child that says it is ready, then never reads nor answers (a hung library)."""
    hang = "import json, time; print(json.dumps({'ready': True}), flush=True); time.sleep(300)"
    return subprocess.Popen(
        [sys.executable, "-c", hang],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
