"""The BM25 keyword index of a build, saved per revision so a process loads it, not rebuilds it.

Tokenising and indexing every chunk takes about 0.8 s per 1,000 articles here, which every
`newsdesk ask` process would pay before its first answer; the saved index loads memory-mapped.
The save is a cache: a missing, stale or unreadable one is rebuilt from the article store.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index import saves

if TYPE_CHECKING:
    import bm25s
    import numpy as np
    from llama_index.retrievers.bm25 import BM25Retriever

    from index.store import ArticleDB

FOLDER = "bm25"
Rows = Sequence["sqlite3.Row | dict[str, Any]"]
META = "newsdesk.json"
# What llama-index's BM25Retriever tokenises queries with (its defaults), so answers from the
# index it built are the same when searched here.
TOKEN_PATTERN = r"(?u)\b\w\w+\b"
STEMMER_LANGUAGE = "english"


def _tokenize(text: str) -> Any:
    """bm25s tokens of a text, stemmed and split as the index was."""
    import bm25s
    import Stemmer

    # A stemmer per call: PyStemmer's objects are not safe to share between threads.
    return bm25s.tokenize(
        text,
        stemmer=Stemmer.Stemmer(STEMMER_LANGUAGE),
        token_pattern=TOKEN_PATTERN,
        show_progress=False,
    )


class _TakingTurns:
    """bm25s's memory-mapped corpus seeks, then reads, one shared mmap: threads take turns.

    The chat answers questions on several threads at once; without the lock one thread's seek
    lands between another's seek and read, and it gets the wrong chunk.
    """

    def __init__(self, corpus: Any) -> None:
        self._corpus = corpus
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._corpus)

    def __getitem__(self, index: int) -> dict[str, Any]:
        with self._lock:
            return self._corpus[int(index)]


class KeywordIndex:
    """A BM25 index over the chunks in store order: document i is the store's i-th chunk.

    Queries go to bm25s directly rather than through llama-index's BM25Retriever: importing
    llama-index costs about 1 s of the 4 s a cold `newsdesk ask` may take, and the retriever
    would rebuild every hit as a node from JSON where a row number is all retrieval needs.
    llama-index still builds and saves the index, so its tokenising is the one used here.
    """

    def __init__(self, bm25: bm25s.BM25, corpus: Any) -> None:
        # Detached, so bm25s returns row numbers instead of reading each hit's record.
        bm25.corpus = None
        self.bm25 = bm25
        # The saved chunk records (node ids), for checks; read under a lock (see _TakingTurns).
        self.corpus = corpus

    def __len__(self) -> int:
        return int(self.bm25.scores["num_docs"])

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The top k rows for the query with a positive score, best first (mask: 1 = allowed)."""
        tokens = _tokenize(query)
        if not any(t in self.bm25.vocab_dict for t in tokens.vocab):
            # Nothing the index knows ("the the the"): bm25s would log that the query is empty
            # into the user's terminal and score every chunk zero.
            return []
        import bm25s
        import numpy as np

        (query_words,) = bm25s.tokenization.convert_tokenized_to_string_list(tokens)
        # bm25s scores; the top k are chosen here. bm25s picks them with
        # np.argpartition(scores, -k), which is pathological on an array that is mostly zeros
        # (every chunk without the query's words): ~2.5 ms a search over 73,000 chunks,
        # against ~0.15 ms for the same selection made from the other end.
        scores = self.bm25.get_scores(query_words, weight_mask=mask)
        k = min(k, len(scores))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        # Best first; equal scores (a caption repeated in two chunks) in row order.
        top = top[np.lexsort((top, -scores[top]))]
        return [(int(r), float(scores[r])) for r in top if scores[r] > 0]

    def rows_with(self, word: str) -> np.ndarray:
        """The rows whose text holds a word (stemmed as indexed), from BM25's own postings."""
        import numpy as np

        tokens = _tokenize(word)
        if len(tokens.vocab) != 1:
            return np.zeros(0, dtype=np.int64)
        term = self.bm25.vocab_dict.get(next(iter(tokens.vocab)))
        indptr = self.bm25.scores["indptr"]
        if term is None or term + 1 >= len(indptr):
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self.bm25.scores["indices"][indptr[term] : indptr[term + 1]])

    def doc_freq(self) -> dict[str, int]:
        """How many chunks hold each (stemmed) term."""
        import numpy as np

        counts = np.diff(self.bm25.scores["indptr"])
        return {t: int(counts[i]) for t, i in self.bm25.vocab_dict.items() if i < len(counts)}


