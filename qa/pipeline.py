"""``Pipeline.ask``: validate, embed the question, retrieve, read.

``top_k`` only sets how many citations come back: the reader reads its own configured number of
chunks (``Reader.max_chunks``) whatever it is, so the answer does not depend on it.

The pipeline knows its reader only through the :class:`~qa.readers.Reader` protocol; the readers
themselves live in ``qa/readers/`` (``span/``, the trained one; ``evidence/``, the feature reader), and
``qa/factory.py`` picks one from the settings."""

from __future__ import annotations

import time
from collections.abc import Collection

from index.embedding import Embedder
from index.errors import BadQuestion, UnknownDocument
from index.store import Index
from qa.readers import Reader
from qa.retrieval import Filters, Mode, Retriever, check_date, unknown_doc_ids
from qa.types import Citation, Hit, Result

MAX_QUESTION_CHARS = 1000
MAX_TOP_K = 20
# Asked once before serving: every stage runs, on whatever the index holds.
WARM_UP_QUESTION = "Qui a annoncé combien, où et quand ?"


class Pipeline:
    """Answers questions over one loaded index with ``reader``. Thread-safe for concurrent ``ask`` calls."""

    def __init__(
        self,
        index: Index,
        embedder: Embedder,
        reader: Reader,
        *,
        mode: Mode = Mode.HYBRID,
        rrf_k: int = 60,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.retriever = Retriever(index, mode=mode, rrf_k=rrf_k)
        self.reader: Reader = reader

    def with_reader(self, reader: Reader) -> Pipeline:
        """The same index, embedder and retrieval with another reader."""
        other = Pipeline(self.index, self.embedder, reader, mode=self.retriever.mode, rrf_k=self.retriever.rrf_k)
        other.retriever = self.retriever
        return other

    def ask(
        self,
        question: str,
        *,
        top_k: int = 5,
        mode: Mode | None = None,
        doc_ids: Collection[str] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        keep_undated: bool = True,
    ) -> Result:
        started = time.perf_counter()
        question = validate_question(question)
        if not 1 <= top_k <= MAX_TOP_K:
            raise BadQuestion(f"top_k must be between 1 and {MAX_TOP_K}, got {top_k}")
        filters = self._filters(doc_ids, date_from, date_to, keep_undated)
        query = self.embedder.encode_queries([question])[0]
        hits = self.retriever.retrieve(question, query, max(top_k, self.reader.max_chunks), filters, mode)
        answer = self.reader.read(question, query, hits[: self.reader.max_chunks])
        took_ms = (time.perf_counter() - started) * 1000.0
        return Result(question, answer, tuple(self._cite(h) for h in hits[:top_k]), round(took_ms, 2))

    def warm_up(self) -> float:
        """Ask one question through every stage (question encoding, both retrievers, the reader), so
        the first real request does not pay for first calls; returns how long it took, in ms."""
        started = time.perf_counter()
        self.ask(WARM_UP_QUESTION, top_k=MAX_TOP_K, mode=Mode.HYBRID)
        return round((time.perf_counter() - started) * 1000.0, 2)

    def _filters(self, doc_ids: Collection[str] | None, date_from: str | None, date_to: str | None, keep_undated: bool) -> Filters:
        if doc_ids is not None:
            unknown = unknown_doc_ids(self.index, doc_ids)
            if unknown:
                raise UnknownDocument(f"unknown doc_ids: {', '.join(unknown)}")
        date_from = None if date_from is None else check_date(date_from, "date_from")
        date_to = None if date_to is None else check_date(date_to, "date_to")
        if date_from is not None and date_to is not None and date_from > date_to:
            raise BadQuestion(f"date_from ({date_from}) is after date_to ({date_to})")
        return Filters(frozenset(doc_ids) if doc_ids is not None else None, date_from, date_to, keep_undated)

    def _cite(self, hit: Hit) -> Citation:
        chunk, article = hit.chunk, self.index.articles[hit.chunk.doc_id]
        return Citation(chunk.doc_id, chunk.chunk_id, article.title, article.date, chunk.text, chunk.start, chunk.end, round(hit.score, 4))


def validate_question(question: str) -> str:
    stripped = question.strip()
    if not stripped:
        raise BadQuestion("the question is empty")
    if len(stripped) > MAX_QUESTION_CHARS:
        raise BadQuestion(f"the question is {len(stripped)} characters long; the limit is {MAX_QUESTION_CHARS}")
    return stripped
