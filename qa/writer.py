"""The one writer of a serving process: article changes go to the articles folder, then to the index, then a
new :class:`Pipeline` over the new index is published; readers in flight keep the one they hold.

Order makes a crash harmless: the folder (the source of truth) changes first, crash-safely
(``index/article_files.py``); the index follows with an incremental build swapped in atomically
(``index/update.py``); the caller is answered only once the new pipeline is published, so it reads its
writes. A crash between the two leaves the folder ahead of the index: :meth:`Writer.start` (at the next
start) finishes an interrupted folder change and brings the index up to the folder. One write runs at a
time: another waits up to ``wait_seconds``, then gets :class:`WriteConflict`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from index.annotate import Annotator
from index.article_files import apply_changes, as_loaded, plan_changes, recover
from index.chunking import ChunkingConfig
from index.corpus import Article, same_article, scan_articles
from index.embedding import Embedder
from index.errors import BadArticle, CorpusError, UnknownDocument, WriteConflict
from index.store import Index, Manifest, build_index, fingerprint, load_index, why_stale
from index.update import SyncReport, sync_index
from qa.pipeline import Pipeline

log = logging.getLogger("qa.writer")

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class WriteResult:
    """What a write did, once its index serves."""

    added: tuple[str, ...]
    replaced: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[Article, ...]
    articles: int
    index_built_at: str
    chunks_embedded: int
    seconds: float


@dataclass(frozen=True)
class WriterConfig:
    chunking: ChunkingConfig
    wait_seconds: float = 5.0
    max_batch: int = 100
    max_article_chars: int = 1_000_000


class Writer:
    """Applies article writes to ``articles_dir`` and ``index_dir``; ``make_pipeline`` builds a pipeline
    over a loaded index (with the models already loaded), ``publish`` puts it in service."""

    def __init__(
        self,
        articles_dir: Path,
        index_dir: Path,
        embedder: Embedder,
        annotator: Annotator,
        make_pipeline: Callable[[Index], Pipeline],
        publish: Callable[[Pipeline], None],
        config: WriterConfig,
    ) -> None:
        self.articles_dir, self.index_dir = articles_dir, index_dir
        self.embedder, self.annotator = embedder, annotator
        self.make_pipeline, self.publish = make_pipeline, publish
        self.config = config
        self._lock = threading.Lock()

    def start(self) -> SyncReport | None:
        """Finish a folder change a crash interrupted, and when the folder holds other articles than the
        index (and nothing else differs), bring the index up to it and publish it."""
        with self._turn(None):
            if recover(self.articles_dir):
                log.warning("finished an article change interrupted by a crash in %s", self.articles_dir)
            articles = self._articles()
            stale = why_stale(self.index_dir, articles, fingerprint(self.embedder, self.config.chunking, self.annotator.model))
            if stale != ["the articles"]:
                return None
            report = self._sync(articles)
            log.warning(
                "the index lagged the articles folder: %d added, %d replaced, %d removed",
                len(report.added),
                len(report.replaced),
                len(report.removed),
            )
            return report

    def upsert(self, articles: Sequence[Article]) -> WriteResult:
        """Add new articles and replace existing ones (all or none: a bad one raises :class:`BadArticle`)."""
        started = time.perf_counter()
        batch = self._check_batch(articles)
        with self._turn(self.config.wait_seconds):
            current = {a.doc_id: a for a in self._articles()}
            added = tuple(a.doc_id for a in batch if a.doc_id not in current)
            replaced = tuple(a.doc_id for a in batch if a.doc_id in current and not same_article(a, current[a.doc_id]))
            unchanged = tuple(a.doc_id for a in batch if a.doc_id in current and same_article(a, current[a.doc_id]))
            writes = [a for a in batch if a.doc_id not in unchanged]
            apply_changes(self.articles_dir, plan_changes(self.articles_dir, writes))
            report = self._sync(self._articles())
            return self._result(report, started, added=added, replaced=replaced, unchanged=unchanged)

    def delete(self, doc_id: str) -> WriteResult:
        """Remove one article from the folder and the index."""
        started = time.perf_counter()
        with self._turn(self.config.wait_seconds):
            current = {a.doc_id: a for a in self._articles()}
            if doc_id not in current:
                raise UnknownDocument(f"no document with id {doc_id!r}")
            if len(current) == 1:
                raise WriteConflict(f"{doc_id!r} is the last article: an index needs at least one")
            apply_changes(self.articles_dir, plan_changes(self.articles_dir, [], [doc_id]))
            report = self._sync(self._articles())
            return self._result(report, started, removed=(current[doc_id],))

    def rebuild(self, progress: Progress) -> WriteResult:
        """Re-embed every article of the folder into a new index and publish it (waits its turn, unbounded)."""
        progress("queued", 0.0)
        with self._turn(None):
            started = time.perf_counter()
            progress("reading articles", 0.05)
            recover(self.articles_dir)
            articles = self._articles()
            progress(f"embedding {len(articles)} articles", 0.1)
            manifest = build_index(articles, self.embedder, self.index_dir, self.config.chunking, annotator=self.annotator)
            progress("loading the new index", 0.9)
            self._publish()
            chunks = manifest.chunks
            return WriteResult((), (), (), (), manifest.articles, manifest.built_at, chunks, round(time.perf_counter() - started, 3))

    @contextmanager
    def _turn(self, wait: float | None) -> Iterator[None]:
        if not self._lock.acquire(timeout=-1 if wait is None else wait):
            raise WriteConflict(f"another write is in progress (waited {wait:g} s): retry when it is done")
        try:
            yield
        finally:
            self._lock.release()

    def _check_batch(self, articles: Sequence[Article]) -> list[Article]:
        if not articles:
            raise BadArticle("no articles to add")
        if len(articles) > self.config.max_batch:
            raise BadArticle(f"a batch holds at most {self.config.max_batch} articles, got {len(articles)}")
        batch, seen = [], set()
        for article in articles:
            if len(article.text) > self.config.max_article_chars:
                raise BadArticle(
                    f"article {article.doc_id.strip()!r}: the text is {len(article.text)} characters long; "
                    f"the limit is {self.config.max_article_chars}"
                )
            loaded = as_loaded(article)
            if loaded.doc_id in seen:
                raise BadArticle(f"article {loaded.doc_id!r} is twice in the batch")
            seen.add(loaded.doc_id)
            batch.append(loaded)
        return batch

    def _articles(self) -> list[Article]:
        try:  # a file that cannot be read is skipped, as `qa index sync` skips it (/health lists it)
            return scan_articles(self.articles_dir).articles
        except CorpusError as exc:
            raise WriteConflict(f"the articles folder must be fixed before a write: {exc}") from exc

    def _sync(self, articles: list[Article]) -> SyncReport:
        report = sync_index(self.index_dir, articles, self.embedder, self.config.chunking, annotator=self.annotator)
        if report.written:
            self._publish()
        return report

    def _publish(self) -> Manifest:
        index = load_index(self.index_dir, model=self.embedder.name)
        self.publish(self.make_pipeline(index))
        return index.manifest

    def _result(
        self,
        report: SyncReport,
        started: float,
        *,
        added: tuple[str, ...] = (),
        replaced: tuple[str, ...] = (),
        unchanged: tuple[str, ...] = (),
        removed: tuple[Article, ...] = (),
    ) -> WriteResult:
        manifest = report.manifest
        return WriteResult(
            added,
            replaced,
            unchanged,
            removed,
            manifest.articles,
            manifest.built_at,
            report.chunks_embedded,
            round(time.perf_counter() - started, 3),
        )
