"""Parts from other packages plug in through entry points, as newsdesk's own do: a loader, an
answerer and an LLM backend, each defined by a tiny package written here, installed on sys.path
with its own dist-info (so importlib.metadata finds it), and used by Indexer and ask()."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT, settings_for

from assistant import Assistant
from assistant.answering import answerer_name
from index import Indexer, loader_table
from index.plugins import ANSWERERS, LLM_BACKENDS, LOADERS, PluginError, load, names

SEED = ROOT / "seeds" / "000_f6cdbc7b12bc632a.txt"

PACKAGE = '''
"""A third-party newsdesk plugin: a loader, an answerer and an LLM backend."""

import re

from assistant.answering import Context
from assistant.compose import citation
from assistant.models import Answer
from index import RawArticle


class DispatchLoader:
    """Wire dispatches: a HEADLINE line, a DATE line, then the text."""

    suffixes = (".dispatch",)

    def read(self, path, max_bytes):
        head, date_line, body = path.read_text().split("\\n", 2)
        yield RawArticle(
            text=body,
            path=str(path),
            title=head.removeprefix("HEADLINE: "),
            published=date_line.removeprefix("DATE: "),
            source="Wire",
        )


class TopSentenceAnswerer:
    """Answers with the best-ranked sentence, quoted and cited, and says it is this plugin."""

    streams = False

    def __init__(self, settings, encoder):
        self.settings = settings

    def condense(self, question, history):
        return None, None

    def stream(self, ctx: Context):
        best = ctx.ranked[0]
        yield Answer(
            ctx.question,
            f"{best.text} [1]",
            True,
            [citation(1, best)],
            [],
            standalone_question=ctx.standalone,
            backend="top-sentence",
        )


class ScriptedBackend:
    """An LLM that copies its first source's text and cites it."""

    def label(self, settings):
        return "scripted:copy-first-source"

    def where(self, settings):
        return "in-process"

    def build(self, settings):
        from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata
        from llama_index.core.llms.callbacks import llm_completion_callback

        class CopyFirstSource(CustomLLM):
            @property
            def metadata(self):
                return LLMMetadata(is_chat_model=False)

            def _reply(self, prompt):
                found = re.search(r'<source n="1"[^>]*>\\n(.*?)\\n</source>', prompt, re.S)
                return found.group(1).strip() + " [1]"

            @llm_completion_callback()
            def complete(self, prompt, formatted=False, **kwargs):
                return CompletionResponse(text=self._reply(prompt))

            @llm_completion_callback()
            def stream_complete(self, prompt, formatted=False, **kwargs):
                text = self._reply(prompt)
                yield CompletionResponse(text=text, delta=text)

        return CopyFirstSource()
'''

ENTRY_POINTS = """
[newsdesk.loaders]
dispatch = newsdesk_wire:DispatchLoader

[newsdesk.answerers]
top-sentence = newsdesk_wire:TopSentenceAnswerer

[newsdesk.llm_backends]
scripted = newsdesk_wire:ScriptedBackend
"""


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The package newsdesk-wire, installed on sys.path for this test only."""
    site = tmp_path / "site"
    (site / "newsdesk_wire").mkdir(parents=True)
    (site / "newsdesk_wire" / "__init__.py").write_text(textwrap.dedent(PACKAGE))
    info = site / "newsdesk_wire-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: newsdesk-wire\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(site))
    return site


@pytest.fixture
def wire_index(plugin: Path, tmp_path: Path):
    """The seed and a wire dispatch (read by the plugin's loader), indexed."""
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    (folder / "harbour.dispatch").write_text(
        "HEADLINE: Harbour bridge reopens after repairs\nDATE: 2025-03-14\n"
        "The Port Ellis harbour bridge reopened to traffic on Friday after eight months of "
        "repairs costing 41 million euros, the city council said.\n"
    )
    settings = settings_for(tmp_path / "index")
    report = Indexer(settings).run([folder], progress=False)
    assert report.added == 2 and not report.problems, report.problems
    return settings


def test_the_built_in_parts_are_registered_like_any_other() -> None:
    assert {"text", "html", "json", "jsonl"} <= set(names(LOADERS))
    assert {"extractive", "generative"} <= set(names(ANSWERERS))
    assert {"openai-like", "ollama", "llama-cpp"} <= set(names(LLM_BACKENDS))
    assert {".txt", ".md", ".html", ".json", ".jsonl"} <= set(loader_table())


def test_an_unknown_part_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match=r"no answerer named 'nope' \(known: .*extractive"):
        load(ANSWERERS, "nope")
    with pytest.raises(PluginError, match="no answerer named 'nope'"):
        Assistant(settings_for(tmp_path / "index", answerer="nope"))


def test_a_plugin_loader_indexes_its_file_type(wire_index) -> None:
    answer = Assistant(wire_index).ask("How much did the harbour bridge repairs cost?")
    assert answer.answered and "41 million euros" in answer.text
    assert answer.citations[0].title == "Harbour bridge reopens after repairs"
    assert answer.citations[0].source == "Wire"


def test_a_plugin_answerer_is_chosen_by_name(wire_index) -> None:
    settings = wire_index.model_copy(update={"answerer": "top-sentence"})
    assistant = Assistant(settings)
    answer = assistant.ask("Who visited Kursk?")
    assert answer.backend == "top-sentence"
    c = answer.citations[0]
    assert "Putin" in c.quote
    assert assistant.reader.article(c.article_id).text[c.start : c.end] == c.quote


def test_a_plugin_llm_backend_writes_verified_answers(wire_index) -> None:
    settings = wire_index.model_copy(update={"llm_backend": "scripted"})
    assert answerer_name(settings) == "generative"
    assistant = Assistant(settings)
    streamed = "".join(
        e for e in assistant.ask_stream("Who visited Kursk and when?") if isinstance(e, str)
    )
    answer = assistant.ask("Who visited Kursk and when?")
    assert answer.backend == "scripted:copy-first-source"
    assert streamed.strip() == answer.text.strip()
    assert re.search(r"\[1\]", answer.text)
    c = answer.citations[0]
    # The copied sentence passed verification against the article it cites.
    assert assistant.reader.article(c.article_id).text[c.start : c.end] == c.quote
    assert c.quote.split()[0] in answer.text
