"""Loaders for office documents: PDF (text layer by pypdf, page by page, so citations can name
the page) and Word .docx (python-docx; its pages are laid out by the reader's word processor,
so a .docx article has no page numbers)."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.articles import ArticleError, Problem, RawArticle

if TYPE_CHECKING:
    from index.settings import IndexSettings

Read = Iterator[RawArticle | Problem]

# A PDF or .docx carries fonts and images beside its text: max_bytes limits the text (the
# article), and only files this many times larger are refused unread.
FILE_FACTOR = 20
# Lines end a sentence with these; a line that does not is wrapped mid-sentence.
_SENTENCE_END = re.compile(r"[.!?:;\"”’')\]]$")
# "3", "- 3 -", "Page 3", "3 of 12", "Page 3/12": page numbers at the top or bottom of a page.
_PAGE_NUMBER = re.compile(r"^\W*(page\s*)?\d+(\s*(of|/)\s*\d+)?\W*$", re.IGNORECASE)
# Lines this close to a page's edge are where running headers and footers sit.
_EDGE_LINES = 2
# python-docx's blank template stamps every new file with this author and creation time; they
# say nothing about the article.
_DOCX_TEMPLATE = ("python-docx", datetime(2013, 12, 23, 23, 15).isoformat())

# pypdf logs each repair it makes to a damaged file (as warnings and errors, some of them
# hundreds of characters long); the loader reports what matters as a Problem, and the log lines
# would only interleave with the progress output.
logging.getLogger("pypdf").setLevel(logging.CRITICAL)


class PdfLoader:
    """A PDF's text layer as one article, with the offset where each page begins."""

    suffixes = (".pdf",)

    def max_file_bytes(self, settings: IndexSettings) -> int:
        """Fonts and images come with the text: files FILE_FACTOR times the article limit."""
        return FILE_FACTOR * settings.max_article_bytes

    def read(self, path: Path, max_bytes: int) -> Read:
        """The one article of a PDF; an encrypted, scanned or damaged one is a Problem."""
        from pypdf import PdfReader
        from pypdf.errors import DependencyError

        _check_file(path, max_bytes)
        name = str(path)
        # pypdf raises many kinds of errors on damaged files (its own, ValueError, KeyError,
        # RecursionError...); each is reported as the file's problem, never as a traceback.
        try:
            reader = PdfReader(path)
            if reader.is_encrypted:
                try:
                    # Many PDFs are encrypted only against editing, with an empty open password.
                    opened = reader.decrypt("")
                except DependencyError:
                    yield Problem(name, "encrypted PDF (AES; needs the cryptography package)")
                    return
                if not opened:
                    yield Problem(name, "encrypted PDF (needs a password)")
                    return
            pages = reader.pages
            count = len(pages)
            meta = _pdf_meta(reader)
        except Exception as exc:
            yield Problem(name, f"damaged PDF ({_why(exc)})")
            return
        texts: list[str] = []
        for number in range(1, count + 1):
            try:
                texts.append(pages[number - 1].extract_text() or "")
            except Exception as exc:  # one bad page leaves the others readable
                yield Problem(
                    f"{name} (page {number})", f"cannot read the page's text ({_why(exc)})"
                )
                texts.append("")
        if not any(t.strip() for t in texts):
            yield Problem(
                name,
                f"PDF has no text layer ({count} page{'s' * (count != 1)}, scanned images?); "
                "OCR is not supported",
            )
            return
        pages = _carry_over([_paragraphs(lines) for lines in _strip_running(texts)])
        text, starts = _join_pages(pages)
        _check_text(text, max_bytes)
        yield RawArticle(text=text, path=name, page_starts=starts, **meta)


class DocxLoader:
    """A Word document's paragraphs, headings and table cells as one article."""

    suffixes = (".docx",)

    def max_file_bytes(self, settings: IndexSettings) -> int:
        """Fonts and images come with the text: files FILE_FACTOR times the article limit."""
        return FILE_FACTOR * settings.max_article_bytes

    def read(self, path: Path, max_bytes: int) -> Read:
        """The one article of a .docx file; a damaged or password-protected one is a Problem."""
        import docx

        _check_file(path, max_bytes)
        name = str(path)
        with path.open("rb") as f:
            magic = f.read(8)
        if magic.startswith(b"\xd0\xcf\x11\xe0"):
            # Word wraps a password-protected .docx in an OLE compound file, as old .doc was.
            yield Problem(name, "encrypted Word file (needs a password) or an old .doc file")
            return
        try:
            document = docx.Document(str(path))
            blocks, heading = _docx_blocks(document)
            meta = _docx_meta(document.core_properties)
        except Exception as exc:  # a damaged zip or XML is the file's problem
            yield Problem(name, f"damaged Word file ({_why(exc)})")
            return
        # A .docx has no fixed pages (the word processor lays them out when it opens the file),
        # so its articles carry no page numbers.
        text = "\n\n".join(blocks)
        if not text.strip():
            yield Problem(name, "Word file has no text")
            return
        _check_text(text, max_bytes)
        meta["title"] = meta["title"] or heading
        yield RawArticle(text=text, path=name, **meta)


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _limit(max_bytes: int) -> str:
    return f"{max_bytes // 2**20} MB" if max_bytes >= 2**20 else f"{max_bytes:,} bytes"


