"""What every bench section shares: figures, the tier, timing and memory helpers, the caching
embedder, and child processes. Sections live in bench/indexing.py, retrieval.py, ask.py and
scale.py; bench/report.py writes RESULTS.md; bench/run.py drives them."""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index import MODEL_SHA256, Entity, IndexReader, TextEncoder, shared_tagger

if TYPE_CHECKING:
    from assistant.settings import NewsdeskSettings
    from bench.corpus import GenArticle

BENCH = Path(__file__).resolve().parent
WORK = BENCH / "work"
CACHE = BENCH / "cache"
# Only tiers this large may read vectors from the cache: below it every figure is a real encode.
CACHE_MIN_ARTICLES = 10_000
# Cold starts are fresh processes; the median of a few damps a shared machine's noise.
COLD_RUNS = 3
LOAD_RUNS = 3
# Issue 5 targets.
COLD_TARGET_S = 4.0
REINDEX_TARGET_S = 2.0
MEMORY_TARGET_MB = 1500.0


# -- figures -----------------------------------------------------------------------------
@dataclass
class Figure:
    """One measured figure, optionally beside a reference figure (ratio = value / reference)."""

    name: str
    value: float | str
    unit: str = ""
    reference: str = ""
    ref_value: float | None = None
    note: str = ""

    @property
    def ratio(self) -> str:
        """value / reference, when both are numbers."""
        if isinstance(self.value, int | float) and self.ref_value:
            return f"{self.value / self.ref_value:.2f}×"
        return ""

    def fmt(self, v: float | str | None) -> str:
        """A number with sensible precision."""
        if v is None:
            return ""
        if isinstance(v, str):
            return v
        if float(v).is_integer() and abs(v) >= 1:
            return f"{int(v):,}"
        return f"{v:.3f}" if abs(v) < 10 else f"{v:,.1f}"


@dataclass
class Tier:
    """Everything one tier's sections share."""

    n: int
    seed: int
    root: Path
    corpus: Path
    articles: list[GenArticle]
    # What newsdesk's index embeds with: the encoder of the backend the index is stamped with,
    # through the embedding cache on cached tiers.
    embedder: TextEncoder
    settings: NewsdeskSettings
    cached: bool
    # That backend ("int8" unless NEWSDESK_EMBED_BACKEND names another).
    backend: str = ""
    # What the canonical llama-index pipeline embeds with: torch, as plain LlamaIndex with a
    # HuggingFace embedding does (through its own cache on cached tiers).
    canonical_embedder: TextEncoder | None = None
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Filled by the indexing section for the later ones.
    chunk_texts: list[str] = field(default_factory=list)
    # Which section recorded each figure and note, so a --reuse run can keep the others'.
    section: str = ""
    by_section: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    # Wall seconds of each section run now (the 20-minute bar is on the whole run).
    wall: dict[str, float] = field(default_factory=dict)

    def add(self, *figures: Figure) -> None:
        """Record and print figures."""
        for f in figures:
            self.figures.append(f)
            self.by_section.setdefault(self.section, {"figures": [], "notes": []})[
                "figures"
            ].append(f)
            ref = f"  vs {f.reference} {f.fmt(f.ref_value)}" if f.reference else ""
            ratio = f"  = {f.ratio}" if f.ratio else ""
            print(f"  {f.name}: {f.fmt(f.value)} {f.unit}{ref}{ratio}", flush=True)

    def get(self, name: str) -> Figure | None:
        """The first figure of that name (leading spaces ignored), if measured."""
        return next((f for f in self.figures if f.name.strip() == name), None)

    def note(self, text: str) -> None:
        """Record a note under the running section."""
        self.notes.append(text)
        self.by_section.setdefault(self.section, {"figures": [], "notes": []})["notes"].append(text)


Section = Callable[[Tier], None]


