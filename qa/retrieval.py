"""From a question vector to ranked chunks: dense search over the FAISS index,
optional document/date filters, and removal of near-duplicate overlapping windows."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from index.chunking import Chunk
from index.store import Index
from qa.types import Hit

# Two windows of one article that share more than this share of the shorter one are the same passage.
_DUPLICATE_OVERLAP = 0.5


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


class DenseRetriever:
    """Exact inner-product search over normalised chunk vectors."""

    def __init__(self, index: Index) -> None:
        self.index = index

    def allowed_rows(self, filters: Filters) -> np.ndarray | None:
        if filters.is_empty():
            return None
        articles = self.index.articles
        rows = [i for i, c in enumerate(self.index.chunks) if filters.allows(c.doc_id, articles[c.doc_id].date)]
        return np.asarray(rows, dtype=np.int64)

    def search(self, query: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        """``(chunk row, cosine)`` best first, at most ``k``."""
        index = self.index.chunk_index
        allowed = self.allowed_rows(filters) if filters is not None else None
        if allowed is not None:
            if len(allowed) == 0:
                return []
            import faiss

            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))  # type: ignore[call-arg]
            scores, rows = index.search(query.reshape(1, -1), min(k, len(allowed)), params=params)
        else:
            scores, rows = index.search(query.reshape(1, -1), min(k, index.ntotal))
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=False) if r >= 0]


class Retriever:
    """Ranks chunks for a question and drops near-duplicates."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.dense = DenseRetriever(index)

    def retrieve(self, query: np.ndarray, top_k: int, filters: Filters | None = None) -> list[Hit]:
        pool = self.dense.search(query, max(4 * top_k, 20), filters)
        hits = [Hit(self.index.chunks[row], score, dense_rank=rank) for rank, (row, score) in enumerate(pool, start=1)]
        return deduplicate(hits, top_k)


def unknown_doc_ids(index: Index, doc_ids: Collection[str]) -> list[str]:
    """The ids among ``doc_ids`` that the index does not hold."""
    return sorted(set(doc_ids) - index.articles.keys())
