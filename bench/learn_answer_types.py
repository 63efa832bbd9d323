"""Learn which entity label answers which kind of question, from news-train (writes the table).

For every training question whose answer appears verbatim in its evidence passage, the passage
is tagged with the same spaCy model the indexer uses; the entity that is the answer gives the
label ("NONE" when no entity is). Counts per question cue (assistant.answer_types.question_cues)
become label shares in assistant/data/answer_types.json.

    python -m bench.learn_answer_types [../shared/eval/news-train/questions.jsonl]
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from assistant.answer_types import MIN_SUPPORT, NONE, NOUNS_FILE, TYPES_FILE, question_cues
from index import set_offline_env, shared_embedder, shared_tagger

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "news-train" / "questions.jsonl"


def _norm(text: str) -> str:
    text = re.sub(r"[^\w\s]", " ", text.casefold())
    return " ".join(w for w in text.split() if w not in ("the", "a", "an"))


def answer_label(answer: str, evidence: str, ents) -> str:
    """The label of the entity that is the answer, or NONE.

    An entity equal to the answer wins; else the one inside the answer, or holding it, that
    covers most of it: "Indian Prime Minister Narendra Modi" is a PERSON, not the NORP
    "Indian" that comes first.
    """
    want = _norm(answer)
    best, best_rank = NONE, (3, 0.0)
    for ent in ents:
        got = _norm(evidence[ent.start : ent.end])
        if not got:
            continue
        if got == want:
            rank = (0, 0.0)
        elif want in got or (got in want and len(got) >= 3):
            rank = (1, -min(len(got), len(want)) / max(len(got), len(want)))
        else:
            continue
        if rank < best_rank:
            best, best_rank = ent.label, rank
    return best


def write_noun_vectors(cues: dict[str, dict[str, float]]) -> None:
    """The unit vectors of the which/what cues' nouns, by the packaged model, for the nearest
    nouns a new one is compared with (assistant.answer_types._nearest); float16 keeps the
    file small and moves a cosine by under 0.001."""
    import numpy as np

    asked = [c for c in cues if c.startswith(("which:", "what:"))]
    vectors = shared_embedder().embed([c.partition(":")[2] for c in asked])
    np.savez_compressed(
        NOUNS_FILE, cues=np.array(asked), vectors=np.asarray(vectors, dtype=np.float16)
    )
    print(f"{len(asked)} nouns -> {NOUNS_FILE}")


def main(argv: list[str]) -> None:
    """Read news-train, count labels per cue, write the table."""
    set_offline_env()
    path = Path(argv[0]) if argv else DEFAULT
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    rows = [r for r in rows if r.get("answer_in_evidence")]
    tagged = shared_tagger().tag([r["evidence"] for r in rows])
    counts: dict[str, Counter] = defaultdict(Counter)
    for row, ents in zip(rows, tagged, strict=True):
        label = answer_label(row["answer"], row["evidence"], ents)
        for cue in question_cues(row["question"]):
            counts[cue][label] += 1
    cues = {}
    for cue, c in sorted(counts.items()):
        n = sum(c.values())
        if n < MIN_SUPPORT:
            continue  # never consulted (assistant.answer_types.MIN_SUPPORT)
        entry: dict[str, float] = {"_n": n}
        entry.update({label: round(k / n, 4) for label, k in c.most_common()})
        cues[cue] = entry
    TYPES_FILE.parent.mkdir(exist_ok=True)
    TYPES_FILE.write_text(
        json.dumps(
            {
                "_source": (
                    "Learned by bench/learn_answer_types.py from ../shared/eval/news-train "
                    f"({len(rows)} questions whose answer is in their evidence passage), "
                    "labels from en_core_web_sm 3.8.0."
                ),
                "cues": cues,
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"{len(rows)} questions, {len(cues)} cues -> {TYPES_FILE}")
    write_noun_vectors(cues)
    for cue in ("who", "when", "how many", "how much", "which:country", "which:company", "what"):
        if cue in cues:
            top = sorted(
                ((v, k) for k, v in cues[cue].items() if not k.startswith("_")), reverse=True
            )
            print(f"  {cue:16} n={cues[cue]['_n']:4}  {top[:4]}")


if __name__ == "__main__":
    main(sys.argv[1:])
