"""Whether the articles answer the question at all: a small logistic head over the reader's evidence.

The span score (the best span against its window's null) says how much the model prefers a span to "no
answer" inside one window. It misses what a near-miss question looks like: the passage is on the subject,
the model finds the nearest number or name, but the words that make the question (the *employees* of
"how many employees?") are nowhere near that span. The head reads, for the best span: its score, its
window's null score, its margin over the best answer that shares no term with it, its passage's rank in
retrieval order, and the share of the question's content terms found in its sentence and in its passage.
Nothing of the answer's shape (its length, whether it is a number): the news set's near-misses ask for
numbers and dates more often than its answerable questions, and a head that learned that would refuse
short answers, not unanswered questions. ``python -m train tune`` fits it on the development splits
(label: the question has an answer in the articles) and stores it in the weights' card; the reader's
confidence is then the head's probability, and under the card's threshold the articles do not say.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from typing import Any

from index.lexical import terms

MARGIN_CAP = 10.0  # the margin when no other answer was proposed


@dataclass(frozen=True)
class Evidence:
    """What the head reads of one answer (the reader's best span)."""

    score: float  # the span's score joined with the evidence, against its window's null
    null: float  # its window's null score (start + end logit of the first token)
    margin: float  # its score minus the best score of an answer sharing no term with it (capped)
    rank: int  # its passage's rank in retrieval order
    cover_sentence: float  # share of the question's content terms in the answer's sentence
    cover_passage: float  # the same in the answer's passage

    def vector(self) -> tuple[float, ...]:
        return tuple(float(x) for x in astuple(self))


FEATURES = tuple(f.name for f in fields(Evidence))


def cover(question_terms: set[str], text: str) -> float:
    """Share of ``question_terms`` (stems) found in ``text``; 1 for a question without content terms."""
    if not question_terms:
        return 1.0
    return len(question_terms & set(terms(text))) / len(question_terms)


def _answer_terms(answer: str) -> set[str]:
    """An answer's content terms, or its folded text when it has none (a number alone, a stopword)."""
    return set(terms(answer)) or {answer.strip().lower()}


def evidence(
    question: str,
    answer: str,
    score: float,
    null: float,
    rank: int,
    sentence: str,
    passage: str,
    others: Sequence[tuple[str, float]],
) -> Evidence:
    """The evidence for ``answer`` (the best span), given the other proposed answers as (text, score), best first."""
    own = _answer_terms(answer)
    rival = next((s for text, s in others if not _answer_terms(text) & own), None)
    margin = MARGIN_CAP if rival is None else min(MARGIN_CAP, score - rival)
    asked = set(terms(question))
    return Evidence(
        score=score,
        null=null,
        margin=margin,
        rank=rank,
        cover_sentence=cover(asked, sentence),
        cover_passage=cover(asked, passage),
    )


@dataclass(frozen=True)
class AnswerabilityHead:
    """A logistic regression over standardised :class:`Evidence`: P(the articles answer the question)."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    def __post_init__(self) -> None:
        if not len(self.mean) == len(self.scale) == len(self.weights) == len(FEATURES):
            raise ValueError(f"an answerability head reads {len(FEATURES)} features ({', '.join(FEATURES)})")
        if any(s <= 0 for s in self.scale):
            raise ValueError("an answerability head's scales must be positive")

    def probability(self, ev: Evidence) -> float:
        return self.probability_of(ev.vector())

    def probability_of(self, vector: Sequence[float]) -> float:
        """The probability for an evidence vector (:data:`FEATURES`, in order)."""
        z = self.bias + sum(w * (x - m) / s for w, x, m, s in zip(self.weights, vector, self.mean, self.scale, strict=True))
        z = max(-50.0, min(50.0, z))
        return 1.0 / (1.0 + math.exp(-z))

    def as_card(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "mean": [round(x, 6) for x in self.mean],
            "scale": [round(x, 6) for x in self.scale],
            "weights": [round(x, 6) for x in self.weights],
            "bias": round(self.bias, 6),
        }

    @classmethod
    def from_card(cls, card: dict[str, Any]) -> AnswerabilityHead:
        """The head stored by ``as_card``; a head over other features than this version reads is an error."""
        if list(card.get("features", [])) != list(FEATURES):
            raise ValueError(f"the card's answerability head reads {card.get('features')}, this version reads {list(FEATURES)}")
        return cls(
            tuple(float(x) for x in card["mean"]),
            tuple(float(x) for x in card["scale"]),
            tuple(float(x) for x in card["weights"]),
            float(card["bias"]),
        )
