"""What one indexing run did: counts, problems, timings, and the summary line users read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from index.articles import Problem


@dataclass
class IndexReport:
    """What one indexing run did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    problems: list[Problem] = field(default_factory=list)
    chunks: int = 0
    # Chunks with a vector in the index (the articles' heads, IndexSettings.head_chunks).
    dense_chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    rebuilt: bool = False
    # Articles indexed earlier whose named entities this run added (no re-embedding).
    tagged: int = 0
    tag_seconds: float = 0.0
    # What this run found broken and repaired ("12 missing vectors re-embedded ...").
    repaired: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        """How many files or records were skipped."""
        return len(self.problems)

    def summary(self) -> str:
        """The one summary line printed at the end of a run."""
        line = (
            f"articles: {self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed, {self.skipped} skipped · chunks: {self.chunks} "
            f"({self.embedded} embedded) · {self.seconds:.1f} s"
        )
        if self.tagged:
            line += f" · entities added to {self.tagged} earlier articles"
        if self.repaired:
            line += " · repaired: " + "; ".join(self.repaired)
        if self.embedded == 0 and not self.rebuilt and not self.repaired:
            line += (
                " · nothing changed, nothing embedded"
                if not (self.removed or self.updated or self.added or self.tagged)
                else ""
            )
        return line

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form of the report."""
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "skipped": [{"path": p.path, "reason": p.reason} for p in self.problems],
            "chunks": self.chunks,
            "dense_chunks": self.dense_chunks,
            "embedded": self.embedded,
            "seconds": round(self.seconds, 3),
            "tagged": self.tagged,
            "tag_seconds": round(self.tag_seconds, 3),
            "repaired": self.repaired,
        }