# -- timing helpers ------------------------------------------------------------------------
class Stopwatch:
    """Accumulated seconds per label, filled by patched methods during a real run."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def patch(self, owner: Any, attr: str, label: str) -> Iterator[None]:
        """Time every call of owner.attr under label while the context is open."""
        original = getattr(owner, attr)

        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - t

        with replaced(owner, attr, timed):
            yield


@contextlib.contextmanager
def replaced(owner: Any, attr: str, value: Any) -> Iterator[None]:
    """owner.attr set to value while the context is open."""
    # What the owner itself holds, put back as it was (a classmethod stays a classmethod).
    own = vars(owner).get(attr)
    setattr(owner, attr, value)
    try:
        yield
    finally:
        if own is not None:
            setattr(owner, attr, own)
        else:
            delattr(owner, attr)


def rss_mb() -> float:
    """This process's resident set size now, in MB (Linux /proc)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


class RssSampler:
    """Peak RSS of this process while a block runs, sampled every 20 ms from a thread.

    ru_maxrss is the peak of the whole process life (model loads, the ceiling, the canonical
    run); sampling gives the peak of just the block, beside the RSS it started from.
    """

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.start = self.peak = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, rss_mb())

    def __enter__(self) -> RssSampler:
        self.start = self.peak = rss_mb()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


class CachingEmbedder:
    """Embeds through a sha256(text) → vector cache kept under bench/cache (10k tiers only).

    It wraps one encoder and keeps one file per backend (minilm-<weights>-<backend>.npz), so
    vectors of different encoders never mix. Misses go to the wrapped encoder's own embed, as
    the indexer would call it (int8 encodes each text alone, torch in batches).
    """

    def __init__(self, encoder: TextEncoder, backend: str) -> None:
        self.encoder = encoder
        self.backend = backend
        self.batch_size = encoder.batch_size
        self.path = CACHE / f"minilm-{MODEL_SHA256[:12]}-{backend}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        self.hits = self.misses = 0
        self._dirty = False
        if self.path.is_file():
            data = np.load(self.path)
            self.vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Cached vectors where known; the rest encoded in one call and remembered."""
        keys = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
        missing = sorted(
            {k: t for k, t in zip(keys, texts, strict=True) if k not in self.vectors}.items()
        )
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if missing:
            vecs = self.encoder.embed([t for _, t in missing], progress)
            self.vectors.update({k: v for (k, _), v in zip(missing, vecs, strict=True)})
            self._dirty = True
        return np.stack([self.vectors[k] for k in keys]) if keys else np.zeros((0, 384), "float32")

    def embed_query(self, text: str) -> list[float]:
        """One text's vector, through the cache."""
        return self.embed([text])[0].tolist()

    def save(self) -> None:
        """Write the cache back if it grew."""
        if self._dirty:
            CACHE.mkdir(parents=True, exist_ok=True)
            keys = list(self.vectors)
            tmp = self.path.with_suffix(".tmp.npz")
            np.savez(tmp, keys=np.array(keys), vectors=np.stack([self.vectors[k] for k in keys]))
            os.replace(tmp, self.path)
            self._dirty = False


def raw_encoder(encoder: TextEncoder) -> TextEncoder:
    """The encoder itself, past an embedding cache: what a real encode runs on."""
    return encoder.encoder if isinstance(encoder, CachingEmbedder) else encoder


def tagger_key() -> str:
    """What the stored tags depend on: the tagger class's code (how it splits and tags text),
    its version and the pinned model files. The rest of its module (the child-process
    tagger, which tags through the same class) does not start the cache afresh."""
    from index import entities

    parts = (
        inspect.getsource(entities.EntityTagger),
        entities.TAGGER_VERSION,
        json.dumps(entities._MODEL_FILES, sort_keys=True),
        str(entities._MAX_SPAN),
    )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


