"""From a raw article to a clean one: text, title, date, id and sentence offsets."""

from __future__ import annotations

import hashlib
import json
from itertools import pairwise

from index.articles import Article, ArticleError, RawArticle
from index.cleaning import clean_pages, clean_text
from index.dates import infer_published, parse_date
from index.sentences import split_sentences


def prepare(raw: RawArticle) -> Article:
    """Clean a raw article and work out its metadata; raises ArticleError if nothing is left."""
    pages = None
    if raw.page_starts:
        bounds = [*raw.page_starts, len(raw.text)]
        text, pages = clean_pages([raw.text[a:b] for a, b in pairwise(bounds)])
    else:
        text = clean_text(raw.text)
    if not text.strip():
        raise ArticleError("no article text left after cleaning")
    sentences = split_sentences(text)
    if not sentences:
        raise ArticleError("no sentences found in the article text")
    title = (raw.title or "").strip() or text[sentences[0][0] : sentences[0][1]][:200]
    published = parse_date(raw.published)
    inferred = published is None
    if inferred:
        published = infer_published(text)
    parts = [title, text, str(published), raw.url or "", raw.source or ""]
    if pages:
        # Only where there are pages, so the hash of every other article stays as it was.
        parts.append(json.dumps(pages))
    content_hash = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    article_id = raw.article_id or hashlib.sha256(text.encode()).hexdigest()[:16]
    return Article(
        article_id=article_id,
        title=title,
        text=text,
        published=published,
        date_inferred=inferred and published is not None,
        source=raw.source,
        url=raw.url,
        authors=raw.authors,
        path=raw.path,
        content_hash=content_hash,
        sentences=sentences,
        pages=pages,
    )
