"""`python -m index.tag_worker`: the entity tagger in a process of its own, for a fresh
`newsdesk ask` (entities.TaggerProcess) and a bulk indexing run (head_tagging.HeadTagging).
Reads one JSON list of texts per line on stdin and writes, per line, a JSON
list of [start, end, label] lists for each text; ends at end of input."""

from __future__ import annotations

import json
import sys


def main() -> None:
    """Serve tagging requests until stdin closes."""
    from index.entities import shared_tagger

    tagger = shared_tagger()
    try:
        tagger.tag(["warm up"])
    except Exception as exc:  # the parent tags in-process instead, and reports it there
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
        return
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        found = tagger.tag(json.loads(line))
        out = [[[e.start, e.end, e.label] for e in ents] for ents in found]
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
