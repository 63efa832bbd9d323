"""Finding article files and reading them with the loader registered for their type.

Loaders are plugins (entry point group `newsdesk.loaders`, see index/plugins.py); newsdesk's
own, in index/formats.py, are registered the same way in pyproject.toml. A loader reads one
file into raw articles and reports each bad part as a Problem instead of raising; it yields
them one by one, so a loader for a large dump can stream it with constant memory.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from index.articles import ArticleError, Problem, RawArticle
from index.dates import parse_date
from index.plugins import LOADERS, load_all

# The fields of an article object, ours first, then news-please's (maintext, date_publish,
# source_domain) and trafilatura's JSON output (raw_text, source-hostname, sitename). The first
# one present wins. trafilatura's "source" is the page's URL; see from_fields.
TEXT_FIELDS = ("text", "body", "content", "maintext", "raw_text")
DATE_FIELDS = ("published", "date", "publish_date", "published_at", "date_publish")
URL_FIELDS = ("url", "link")
SOURCE_FIELDS = ("source", "source_domain", "source-hostname", "sitename", "hostname")
AUTHOR_FIELDS = ("authors", "author")
# Byte order marks of the encodings taken besides UTF-8; UTF-32's come first because
# UTF-32-LE's begins with UTF-16-LE's.
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class Loader(Protocol):
    """Reads the files of some types into raw articles."""

    # The endings of the file names it reads, compound ones included (".jsonl.gz").
    suffixes: tuple[str, ...]

    def read(self, path: Path, max_bytes: int) -> Iterator[RawArticle | Problem]:
        """Each article of one file as it is read, and a Problem for each part that could not be
        read. max_bytes limits one article (a record), not the file. Raising ArticleError or
        OSError reports the whole file as a problem."""
        ...


# A loader may also say how large a file of its types may be, `max_file_bytes(settings) -> int |
# None` (None: limited per record only); without it a file is one article, limited as one
# (index/files.py, which the chat's upload checks before it keeps a file).


def loader_table() -> dict[str, Loader]:
    """Every registered loader by the file suffix it reads (".txt", ".jsonl" ...)."""
    table: dict[str, Loader] = {}
    for registered in load_all(LOADERS).values():
        loader = registered() if isinstance(registered, type) else registered
        for suffix in loader.suffixes:
            table[suffix.lower()] = loader
    return table


def suffix_of(path: Path, known: Iterable[str]) -> str | None:
    """The longest known ending of a file's name (".jsonl.gz" before ".gz"), or None."""
    name = path.name.lower()
    found = [s for s in known if name.endswith(s) and len(name) > len(s)]
    return max(found, key=len) if found else None


def discover(
    paths: Iterable[Path], suffixes: Iterable[str] | None = None
) -> tuple[list[Path], list[Problem]]:
    """Expand files and folders (recursively) into the files of these types; missing paths and
    files of other types are problems. Hidden files and folders (.git, .DS_Store) are left out."""
    known = {s.lower() for s in (suffixes if suffixes is not None else loader_table())}
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if not path.exists():
            problems.append(Problem(str(path), "no such file or folder"))
        elif path.is_dir():
            root = path.resolve()
            for dirpath, dirs, names in os.walk(path, followlinks=False):
                # Hidden folders hold tools' files (.git, .venv), not articles: not entered.
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                for name in sorted(dirs):
                    d = Path(dirpath) / name
                    # os.walk does not descend into linked folders; one that leads out is
                    # reported rather than silently left out.
                    if d.is_symlink() and not d.resolve().is_relative_to(root):
                        problems.append(Problem(str(d), "symlink points outside the folder"))
                for name in sorted(names):
                    f = Path(dirpath) / name
                    if name.startswith("."):
                        continue
                    if suffix_of(f, known) is None:
                        problems.append(unsupported(f))
                        continue
                    # A link that leads out of the folder could pull in any file on the machine.
                    if f.is_symlink() and not f.resolve().is_relative_to(root):
                        problems.append(Problem(str(f), "symlink points outside the folder"))
                        continue
                    files.append(f)
        elif suffix_of(path, known) is None:
            problems.append(unsupported(path))
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


def unsupported(path: Path) -> Problem:
    """The problem of a file no loader reads."""
    return Problem(str(path), f"unsupported file type {path.suffix or '(none)'!r}")


def too_big(max_bytes: int, size: int | None) -> ArticleError:
    """The error of an article (a file, or one record of a dump) over the size limit."""
    # A limit under a megabyte would read "over 0 MB".
    limit = f"{max_bytes // 2**20} MB" if max_bytes >= 2**20 else f"{max_bytes:,} bytes"
    return ArticleError(f"article over {limit}" + (f" ({size:,} bytes)" if size else ""))


def bom_encoding(head: bytes) -> str | None:
    """The UTF-16 or UTF-32 encoding whose byte order mark starts these bytes, if any."""
    return next((enc for bom, enc in BOMS if head.startswith(bom)), None)


