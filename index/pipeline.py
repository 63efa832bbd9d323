"""Indexing runs: incremental updates and atomic rebuilds of the article index."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from index import chunk_table, keyword
from index.articles import Article, ArticleError, Chunk, Problem, RawArticle
from index.chunking import TokenCounter, fit_and_chunk, tiktoken_counter, wordpiece_counter
from index.embedding import TextEncoder, model_dir
from index.encoders import index_encoder, live_backend, prepare_query_model
from index.entities import TAGGER_VERSION, Entity, shared_tagger
from index.errors import StoreError
from index.fetch import Fetcher, FetchError, Page, fetching, is_url
from index.head_tagging import HeadTagging
from index.health import BACKEND_KEY, MODEL_STAMP
from index.housekeeping import (
    check_free_space,
    remove_stale_builds,
    write_failure,
)
from index.layout import (
    index_lock,
    new_pointer,
    now_iso,
    remove_build,
    store_path,
    write_pointer,
)
from index.loaders import discover, iter_articles, loader_table
from index.prepare import prepare
from index.progress import Progress, advance_articles
from index.repair import live_build, missing_vectors
from index.report import IndexReport
from index.settings import EmbedBackend, IndexSettings
from index.store import ArticleDB
from index.vectors import (
    chroma_client,
    chunk_metadata,
    delete_ids,
    embed_groups,
    present_ids,
    writable_collection,
)
from index.web import url_articles

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

DEFAULT_SEEDS = Path("seeds")
# Vectors are added to Chroma in groups as they are embedded, so a long run that is killed
# keeps them (the next run adopts them) and progress is reported as it goes.
EMBED_GROUP_CHUNKS = 512

ProgressFn = Callable[[int, int], None]


def head_end(chunks: list[Chunk]) -> int:
    """Where an article's head (its chunks with vectors) ends in its clean text."""
    return max((c.end for c in chunks if c.dense), default=0)


def file_key(path: Path | str) -> str:
    """How a file is named in the index: its absolute path; a URL by itself."""
    return path if isinstance(path, str) else str(path.absolute())


