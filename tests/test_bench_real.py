"""The real-news bench tier's pure parts: R@k, the subset and its questions, the verdict row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import real
from bench.common import Figure
from bench.real import RealTier, eval_md_accuracy, load_real, recall_at
from bench.report import real_rows


def test_recall_at_counts_a_question_once_when_any_answer_article_is_in_the_top_k() -> None:
    found = [["a", "b", "c"], ["x", "y", "a"], ["b", "b", "b"], []]
    answers = [{"c"}, {"a", "z"}, {"b"}, {"q"}]
    assert recall_at(found, answers, 1) == 0.25
    assert recall_at(found, answers, 2) == 0.25
    assert recall_at(found, answers, 3) == 0.75
    assert recall_at([], [], 5) == 0.0


def _dev(tmp: Path) -> Path:
    corpus = tmp / "dev" / "corpus"
    corpus.mkdir(parents=True)
    rows = [{"id": str(i), "url": f"u{i}", "title": None, "text": f"t{i}"} for i in range(5)]
    (corpus / "part00.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:3]))
    (corpus / "part01.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[3:]))
    questions = [
        {"question": "q0", "expect": ["a"], "answerable": True, "answer_urls": ["u0", "u4"]},
        {"question": "q1", "expect": ["b"], "answerable": True, "answer_urls": ["u3"]},
        {"question": "q2", "expect": [], "answerable": False, "asked_on": "2023-11-02"},
        {"question": "q3", "expect": ["c"], "answerable": True, "answer_urls": ["u1"]},
    ]
    (tmp / "dev" / "questions.jsonl").write_text(
        "\n".join(json.dumps(q) for q in questions) + "\n\n"
    )
    return tmp / "dev"


def test_a_subset_keeps_its_first_articles_and_the_questions_they_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(real, "REAL", tmp_path / "work")
    dev = _dev(tmp_path)
    whole = load_real(dev, None)
    assert whole.corpus == dev / "corpus" and whole.total == 5 and len(whole.cases) == 4
    part = load_real(dev, 2)
    assert part.total == 5 and part.urls == ["u0", "u1"]
    assert part.corpus == tmp_path / "work" / "corpus"
    assert [c.question for c in part.cases] == ["q0", "q2", "q3"]
    # Answer urls outside the subset are dropped; an unanswerable case has none.
    assert part.answers == [frozenset({"u0"}), frozenset(), frozenset({"u1"})]
    assert part.cases[1].as_of == "2023-11-02"
    assert [len(f.read_text().splitlines()) for f in sorted(part.corpus.iterdir())] == [2]


def test_eval_md_accuracy_reads_the_whole_set_row(tmp_path: Path) -> None:
    md = tmp_path / "EVAL.md"
    md.write_text(
        "Written by `make eval-news` at commit 1e33281, 2026-11-26.\n\n"
        "| part | a / u | accuracy |\n|---|---:|---:|\n| whole set | 200 / 50 | 0.55 | 0.43 |\n"
    )
    assert eval_md_accuracy(md) == (0.55, "1e33281")
    assert eval_md_accuracy(tmp_path / "missing.md") is None


def _tier(n: int, rate: float, r5: float, acc: float) -> RealTier:
    t = RealTier(
        n, 0, Path("."), Path("."), [], None, None, False, total=10, stamp="now", questions="3 + 1"
    )  # type: ignore[arg-type]
    t.figures = [
        Figure("index time", 10.0, "s", "canonical", 10.0),
        Figure("articles/s", rate, "art/s", "canonical", 1.0),
        Figure("chunks per article", 3.0, "", "canonical", 2.0),
        Figure("  newsdesk stage: embedding", 9.0, "s", "newsdesk index", 10.0),
        Figure("R@5 (hybrid)", r5, "", "canonical", 0.8),
        Figure("ask() accuracy", acc, "", "bench/EVAL.md at abc", 0.5),
    ]
    return t


def test_the_issue_14_row_is_met_only_when_all_three_hold_and_never_on_a_subset() -> None:
    def row(t: RealTier) -> str:
        return next(r for r in real_rows(t) if r.startswith("| ≥ 2× canonical"))

    assert "**met**" in row(_tier(10, 2.1, 0.8, 0.5))
    assert "**MISSED**" in row(_tier(10, 2.1, 0.79, 0.5))
    assert "**MISSED**" in row(_tier(10, 1.9, 0.9, 0.6))
    assert "**MISSED**" in row(_tier(10, 2.5, 0.9, 0.49))
    assert "not judged" in row(_tier(4, 2.5, 0.9, 0.6))