def decode(data: bytes, max_bytes: int) -> str:
    """Check size and encoding of a file's bytes and return its text (UTF-8, or UTF-16/32 with a
    byte order mark)."""
    if len(data) > max_bytes:
        raise too_big(max_bytes, len(data))
    if not data.strip():
        raise ArticleError("empty file")
    encoding = bom_encoding(data)
    # Windows tools (Notepad, PowerShell's >) write UTF-16 with a byte order mark; its NULs are
    # text, elsewhere they mean a binary file.
    if encoding is None and b"\x00" in data[:8192]:
        raise ArticleError("binary file (contains NUL bytes), not text")
    try:
        text = data.decode(encoding or "utf-8-sig")
    except UnicodeDecodeError as exc:
        why = (
            f"not valid {encoding.upper()} ({exc.reason})"
            if encoding
            else f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        )
        raise ArticleError(f"undecodable text: {why}") from None
    if not text.strip():
        raise ArticleError("empty file")
    return text


def read_text(path: Path, max_bytes: int) -> str:
    """A file's text, checked for size and encoding (raises ArticleError)."""
    return decode(path.read_bytes(), max_bytes)


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


def _first(fields: dict[str, Any], names: tuple[str, ...]) -> tuple[str, Any]:
    """The first of these fields that has a value, and its name; ("", None) when none has."""
    return next(((k, fields[k]) for k in names if fields.get(k) not in (None, "", [])), ("", None))


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower().startswith(("http://", "https://"))


def _published(fields: dict[str, Any]) -> str | None:
    """The publication date as text; a value that is not a date is an error naming its field."""
    key, value = _first(fields, DATE_FIELDS)
    if value is None:
        return None
    day = None if isinstance(value, bool) else parse_date(value)
    if day is None:
        # Dropping it silently would leave a wrong date inferred from the text, unnoticed.
        shown = str(value) if len(str(value)) <= 60 else str(value)[:60] + "..."
        raise ArticleError(f"unreadable date in field {key!r}: {shown!r}")
    return value if isinstance(value, str) else day.isoformat()


def from_fields(fields: dict[str, Any], path: str, locator: str = "") -> RawArticle:
    """Build a raw article from a mapping of the documented JSON / front-matter fields (ours,
    news-please's or trafilatura's names)."""
    key, text = _first(fields, TEXT_FIELDS)
    if text is None:
        raise ArticleError(f"missing text field (one of {', '.join(TEXT_FIELDS)})")
    if not isinstance(text, str):
        raise ArticleError(f"text field {key!r} is not a string")
    _, url = _first(fields, URL_FIELDS)
    source_key, source = _first(fields, SOURCE_FIELDS)
    if source_key == "source" and _is_url(source):
        # trafilatura's JSON names the page's URL "source" and the site "source-hostname".
        url = url or source
        _, source = _first(fields, SOURCE_FIELDS[1:])
    return RawArticle(
        text=text,
        path=path,
        title=_opt_str(fields.get("title")),
        published=_published(fields),
        url=_opt_str(url),
        source=_opt_str(source),
        authors=_authors(_first(fields, AUTHOR_FIELDS)[1]),
        article_id=_opt_str(fields.get("id")),
        locator=locator,
    )


def iter_articles(
    path: Path, max_bytes: int, table: dict[str, Loader] | None = None
) -> Iterator[RawArticle | Problem]:
    """Each article of one file as its loader reads it; what fails is a Problem, never raised."""
    name = str(path)
    table = table if table is not None else loader_table()
    suffix = suffix_of(path, table)
    if suffix is None:
        yield Problem(name, f"unsupported file type {path.suffix or '(none)'!r}")
        return
    try:
        yield from table[suffix].read(path, max_bytes)
    except ArticleError as exc:
        yield Problem(name, str(exc))
    except OSError as exc:
        yield Problem(name, f"cannot read: {exc.strerror or exc}")


def read_articles(
    path: Path, max_bytes: int, table: dict[str, Loader] | None = None
) -> tuple[list[RawArticle], list[Problem]]:
    """Every article of one file, and every problem met reading it."""
    articles: list[RawArticle] = []
    problems: list[Problem] = []
    for item in iter_articles(path, max_bytes, table):
        (problems if isinstance(item, Problem) else articles).append(item)
    return articles, problems


def from_items(items: Iterable[Any], name: str, label: str) -> Iterator[RawArticle | Problem]:
    """Raw articles from JSON objects; each bad one is a Problem named by its label."""
    for i, item in enumerate(items, start=1):
        where = label.format(i)
        try:
            if not isinstance(item, dict):
                raise ArticleError("not a JSON object")
            yield from_fields(item, name, where)
        except ArticleError as exc:
            yield Problem(f"{name} ({where})", str(exc))
