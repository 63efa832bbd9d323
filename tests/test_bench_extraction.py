"""bench/eval_extraction.py scores voting on answer passages (real spaCy tagger)."""

from __future__ import annotations

from bench.eval_extraction import score


def test_extraction_counts_right_and_wrong_top_picks() -> None:
    rows = [
        {
            "question": "Which country did the spy balloon belong to?",
            "answer": "China",
            "evidence": "A jet shot down the suspected Chinese spy balloon off South Carolina.",
        },
        {
            "question": "Who won the award for best actress?",
            "answer": "Cate Blanchett",
            "evidence": "Michelle Yeoh won the award for best actress on Sunday in Los Angeles.",
        },
        # Asks for no named entity: answered with a sentence, not scored here.
        {
            "question": "What did the minister say about the budget?",
            "answer": "cuts",
            "evidence": "The minister said the budget would bring cuts.",
        },
    ]
    counts = score(rows)
    assert counts["all|n"] == 2
    assert counts["all|top"] == 1  # China right, Michelle Yeoh not the expected answer
    assert counts["GPE|top"] == 1 and counts["PERSON|top"] == 0
    # Without place kinds, the state outvotes the demonym.
    assert score(rows, places=False)["GPE|top"] == 0
