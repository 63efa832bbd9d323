"""newsdesk's own loaders: plain text and Markdown (optional YAML front matter), HTML pages
(main text by trafilatura), JSON (one article or a list) and JSON Lines (one per line), the last
two plain or gzipped and read as a stream: a dump of any size takes constant memory and the
size limit applies to each article in it, not to the file."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ijson
import yaml

from index.articles import ArticleError, Problem, RawArticle
from index.loaders import TEXT_FIELDS, decode, from_fields, from_items, read_text, too_big
from index.streams import GZIP_ERRORS, head, numbered_lines, open_input

if TYPE_CHECKING:
    from index.settings import IndexSettings

Read = Iterator[RawArticle | Problem]
# A file that is no JSON Lines at all (a binary renamed .jsonl) stops after this many bad lines
# without one article, instead of reporting each of its millions of lines.
MAX_BAD_LINES_FIRST = 100


class TextLoader:
    """A headline line then the body, or YAML front matter with the fields then the body."""

    suffixes = (".txt", ".md", ".markdown")

    def read(self, path: Path, max_bytes: int) -> Read:
        """The one article of a text or Markdown file."""
        yield _text_file(read_text(path, max_bytes), str(path))


class HtmlLoader:
    """A saved web page: its main text and metadata, extracted by trafilatura."""

    suffixes = (".html", ".htm")

    def read(self, path: Path, max_bytes: int) -> Read:
        """The one article of a web page."""
        yield _html_file(read_text(path, max_bytes), str(path))


class JsonLoader:
    """One article object, or a list of them (streamed item by item)."""

    suffixes = (".json", ".json.gz")

    def max_file_bytes(self, settings: IndexSettings) -> int | None:
        """No limit per file: the size limit applies to each record."""
        return None

    def read(self, path: Path, max_bytes: int) -> Read:
        """The articles of a JSON file; each bad item is reported, a list's by its number."""
        name = str(path)
        count = 0
        try:
            with open_input(path) as stream:
                if not head(stream).lstrip().startswith(b"["):
                    # One object is one article: read whole, within the article limit.
                    yield from _json_whole(stream, path, max_bytes)
                    return
                for count, item in enumerate(ijson.items(stream, "item", use_float=True), 1):
                    size = len(json.dumps(item, ensure_ascii=False).encode())
                    if size > max_bytes:
                        yield Problem(f"{name} (item {count})", str(too_big(max_bytes, size)))
                        continue
                    yield from from_items([item], name, f"item {count}")
        except (ijson.JSONError, UnicodeDecodeError, RecursionError, *GZIP_ERRORS) as exc:
            # The items before the damage (a truncated download) are kept.
            yield Problem(_at(name, "item", count, exc), _damage(exc))
            return
        if count == 0:
            yield Problem(name, "no articles: the JSON list is empty")


class JsonLinesLoader:
    """One article object per line, plain or gzipped; each bad line is reported with its
    number and the rest are read."""

    suffixes = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")

    def max_file_bytes(self, settings: IndexSettings) -> int | None:
        """No limit per file: the size limit applies to each record."""
        return None

    def read(self, path: Path, max_bytes: int) -> Read:
        """The articles of a JSON Lines file, read line by line."""
        name = str(path)
        lineno = good = bad = 0
        try:
            with open_input(path) as stream:
                if b"\x00" in head(stream):
                    raise ArticleError("binary file (contains NUL bytes), not text")
                for lineno, line in numbered_lines(stream, max_bytes):
                    if isinstance(line, bytes) and not line.strip():
                        continue
                    where = f"line {lineno}"
                    item = _json_line(line, max_bytes)
                    if isinstance(item, Unreadable):
                        bad += 1
                        yield Problem(f"{name} ({where})", item)
                        if bad >= MAX_BAD_LINES_FIRST and not good:
                            yield Problem(name, f"stopped after {bad} bad lines and no article")
                            return
                        continue
                    for found in from_items([item], name, where):
                        good += isinstance(found, RawArticle)
                        bad += isinstance(found, Problem)
                        yield found
        except (UnicodeDecodeError, *GZIP_ERRORS) as exc:
            yield Problem(_at(name, "line", lineno, exc), _damage(exc))
            return
        if lineno == 0 or (not good and not bad):
            raise ArticleError("empty file")


class Unreadable(str):
    """Why a line has no JSON value (told apart from a line that is a JSON string)."""


