"""From a question to ranked chunks: dense (FAISS), lexical (French BM25), or both fused
by reciprocal rank fusion; optional document/date filters; overlapping windows removed."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import numpy as np

from index.chunking import Chunk
from index.dense import search as dense_search
from index.errors import BadQuestion
from index.lexical import terms
from index.store import Index
from qa.types import Hit

# Two windows of one article that share more than this share of the shorter one are the same passage.
_DUPLICATE_OVERLAP = 0.5
# Candidates taken from each ranking before fusion and de-duplication. The same pool whatever the number of
# hits asked for (up to it), so a longer ranking begins with the shorter one.
_MIN_POOL = 50
# A date filter: a year, a month or a day.
_ISO_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


class Mode(StrEnum):
    HYBRID = "hybrid"
    DENSE = "dense"
    BM25 = "bm25"


@dataclass(frozen=True)
class Filters:
    """Which documents may be retrieved. Dates are ISO prefixes compared as strings;
    an article without a date passes a date filter only when ``keep_undated``."""

    doc_ids: frozenset[str] | None = None
    date_from: str | None = None
    date_to: str | None = None
    keep_undated: bool = True

    def is_empty(self) -> bool:
        return self.doc_ids is None and self.date_from is None and self.date_to is None

    def allows(self, doc_id: str, date: str | None) -> bool:
        if self.doc_ids is not None and doc_id not in self.doc_ids:
            return False
        if self.date_from is None and self.date_to is None:
            return True
        if date is None:
            return self.keep_undated
        # Compare on the shorter precision: "2024-01" is within [2024-01-15, ...] as a month.
        if self.date_from is not None and date < self.date_from[: len(date)]:
            return False
        return not (self.date_to is not None and date[: len(self.date_to)] > self.date_to)


def check_date(value: str, name: str) -> str:
    """``value`` when it is a real calendar year, month or day (``2024-02-29``; not ``2025-13`` or ``2025-02-30``)."""
    match = _ISO_DATE.fullmatch(value)
    if match is None:
        raise BadQuestion(f"{name} must be YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
    year, month, day = (int(part) if part else 1 for part in match.groups())
    try:
        date(year, month, day)
    except ValueError:
        raise BadQuestion(f"{name} {value!r} is not a real date") from None
    return value


def overlaps(a: Chunk, b: Chunk) -> bool:
    """True when ``a`` and ``b`` are windows of one article sharing most of the shorter one."""
    if a.doc_id != b.doc_id:
        return False
    shared = min(a.end, b.end) - max(a.start, b.start)
    return shared > _DUPLICATE_OVERLAP * min(a.end - a.start, b.end - b.start)


def deduplicate(hits: list[Hit], limit: int) -> list[Hit]:
    kept: list[Hit] = []
    for hit in hits:
        if not any(overlaps(hit.chunk, k.chunk) for k in kept):
            kept.append(hit)
            if len(kept) == limit:
                break
    return kept


def top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """The rows of the ``k`` best positive scores, best first, ties by row: what a stable sort of all the scores
    would give, without sorting a million of them (only the positive ones, partitioned when more than ``k``)."""
    rows = np.flatnonzero(scores > 0)
    if len(rows) > k:
        kth = np.partition(scores[rows], len(rows) - k)[len(rows) - k]  # the k-th best score
        above, ties = rows[scores[rows] > kth], rows[scores[rows] == kth]
        rows = np.concatenate([above, ties[: k - len(above)]])
    return rows[np.lexsort((rows, -scores[rows]))]


def rrf(rankings: list[list[int]], k: int) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of row rankings, normalised so a row first everywhere scores 1."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, row in enumerate(ranking, start=1):
            fused[row] = fused.get(row, 0.0) + 1.0 / (k + rank)
    best = len(rankings) / (k + 1)
    return sorted(((row, score / best) for row, score in fused.items()), key=lambda x: (-x[1], x[0]))


class Retriever:
    """Ranks chunks for a question. Dense scores are cosines; BM25 scores are divided by the
    best one of the query; hybrid scores are RRF normalised to [0, 1]."""

    def __init__(self, index: Index, *, mode: Mode = Mode.HYBRID, rrf_k: int = 60) -> None:
        if rrf_k < 1:
            raise ValueError(f"rrf_k must be at least 1, got {rrf_k}")
        self.index = index
        self.mode = mode
        self.rrf_k = rrf_k

    def _mask(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        articles = self.index.articles
        allowed = np.fromiter(
            (filters.allows(doc_id, articles.date(row)) for row, doc_id in enumerate(articles.doc_ids)), dtype=bool, count=len(articles)
        )
        mask: np.ndarray = allowed[self.index.chunks.doc_rows]  # per chunk, through its article row
        return mask

    def dense(self, query: np.ndarray, k: int, mask: np.ndarray | None) -> list[tuple[int, float]]:
        allowed = None if mask is None else np.flatnonzero(mask).astype(np.int64)
        if allowed is not None and len(allowed) == 0:
            return []
        scores, rows = dense_search(self.index.chunk_index, query, k, allowed)
        return [(int(r), float(s)) for r, s in zip(rows, scores, strict=True) if r >= 0]

    def lexical(self, question: str, k: int, mask: np.ndarray | None) -> list[tuple[int, float]]:
        scores = self.index.lexical.scores(terms(question))
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        rows = top_rows(scores, k)
        top = float(scores[rows[0]]) if len(rows) else 1.0
        return [(int(r), float(scores[r]) / top) for r in rows]

    def retrieve(
        self, question: str, query: np.ndarray | None, top_k: int, filters: Filters | None = None, mode: Mode | None = None
    ) -> list[Hit]:
        """Best chunks first, at most ``top_k``; asking for more only extends the list. ``query`` (the
        question vector) is unused in BM25 mode."""
        mode = self.mode if mode is None else mode
        mask = self._mask(filters)
        pool = max(_MIN_POOL, top_k)
        dense = self.dense(query, pool, mask) if mode is not Mode.BM25 and query is not None else []
        lexical = self.lexical(question, pool, mask) if mode is not Mode.DENSE else []
        if mode is Mode.HYBRID:
            ranked = rrf([[r for r, _ in dense], [r for r, _ in lexical]], self.rrf_k)
        else:
            ranked = dense if mode is Mode.DENSE else lexical
        hits = [Hit(self.index.chunks[row], score) for row, score in ranked]
        return deduplicate(hits, top_k)


def unknown_doc_ids(index: Index, doc_ids: Collection[str]) -> list[str]:
    """The ids among ``doc_ids`` that the index does not hold."""
    return sorted(set(doc_ids) - index.articles.keys())
