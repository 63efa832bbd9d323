"""The chat's uploads lose nothing and keep nothing they should not (issue 13, item 8).

ChatApp.add_files and remove_uploads on real files, with the real model and Chroma: two
different story.txt both stay, a dot-name upload is indexed, an oversize file is refused before
it is written, a removed upload leaves the index and the disk, and a skip is reported once.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import BRIDGE, ORCHARD, settings_for

from assistant import Answer
from ui.app import ChatApp
from ui.render import words
from ui.uploads import MAX_DUMP_BYTES, max_upload_bytes

LIGHTHOUSE = (
    "Lighthouse keeper retires after forty years\n\n"
    "Keeper Ilse Brandt switched off the Skarv lighthouse lamp for the last time on Friday, "
    "after forty years of service.\n\nThe light is now run from the mainland.\n"
)


def write(folder: Path, name: str, text: str) -> Path:
    """A file as the browser hands it over: its own name, in a folder of Gradio's."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def cites(answer: Answer, title_start: str) -> bool:
    """Whether the answer cites an article whose title starts so."""
    return any(c.title.startswith(title_start) for c in answer.citations)


def test_two_different_uploads_of_one_name_both_stay_and_both_answer(tmp_path: Path) -> None:
    app = ChatApp(settings_for(tmp_path / "index"))
    first = app.add_files([str(write(tmp_path / "a", "story.txt", BRIDGE))])[0]
    second = app.add_files([str(write(tmp_path / "b", "story.txt", ORCHARD))])[0]
    assert "1 added" in first and "1 added" in second, second
    assert "updated" not in second.replace("0 updated", "")
    names = app.uploads.names()
    assert len(names) == 2 and all(n.startswith("story-") and n.endswith(".txt") for n in names)
    assert app.assistant.status()["articles"] == 2
    assert cites(app.assistant.ask("Who said the harbour bridge reopened?"), "Harbour bridge")
    assert cites(app.assistant.ask("How many visitors did the apple festival draw?"), "Orchard")

    # The very same file again is the same upload: nothing new, nothing re-embedded.
    again = app.add_files([str(write(tmp_path / "c", "story.txt", ORCHARD))])[0]
    assert "nothing changed" in again and len(app.uploads.names()) == 2


def test_a_dot_name_upload_is_kept_without_the_dot_and_indexed(tmp_path: Path) -> None:
    app = ChatApp(settings_for(tmp_path / "index"))
    report = app.add_files([str(write(tmp_path / "in", ".hidden.txt", LIGHTHOUSE))])[0]
    (stored,) = app.uploads.names()
    assert stored.startswith("hidden-") and stored.endswith(".txt")
    assert "1 added" in report and stored in report and ".hidden.txt" in report
    answer = app.assistant.ask("Who switched off the Skarv lighthouse lamp?")
    assert cites(answer, "Lighthouse keeper") and "Ilse Brandt" in answer.text


def test_an_oversize_file_is_refused_before_it_is_written_and_dumps_are_limited_per_record(
    tmp_path: Path,
) -> None:
    limit = 2_000
    app = ChatApp(settings_for(tmp_path / "index", max_article_bytes=limit))
    big = write(tmp_path / "in", "long.txt", BRIDGE + "More words follow here. " * 100)
    assert big.stat().st_size > limit
    unsupported = write(tmp_path / "in", "notes.exe", "MZ")
    report = app.add_files([str(big), str(unsupported)])[0]
    assert "Refused long.txt" in report and "over the 2,000 bytes" in report
    assert "Refused notes.exe" in report
    assert not (tmp_path / "index" / "uploads").exists() or app.uploads.names() == []
    assert "Indexed" not in report  # nothing was left to index

    # A dump may be larger than one article: its records are limited, each on its own.
    records = [
        {"title": f"Ferry timetable change {i}", "text": f"Ferry route {i} runs hourly. " * 5}
        for i in range(20)
    ]
    records.append({"title": "Too long", "text": "x " * limit})
    dump = tmp_path / "in" / "ferries.jsonl"
    dump.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    assert dump.stat().st_size > limit
    report = app.add_files([str(dump)])[0]
    assert "20 added" in report and "line 21" in report and "article over" in report
    # Gradio's own cap is the largest any type allows (a dump's), above every article limit.
    assert max_upload_bytes(app.settings) == MAX_DUMP_BYTES


def test_removing_an_upload_takes_its_articles_and_file_away(tmp_path: Path) -> None:
    app = ChatApp(settings_for(tmp_path / "index"))
    app.add_files(
        [
            str(write(tmp_path / "in", "bridge.txt", BRIDGE)),
            str(write(tmp_path / "in", "orchard.txt", ORCHARD)),
        ]
    )
    question = "Who said the harbour bridge reopened?"
    assert cites(app.assistant.ask(question), "Harbour bridge")
    bridge = next(n for n in app.uploads.names() if n.startswith("bridge-"))

    report, stats, _tagline, _sources, listed = app.remove_uploads([bridge, "../../etc/passwd"])
    assert report == words()["removed"].format(names=bridge, articles=1)
    assert stats.startswith("**1** articles")
    assert listed["choices"] == app.uploads.names() and listed["value"] == []
    assert [n.split("-")[0] for n in app.uploads.names()] == ["orchard"]
    assert not (tmp_path / "index" / "uploads" / bridge).exists()
    # The running assistant answers without it, with no restart.
    assert not cites(app.assistant.ask(question), "Harbour bridge")
    assert cites(app.assistant.ask("How many visitors did the apple festival draw?"), "Orchard")
    assert app.remove_uploads([])[0] == words()["remove_none"]


def test_a_skip_is_reported_once_and_a_file_with_no_article_is_not_kept(tmp_path: Path) -> None:
    app = ChatApp(settings_for(tmp_path / "index"))
    mixed = tmp_path / "in" / "mixed.jsonl"
    mixed.parent.mkdir()
    mixed.write_text(
        json.dumps({"title": "Harbour bridge reopens", "text": BRIDGE}) + "\n{broken\n",
        encoding="utf-8",
    )
    empty = write(tmp_path / "in", "empty.txt", "   \n")
    first = app.add_files([str(mixed), str(empty)])[0]
    assert "1 added" in first and "line 2" in first
    assert "Skipped mixed.jsonl &#40;line 2&#41;" in first
    assert "Skipped empty.txt: empty file" in first
    assert words()["upload_empty"].format(name="empty.txt") in first
    assert [n.split("-")[0] for n in app.uploads.names()] == ["mixed"]  # the empty one is gone

    later = app.add_files([str(write(tmp_path / "in2", "orchard.txt", ORCHARD))])[0]
    assert "1 added" in later and "0 skipped" in later
    assert "line 2" not in later and "mixed" not in later and "empty" not in later