def _check_file(path: Path, max_bytes: int) -> None:
    size = path.stat().st_size
    if size == 0:
        raise ArticleError("empty file")
    if size > FILE_FACTOR * max_bytes:
        raise ArticleError(f"file over {_limit(FILE_FACTOR * max_bytes)} ({size:,} bytes)")


def _check_text(text: str, max_bytes: int) -> None:
    size = len(text.encode())
    if size > max_bytes:
        raise ArticleError(f"article over {_limit(max_bytes)} ({size:,} bytes of text)")


def _date(value: Any) -> str | None:
    return value.date().isoformat() if isinstance(value, datetime) else None


def _pdf_meta(reader: Any) -> dict[str, Any]:
    """Title, author and date from a PDF's document information, where it has them."""
    info = reader.metadata
    if info is None:
        return {"title": None, "authors": [], "published": None}
    # A damaged date string makes pypdf raise; the text's own dates are used then.
    try:
        created = info.creation_date or info.modification_date
    except ValueError:
        created = None
    title = (info.title or "").strip() or None
    author = (info.author or "").strip()
    return {"title": title, "authors": [author] if author else [], "published": _date(created)}


def _docx_meta(props: Any) -> dict[str, Any]:
    """Title, author and date from a .docx's core properties, where it has them."""
    created = props.created or props.modified
    author = (props.author or "").strip()
    if created is not None and (author, created.replace(tzinfo=None).isoformat()) == _DOCX_TEMPLATE:
        author, created = "", None
    title = (props.title or "").strip() or None
    return {"title": title, "authors": [author] if author else [], "published": _date(created)}


def _docx_blocks(document: Any) -> tuple[list[str], str | None]:
    """The document's paragraphs and table cells in order, and its first Title or heading."""
    from docx.table import Table

    blocks: list[str] = []
    heading = None
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                # A merged cell is returned once per grid column it spans.
                for cell in dict.fromkeys(c.text.strip() for c in row.cells):
                    if cell:
                        blocks.append(cell)
            continue
        text = item.text.strip()
        if not text:
            continue
        style = (item.style.name if item.style is not None else "") or ""
        if heading is None and (style == "Title" or style.startswith("Heading")):
            heading = text
        blocks.append(text)
    return blocks, heading


def _key(line: str) -> str:
    return re.sub(r"\d+", "#", line.casefold().strip())


def _strip_running(texts: list[str]) -> list[list[str]]:
    """Each page's lines without page numbers and without the running header and footer lines
    that recur at the edges of most pages (the first page's copy included)."""
    pages = [[ln.strip() for ln in t.splitlines() if ln.strip()] for t in texts]
    edges = Counter(
        key
        for lines in pages
        for key in {_key(ln) for ln in lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]}
    )
    with_text = sum(1 for lines in pages if lines)
    running = {k for k, n in edges.items() if with_text >= 2 and n > with_text / 2}
    out = []
    for lines in pages:
        edge = set(range(_EDGE_LINES)) | set(range(len(lines) - _EDGE_LINES, len(lines)))
        out.append(
            [
                ln
                for i, ln in enumerate(lines)
                if i not in edge or not (_key(ln) in running or _PAGE_NUMBER.match(ln))
            ]
        )
    return out


def _paragraphs(lines: list[str]) -> list[str]:
    """Re-join a page's hard-wrapped lines into paragraphs."""
    width = max((len(ln) for ln in lines), default=0)
    paragraphs: list[str] = []
    last = ""
    for line in lines:
        # A paragraph's last line stops short of the margin: one that ends a sentence there,
        # or a much shorter one (a heading) before a capital, ends its paragraph. Any other
        # line was wrapped, mostly mid-sentence.
        ends = (_SENTENCE_END.search(last) and len(last) < 0.85 * width) or (
            len(last) < 0.6 * width and (line[:1].isupper() or line[:1].isdigit())
        )
        if not paragraphs or ends:
            paragraphs.append(line)
        elif last.endswith("-") and line[:1].islower():
            paragraphs[-1] += line  # a word hyphenated across lines
        else:
            paragraphs[-1] += " " + line
        last = line
    return paragraphs


def _carry_over(pages: list[list[str]]) -> list[list[str]]:
    """Move a sentence's part that runs on to the next page back to its start, so the sentence
    stays whole and is cited on the page where it begins."""
    last: list[str] = []
    for page in pages:
        if last and page and not _SENTENCE_END.search(last[-1]) and page[0][:1].islower():
            joint = "" if last[-1].endswith("-") else " "
            last[-1] += joint + page.pop(0)
        if page:
            last = page
    return pages


def _join_pages(pages: list[list[str]]) -> tuple[str, list[int]]:
    """The pages' paragraphs as one text, and the offset where each page begins in it."""
    parts: list[str] = []
    starts: list[int] = []
    offset = 0
    for paragraphs in pages:
        starts.append(offset)
        page = "\n\n".join(paragraphs)
        parts.append(page)
        offset += len(page) + 2
    return "\n\n".join(parts), starts
