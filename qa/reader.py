"""From retrieved chunks to an answer: the best sentence of the best chunks.

Each sentence of the top chunks is scored by its cosine similarity to the question
(vectors computed at index time) and by how many of the question's content terms it
holds. The score is the answer's confidence; below ``no_answer_threshold`` the reader
answers nothing.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from index.lexical import terms
from index.sentences import Sentence
from index.store import Index
from qa.types import Answer, Hit


@dataclass(frozen=True)
class ReaderConfig:
    """``max_chunks``: how many top chunks sentences are drawn from.
    ``similarity_weight``: share of the score given to cosine similarity (the rest to term overlap).
    ``no_answer_threshold``: confidence under which no answer is returned (chosen on the eval set)."""

    max_chunks: int = 3
    similarity_weight: float = 0.5
    no_answer_threshold: float = 0.5

    def __post_init__(self) -> None:
        if self.max_chunks < 1:
            raise ValueError(f"max_chunks must be at least 1, got {self.max_chunks}")
        if not 0.0 <= self.similarity_weight <= 1.0:
            raise ValueError(f"similarity_weight must be in [0, 1], got {self.similarity_weight}")
        if not 0.0 <= self.no_answer_threshold <= 1.0:
            raise ValueError(f"no_answer_threshold must be in [0, 1], got {self.no_answer_threshold}")


@dataclass(frozen=True)
class ScoredSentence:
    row: int
    sentence: Sentence
    similarity: float
    overlap: float
    score: float


class SentenceReader:
    def __init__(self, index: Index, config: ReaderConfig | None = None) -> None:
        self.index = index
        self.config = config or ReaderConfig()
        by_doc: dict[str, list[int]] = defaultdict(list)
        for row, sentence in enumerate(index.sentences):
            by_doc[sentence.doc_id].append(row)
        self._rows = {d: sorted(rows, key=lambda r: index.sentences[r].start) for d, rows in by_doc.items()}
        self._starts = {d: [index.sentences[r].start for r in rows] for d, rows in self._rows.items()}
        self._terms = lru_cache(maxsize=65536)(self._sentence_terms)

    def _sentence_terms(self, row: int) -> frozenset[str]:
        return frozenset(terms(self.index.sentences[row].text))

    def sentences_in(self, hit: Hit) -> list[int]:
        """Rows of the sentences that overlap a chunk."""
        chunk = hit.chunk
        rows, starts = self._rows.get(chunk.doc_id, []), self._starts.get(chunk.doc_id, [])
        first = max(0, bisect.bisect_right(starts, chunk.start) - 1)
        return [r for r in rows[first:] if self.index.sentences[r].start < chunk.end and self.index.sentences[r].end > chunk.start]

    def rank(self, question: str, query: np.ndarray, hits: list[Hit]) -> list[ScoredSentence]:
        wanted = frozenset(terms(question))
        rows = list(dict.fromkeys(r for hit in hits[: self.config.max_chunks] for r in self.sentences_in(hit)))
        if not rows:
            return []
        similarities = self.index.sentence_vectors[rows] @ query
        weight = self.config.similarity_weight
        scored = []
        for row, similarity in zip(rows, similarities.tolist(), strict=False):
            overlap = len(wanted & self._terms(row)) / len(wanted) if wanted else 0.0
            score = min(1.0, max(0.0, weight * similarity + (1.0 - weight) * overlap))
            scored.append(ScoredSentence(row, self.index.sentences[row], similarity, overlap, score))
        return sorted(scored, key=lambda s: s.score, reverse=True)

    def read(self, question: str, query: np.ndarray, hits: list[Hit]) -> Answer | None:
        ranked = self.rank(question, query, hits)
        if not ranked or ranked[0].score < self.config.no_answer_threshold:
            return None
        best = ranked[0].sentence
        return Answer(
            text=best.text,
            doc_id=best.doc_id,
            start=best.start,
            end=best.end,
            sentence=best.text,
            sentence_start=best.start,
            sentence_end=best.end,
            score=round(ranked[0].score, 4),
        )
