"""The one writer of a serving process: article changes go to the articles folder, then to the index, then a
new :class:`Pipeline` over the new index is published; readers in flight keep the one they hold.

Order makes a failure harmless:

1. each turn starts by finishing a folder change an I/O error or a crash left (its journal): until it can,
   every write is refused with :class:`WriteUnavailable` (503) and nothing new is journalled;
2. the new articles are checked as the loader will read them (the length limit on the normalised text) and
   analysed (chunks, sentences, spaCy, vectors) before anything changes: an article the analysis refuses gets
   :class:`BadArticle` (422) and the folder and the index stay as they were;
3. the folder (the source of truth) changes, crash-safely (``index/article_files.py``); an I/O error there
   (a full disk) answers 503, the change finished at the next turn;
4. the index follows with an incremental build reusing that analysis, swapped in atomically
   (``index/update.py``); the caller is answered only once the new pipeline is published, so it reads its writes.

A crash between 3 and 4 leaves the folder ahead of the index: the next turn, or :meth:`Writer.start` at the next
start, brings the index up to the folder. One write runs at a time; the others wait their turn in the order they
came, at most ``max_waiting`` of them (``qa/turns.py``): beyond, :class:`WriteUnavailable` with a Retry-After.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from index.annotate import Annotator
from index.article_files import FileChange, apply_changes, as_loaded, plan_changes, read_articles, recover
from index.chunking import Chunker, ChunkingConfig
from index.corpus import Article, same_article
from index.embedding import Embedder
from index.errors import BadArticle, CorpusError, UnknownDocument, WriteConflict, WriteUnavailable
from index.store import BuildParts, Index, Manifest, analyse_articles, build_index, fingerprint, load_index, why_stale
from index.update import SyncReport, sync_index
from qa.pipeline import Pipeline
from qa.turns import Turns

log = logging.getLogger("qa.writer")
_T = TypeVar("_T")

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


# spaCy refuses a longer text (its nlp.max_length, error E088) and needs about 1 GB per 100,000 characters:
# an article's limit stays well under it.
ANNOTATOR_MAX_CHARS = 1_000_000
MAX_ARTICLE_CHARS = ANNOTATOR_MAX_CHARS // 2


@dataclass(frozen=True)
class WriterConfig:
    chunking: ChunkingConfig
    max_waiting: int = 16
    max_batch: int = 100
    max_article_chars: int = 100_000

    def __post_init__(self) -> None:
        if not 1 <= self.max_article_chars <= MAX_ARTICLE_CHARS:
            raise ValueError(f"max_article_chars must be between 1 and {MAX_ARTICLE_CHARS}, got {self.max_article_chars}")


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
        self._turns = Turns(config.max_waiting)

    @property
    def waiting(self) -> int:
        """Writes (and rebuilds) waiting for their turn now."""
        return self._turns.waiting

    def start(self) -> SyncReport | None:
        """Finish a folder change a crash interrupted, and when the folder holds other articles than the
        index (and nothing else differs), bring the index up to it and publish it."""
        with self._turns.turn(bounded=False):
            self._recover()
            articles = self._articles()
            built_with = fingerprint(self.embedder, self.config.chunking, self.annotator)
            stale = why_stale(self.index_dir, articles, built_with)
            if stale != ["the articles"]:
                return None
            report = self._sync()
            log.warning(
                "the index lagged the articles folder: %d added, %d replaced, %d removed",
                len(report.added),
                len(report.replaced),
                len(report.removed),
            )
            return report

    def upsert(self, articles: Sequence[Article]) -> WriteResult:
        """Add new articles and replace existing ones (all or none: a bad one raises :class:`BadArticle`, and
        nothing changes). An id sent twice: the last one wins."""
        started = time.perf_counter()
        batch = self._check_batch(articles)
        with self._turns.turn(bounded=True):
            self._recover()
            current = {a.doc_id: a for a in self._articles()}
            added = tuple(a.doc_id for a in batch if a.doc_id not in current)
            replaced = tuple(a.doc_id for a in batch if a.doc_id in current and not same_article(a, current[a.doc_id]))
            unchanged = tuple(a.doc_id for a in batch if a.doc_id in current and same_article(a, current[a.doc_id]))
            writes = [a for a in batch if a.doc_id not in unchanged]
            analysed = self._analyse(writes)  # before the folder changes: a refused article changes nothing
            self._change_folder(plan_changes(self.articles_dir, writes))
            report = self._sync(analysed)
            return self._result(report, started, added=added, replaced=replaced, unchanged=unchanged)

    def delete(self, doc_id: str) -> WriteResult:
        """Remove one article from the folder and the index."""
        started = time.perf_counter()
        with self._turns.turn(bounded=True):
            self._recover()
            current = {a.doc_id: a for a in self._articles()}
            if doc_id not in current:
                raise UnknownDocument(f"no document with id {doc_id!r}")
            if len(current) == 1:
                raise WriteConflict(f"{doc_id!r} is the last article: an index needs at least one")
            self._change_folder(plan_changes(self.articles_dir, [], [doc_id]))
            report = self._sync()
            return self._result(report, started, removed=(current[doc_id],))

    def rebuild(self, progress: Progress) -> WriteResult:
        """Re-embed every article of the folder into a new index and publish it (waits its turn, unbounded)."""
        progress("queued", 0.0)
        with self._turns.turn(bounded=False):
            started = time.perf_counter()
            progress("reading articles", 0.05)
            self._recover()
            articles = self._articles()
            progress(f"embedding {len(articles)} articles", 0.1)
            manifest = self._index_write(
                lambda: build_index(
                    articles, self.embedder, self.index_dir, self.config.chunking, annotator=self.annotator, source=self._articles
                )
            )
            progress("loading the new index", 0.9)
            self._publish()
            chunks = manifest.chunks
            return WriteResult((), (), (), (), manifest.articles, manifest.built_at, chunks, round(time.perf_counter() - started, 3))

    def _check_batch(self, articles: Sequence[Article]) -> list[Article]:
        """The batch as the loader will read it back, each id once (the last one sent), each text within the limit."""
        if not articles:
            raise BadArticle("no articles to add")
        if len(articles) > self.config.max_batch:
            raise BadArticle(f"a batch holds at most {self.config.max_batch} articles, got {len(articles)}")
        batch: dict[str, Article] = {}
        for article in articles:
            loaded = as_loaded(article)
            if len(loaded.text) > self.config.max_article_chars:  # the text as indexed: NFC may lengthen it
                grew = " once normalised" if len(loaded.text) > len(article.text) else ""
                raise BadArticle(
                    f"article {loaded.doc_id!r}: the text is {len(loaded.text)} characters long{grew}; "
                    f"the limit is {self.config.max_article_chars}"
                )
            batch.pop(loaded.doc_id, None)  # an id sent twice: the last one wins, in its own place
            batch[loaded.doc_id] = loaded
        return list(batch.values())

    def _analyse(self, articles: list[Article]) -> BuildParts | None:
        """Chunks, sentences, spans and vectors of ``articles``; an article the analysis refuses (spaCy's
        length limit, say) raises :class:`BadArticle` naming it."""
        if not articles:
            return None
        chunker = Chunker(self.config.chunking)
        try:
            return analyse_articles(articles, self.embedder, chunker, self.annotator)
        except ValueError as exc:
            for article in articles if len(articles) > 1 else []:  # which one: each alone (only when one failed)
                try:
                    analyse_articles([article], self.embedder, chunker, self.annotator)
                except ValueError as alone:
                    raise BadArticle(f"article {article.doc_id!r} cannot be indexed: {alone}") from alone
            name = f"article {articles[0].doc_id!r}" if len(articles) == 1 else "the articles"
            raise BadArticle(f"{name} cannot be indexed: {exc}") from exc

    def _recover(self) -> None:
        """Finish a folder change an I/O error or a crash left, before anything else."""
        try:
            if recover(self.articles_dir):
                log.warning("finished an interrupted article change in %s", self.articles_dir)
        except (OSError, ValueError, KeyError, TypeError) as exc:  # ValueError: an unreadable journal
            raise WriteUnavailable(
                f"writes wait until an earlier change to the articles folder can be finished ({exc}); nothing new was written"
            ) from exc

    def _change_folder(self, changes: list[FileChange]) -> None:
        try:
            apply_changes(self.articles_dir, changes)
        except OSError as exc:
            raise WriteUnavailable(
                f"the articles folder could not be written ({exc}): the change is journalled and will be finished "
                "before the next write; the index does not hold it yet"
            ) from exc

    def _articles(self) -> list[Article]:
        try:  # read under the folder lock; a file that cannot be read is skipped, as `qa index sync` skips it
            return read_articles(self.articles_dir)
        except CorpusError as exc:
            raise WriteConflict(f"the articles folder must be fixed before a write: {exc}") from exc

    def _sync(self, analysed: BuildParts | None = None) -> SyncReport:
        config, annotator = self.config, self.annotator
        report = self._index_write(
            lambda: sync_index(self.index_dir, self._articles, self.embedder, config.chunking, annotator=annotator, analysed=analysed)
        )
        if report.written:
            self._publish()
        return report

    def _index_write(self, write: Callable[[], _T]) -> _T:
        try:
            return write()
        except OSError as exc:
            raise WriteUnavailable(
                f"the index could not be written ({exc}): the articles folder holds the change, and the next write "
                "(or a restart) brings the index up to it"
            ) from exc

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