def _digest(chunk_ids: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(chunk_ids).encode()).hexdigest()


def build(rows: Rows) -> BM25Retriever | None:
    """A BM25 retriever over chunk rows (in row order), or None when there are none."""
    if not rows:
        return None
    from llama_index.core.schema import TextNode
    from llama_index.retrievers.bm25 import BM25Retriever

    # The headline is searched with the chunk: it often names who the story is about.
    nodes = [
        TextNode(id_=r["chunk_id"], text=r["text"], metadata={"title": r["title"]}) for r in rows
    ]
    return BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=len(nodes))


def _saved_for(path: Path, revision: int, chunk_ids: Sequence[str]) -> bool:
    """Whether the save in this folder says it was made for this revision and chunk order."""
    try:
        meta = json.loads((path / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return meta == {"revision": revision, "chunks": len(chunk_ids), "ids": _digest(chunk_ids)}


def is_saved(build_path: Path, revision: int, chunk_ids: Sequence[str]) -> bool:
    """Whether a save for exactly this revision and these chunks is in the build folder."""
    return _saved_for(build_path / FOLDER / f"r{revision}", revision, chunk_ids)


def load(build_path: Path, revision: int, chunk_ids: Sequence[str]) -> KeywordIndex | None:
    """The saved index for exactly this revision and chunk order, or None."""
    path = build_path / FOLDER / f"r{revision}"
    try:
        if not _saved_for(path, revision, chunk_ids):
            return None
        import bm25s

        # Memory-mapped: a process reads the pages its queries touch, not the whole index.
        bm25 = bm25s.BM25.load(str(path), load_corpus=True, mmap=True)
        corpus = bm25.corpus
        # Saves land by atomic rename, so damage is a whole file replaced or cut short: the
        # corpus's first and last lines show it without reading the rest.
        ends = [corpus[0]["node_id"], corpus[len(corpus) - 1]["node_id"]] if chunk_ids else []
        if len(corpus) != len(chunk_ids) or ends != [chunk_ids[0], chunk_ids[-1]]:
            return None
        index = KeywordIndex(bm25, _TakingTurns(corpus))
        if len(index) != len(chunk_ids):
            return None
        return index
    except Exception:
        return None


def save(
    retriever: BM25Retriever, build_path: Path, revision: int, chunk_ids: Sequence[str]
) -> None:
    """Save the index for this revision (atomically) and drop older saves."""
    folder = build_path / FOLDER
    folder.mkdir(exist_ok=True)
    final = folder / f"r{revision}"
    tmp = saves.tmp_path(folder)
    try:
        # bm25s writes the corpus's line index too, so readers never write into the folder.
        retriever.persist(str(tmp), show_progress=False)
        meta = {"revision": revision, "chunks": len(chunk_ids), "ids": _digest(chunk_ids)}
        (tmp / META).write_text(json.dumps(meta), encoding="utf-8")
        # Only a save that failed to load is replaced; a process racing this one writes the
        # same index, so whichever copy lands is right.
        shutil.rmtree(final, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    saves.drop_superseded(folder, revision)


def load_or_build(
    build_path: Path, revision: int, ids: Sequence[str], rows_with_text: Callable[[], Rows]
) -> KeywordIndex | None:
    """The saved index for these chunk ids, else one built now (and saved if possible)."""
    if not ids:
        return None
    index = load(build_path, revision, ids)
    if index is not None:
        return index
    retriever = build(rows_with_text())
    if retriever is None:
        return None
    # A read-only or full disk only costs the next process the same build.
    with contextlib.suppress(OSError):
        save(retriever, build_path, revision, ids)
    return KeywordIndex(retriever.bm25, retriever.corpus)


def ensure_saved(build_path: Path, db: ArticleDB) -> bool:
    """Save the index for the store's current revision, so the first question need not build it;
    whether it had to be built (there was no save for this revision)."""
    ids = [r["chunk_id"] for r in db.chunk_rows(with_text=False)]
    revision = db.revision()
    # The meta file is enough here: loading would import bm25s and scipy (~0.25 s) and map the
    # index on every unchanged run, and a save damaged since is caught and replaced by the
    # reader that loads it.
    if ids and not is_saved(build_path, revision, ids):
        load_or_build(build_path, revision, ids, db.chunk_rows)
        return True
    return False
