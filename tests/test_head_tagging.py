"""An indexing run's heads are tagged in a child process while the run goes on: the same
entities as tagging them here, and tagged here whenever the child cannot."""

from __future__ import annotations

import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

from conftest import ROOT, index, open_live_db, stuck_tag_worker

from index import head_tagging
from index.articles import Article, RawArticle
from index.entities import shared_tagger
from index.head_tagging import START_AT, HeadTagging
from index.prepare import prepare

PARAGRAPHS = [
    p
    for p in (ROOT / "seeds" / "000_f6cdbc7b12bc632a.txt").read_text().split("\n\n")
    if len(p.split()) > 12
]


def article_text(i: int) -> str:
    """A short article of real news sentences, a different one for each i."""
    first, second = PARAGRAPHS[i % len(PARAGRAPHS)], PARAGRAPHS[(i * 7 + 3) % len(PARAGRAPHS)]
    return f"Report {i} from Moscow\n\nThis is report number {i}. {first}\n\n{second}\n"


def articles(n: int) -> list[tuple[Article, int]]:
    """n prepared articles, each with the end of the part of it to tag."""
    out = []
    for i in range(n):
        art = prepare(RawArticle(text=article_text(i), path=f"report{i}.txt"))
        out.append((art, len(art.text) * 2 // 3))
    return out


def tagged_here(items: list[tuple[Article, int]]) -> dict[str, list]:
    """What tagging the same heads in this process gives."""
    found = shared_tagger().tag([a.text[:end] for a, end in items])
    return {a.article_id: ents for (a, _), ents in zip(items, found, strict=True)}


def test_a_bulk_run_tags_in_a_child_what_this_process_would() -> None:
    items = articles(START_AT + 10)
    tagging = HeadTagging()
    tagging.add(items[:30])
    assert tagging._child is None  # too few yet to be worth a child
    tagging.add(items[30:])
    assert tagging._child is not None
    found, _waited = tagging.result()
    assert found == tagged_here(items)
    assert any(e.label == "PERSON" for ents in found.values() for e in ents)


def test_what_a_dead_child_did_not_tag_is_tagged_here() -> None:
    items = articles(START_AT * 2)
    tagging = HeadTagging()
    tagging.add(items)
    assert tagging._child is not None
    tagging._child.kill()  # as a crash would, before it has tagged all
    found, _waited = tagging.result()
    assert found == tagged_here(items)


def test_what_a_stuck_child_did_not_tag_is_tagged_here(monkeypatch) -> None:
    # A child that starts, says it is ready, then never reads nor answers (a hung library):
    # the run tags here once it has waited STALL_SECONDS for an answer, not for ever.
    monkeypatch.setattr(head_tagging, "start_tag_worker", stuck_tag_worker)
    monkeypatch.setattr(head_tagging, "STALL_SECONDS", 1.0)
    items = articles(START_AT * 2)
    tagging = HeadTagging()
    tagging.add(items)
    child = tagging._child
    assert child is not None
    done: list[dict[str, list]] = []
    waiting = threading.Thread(target=lambda: done.append(tagging.result()[0]), daemon=True)
    waiting.start()
    waiting.join(timeout=120)
    assert done, "result() still waits on a child that answers nothing"
    assert done[0] == tagged_here(items)
    assert child.poll() is not None  # the stuck child is ended, not left running


def test_a_small_run_tags_here() -> None:
    tagging = HeadTagging()
    items = articles(START_AT - 1)
    tagging.add(items)
    assert tagging._child is None
    assert tagging.result()[0] == tagged_here(items)


def test_an_indexing_run_stores_the_childs_entities(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for i in range(START_AT + 6):
        (folder / f"report{i}.txt").write_text(article_text(i))
    report = index(tmp_path / "idx", [folder])
    assert report.added == START_AT + 6
    with closing(open_live_db(tmp_path / "idx")) as db:
        stored = {a.article_id: (a, db.entities(a.article_id)) for a in db.all_articles()}
        ends = db.head_ends(list(stored))
    assert all(ents is not None for _, ents in stored.values())
    expected = tagged_here([(a, ends[aid]) for aid, (a, _) in stored.items()])
    assert {aid: ents for aid, (_, ents) in stored.items()} == expected


def test_a_script_that_indexes_at_its_top_level_runs_once(tmp_path: Path) -> None:
    # multiprocessing's spawn would import the script again in the child: a second run of a
    # user's unguarded script (its prints, its files, another indexing run).
    folder = tmp_path / "articles"
    folder.mkdir()
    for i in range(START_AT + 6):
        (folder / f"report{i}.txt").write_text(article_text(i))
    script = tmp_path / "index_my_news.py"
    script.write_text(
        "from pathlib import Path\n"
        "from assistant.settings import NewsdeskSettings\n"
        "from index import Indexer\n"
        "print('script ran', flush=True)\n"
        f"settings = NewsdeskSettings(index_dir=Path({str(tmp_path / 'idx')!r}))\n"
        f"report = Indexer(settings).run([Path({str(folder)!r})], progress=False)\n"
        "print('added', report.added)\n"
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["script ran", f"added {START_AT + 6}"], out.stdout
    with closing(open_live_db(tmp_path / "idx")) as db:
        assert all(db.entities(a.article_id) for a in db.all_articles())
