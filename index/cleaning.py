"""Cleaning article text: page furniture and repeated paragraphs out, offsets-friendly text in."""

from __future__ import annotations

import re
import unicodedata

# Lines that end the article body on news pages; everything from them on is page furniture.
_FURNITURE_END = re.compile(
    r"^(most popular|most read|read more:?|related( articles| stories| coverage)?:?|"
    r"more from .{1,40}|recommended( for you)?|trending( now)?|sign up for .{0,60}newsletter.*|"
    r"share this( article| story)?:?|comments?)\s*$",
    re.IGNORECASE,
)
# Single lines that are furniture wherever they appear.
_FURNITURE_LINE = re.compile(
    r"^(advertisement|ad|skip advertisement|story continues below( advertisement)?|"
    r"read more:?|click here.{0,40})\s*$",
    re.IGNORECASE,
)
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_SENTENCE_END = re.compile(r"[.!?:;\"”’')\]]$")
# Related-story headlines and teasers run shorter than this; story paragraphs rarely do.
PROSE_MIN_WORDS = 20


def _normalise_line(line: str) -> str:
    line = _INVISIBLE.sub("", line)
    # Control characters other than tab carry no meaning in prose and break tokenisers. A
    # printable line has none (isprintable is False for every category C character), and
    # most lines are printable: the check per character took a quarter of preparing news.
    if not line.isprintable():
        line = "".join(ch for ch in line if ch == "\t" or unicodedata.category(ch)[0] != "C")
    return _SPACES.sub(" ", line).strip()


def _blocks(text: str) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _normalise_line(raw)
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _paragraphs(block: list[str]) -> list[str]:
    """Join hard-wrapped lines of a block; lines that end a sentence stay paragraphs of their own."""
    paragraphs: list[str] = []
    for line in block:
        joinable = not (_FURNITURE_END.match(line) or _FURNITURE_LINE.match(line))
        if (
            joinable
            and paragraphs
            and not _SENTENCE_END.search(paragraphs[-1])
            and not _FURNITURE_END.match(paragraphs[-1])
            and line[:1].islower()
        ):
            paragraphs[-1] += " " + line
        else:
            paragraphs.append(line)
    return paragraphs


def _prose(paragraph: str) -> bool:
    """Whether a paragraph reads as article prose rather than a headline or link list item."""
    return len(paragraph.split()) >= PROSE_MIN_WORDS and bool(_SENTENCE_END.search(paragraph))


def _key(paragraph: str) -> str:
    return re.sub(r"\W+", " ", paragraph.casefold()).strip()


def clean_text(text: str) -> str:
    """Return the article body without furniture or repeated paragraphs, paragraphs split by blank lines."""
    paragraphs = [p for block in _blocks(text) for p in _paragraphs(block)]
    return "\n\n".join(paragraphs[i] for i in _kept(paragraphs))


def clean_pages(pages: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """clean_text of the pages joined, and (offset in it, page number from 1) of each page that
    kept a paragraph."""
    # Pages joined by a blank line give the same paragraphs as each page on its own, so the
    # clean text is exactly clean_text("\n\n".join(pages)); only the page of each is kept.
    tagged = [
        (number, p)
        for number, page in enumerate(pages, start=1)
        for block in _blocks(page)
        for p in _paragraphs(block)
    ]
    paragraphs = [p for _, p in tagged]
    kept: list[str] = []
    starts: list[tuple[int, int]] = []
    offset = 0
    for i in _kept(paragraphs):
        number = tagged[i][0]
        if not starts or starts[-1][1] != number:
            starts.append((offset, number))
        kept.append(paragraphs[i])
        offset += len(paragraphs[i]) + 2
    return "\n\n".join(kept), starts


def _kept(paragraphs: list[str]) -> list[int]:
    """Indexes of the paragraphs that stay: not furniture, not a repeat of an earlier one."""
    # Furniture such as "Most Popular" ends the body only near the end, and only when what
    # follows it is not prose: a "Read more:" link line mid-story is followed by more of the
    # story, which must not be lost.
    cut = len(paragraphs)
    for i in range(len(paragraphs) - 1, max(-1, len(paragraphs) - 12), -1):
        if _FURNITURE_END.match(paragraphs[i]) and not any(map(_prose, paragraphs[i + 1 : cut])):
            cut = i
    kept: list[int] = []
    seen: set[str] = set()
    for i, paragraph in enumerate(paragraphs[:cut]):
        if _FURNITURE_LINE.match(paragraph):
            continue
        key = _key(paragraph)
        if not key or key in seen:
            continue
        seen.add(key)
        kept.append(i)
    return kept
