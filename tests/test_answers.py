"""Grounded answers on the seed and the team's fixture articles, with the real model and Chroma."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from assistant import Answer, Assistant, QuestionError, ask
from assistant.evaluation import evaluate, load_cases
from assistant.ranking import load_model
from assistant.service import final_answer
from assistant.settings import NewsdeskSettings
from index import Indexer, IndexMissingError

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
NEWSDESK = Path(sys.executable).parent / "newsdesk"
KURSK = "Who visited Kursk and when?"
CASES = load_cases(DATA / "questions.jsonl")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed and the fixture articles, copied so tests may add files."""
    root = tmp_path_factory.mktemp("corpus")
    shutil.copytree(ROOT / "seeds", root / "seeds")
    shutil.copytree(DATA / "fixtures", root / "fixtures")
    return root


@pytest.fixture(scope="module")
def settings(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> NewsdeskSettings:
    """An index of the corpus, built once for the module."""
    s = NewsdeskSettings(index_dir=tmp_path_factory.mktemp("index"))
    report = Indexer(s).run([corpus], progress=False)
    assert report.added == 7 and not report.problems
    return s


@pytest.fixture(scope="module")
def assistant(settings: NewsdeskSettings) -> Assistant:
    """A warm assistant over the module's index."""
    a = Assistant(settings)
    a.warm()
    return a


def _assert_exact_citations(assistant: Assistant, answer: Answer) -> None:
    for c in answer.citations:
        article = assistant.reader.article(c.article_id)
        assert article.text[c.start : c.end] == c.quote
        assert c.title == article.title
        assert c.quote in c.context
        assert c.context[c.start - c.context_start : c.end - c.context_start] == c.quote
        assert f"[{c.n}]" in answer.text


def test_kursk_answer_names_putin_and_resolves_the_date(assistant: Assistant) -> None:
    answer = assistant.ask(KURSK)
    assert answer.answered
    first_line = answer.text.splitlines()[0]
    assert "Vladimir Putin" in first_line
    assert "March 12, 2025" in first_line
    assert "[1]" in first_line
    quote = answer.citations[0].quote
    assert "visited Kursk on Wednesday" in quote
    assert answer.citations[0].published == "2025-03-13"
    assert answer.citations[0].date_inferred
    assert "on Wednesday" in answer.text  # the original words are kept in the quote
    _assert_exact_citations(assistant, answer)
    assert set(answer.timings_ms) >= {"retrieval", "answer", "total"}


# Unanswerable questions on the very story the articles tell ("destroyed" where they say
# "lost power"). The learned decline threshold declines about 20% of such near misses on
# news-dev (bench/learn_ranker.py) at <= 0.10 false declines on real questions; these two it
# answers with the related sentence. strict: a change that declines them shows up here.
# ("Who is the president of France?" was a third until the threshold stood higher in small
# archives: this index holds 7 articles.)
NEAR_MISSES = {
    "How many homes were destroyed by the storm?",
    "Who did Bayport hire as harbor master?",
}


def _case_param(i: int, case):
    marks = []
    if not case.answerable and case.question in NEAR_MISSES and not case.sources:
        marks = [pytest.mark.xfail(strict=True, reason="near-miss decline (see NEAR_MISSES)")]
    return pytest.param(case, id=f"{i}-{case.question[:40]}", marks=marks)


@pytest.mark.parametrize("case", [_case_param(i, c) for i, c in enumerate(CASES)])
def test_question_set(assistant: Assistant, case) -> None:
    answer = assistant.ask(
        case.question,
        history=case.history,
        since=case.since,
        until=case.until,
        sources=case.sources,
    )
    if case.answerable:
        assert answer.answered, answer.text
        for expected in case.expect:
            alternatives = expected.split("|")
            # The answer with its quotes holds it (the first line alone: direct_share below).
            assert any(a in answer.text for a in alternatives), answer.text
        assert answer.citations
    else:
        assert not answer.answered, answer.text
        assert not answer.citations
        assert "don't say" in answer.text
    _assert_exact_citations(assistant, answer)


def test_most_team_answers_lead_with_the_answer(assistant: Assistant) -> None:
    """The direct answer (entity, date, number, or the sentence holding it) is on line one."""
    cases = [c for c in CASES if c.answerable]
    direct = 0
    for case in cases:
        answer = assistant.ask(case.question, history=case.history, until=case.until)
        first = answer.text.splitlines()[0]
        direct += all(any(a in first for a in e.split("|")) for e in case.expect)
    # 21 of 24 at this commit: the lede sentence wins over the one with the asked action
    # for "When did the council approve ..." and "Who voted against ..." and the turnout.
    assert direct / len(cases) >= 0.85


def test_how_long_is_answered_with_a_length_of_time(assistant: Assistant) -> None:
    """A span answers "how long", without the day its sentence was said on."""
    first = assistant.ask("How long have Ukrainian forces held territory in Kursk?").text
    first = first.splitlines()[0]
    assert first.startswith("**more than seven months**"), first
    assert "Thursday" not in first, first
    # The day the war's offensive began is no bold answer to how long the war has lasted.
    first = assistant.ask("How long has the war lasted?").text.splitlines()[0]
    assert not first.startswith("**Tuesday, August 6, 2024**"), first


# "kusrk", a name, is not respelled (test_only_typos_are_respelled): the dense search finds the
# article for it, and the answer must not suffer from the typo either.
@pytest.mark.parametrize(
    "question", ["who visted kursk and when?", "Who vistied Kursk and when?", "who visited kusrk?"]
)
def test_typos_are_read_as_the_indexed_words(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert answer.answered, answer.text
    assert "Vladimir Putin" in answer.text.splitlines()[0]
    assert "visited Kursk on Wednesday" in answer.citations[0].quote


def test_an_answer_does_not_depend_on_earlier_questions(
    assistant: Assistant, settings: NewsdeskSettings
) -> None:
    """Sentences tagged for one question are kept, but only its own count for its answer:
    the truce question tags "the three-year war", which once became the bold answer to how
    long the war has lasted, but only if the truce had been asked about first."""
    for question in ["How long is the proposed truce?", *(c.question for c in CASES[:10])]:
        assistant.ask(question)
    for question in ["How long has the war lasted?", KURSK]:
        first_asked = Assistant(settings).ask(question).text
        assert assistant.ask(question).text == first_asked, question


def test_only_typos_are_respelled(assistant: Assistant) -> None:
    from assistant.spelling import respell

    reader = assistant.reader.snapshot()
    assert respell("who vistied kursk and when?", reader) == {"visti": "visit"}
    assert respell("how many civilans were rescued?", reader) == {"civilan": "civilian"}
    # An English word the articles lack is no typo of one they have ("wept" is one edit from
    # "went"), nor is a name, capitalised ("Putim") or not ("kusrk"): a name missing from the
    # articles means they do not answer, so it must stay missing.
    assert respell("Who wept in Putim's office?", reader) == {}
    assert respell("who visited kusrk?", reader) == {}
    assert not assistant.ask("When did Putin visit Parris?").answered


def test_declined_answer_offers_related_passages_not_an_answer(assistant: Assistant) -> None:
    answer = assistant.ask("When did Putin visit Paris?")
    assert not answer.answered
    assert answer.related, "the closest passages are offered"
    assert any("Putin" in r.quote for r in answer.related)
    for r in answer.related:
        article = assistant.reader.article(r.article_id)
        assert article.text[r.start : r.end] == r.quote


def test_a_possessive_name_typed_with_a_plain_apostrophe_is_found(assistant: Assistant) -> None:
    # The seed writes "Ukraine’s top army commander"; users type "Ukraine's".
    answer = assistant.ask("Who is Ukraine's top army commander?")
    assert answer.answered
    assert "Oleksandr Syrskyi" in answer.text


def test_a_quote_opening_with_a_pronoun_carries_the_sentence_before(
    assistant: Assistant,
) -> None:
    # The seed: "... Steve Witkoff, will head to Moscow ..." then, in its own paragraph, "They
    # are to present their plan for a 30-day truce". Quoted alone, "they" names no one.
    answer = assistant.ask("Who will present the 30-day truce plan?")
    lead = answer.text.splitlines()[0]
    assert "Steve Witkoff" in lead and "They are to present their plan" in lead
    quote = next(c for c in answer.citations if "They are to present" in c.quote)
    assert "\n\n" in quote.quote, "the two sentences stand in two paragraphs"
    _assert_exact_citations(assistant, answer)
    # "That idea" points back too: to Putin's security zone.
    answer = assistant.ask("What could complicate a ceasefire deal?")
    assert "security zone" in answer.text.splitlines()[0]


def test_follow_up_uses_the_conversation(assistant: Assistant) -> None:
    first = assistant.ask("Who visited Kursk?")
    history = [
        {"role": "user", "content": "Who visited Kursk?"},
        {"role": "assistant", "content": first.text},
    ]
    follow = assistant.ask("What did he order?", history=history)
    assert follow.answered
    assert "Putin" in follow.text.splitlines()[0]
    assert "ordered his commanders" in follow.text
    assert "Vladimir Putin" in follow.standalone_question
    # Without the conversation, "he" is left as it is.
    assert assistant.ask("What did he order?").standalone_question == "What did he order?"


def test_recency_prefers_the_newest_article(assistant: Assistant) -> None:
    answer = assistant.ask("Who is the latest head coach named by Riverside Rovers?")
    assert "Marta Lind" in answer.text.splitlines()[0]
    last_week = assistant.ask(
        "Who did Riverside Rovers name as head coach last week?", as_of="2025-06-15"
    )
    assert "Marta Lind" in last_week.text.splitlines()[0]
    assert last_week.citations[0].published >= "2025-06-08"
    assert "the latest I have" not in last_week.text


def test_this_week_never_reaches_past_the_users_own_dates(assistant: Assistant) -> None:
    answer = assistant.ask(
        "Who did Riverside Rovers name as head coach this week?",
        until="2025-03-31",
        as_of="2025-06-15",
    )
    assert answer.answered and "Peter Hahn" in answer.text
    assert all(c.published <= "2025-03-31" for c in answer.citations), answer.citations


def test_this_week_on_an_older_archive_is_answered_with_its_date(assistant: Assistant) -> None:
    """Asked today, "this week" finds nothing that recent: answer from the archive, say when."""
    answer = assistant.ask("Who visited Kursk this week?", as_of="2026-11-26")
    assert answer.answered and "Vladimir Putin" in answer.text
    assert "Nothing from 2026-11-19 to 2026-11-26 answers this" in answer.text
    assert "the latest I have is from 2025-03-13" in answer.text
    # As of the article's own week, the same words need no such note.
    fresh = assistant.ask("Who visited Kursk this week?", as_of="2025-03-14")
    assert "Vladimir Putin" in fresh.text and "the latest I have" not in fresh.text


def test_a_sentence_sharing_no_word_with_the_question_is_no_answer(
    assistant: Assistant,
) -> None:
    """Since June only the council report passes, and asked the day after it every sentence
    of it is fresh news: the ranker's other signals lift its first sentence over the
    threshold, but nothing in it is about a cup final."""
    question = "Who scored twice in the cup final?"
    answer = assistant.ask(question, since="2025-06-01", as_of="2025-06-13")
    assert not answer.answered, answer.text
    assert assistant.ask(question, as_of="2025-06-13").answered


@pytest.fixture(scope="module")
def seed_only(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """An archive of the seed article alone, as `make run` indexes it."""
    s = NewsdeskSettings(index_dir=tmp_path_factory.mktemp("seed-only"))
    Indexer(s).run([ROOT / "seeds"], progress=False)
    return Assistant(s)


def test_a_one_article_archive_declines_what_a_large_one_would_answer(
    seed_only: Assistant,
) -> None:
    """In a one-article archive the first chunk is the best match whatever is asked, so an
    unrelated question's best sentence scores like an answer in a large archive: the decline
    threshold stands higher there (bench/learn_small_archives.py)."""
    question = "How many drones did Russia launch?"  # the seed counts none
    as_of = "2026-06-01"
    model = load_model()
    ctx = seed_only.context(question, as_of=as_of)
    assert ctx.archive == seed_only.reader.article_count() == 1
    best = max(ev.score for ev in ctx.ranked if ev.coverage > 0)
    # If a refit moves this question out of the band, pick another of the seed's misses.
    assert model.decline_below <= best < model.decline_threshold(1)
    answer = seed_only.ask(question, as_of=as_of)
    assert not answer.answered and "don't say" in answer.text, answer.text
    # The large archive's threshold would have answered it (with a date, for "how many").
    assert final_answer(seed_only.answerer.stream(replace(ctx, archive=model.full_at))).answered
    # What the seed does say is still answered there.
    assert "Vladimir Putin" in seed_only.ask(KURSK, as_of=as_of).text.splitlines()[0]


def test_the_archive_a_question_draws_on_is_what_its_filters_pass(
    assistant: Assistant,
) -> None:
    """The decline threshold reads the size of the archive searched, not of the index."""
    assert assistant.context(KURSK).archive == 7
    question = "Who scored twice in the cup final?"
    # The election, harbor, storm and new-coach articles are from June.
    assert assistant.context(question, since="2025-06-01").archive == 4
    assert assistant.context(question, since="2025-06-13").archive == 1
    assert assistant.context(question, sources=["Sports Daily"]).archive == 3
    # "in 2025" narrows to that year and admits the articles naming it.
    named = assistant.context("Who was named head coach in 2025?")
    assert named.filters.since is not None
    assert 1 <= named.archive <= 7


def test_a_month_and_year_in_the_question_narrow_the_search(assistant: Assistant) -> None:
    march = assistant.ask("Who did Riverside Rovers name as head coach in March 2025?")
    assert "Peter Hahn" in march.text.splitlines()[0]
    june = assistant.ask("Who did Riverside Rovers name as head coach in June 2025?")
    assert "Marta Lind" in june.text.splitlines()[0]
    never = assistant.ask("Who did Riverside Rovers name as head coach in 2019?")
    assert not never.answered and "from 2019-01-01 up to 2019-12-31" in never.text


def test_filters_by_source_and_date(assistant: Assistant) -> None:
    answer = assistant.ask("Who scored twice in the cup final?", sources=["Sports Daily"])
    assert answer.answered and answer.citations[0].source == "Sports Daily"
    other = assistant.ask("Who scored twice in the cup final?", sources="Bayport Gazette")
    assert not other.answered and "Bayport Gazette" in other.text
    early = assistant.ask("Who was elected president of Valmora?", until="2025-05-31")
    assert not early.answered
    with pytest.raises(QuestionError, match="YYYY-MM-DD"):
        assistant.ask("Who?", since="last tuesday")
    with pytest.raises(QuestionError, match="2025-06-02 is after 2025-06-01"):
        assistant.ask("Who?", since="2025-06-02", until="2025-06-01")


@pytest.mark.parametrize("bad", ["", "   \n\t ", None])
def test_empty_questions_get_a_clear_error(assistant: Assistant, bad) -> None:
    with pytest.raises(QuestionError, match="empty"):
        assistant.ask(bad)


def test_over_long_questions_get_a_clear_error(assistant: Assistant) -> None:
    with pytest.raises(QuestionError, match="2,001 characters"):
        assistant.ask("x" * 2001)
    assert assistant.ask("Who visited Kursk? " + "a" * 1900).question


def test_missing_index_tells_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="newsdesk index"):
        Assistant(NewsdeskSettings(index_dir=tmp_path / "none")).ask(KURSK)


def test_incremental_update_reaches_both_retrievers(
    assistant: Assistant, settings: NewsdeskSettings, corpus: Path
) -> None:
    question = "Who opened the Lakeside observatory?"
    assert not assistant.ask(question).answered
    (corpus / "fixtures" / "observatory.txt").write_text(
        "Lakeside observatory opens to the public\n\n"
        "Astronomer Priya Natarajan opened the Lakeside observatory on Saturday.\n\n"
        "The telescope cost $2 million and was paid for by local donors.\n",
        encoding="utf-8",
    )
    report = Indexer(settings).run([corpus], progress=False)
    assert report.added == 1 and report.unchanged == 7
    answer = assistant.ask(question)  # the same warm assistant sees the change
    assert answer.answered and "Priya Natarajan" in answer.text.splitlines()[0]
    bm25_ids = {n["node_id"] for n in assistant.reader.bm25.corpus}
    assert bm25_ids == set(assistant.reader.chunks)


def test_module_level_ask_is_kept_warm(settings: NewsdeskSettings) -> None:
    first = ask(KURSK, index_dir=settings.index_dir)
    second = ask(KURSK, index_dir=settings.index_dir)
    assert first.answered and second.answered
    from assistant.service import default_assistant

    assert default_assistant(settings.index_dir) is default_assistant(settings.index_dir)


def test_evaluation_scores_the_team_set(assistant: Assistant) -> None:
    report = evaluate(assistant, CASES)
    wrong = {r.question for r in report.results if not r.correct}
    assert wrong == NEAR_MISSES, wrong
    assert report.answerable_accuracy == 1.0
    assert report.false_decline_rate == 0.0
    assert report.citation_precision == 1.0
    assert report.direct_accuracy >= 0.85
    assert report.latency_ms(50) > 0


def test_cli_ask_json_and_plain(settings: NewsdeskSettings) -> None:
    env_args = ["--index-dir", str(settings.index_dir)]
    out = subprocess.run(
        [str(NEWSDESK), "ask", KURSK, "--json", *env_args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    data = json.loads(out.stdout)
    assert list(data) == ["question", "answer", "answered", "citations", "related", "timings_ms"]
    assert data["answered"] and "Vladimir Putin" in data["answer"]
    assert "March 12, 2025" in data["answer"]
    plain = subprocess.run(
        [str(NEWSDESK), "ask", "  ", *env_args], capture_output=True, text=True, timeout=120
    )
    assert plain.returncode == 2 and "empty" in plain.stderr and "Traceback" not in plain.stderr


def test_cold_ask_loads_only_what_answering_needs(settings: NewsdeskSettings) -> None:
    """`newsdesk ask` must start in under 4 s: no torch, and no llama-index (~1 s to import)."""
    code = (
        "import sys; from assistant.cli import main;"
        f"sys.argv = ['newsdesk', 'ask', {KURSK!r}, '--index-dir', {str(settings.index_dir)!r}];"
        "rc = main();"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'llama_index.core')"
        " if m in sys.modules), file=sys.stderr)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert "Vladimir Putin" in out.stdout, out.stdout + out.stderr
    assert out.stderr.strip().splitlines()[-1] == "[]", out.stderr


def test_cli_eval_prints_the_scores(settings: NewsdeskSettings) -> None:
    out = subprocess.run(
        [
            str(NEWSDESK),
            "eval",
            str(DATA / "questions.jsonl"),
            "--index-dir",
            str(settings.index_dir),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "accuracy 94%" in out.stdout  # 32 of 34: the two near misses are answered
    assert "false declines 0%" in out.stdout
    assert "citation precision 100%" in out.stdout
    assert "FAIL How many homes were destroyed by the storm?" in out.stdout