class CachingTagger:
    """Tags entities through a sha256(text) → entities cache under bench/cache (10k tiers only).

    The indexer tags every article it adds with spaCy, which the embedding cache does not
    cover: at 10k articles that alone is tens of minutes. Like CachingEmbedder, a hit returns
    what was stored and a miss is tagged for real and kept.
    """

    def __init__(self) -> None:
        self.tagger = shared_tagger()
        self.path = CACHE / f"entities-{tagger_key()}.json"
        self.entities: dict[str, list[list[Any]]] = {}
        if self.path.is_file():
            self.entities = json.loads(self.path.read_text(encoding="utf-8"))
        self.hits = self.misses = 0
        self._dirty = False
        self._tag = self.tagger.tag

    def tag(self, texts: list[str]) -> list[list[Entity]]:
        """Cached entities where known; the rest tagged in one call and remembered."""
        keys = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self.entities}
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if missing:
            found = self._tag(list(missing.values()))
            for k, ents in zip(missing, found, strict=True):
                self.entities[k] = [[e.start, e.end, e.label] for e in ents]
            self._dirty = True
        return [[Entity(*e) for e in self.entities[k]] for k in keys]

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """The process's shared tagger answers through this cache while the context is open.

        Heads are then tagged in this process even in bulk (index/head_tagging.py): a child
        process would tag them for real, past the cache."""
        from index import head_tagging

        with (
            replaced(self.tagger, "tag", self.tag),
            replaced(head_tagging, "START_AT", sys.maxsize),
        ):
            yield

    def save(self) -> None:
        """Write the cache back if it grew."""
        if self._dirty:
            CACHE.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp.json")
            tmp.write_text(json.dumps(self.entities), encoding="utf-8")
            os.replace(tmp, self.path)
            self._dirty = False


# -- small helpers -------------------------------------------------------------------------
def rmtree(path: Path) -> None:
    """Remove a folder and everything in it, if it is there."""
    shutil.rmtree(path, ignore_errors=True)


def du_mb(path: Path) -> float:
    """Bytes under path, in MB (apparent size of the files)."""
    if not path.exists():
        return 0.0
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def live_reader(t: Tier) -> IndexReader:
    """A reader of the tier index's live build, loaded."""
    reader = IndexReader(t.settings)
    reader.refresh()
    return reader


def chunk_texts(t: Tier, reader: IndexReader | None = None) -> dict[str, str]:
    """Chunk id -> text of the tier's live build (newsdesk keeps texts there, not in Chroma)."""
    reader = reader or live_reader(t)
    return {cid: reader.chunk_text(cid) for cid in reader.chunk_order}


def sample(articles: list[GenArticle], limit: int) -> list[GenArticle]:
    """Up to limit articles spread evenly over the tier (one question each)."""
    if len(articles) <= limit:
        return list(articles)
    step = len(articles) / limit
    return [articles[int(i * step)] for i in range(limit)]


def pct(values: list[float], q: float) -> float:
    """The q-th percentile of values."""
    return float(np.percentile(np.array(values), q))


def contains(haystack: str, needle: str) -> bool:
    """Whether needle occurs in haystack, whitespace-insensitive."""
    return " ".join(needle.split()) in " ".join(haystack.split())


# -- child processes -----------------------------------------------------------------------
def child_peak(cmd: list[str]) -> tuple[float, float | None, subprocess.CompletedProcess[str]]:
    """Run cmd as a fresh process: (wall seconds, peak RSS in MB or None, the result)."""
    import resource
    import tempfile

    timer = Path("/usr/bin/time")
    with tempfile.NamedTemporaryFile(suffix=".rss") as fh:
        full = [str(timer), "-f", "%M", "-o", fh.name, *cmd] if timer.is_file() else cmd
        start = time.perf_counter()
        done = subprocess.run(full, capture_output=True, text=True, env=child_env())
        wall = time.perf_counter() - start
        peak: float | None = None
        if timer.is_file():
            with contextlib.suppress(ValueError, IndexError):
                peak = int(Path(fh.name).read_text().split()[-1]) * 1024 / 1e6
        else:
            # Without GNU time: the peak of every child so far, an upper bound for this one.
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1e6
    return wall, peak, done


def child_env() -> dict[str, str]:
    """The environment of child processes: this one's, offline, repo importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(BENCH.parent), env.get("PYTHONPATH")) if p)
    # The tiers' indexes were built with this prefix (see run_tier).
    env["NEWSDESK_COLLECTION_PREFIX"] = "bench"
    return env


def cli() -> list[str]:
    """The newsdesk command line of this venv."""
    exe = Path(sys.executable).parent / "newsdesk"
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "assistant"]
