"""The feedback file in the index dir, and its export as a question set `newsdesk eval` reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from assistant.evaluation import load_cases
from assistant.feedback import feedback_cases, short_answer
from index import read_feedback, record_feedback

NEWSDESK = Path(sys.executable).parent / "newsdesk"
QUOTE = "President Vladimir Putin, donning combat fatigues, visited Kursk on Wednesday."
ANSWER = f"**Vladimir Putin**, on **Wednesday, March 12, 2025** [1].\n\n> {QUOTE} [1]"


def rec(answer_id: str, **update: Any) -> dict[str, Any]:
    """A record as the chat writes it: a verdict on one answer."""
    base = {
        "kind": "verdict",
        "time": "2025-03-14T10:00:00+00:00",
        "answer_id": answer_id,
        "question": "Who visited Kursk and when?",
        "history": [],
        "as_of": "2025-03-14",
        "since": None,
        "until": None,
        "sources": [],
        "ignore_time_words": False,
        "answer": ANSWER,
        "answered": True,
        "citations": [{"n": 1, "article_id": "a1", "quote": QUOTE, "start": 5, "end": 80}],
        "verdict": "up",
        "chosen": None,
    }
    return {**base, **update}


def chosen(quote: str) -> dict[str, Any]:
    """A chosen sentence as the chat records it."""
    return {"from": "related", "article_id": "a1", "title": "T", "quote": quote, "start": 0}


def test_records_append_as_json_lines_and_bad_lines_are_counted(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    assert read_feedback(index_dir).records == []
    path = record_feedback(index_dir, rec("a", verdict="down"))
    record_feedback(index_dir, rec("b", question="Wer? «ü»"))
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"kind": "verdict", "question": "cut sho\n[1, 2]\n')
    log = read_feedback(index_dir)
    assert [r["answer_id"] for r in log.records] == ["a", "b"]
    assert log.records[1]["question"] == "Wer? «ü»" and log.unreadable == 2
    assert path.parent == index_dir and path.suffix == ".jsonl"


def test_short_answer_is_the_bold_lead_else_the_first_quote() -> None:
    assert short_answer(ANSWER, [QUOTE]) == ["Vladimir Putin", "Wednesday, March 12, 2025"]
    brief = "What the articles report (1 article):\n\n- **Wednesday** Putin visited Kursk [1]."
    assert short_answer(brief, ["Putin visited | Kursk today."]) == ["Putin visited"]
    assert short_answer("No bold here.", []) == []


def test_each_kind_of_feedback_becomes_a_case_or_a_counted_skip() -> None:
    records = [
        rec("up"),
        # A 👎, then the sentence that does answer it: a case expecting that sentence.
        rec("down1", question="What did he order?", verdict="down"),
        rec(
            "down1",
            question="What did he order?",
            kind="sentence",
            verdict=None,
            chosen=chosen("He ordered his commanders to finish the job."),
        ),
        rec(
            "decline",
            question="What is the population of Kursk?",
            answered=False,
            answer="The indexed articles don't say.",
            citations=[],
        ),
        rec("down2", question="Who is the Kremlin spokesman?", verdict="down"),
        rec("undone", question="Where is Sudzha?", verdict=None),
        rec("chip", question="Who visited Kursk in March 2024?", ignore_time_words=True),
    ]
    export = feedback_cases(records)
    by_q = {c["question"]: c for c in export.cases}
    assert by_q["Who visited Kursk and when?"] == {
        "question": "Who visited Kursk and when?",
        "as_of": "2025-03-14",
        "expect": ["Vladimir Putin", "Wednesday, March 12, 2025"],
        "answerable": True,
        "from_feedback": "up",
    }
    assert by_q["What did he order?"]["expect"] == ["He ordered his commanders to finish the job."]
    assert by_q["What is the population of Kursk?"]["answerable"] is False
    assert len(export.cases) == 3
    assert export.skipped == {"down": 1, "no_verdict": 1, "time_words": 1}
    summary = export.summary(unreadable=2)
    assert (
        summary.startswith("cases: 3 (1 from a chosen sentence, 1 from 👍 answers")
        and "skipped 1 👎 without a chosen sentence" in summary
    )
    assert "2 lines" in summary


def test_the_latest_feedback_on_a_question_stands() -> None:
    later = rec("second", verdict="down", time="2025-03-15T09:00:00+00:00")
    assert feedback_cases([rec("first"), later]).cases == []
    # Feedback on the same question asked as of another day is another case.
    other_day = rec("third", as_of="2025-03-20")
    assert len(feedback_cases([rec("first"), other_day]).cases) == 2


def test_export_command_writes_what_eval_loads(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    out = tmp_path / "cases.jsonl"
    empty = subprocess.run(
        [str(NEWSDESK), "feedback", "export", "--index-dir", str(index_dir)],
        capture_output=True,
        text=True,
    )
    assert empty.returncode == 1 and "no feedback" in empty.stderr
    for r in [rec("up", history=[{"role": "user", "content": "Hi"}]), rec("d", verdict="down")]:
        record_feedback(index_dir, r)
    done = subprocess.run(
        [str(NEWSDESK), "feedback", "export", "--index-dir", str(index_dir), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "cases: 1" in done.stderr and "skipped 1" in done.stderr
    (case,) = load_cases(out)
    assert case.question == "Who visited Kursk and when?" and case.as_of == "2025-03-14"
    assert case.expect == ["Vladimir Putin", "Wednesday, March 12, 2025"] and case.answerable
    assert case.history == [{"role": "user", "content": "Hi"}]
    assert json.loads(out.read_text())["from_feedback"] == "up"
