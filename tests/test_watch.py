"""`newsdesk watch` keeps the index current, and a running Assistant sees each change on its
next question, with no restart (issue 13, item 5).

The real command runs as a subprocess on a folder and a feed served by a real loopback site
(tests/web_site.py); an Assistant made before it started asks after each step: a file added,
changed and deleted, a feed entry added. A second writer holding the index makes it wait and
try again; Ctrl-C stops it without a traceback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import NEWSDESK, ROOT, run_cli, settings_for
from web_site import OBSERVATORY, Entry, Site, paragraphs, rss

from assistant import Answer, Assistant
from index.layout import index_lock

BRIDGE_V1 = (
    "Harbour bridge reopens after eight months of repairs\n\n"
    "The harbour bridge reopened to traffic on Monday after eight months of repairs, city "
    "engineer Maren Holt said.\n\nHolt said the new deck would carry trams from the spring.\n"
)
BRIDGE_V2 = (
    "Harbour bridge closes again over a cracked bearing\n\n"
    "The harbour bridge closed again on Thursday after inspectors found a cracked bearing, city "
    "engineer Maren Holt said.\n\nHolt said repairs to the bearing would take about a week.\n"
)
FERRY = paragraphs(
    "The island ferry Marisol ran aground at Kettle Point on Saturday morning in thick fog, "
    "and all 112 passengers were taken off by lifeboat without injury.",
    "The coastguard said the ferry struck a sandbank at low tide about two hundred metres "
    "from the old pier, and would be towed off at the next high water.",
    "The operator cancelled the afternoon crossings and said a replacement vessel would run "
    "the route from Monday while divers inspect the hull.",
    "Islanders said it was the first grounding on the route since the lighthouse at Kettle "
    "Point was automated twenty years ago.",
)
WAIT_S = 60  # for each change to be answered; a run here takes a few seconds


@pytest.fixture()
def site() -> Iterator[Site]:
    """The loopback site (robots.txt lets every agent in)."""
    s = Site()
    s.serve("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    yield s
    s.close()


def entry(site: Site, guid: str, title: str, day: str, text: str) -> Entry:
    """A feed entry with its whole text (over 500 characters, so its page is not fetched)."""
    return Entry(guid, title, f"{site.url}/news/{guid}.html", day, title, text)


def eventually(check: Callable[[], bool], what: str, log: Path) -> None:
    """Wait until check() holds, up to WAIT_S; fail with the watcher's log."""
    deadline = time.monotonic() + WAIT_S
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {WAIT_S} s: {what}\n--- watch log ---\n{log.read_text()}")
        time.sleep(0.5)


def cites(answer: Answer, title_start: str) -> bool:
    """Whether the answer cites an article whose title starts so."""
    return any(c.title.startswith(title_start) for c in answer.citations)


def titles(assistant: Assistant) -> list[str]:
    """The titles of every article the index holds."""
    try:
        return [a["title"] for a in assistant.status()["articles_list"]]
    except Exception:  # no index yet
        return []


