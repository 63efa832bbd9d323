"""Reading article files (.txt, .md, .html, .json, .jsonl) into raw articles, reporting bad ones."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from index.articles import ArticleError, Problem, RawArticle

SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl"}
TEXT_FIELDS = ("text", "body", "content")
DATE_FIELDS = ("published", "date", "publish_date", "published_at")


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """Expand files and folders (recursively) into article files; missing paths are problems."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if not path.exists():
            problems.append(Problem(str(path), "no such file or folder"))
        elif path.is_dir():
            root = path.resolve()
            for dirpath, dirs, names in os.walk(path, followlinks=False):
                for name in sorted(dirs):
                    d = Path(dirpath) / name
                    # os.walk does not descend into linked folders; one that leads out is
                    # reported rather than silently left out.
                    if d.is_symlink() and not d.resolve().is_relative_to(root):
                        problems.append(Problem(str(d), "symlink points outside the folder"))
                for name in sorted(names):
                    f = Path(dirpath) / name
                    if f.suffix.lower() not in SUFFIXES or name.startswith("."):
                        continue
                    # A link that leads out of the folder could pull in any file on the machine.
                    if f.is_symlink() and not f.resolve().is_relative_to(root):
                        problems.append(Problem(str(f), "symlink points outside the folder"))
                        continue
                    files.append(f)
        elif path.suffix.lower() not in SUFFIXES:
            problems.append(
                Problem(str(path), f"unsupported file type {path.suffix or '(none)'!r}")
            )
        else:
            files.append(path)
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, problems


def decode(data: bytes, max_bytes: int) -> str:
    """Check size and encoding of a file's bytes and return its text."""
    if len(data) > max_bytes:
        # A limit under a megabyte would read "over 0 MB".
        limit = f"{max_bytes // 2**20} MB" if max_bytes >= 2**20 else f"{max_bytes:,} bytes"
        raise ArticleError(f"article over {limit} ({len(data):,} bytes)")
    if not data.strip():
        raise ArticleError("empty file")
    if b"\x00" in data[:8192]:
        raise ArticleError("binary file (contains NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(
            f"undecodable text: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    if not text.strip():
        raise ArticleError("empty file")
    return text


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
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


def _authors(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [a.strip() for a in value.replace(";", ",").split(",") if a.strip()]
    if isinstance(value, list):
        return [str(a).strip() for a in value if str(a).strip()]
    return [str(value)]


def _opt_str(value: Any) -> str | None:
    return str(value).strip() or None if value not in (None, "") else None


def from_fields(fields: dict[str, Any], path: str, locator: str = "") -> RawArticle:
    """Build a raw article from a mapping of the documented JSON / front-matter fields."""
    text = next((fields[k] for k in TEXT_FIELDS if fields.get(k)), None)
    if text is None:
        raise ArticleError(f"missing text field (one of {', '.join(TEXT_FIELDS)})")
    if not isinstance(text, str):
        raise ArticleError("text field is not a string")
    published = next((fields[k] for k in DATE_FIELDS if fields.get(k)), None)
    return RawArticle(
        text=text,
        path=path,
        title=_opt_str(fields.get("title")),
        published=str(published) if published is not None else None,
        url=_opt_str(fields.get("url")),
        source=_opt_str(fields.get("source")),
        authors=_authors(fields.get("authors") or fields.get("author")),
        article_id=_opt_str(fields.get("id")),
        locator=locator,
    )


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


def read_articles(path: Path, max_bytes: int) -> tuple[list[RawArticle], list[Problem]]:
    """Read one file into raw articles; a .jsonl reports each bad line and keeps the good ones."""
    name = str(path)
    try:
        text = decode(path.read_bytes(), max_bytes)
        suffix = path.suffix.lower()
        if suffix in (".html", ".htm"):
            return [_html_file(text, name)], []
        if suffix == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ArticleError(f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
            items = data if isinstance(data, list) else [data]
            return _items(items, name, "item {}")
        if suffix == ".jsonl":
            return _jsonl(text, name)
        return [_text_file(text, name)], []
    except ArticleError as exc:
        return [], [Problem(name, str(exc))]
    except OSError as exc:
        return [], [Problem(name, f"cannot read: {exc.strerror or exc}")]


def _items(items: list[Any], name: str, label: str) -> tuple[list[RawArticle], list[Problem]]:
    out, problems = [], []
    for i, item in enumerate(items, start=1):
        where = label.format(i)
        try:
            if not isinstance(item, dict):
                raise ArticleError("not a JSON object")
            out.append(from_fields(item, name, where))
        except ArticleError as exc:
            problems.append(Problem(f"{name} ({where})", str(exc)))
    return out, problems


def _jsonl(text: str, name: str) -> tuple[list[RawArticle], list[Problem]]:
    out, problems = [], []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(f"{name} (line {lineno})", f"invalid JSON: {exc.msg}"))
            continue
        got, bad = _items([item], name, f"line {lineno}")
        out += got
        problems += bad
    return out, problems