def _json_line(line: bytes | int, max_bytes: int) -> Any:
    """The JSON value of one line, or why it has none (an Unreadable)."""
    if isinstance(line, int):
        return Unreadable(too_big(max_bytes, line))
    try:
        # Without its line end, so an error's column is on the line itself.
        text = line.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        return Unreadable(
            f"undecodable text: not UTF-8 (byte 0x{line[exc.start]:02x} at column {exc.start + 1})"
        )
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return Unreadable(f"invalid JSON: {exc.msg} (column {exc.colno})")
    except RecursionError:
        return Unreadable("invalid JSON: nested too deeply")
    # A line that is a string is a valid JSON value; from_items reports it as not an object.
    return value


def _json_whole(stream: io.BufferedIOBase, path: Path, max_bytes: int) -> Read:
    """The article of a JSON file that holds one object (or anything but a list)."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        gz = path.name.lower().endswith(".gz")
        raise too_big(max_bytes, None if gz else path.stat().st_size)
    try:
        value = json.loads(decode(data, max_bytes))
    except json.JSONDecodeError as exc:
        raise ArticleError(f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
    except RecursionError:
        raise ArticleError("invalid JSON: nested too deeply") from None
    yield from from_items([value], str(path), "item 1")


def _at(name: str, unit: str, done: int, exc: Exception) -> str:
    """Where damage was met: the record after the last one read, or the file when a .gz is
    damaged from the start."""
    return name if isinstance(exc, GZIP_ERRORS) and not done else f"{name} ({unit} {done + 1})"


def _damage(exc: Exception) -> str:
    """What went wrong part way through a file, in one line."""
    if isinstance(exc, UnicodeDecodeError):
        return f"undecodable text: {exc.reason}"
    if isinstance(exc, GZIP_ERRORS):
        return f"damaged or truncated gzip data: {exc}"
    message = exc.args[0] if exc.args else ""
    # yajl (ijson's C parser) gives its message as bytes, with a picture of where it failed.
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    first = str(message).strip().splitlines()[0] if str(message).strip() else type(exc).__name__
    return f"invalid JSON: {first}"


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    """The YAML front matter of a text (fields) and the rest of it."""
    if not text.startswith("---"):
        return {}, text
    lines = text.split("\n")
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            try:
                meta = yaml.safe_load("\n".join(lines[1:i])) or {}
            except yaml.YAMLError as exc:
                raise ArticleError(f"invalid YAML front matter: {exc}") from None
            except ValueError as exc:
                # YAML reads 2025-02-30 as a date and the calendar refuses it.
                raise ArticleError(f"impossible date in the front matter: {exc}") from None
            if not isinstance(meta, dict):
                raise ArticleError("front matter is not a mapping of fields")
            return meta, "\n".join(lines[i + 1 :])
    return {}, text


def _text_file(text: str, path: str) -> RawArticle:
    meta, body = _front_matter(text)
    fields = {k: v for k, v in meta.items() if k not in TEXT_FIELDS}
    if not meta.get("title"):
        # A plain text article starts with its headline.
        lines = body.lstrip().split("\n", 1)
        fields["title"] = lines[0].strip().lstrip("# ").strip()
        body = lines[1] if len(lines) > 1 else ""
    fields["text"] = body
    if not body.strip():
        raise ArticleError("no article text after the title")
    return from_fields(fields, path)


# A line of prose: at least eight words ending like a sentence.
_SENTENCE = re.compile(r"^(?:\S+\s+){7,}\S+[.!?\"”’)]\s*$")


def _html_file(text: str, path: str) -> RawArticle:
    try:
        import trafilatura
    except ImportError as exc:
        # A broken install (lxml_html_clean missing) should skip the pages, not end the run.
        raise ArticleError(f"HTML support unavailable: {exc}") from None

    extracted = trafilatura.extract(
        text, output_format="json", with_metadata=True, include_comments=False, fast=True
    )
    if not extracted:
        raise ArticleError("no article text found in the HTML page")
    doc = json.loads(extracted)
    body = doc.get("text") or doc.get("raw_text") or ""
    # A page of menus and links (an index page, a cookie wall) still extracts to a few short
    # lines; without one sentence of prose it is not an article.
    if not any(_SENTENCE.search(line) for line in body.splitlines()):
        raise ArticleError("no article text in the HTML page (only menus or link lists)")
    # from_fields knows trafilatura's names (raw_text, source = the URL, source-hostname).
    return from_fields(doc, path)