class Indexer:
    """Turns article files into chunks, vectors and store rows for one index dir."""

    def __init__(self, settings: IndexSettings, embedder: TextEncoder | None = None) -> None:
        self.settings = settings
        # An encoder given here embeds every run (a test's, the bench's); else each run takes
        # the encoder of the backend it resolves against the live index (repair.live_build),
        # so one indexer that lives long (watch, the chat's uploads) follows a rebuild with
        # another encoder, and re-embedded lost vectors match the stored backend.
        self._given = embedder
        # The backend of the run under way (None between runs).
        self._backend: EmbedBackend | None = None
        # The run's articles' heads, tagged as they are read (None between runs, or when
        # settings.tag_at_index is off).
        self._tagging: HeadTagging | None = None
        # Loaders by file suffix, built-in and from installed packages (newsdesk.loaders).
        self.loaders = loader_table()
        # Fetches feeds and pages; each run gets a fresh one (robots.txt read once per site).
        self.fetcher = Fetcher(settings)
        # Made on first use: loading the tokenizers (~0.4 s, most of it tiktoken's encoding)
        # was a fifth of an unchanged re-index, which chunks nothing.
        self._counters: list[TokenCounter] | None = None
        # [CLS] and [SEP] take two places of the model's window.
        self._budgets = [settings.chunk_tokens, settings.embed_window - 2]

    @property
    def embedder(self) -> TextEncoder:
        """The encoder the run under way embeds with; between runs, the one the next run
        would use (the index's, or NEWSDESK_EMBED_BACKEND's where it is set)."""
        if self._given is not None:
            return self._given
        backend = self._backend or live_backend(self.settings, "rebuild")[1]
        return index_encoder(self.settings, backend)

    def chunk(self, article: Article) -> list[Chunk]:
        """The article's chunks of whole sentences (long sentences are split in place first);
        the head's chunks (settings.head_chunks) fit the model's window and get vectors."""
        if self._counters is None:
            self._counters = [tiktoken_counter(), wordpiece_counter(str(model_dir()))]
        return fit_and_chunk(article, self._counters, self._budgets, self.settings.head_chunks)

    def prepare_file(
        self, path: Path
    ) -> tuple[list[tuple[Article, list[Chunk], str]], list[Problem]]:
        """Load, clean and chunk every article of one file."""
        max_bytes = self.settings.max_article_bytes
        return self._prepare(iter_articles(path, max_bytes, self.loaders), file_key(path))

    def prepare_url(
        self, url: str, page: Page, known: set[str]
    ) -> tuple[list[tuple[Article, list[Chunk], str]], list[Problem]]:
        """Clean and chunk what a URL served: a web page, or a feed's entries (those `known`
        from an earlier run are not fetched again)."""
        max_bytes = self.settings.max_article_bytes
        return self._prepare(url_articles(url, page, self.fetcher, max_bytes, known), url)

    def _prepare(
        self, items: Iterable[RawArticle | Problem], key: str
    ) -> tuple[list[tuple[Article, list[Chunk], str]], list[Problem]]:
        out = []
        problems = []
        for raw in items:
            if isinstance(raw, Problem):
                problems.append(raw)
                continue
            where = f"{raw.path} ({raw.locator})" if raw.locator else raw.path
            try:
                article = prepare(raw)
            except ArticleError as exc:
                problems.append(Problem(where, str(exc)))
                continue
            article.path = key
            out.append((article, self.chunk(article), raw.locator))
            advance_articles()
        return out, problems

    def run(
        self,
        paths: list[Path | str] | None = None,
        rebuild: bool = False,
        progress: bool | None = None,
        on_progress: ProgressFn | None = None,
    ) -> IndexReport:
        """Index the given files/folders and URLs (strings "http(s)://...") incrementally
        (default: seeds/), or rebuild afresh."""
        try:
            with fetching(self.settings) as self.fetcher:
                return self._run(paths, rebuild, progress, on_progress)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(write_failure(self.settings.index_dir, exc)) from exc
        except Exception as exc:
            if type(exc).__module__.startswith("chromadb"):
                raise StoreError(write_failure(self.settings.index_dir, exc)) from exc
            raise
        finally:
            self._backend = None

    def _run(
        self,
        paths: list[Path] | None,
        rebuild: bool,
        progress: bool | None,
        on_progress: ProgressFn | None,
    ) -> IndexReport:
        started = time.perf_counter()
        report = IndexReport(rebuilt=rebuild)
        index_dir = self.settings.index_dir
        roots = list(paths) if paths else [DEFAULT_SEEDS]
        with index_lock(index_dir):
            client = chroma_client(self.settings)
            live, backend = live_build(self.settings, report, rebuild)
            self._backend = backend
            fresh = rebuild or live is None
            pointer = new_pointer(self.settings.collection_prefix) if fresh else live
            assert pointer is not None
            db = ArticleDB(store_path(index_dir, pointer.build))
            self._tagging = HeadTagging() if self.settings.tag_at_index else None
            try:
                collection = writable_collection(client, pointer.collection, self.settings)
                self._update(db, collection, roots, fresh, report, progress, on_progress)
                if self.settings.tag_at_index:
                    self._tag_missing(db, report)
                if not fresh:
                    # Vectors lost (a deleted chroma/ folder, an emptied collection) come back
                    # from the store's chunks; leftovers of an interrupted run go.
                    lost = missing_vectors(db, collection)
                    if lost:
                        total = sum(len(cs) for _, cs, _ in lost)
                        if not self.settings.uses_server:
                            check_free_space(self.settings.index_dir, total)
                        self._embed_and_add(
                            collection, lost, set(), total, progress, on_progress, report
                        )
                        report.repaired.append(
                            f"{total} missing vectors re-embedded from the article store "
                            "(no article re-read)"
                        )
                stamp = {"model": MODEL_STAMP, BACKEND_KEY: backend}
                db.replace_articles([], [], {}, stamp)
                if fresh:
                    db.replace_articles([], [], {}, {"built_at": now_iso(), "build": pointer.build})
                stats = db.stats()
                report.chunks, report.dense_chunks = stats["chunks"], stats["dense_chunks"]
                changed = fresh or report.added or report.updated or report.removed
                # The first question reads the chunk table from its save, not from the store.
                chunk_table.ensure_saved(db.path.parent, db)
                # A run that changed nothing needed no new save: one missing was a repair.
                if keyword.ensure_saved(db.path.parent, db) and not changed:
                    report.repaired.append("keyword index rebuilt")
            finally:
                db.close()
                if self._tagging is not None:
                    self._tagging.close()
                    self._tagging = None
            if fresh:
                write_pointer(index_dir, pointer)
                if live is not None:
                    remove_build(index_dir, client, live)
            remove_stale_builds(index_dir, client, pointer, self.settings.uses_server)
            # Queries embed with an ONNX copy of the model (the index's own variant) so they
            # need not import torch.
            prepare_query_model(self.settings, backend)
        report.seconds = time.perf_counter() - started
        return report

    def _update(
        self,
        db: ArticleDB,
        collection: Collection,
        inputs: list[Path | str],
        fresh: bool,
        report: IndexReport,
        progress: bool | None,
        on_progress: ProgressFn | None,
    ) -> None:
        urls = list(dict.fromkeys(i for i in inputs if is_url(i)))
        roots = [Path(i) for i in inputs if not is_url(i)]
        files, problems = discover(roots, self.loaders)
        report.problems += problems
        shown = Progress(progress)
        shown.start_reading(files)
        known_files = {} if fresh else db.file_hashes()
        by_path = {} if fresh else db.articles_by_path()
        key_of = {path: file_key(path) for path in files}
        keys = set(key_of.values())
        abs_roots = [r.absolute() for r in roots]
        # Files indexed before that are gone (deleted, or renamed within a folder indexed now):
        # their articles leave this run, so a renamed file's article is not taken for a copy.
        going = {
            key
            for key in by_path
            if key not in keys
            # A URL is never gone: what it served stays (a news archive keeps old entries).
            and not is_url(key)
            and (
                not Path(key).exists()
                or any(Path(key).is_relative_to(r) for r in abs_roots if r.is_dir())
            )
        }
        live_ids = {aid for key, arts in by_path.items() if key not in going for aid, _, _ in arts}
        pending: list[tuple[Article, list[Chunk], str]] = []
        remove: list[str] = []
        file_hashes: dict[str, str | None] = {}
        claimed: dict[str, str] = {}
        for path in [*files, *urls]:
            page: Page | None = None
            if isinstance(path, str):
                try:
                    page = self.fetcher.fetch(path)
                except FetchError as exc:
                    report.problems.append(Problem(path, str(exc)))
                    continue
                key, digest = path, hashlib.sha256(page.body).hexdigest()
            else:
                shown.next_file(path)
                key = key_of[path]
                try:
                    # In steps, not the whole file at once: a dump may be larger than memory.
                    with path.open("rb") as fh:
                        digest = hashlib.file_digest(fh, "sha256").hexdigest()
                except OSError as exc:
                    reason = f"cannot read: {exc.strerror or exc}"
                    report.problems.append(Problem(str(path), reason))
                    continue
            old = by_path.get(key, [])
            if known_files.get(key) == digest:
                report.unchanged += len(old)
                claimed.update({aid: key for aid, _, _ in old})
                continue
            if page is not None:
                prepared, bad = self.prepare_url(key, page, {loc for _, loc, _ in old})
            else:
                prepared, bad = self.prepare_file(path)
            report.problems += bad
            # What reading again cannot change (a web archive's non-HTML records) is reported
            # but does not make the file be read again.
            bad = [p for p in bad if p.retry]
            if bad and not prepared:
                continue  # a file gone bad keeps its previous version in the index
            old_by_locator = {loc: (aid, h) for aid, loc, h in old}
            new_ids = set()
            for article, chunks, locator in prepared:
                aid = article.article_id
                other = claimed.get(aid)
                if other is not None or (aid in live_ids and aid not in {a for a, _, _ in old}):
                    report.problems.append(
                        Problem(str(path), f"same article as {other or 'one already indexed'}")
                    )
                    continue
                claimed[aid] = key
                new_ids.add(aid)
                prev = old_by_locator.get(locator)
                if prev and prev == (aid, article.content_hash):
                    report.unchanged += 1
                    continue
                if prev:
                    report.updated += 1
                    if prev[0] != aid:
                        remove.append(prev[0])
                else:
                    report.added += 1
                pending.append((article, chunks, locator))
                if self._tagging is not None:
                    self._tagging.add([(article, head_end(chunks))])
            for aid, loc, _h in old:
                if aid not in new_ids and aid not in remove:
                    if page is not None:
                        # A feed is a window on an archive: entries that left it stay.
                        report.unchanged += 1
                        continue
                    remove.append(aid)
                    if loc not in {loc2 for _, _, loc2 in prepared}:
                        report.removed += 1
            if not bad:
                # A file with a bad part is read again next time, so the problem is reported
                # until it is fixed; its good articles are unchanged and not re-embedded.
                file_hashes[key] = digest
        for key in going:
            remove += [aid for aid, _, _ in by_path[key]]
            report.removed += len(by_path[key])
            file_hashes[key] = None
        shown.end_reading()
        self._write(db, collection, pending, remove, file_hashes, shown, on_progress, report)

    def _write(
        self,
        db: ArticleDB,
        collection: Collection,
        pending: list[tuple[Article, list[Chunk], str]],
        remove: list[str],
        file_hashes: dict[str, str | None],
        progress: bool | Progress | None,
        on_progress: ProgressFn | None,
        report: IndexReport,
    ) -> None:
        stale = db.chunk_ids_of(remove + [a.article_id for a, _, _ in pending])
        # Chunk ids derive from the article's content and offsets, so vectors an interrupted
        # run already added for these very chunks are adopted instead of embedded again.
        wanted = [c.chunk_id for _, cs, _ in pending for c in cs if c.dense]
        present = present_ids(collection, wanted)
        total = len(wanted) - len(present)
        if not self.settings.uses_server:
            check_free_space(self.settings.index_dir, total)
        if total:
            self._embed_and_add(collection, pending, present, total, progress, on_progress, report)
        # Vectors go in first; then one transaction switches every article of the run at once,
        # so readers see the index before the run or after it, never a mix. A crash before the
        # commit leaves only vectors no row vouches for: readers ignore them, the next run
        # adopts or deletes them.
        tagged = None
        if self._tagging is not None:
            tagged, waited = self._tagging.result()
            report.tag_seconds += waited
        db.replace_articles(remove, pending, file_hashes, {}, tagged, TAGGER_VERSION)
        keep = db.chunk_ids()
        delete_ids(collection, [cid for cid in stale if cid not in keep])

    def _tag(
        self, articles: list[tuple[Article, int]], report: IndexReport
    ) -> dict[str, list[Entity]]:
        """Named entities of each article's head, text[:end] (answers are typed by them at
        question time)."""
        if not articles:
            return {}
        started = time.perf_counter()
        found = shared_tagger().tag([a.text[:end] for a, end in articles])
        report.tag_seconds += time.perf_counter() - started
        return {a.article_id: ents for (a, _), ents in zip(articles, found, strict=True)}

    def _tag_missing(self, db: ArticleDB, report: IndexReport) -> None:
        """Tag articles indexed before entities were kept, or by an older tagger, in batches."""
        ids = db.untagged(TAGGER_VERSION)
        for i in range(0, len(ids), 200):
            part = ids[i : i + 200]
            ends = db.head_ends(part)
            articles = [(a, ends.get(aid, 0)) for aid in part if (a := db.article(aid)) is not None]
            db.set_entities(self._tag(articles, report), TAGGER_VERSION)
            report.tagged += len(articles)

    def _embed_and_add(
        self,
        collection: Collection,
        pending: list[tuple[Article, list[Chunk], str]],
        present: set[str],
        total: int,
        progress: bool | Progress | None,
        on_progress: ProgressFn | None,
        report: IndexReport,
    ) -> None:
        # A bar on a terminal, a line every few seconds in a log (index/progress.py).
        shown = progress if isinstance(progress, Progress) else Progress(progress)
        shown.start_embedding(total)
        done = 0
        for group in embed_groups(pending, EMBED_GROUP_CHUNKS):
            chunks = [
                (a, c) for a, cs, _ in group for c in cs if c.dense and c.chunk_id not in present
            ]
            if not chunks:
                continue
            vectors = self.embedder.embed([c.text for _, c in chunks])
            # Straight to Chroma, vectors and flat metadata only. llama-index's Chroma store
            # also writes each text as a document, which Chroma puts in a full-text index that
            # newsdesk never queries (texts and BM25 live in the article store): that doubled
            # the time and disk of every write (8.3 s vs 4.1 s per 6k chunks, measured).
            collection.add(
                ids=[c.chunk_id for _, c in chunks],
                embeddings=vectors,
                metadatas=[chunk_metadata(a, c) for a, c in chunks],
            )
            done += len(chunks)
            report.embedded += len(chunks)
            shown.embedded(len(chunks))
            if on_progress:
                on_progress(done, total)
        shown.end_embedding()
