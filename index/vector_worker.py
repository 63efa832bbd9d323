"""Chroma in a process of its own, for a fresh `newsdesk ask`.

`python -m index.vector_worker SETTINGS_JSON` opens the live build's collection, writes one
line {"ready": true, "collection": NAME, "count": N} (or {"error": ...}), then answers one
query per line: {"vector": [...], "n": K, "where": {...}} -> {"ids": [...], "distances": [...]}.
It ends at end of input. VectorProcess is the parent's side.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from index.layout import Pointer
from index.settings import IndexSettings
from index.worker_process import WorkerProcess

Opened = tuple[Any, int]


class VectorProcess(WorkerProcess):
    """The live collection opened in a child process: query() as Chroma's, for one load.

    Importing chromadb and opening a 10k-article store is ~1.5 s of Python. On a thread
    beside the article store's read (the reader's usual way) the two take turns at one
    interpreter lock, so a cold `newsdesk ask` paid for both one after the other; a second
    process runs them on two cores. Whatever goes wrong in the child (it cannot start, it
    opened another build than the parent's, it dies) hands the work back to this process,
    which then meets and reports the error itself.
    """

    def __init__(self, settings: IndexSettings) -> None:
        fields = set(IndexSettings.model_fields)
        super().__init__("index.vector_worker", settings.model_dump_json(include=fields))
        self._fallback: Any = None
        self._reopen: Callable[[], Opened] | None = None

    def open(self, pointer: Pointer, in_process: Callable[[], Opened]) -> Opened:
        """(collection, vector count) of the live build: this process's handle on the child
        when the child opened that build, else what in_process() opens here."""
        self._reopen = in_process
        hello = self.hello()
        if hello is None or hello.get("collection") != pointer.collection:
            self.close()
            return in_process()
        return self, int(hello["count"])

    def query(
        self,
        query_embeddings: list[list[float]],
        n_results: int,
        where: dict[str, Any] | None = None,
        include: list[str] | None = None,
    ) -> dict[str, list[list[Any]]]:
        """Chroma's Collection.query for one vector: ids and distances."""
        asked = {"vector": list(query_embeddings[0]), "n": n_results, "where": where}
        found = self.request(asked)
        if found is not None:
            return {"ids": [found["ids"]], "distances": [found["distances"]]}
        if self._fallback is None:
            assert self._reopen is not None, "query() before open()"
            self._fallback = self._reopen()[0]
        return self._fallback.query(
            query_embeddings=query_embeddings,
            n_results=n_results,
            where=where,
            include=include or ["distances"],
        )


def main() -> None:
    """Open the live collection and serve queries until stdin closes."""
    from index import set_offline_env
    from index.health import live_collection, live_pointer
    from index.vectors import chroma_client

    set_offline_env()
    settings = IndexSettings.model_validate_json(sys.argv[1])
    try:
        pointer = live_pointer(settings.index_dir)
        client = chroma_client(settings, for_reading=True)
        collection = live_collection(client, pointer)
        count = collection.count()
    except Exception as exc:  # the parent opens in-process instead, and reports it there
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
        return
    print(json.dumps({"ready": True, "collection": pointer.collection, "count": count}), flush=True)
    for line in sys.stdin:
        asked = json.loads(line)
        try:
            res = collection.query(
                query_embeddings=[asked["vector"]],
                n_results=asked["n"],
                where=asked["where"],
                include=["distances"],
            )
            out = {"ids": res["ids"][0], "distances": res["distances"][0]}
        except Exception as exc:  # the parent queries in-process instead
            out = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
