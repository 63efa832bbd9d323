"""Fit the sentence ranker, the decline threshold and the lead share on news-dev's tuning part.

For each tuning question (bench.eval_news.held_out is False) the assistant retrieves as it
does for users and builds every candidate sentence's features; a sentence is a positive when
it contains the expected answer. A logistic regression over the standardised features gives
P(sentence holds the answer). The decline threshold on the best sentence's P is the one that
best separates answerable from unanswerable questions (false declines kept <= 0.10 where that
is possible); the lead share is the vote share above which a bold short answer leads, chosen
for direct answers right minus wrong ones. Writes assistant/data/sentence_ranker.json.

    python -m bench.learn_ranker
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np

from assistant.answer_types import NONE, asked_parts
from assistant.evaluation import _contains
from assistant.question import analyse
from assistant.ranking import _DATA, FEATURES, RankerModel, rank
from assistant.service import Assistant
from assistant.voting import vote
from bench.eval_news import DEV, WORK, ensure_index, held_out, load_dev


def collect(assistant: Assistant, cases):
    """(case, ranked evidence) for every case, the evidence's features computed."""
    out = []
    for case in cases:
        _answer, ranked, _ = assistant._extractive(
            case.question, case.history, None, case.since, case.until, case.sources, case.as_of
        )
        out.append((case, ranked))
    return out


def _label(case, ev) -> int:
    return int(case.answerable and all(_contains(ev.text, e) for e in case.expect))


def fit(data) -> RankerModel:
    """Logistic regression over every candidate sentence of every question."""
    from sklearn.linear_model import LogisticRegression

    x = np.array([[ev.features[f] for f in FEATURES] for _c, r in data for ev in r])
    y = np.array([_label(c, ev) for c, r in data for ev in r])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=1.0, max_iter=2000)
    lr.fit((x - mean) / scale, y)
    print(f"{len(y)} sentences, {y.sum()} hold the answer")
    for f, w in zip(FEATURES, lr.coef_[0], strict=True):
        print(f"  {f:18} {w:+.3f}")
    return RankerModel(
        weights=tuple(float(w) for w in lr.coef_[0]),
        bias=float(lr.intercept_[0]),
        mean=tuple(float(m) for m in mean),
        scale=tuple(float(s) for s in scale),
        decline_below=0.0,
    )


def choose_threshold(data, model: RankerModel) -> float:
    """The best-sentence P below which to decline."""
    best = [(c.answerable, max((ev.score for ev in rank(r, model)), default=0.0)) for c, r in data]
    answerable = [p for a, p in best if a]
    unanswerable = [p for a, p in best if not a]
    options = []
    for t in sorted({round(p, 4) for _a, p in best} | {0.0}):
        fd = sum(p < t for p in answerable) / len(answerable)
        ud = sum(p < t for p in unanswerable) / max(1, len(unanswerable))
        options.append((fd <= 0.10, (1 - fd) + ud, -t, t, fd, ud))
    _ok, _score, _neg, t, fd, ud = max(options)
    print(f"decline below {t:.4f}: false declines {fd:.2f}, unanswerable declined {ud:.2f}")
    return t


def choose_lead_share(data, model: RankerModel) -> float:
    """The vote share above which the short answer leads."""
    tops = []
    for case, ranked in data:
        if not case.answerable:
            continue
        ranked = rank(ranked, model)
        q = analyse(case.question)
        labels = asked_parts(case.question)[0]
        picks = vote(ranked, labels, set(q.terms), q.recency) if labels.get(NONE, 0.0) < 0.5 else []
        if picks:
            p = picks[0]
            shown = p.time.label if p.time is not None and p.time.resolved else p.text
            right = all(_contains(shown, e) for e in case.expect)
            tops.append((p.share, right))
    best_share, best_value = 1.01, 0.0
    for share in np.arange(0.2, 1.0, 0.05):
        led = [r for s, r in tops if s >= share]
        value = sum(led) - 1.0 * (len(led) - sum(led))
        if value > best_value:
            best_share, best_value = float(share), value
    led = [r for s, r in tops if s >= best_share]
    print(f"lead share {best_share:.2f}: {sum(led)} right, {len(led) - sum(led)} wrong leads")
    return best_share


def cross_validate(data, features: tuple[str, ...], folds: int = 4) -> tuple[float, float]:
    """Hit@1 and hit@3 (a top sentence holds the answer) of answerable questions, k-fold."""
    from sklearn.linear_model import LogisticRegression

    hits1 = hits3 = n = 0
    for k in range(folds):
        train = [d for i, d in enumerate(data) if i % folds != k]
        test = [d for i, d in enumerate(data) if i % folds == k and d[0].answerable]
        x = np.array([[ev.features[f] for f in features] for _c, r in train for ev in r])
        y = np.array([_label(c, ev) for c, r in train for ev in r])
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale == 0] = 1.0
        lr = LogisticRegression(C=1.0, max_iter=2000).fit((x - mean) / scale, y)
        for case, ranked in test:
            if not ranked:
                n += 1
                continue
            xs = (np.array([[ev.features[f] for f in features] for ev in ranked]) - mean) / scale
            order = np.argsort(-lr.decision_function(xs))
            labels = [_label(case, ranked[i]) for i in order[:3]]
            hits1 += labels[0]
            hits3 += any(labels)
            n += 1
    return hits1 / n, hits3 / n


def main() -> None:
    """Fit and write the model file."""
    import sys

    settings = ensure_index(DEV, WORK / "index")
    cases = [c for c in load_dev(DEV) if not held_out(c)]
    assistant = Assistant(settings)
    data = collect(assistant, cases)
    if "--ablate" in sys.argv:
        print("all features: hit@1 {:.3f} hit@3 {:.3f}".format(*cross_validate(data, FEATURES)))
        for drop in FEATURES:
            kept = tuple(f for f in FEATURES if f != drop)
            print(
                f"without {drop:18}: hit@1 {{:.3f}} hit@3 {{:.3f}}".format(
                    *cross_validate(data, kept)
                )
            )
        return
    model = fit(data)
    model = replace(model, decline_below=choose_threshold(data, model))
    model = replace(model, lead_share=choose_lead_share(data, model))
    _DATA.write_text(
        json.dumps(
            {
                "_source": (
                    "Fitted by bench/learn_ranker.py on the tuning part of ../shared/eval/"
                    f"news-dev ({len(cases)} questions asked Jan-Feb and Oct 2023)."
                ),
                "features": list(FEATURES),
                "weights": list(model.weights),
                "bias": model.bias,
                "mean": list(model.mean),
                "scale": list(model.scale),
                "decline_below": model.decline_below,
                "lead_share": model.lead_share,
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {_DATA}")


if __name__ == "__main__":
    main()