def test_watch_sees_a_file_added_changed_and_deleted_and_a_feed_entry_added(
    site: Site, tmp_path: Path
) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    settings = settings_for(tmp_path / "index")
    observatory = entry(
        site,
        "ob-1",
        "Observatory installs new mirror",
        "Wed, 12 Mar 2025 09:00:00 GMT",
        OBSERVATORY,
    )
    feed = site.serve(
        "/feed.xml", rss("The Harbour Courier", [observatory]), content_type="application/rss+xml"
    )
    # Made before the watcher starts and kept: it must see every change without a restart.
    assistant = Assistant(settings)
    log = tmp_path / "watch.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                str(NEWSDESK),
                "watch",
                str(folder),
                feed,
                "--interval",
                "1",
                "--index-dir",
                str(settings.index_dir),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=os.environ.copy(),
            # Ctrl-C reaches it even where the test runs with SIGINT ignored (a background job).
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    try:
        eventually(
            lambda: "Observatory installs new mirror" in titles(assistant), "the feed indexed", log
        )
        answer = assistant.ask("What did the Brenner Ridge observatory install?")
        assert cites(answer, "Observatory installs"), answer.text

        # A file added while another writer holds the index: the watcher waits, then indexes.
        bridge = folder / "bridge.txt"
        with index_lock(settings.index_dir):
            bridge.write_text(BRIDGE_V1, encoding="utf-8")
            eventually(lambda: "trying again" in log.read_text(), "the busy index reported", log)
        eventually(
            lambda: cites(
                assistant.ask("Who said the harbour bridge reopened?"), "Harbour bridge reopens"
            ),
            "the added file answered",
            log,
        )

        # Changed: the new text answers, the old article is gone.
        bridge.write_text(BRIDGE_V2, encoding="utf-8")
        eventually(
            lambda: cites(
                assistant.ask("What did inspectors find on the harbour bridge?"),
                "Harbour bridge closes",
            ),
            "the changed file answered",
            log,
        )
        assert not any(t.startswith("Harbour bridge reopens") for t in titles(assistant))

        # Deleted: its article leaves the index.
        bridge.unlink()
        eventually(
            lambda: not any(t.startswith("Harbour bridge") for t in titles(assistant)),
            "the deleted file's article removed",
            log,
        )
        assert not cites(
            assistant.ask("What did inspectors find on the harbour bridge?"), "Harbour bridge"
        )

        # A new feed entry, fetched on the next poll.
        ferry = entry(
            site,
            "fe-2",
            "Ferry Marisol runs aground in fog",
            "Sat, 15 Mar 2025 08:00:00 GMT",
            FERRY,
        )
        site.serve(
            "/feed.xml",
            rss("The Harbour Courier", [ferry, observatory]),
            content_type="application/rss+xml",
        )
        eventually(
            lambda: cites(
                assistant.ask("Where did the ferry Marisol run aground?"), "Ferry Marisol"
            ),
            "the new feed entry answered",
            log,
        )
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    text = log.read_text()
    assert code in (0, 130), text
    assert "Traceback" not in text, text
    runs = [line for line in text.splitlines() if " articles: " in line]
    assert len(runs) >= 4 and "stopped watching" in text, text


def test_watch_refuses_a_path_that_does_not_exist(tmp_path: Path) -> None:
    result = run_cli("watch", str(tmp_path / "nowhere"), "--index-dir", str(tmp_path / "index"))
    assert result.returncode == 2 and "no such file or folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_only_changes_that_can_alter_the_index_start_a_run(tmp_path: Path) -> None:
    from watchfiles import Change

    from index.watch import Watcher

    folder = tmp_path / "news"
    (folder / "sub").mkdir(parents=True)
    single = tmp_path / "extra.md"
    single.write_text("Extra\n\nText.\n")
    # The index inside the watched folder: its own writes must not start runs without end.
    settings = settings_for(folder / "data" / "index")
    watcher = Watcher(settings, [str(folder), str(single), "http://127.0.0.1:9/feed"], 1.0)
    assert watcher.urls == ["http://127.0.0.1:9/feed"]
    news, extra = folder.resolve(), single.resolve()

    def relevant(change: Change, path: Path) -> bool:
        return watcher.relevant(change, str(path))

    assert relevant(Change.added, news / "sub" / "story.txt")
    assert relevant(Change.modified, news / "dump.jsonl.gz")
    assert relevant(Change.deleted, news / "gone.txt")
    assert relevant(Change.deleted, news / "old-folder")  # a folder, perhaps: checked
    assert not relevant(Change.added, news / "data" / "index" / "chroma" / "x.bin")
    assert not relevant(Change.added, news / ".story.txt.swp")
    assert not relevant(Change.modified, news / ".git" / "story.txt")
    assert not relevant(Change.added, news / "notes.tmp")  # no loader reads it
    assert relevant(Change.modified, extra)

    changes = {(Change.added, str(news / "sub" / "a.txt")), (Change.modified, str(extra))}
    assert watcher.affected(changes) == {folder, single}
    # The watched file's neighbours are seen (its folder is watched) but index nothing.
    assert watcher.affected({(Change.added, str(tmp_path.resolve() / "other.md"))}) == set()
