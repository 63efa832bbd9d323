"""newsdesk's own loaders: plain text and Markdown (optional YAML front matter), HTML pages
(main text by trafilatura), JSON (one article or a list) and JSON Lines (one per line)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from index.articles import ArticleError, Problem, RawArticle
from index.loaders import TEXT_FIELDS, from_fields, from_items, read_text

Read = Iterator[RawArticle | Problem]


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
    """One article object, or a list of them."""

    suffixes = (".json",)

    def read(self, path: Path, max_bytes: int) -> Read:
        """The articles of a JSON file; each bad item is reported."""
        try:
            data = json.loads(read_text(path, max_bytes))
        except json.JSONDecodeError as exc:
            raise ArticleError(f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
        items = data if isinstance(data, list) else [data]
        yield from from_items(items, str(path), "item {}")


class JsonLinesLoader:
    """One article object per line; each bad line is reported with its number."""

    suffixes = (".jsonl",)

    def read(self, path: Path, max_bytes: int) -> Read:
        """The articles of a JSON Lines file."""
        name = str(path)
        for lineno, line in enumerate(read_text(path, max_bytes).split("\n"), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Problem(f"{name} (line {lineno})", f"invalid JSON: {exc.msg}")
                continue
            yield from from_items([item], name, f"line {lineno}")


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
    return from_fields(
        {
            "text": doc.get("text") or doc.get("raw_text"),
            "title": doc.get("title"),
            "published": doc.get("date"),
            "url": doc.get("source") or doc.get("url"),
            # trafilatura's JSON names the site (og:site_name) "source-hostname".
            "source": doc.get("source-hostname") or doc.get("sitename") or doc.get("hostname"),
            "authors": doc.get("author"),
        },
        path,
    )
