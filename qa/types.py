"""Values passed from retrieval to the answer. Offsets are document offsets:
``article.text[start:end] == text`` for every span, citation and answer."""

from __future__ import annotations

from dataclasses import dataclass, field

from index.chunking import Chunk


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its score (higher is better)."""

    chunk: Chunk
    score: float


@dataclass(frozen=True)
class Citation:
    doc_id: str
    chunk_id: str
    title: str | None
    date: str | None
    text: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Span:
    """A verbatim span of an article, with the sentence around it."""

    text: str
    doc_id: str
    start: int
    end: int
    sentence: str
    score: float = 0.0


@dataclass(frozen=True)
class Answer:
    """The answer span, the sentence it sits in, and a confidence in [0, 1].

    ``alternatives``: the next best distinct answers. ``supporting``: the same answer stated
    in other articles (their sentences show where articles word it differently)."""

    text: str
    doc_id: str
    start: int
    end: int
    sentence: str
    sentence_start: int
    sentence_end: int
    score: float
    alternatives: tuple[Span, ...] = ()
    supporting: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Result:
    question: str
    answer: Answer | None
    citations: tuple[Citation, ...] = field(default_factory=tuple)
    took_ms: float = 0.0
