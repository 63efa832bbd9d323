"""Score short-answer extraction on news-train's answer passages; write bench/EXTRACTION.md.

news-dev has 200 answerable questions, and most of its misses are retrieval's, so a change to
how short answers are typed and voted barely shows there. news-train has 2,840 later quiz
questions, each with the passage that answers it (1,797 hold the answer verbatim). Here each
passage is the only evidence: its entities (en_core_web_sm, as at index time) vote as they do
for a user (assistant/voting.py), and the top pick is right when it holds the quiz answer.
What it measures is typing and voting alone, on real questions nobody here wrote; retrieval
and sentence ranking are not in it. The same passages taught answer_types.json its label
shares, so its label figures are in-sample; the place kinds (assistant/places.py) and the
voting rules were not fitted to them.

    python -m bench.eval_extraction [--out bench/EXTRACTION.md]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from assistant.answer_types import NONE, asks_doer, asks_done_to, asks_when, expected_labels
from assistant.evaluation import contains
from assistant.evidence import Evidence, _sentence_entities, one_label_each, stems_of
from assistant.places import countries_named, place_kind
from assistant.question import analyse
from assistant.ranking import load_model
from assistant.voting import vote
from bench.eval_news import _commit
from index import set_offline_env, shared_embedder
from index.articles import Article
from index.entities import shared_tagger

ROOT = Path(__file__).resolve().parent.parent
TRAIN = ROOT.parent / "shared" / "eval" / "news-train" / "questions.jsonl"


def _passage(text: str) -> Article:
    return Article(
        "passage", "", text, None, False, None, None, [], "passage", "", [(0, len(text))]
    )


def score(rows: list[dict], places: bool = True) -> Counter[str]:
    """Counts per asked label: questions, top pick right, right among the picks, leads."""
    lead_share = load_model().lead_share
    tags = shared_tagger().tag([r["evidence"] for r in rows])
    # As the assistant reads a "which" noun the table does not know: by its nearest ones.
    encode = shared_embedder().embed_query
    counts: Counter[str] = Counter()
    for row, entities in zip(rows, tags, strict=True):
        question, text = row["question"], row["evidence"]
        labels = expected_labels(question, encode)
        if labels.get(NONE, 0.0) >= 0.5:
            continue  # answered with a sentence, not a short answer
        passage = _passage(text)
        # The passage's entities the question does not name, as the product keeps them.
        labelled = one_label_each(text, entities)
        kept = _sentence_entities(
            passage, 0, labelled, stems_of(question), countries_named(question)
        )
        evidence = [Evidence(passage, 0, score=1.0, entities=kept)]
        picks = vote(
            evidence,
            labels,
            set(analyse(question).terms),
            when=asks_when(question)[0],
            place=place_kind(question) if places else None,
            doer=asks_doer(question),
            done_to=asks_done_to(question),
        )
        right = [contains(p.shown, row["answer"]) for p in picks]
        asked = max(labels, key=labels.get)
        for key in (asked, "all"):
            counts[f"{key}|n"] += 1
            counts[f"{key}|top"] += bool(right) and right[0]
            counts[f"{key}|any"] += any(right)
            led = bool(picks) and picks[0].share >= lead_share
            counts[f"{key}|led"] += led
            counts[f"{key}|led_right"] += led and right[0]
    return counts


def main() -> None:
    """Score with and without place kinds and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, default=TRAIN)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "EXTRACTION.md")
    args = parser.parse_args()
    set_offline_env()
    rows = [json.loads(line) for line in args.train.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r.get("answer_in_evidence")]
    started = time.perf_counter()
    now, flat = score(rows), score(rows, places=False)
    seconds = time.perf_counter() - started
    asked = sorted({k.split("|")[0] for k in now} - {"all"}, key=lambda k: (-now[f"{k}|n"], k))
    labels = [*asked, "all"]
    lines = [
        "# Short-answer extraction on news-train's answer passages",
        "",
        f"Written by `python -m bench.eval_extraction` at commit {_commit()}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC ({seconds:.0f} s).",
        f"{len(rows):,} questions whose passage holds the answer; those asking for a",
        "named entity are scored, the passage being the only evidence (see the script).",
        "",
        "| asked label | questions | top pick right | right among picks | led "
        "| leads right | top pick right without place kinds |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label in labels:
        n = now[f"{label}|n"] or 1
        led = now[f"{label}|led"]
        lines.append(
            f"| {label} | {now[f'{label}|n']} | {now[f'{label}|top'] / n:.2f} | "
            f"{now[f'{label}|any'] / n:.2f} | {led} | "
            f"{now[f'{label}|led_right'] / (led or 1):.2f} | {flat[f'{label}|top'] / n:.2f} |"
        )
    lines += [
        "",
        "- top pick right: the most-voted candidate holds the quiz answer; right among picks:",
        "  any candidate does (what better voting could reach without new candidates).",
        "- led: the top pick's vote share reaches the lead share in sentence_ranker.json, so",
        "  a user would see it bold on the first line; leads right: share of those right.",
        '- An answer the passage gives in other words ("Four astronauts" for 4) is no',
        "  candidate here: 1,043 of the 2,840 passages are left out for that reason.",
    ]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
