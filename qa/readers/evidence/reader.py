"""From retrieved chunks to a short answer.

1. ``qa/readers/evidence/features.py`` ranks the sentences of the top chunks and describes every candidate span
   of the best ones with named features.
2. A span's score is a weighted sum of its features; the weights were fitted on the eval set
   (``python -m eval.fit``) and ship in ``reader_model.json`` next to this file, so every
   weight can be read and explained.
3. The best span's confidence is a logistic model of how clearly it wins and how well its
   sentence covers the question; below ``no_answer_threshold`` no answer is given. Alternatives
   and supporting spans get that confidence scaled by their score relative to the answer's.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from index.embedding import Embedder
from index.store import Index
from qa.readers import answer_key, distinct_alternatives
from qa.readers.analysis import analyse
from qa.readers.evidence.features import CONFIDENCE_FEATURES, SPAN_FEATURES, Candidate, Evidence, EvidenceBuilder, confidence_features
from qa.readers.evidence.sentence_vectors import SentenceVectors
from qa.types import Answer, Hit, Span

__all__ = ["ReaderConfig", "ReaderModel", "SentenceReader", "answer_key", "default_model", "off_kind"]

MODEL_FILE = Path(__file__).with_name("reader_model.json")


@dataclass(frozen=True)
class ReaderModel:
    """The weights of the span score and of the confidence, by feature name."""

    span_weights: Mapping[str, float]
    confidence_weights: Mapping[str, float]
    confidence_bias: float
    note: str = ""

    def __post_init__(self) -> None:
        kinds = (("span", self.span_weights, SPAN_FEATURES), ("confidence", self.confidence_weights, CONFIDENCE_FEATURES))
        for kind, weights, names in kinds:
            unknown = set(weights) - set(names)
            if unknown:
                raise ValueError(f"unknown {kind} features in the reader model: {', '.join(sorted(unknown))}")

    def span_vector(self) -> np.ndarray:
        return np.array([self.span_weights.get(n, 0.0) for n in SPAN_FEATURES])

    def confidence_vector(self) -> np.ndarray:
        return np.array([self.confidence_weights.get(n, 0.0) for n in CONFIDENCE_FEATURES])

    @classmethod
    def from_json(cls, path: Path) -> ReaderModel:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                dict(data["span_weights"]),
                dict(data["confidence_weights"]),
                float(data["confidence_bias"]),
                str(data.get("note", "")),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"cannot read the reader model {path}: {exc}") from exc

    def to_json(self, path: Path) -> None:
        data = {
            "note": self.note,
            "span_weights": {n: round(self.span_weights.get(n, 0.0), 4) for n in SPAN_FEATURES},
            "confidence_weights": {n: round(self.confidence_weights.get(n, 0.0), 4) for n in CONFIDENCE_FEATURES},
            "confidence_bias": round(self.confidence_bias, 4),
        }
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@lru_cache(maxsize=1)
def default_model() -> ReaderModel:
    """The weights fitted on the eval set, shipped with the package."""
    return ReaderModel.from_json(MODEL_FILE)


@dataclass(frozen=True)
class ReaderConfig:
    """How many chunks and sentences the reader looks at, its weights and the no-answer threshold."""

    max_chunks: int = 5
    max_sentences: int = 8
    no_answer_threshold: float = 0.11
    model: ReaderModel = field(default_factory=default_model)

    def __post_init__(self) -> None:
        if self.max_chunks < 1 or self.max_sentences < 1:
            raise ValueError("max_chunks and max_sentences must be at least 1")
        if not 0.0 <= self.no_answer_threshold <= 1.0:
            raise ValueError(f"no_answer_threshold must be in [0, 1], got {self.no_answer_threshold}")


@dataclass(frozen=True)
class Scored:
    """The candidates of one question with their scores, best per distinct answer first."""

    evidence: Evidence
    scores: np.ndarray
    ranking: list[int]  # every candidate, best first
    order: list[int]  # index of the best candidate of each distinct answer, best first

    @classmethod
    def of(cls, evidence: Evidence, scores: np.ndarray) -> Scored:
        ranking = np.argsort(-scores, kind="stable").tolist()
        best_of_key: dict[str, int] = {}
        for i in ranking:
            best_of_key.setdefault(evidence.candidates[i].key, i)
        return cls(evidence, scores, ranking, list(best_of_key.values()))

    def lead(self, i: int) -> float | None:
        """How far candidate ``i`` stands above the best candidate of any other answer."""
        key = self.evidence.candidates[i].key
        others = [self.scores[j] for j in self.order if self.evidence.candidates[j].key != key]
        return float(self.scores[i] - others[0]) if others else None


def off_kind(evidence: Evidence, i: int) -> bool:
    """Candidate ``i`` is not of the kind the question asks for (``QuestionAnalysis.wants_kind``): when that
    is the best the articles offer, they do not say."""
    analysis = evidence.analysis
    return analysis.wants_kind and analysis.type_match(evidence.candidates[i].label) == 0.0


class SentenceReader:
    """The evidence reader. ``vectors``: the sentence vectors it reads (a reader made by
    :meth:`with_threshold` shares them), or the embedder to encode them with."""

    def __init__(self, index: Index, vectors: SentenceVectors | Embedder, config: ReaderConfig | None = None) -> None:
        self.index = index
        self.config = config or ReaderConfig()
        self.vectors = vectors if isinstance(vectors, SentenceVectors) else SentenceVectors(index, vectors)
        self.evidence = EvidenceBuilder(index, self.vectors)
        self._span_w = self.config.model.span_vector()
        self._conf_w = self.config.model.confidence_vector()

    @property
    def max_chunks(self) -> int:
        return self.config.max_chunks

    @property
    def no_answer_threshold(self) -> float:
        return self.config.no_answer_threshold

    def with_threshold(self, threshold: float) -> SentenceReader:
        return SentenceReader(self.index, self.vectors, replace(self.config, no_answer_threshold=threshold))

    def evidence_for(self, question: str, query: np.ndarray, hits: list[Hit]) -> Evidence:
        """The candidates of a question and their feature rows, as this reader sees them: it reads the first
        ``max_chunks`` of the ranked ``hits``, however many it is given."""
        chunks = hits[: self.config.max_chunks]
        return self.evidence.build(analyse(question), query, chunks, self.config.max_chunks, self.config.max_sentences)

    def score(self, question: str, query: np.ndarray, hits: list[Hit]) -> Scored | None:
        evidence = self.evidence_for(question, query, hits)
        if not evidence.candidates:
            return None
        return Scored.of(evidence, evidence.features @ self._span_w)

    def confidence(self, scored: Scored, i: int) -> float:
        """Calibrated probability that candidate ``i`` answers the question; 0 when the question asks for a
        definite kind of answer (a date, a number, a person...) and the candidate is of another kind."""
        if off_kind(scored.evidence, i):
            return 0.0
        features = confidence_features(scored.evidence, scored.scores, i, scored.lead(i))
        z = float(features @ self._conf_w) + self.config.model.confidence_bias
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def _span(self, scored: Scored, i: int, confidence: float) -> Span:
        """Another span, with the answer's ``confidence`` scaled by the span's weight relative to the answer's:
        ``confidence * exp(score_i - score_best)``, never above the answer's own."""
        c = scored.evidence.candidates[i]
        text = self.index.articles[c.doc_id].text
        relative = math.exp(min(0.0, float(scored.scores[i] - scored.scores[scored.order[0]])))
        return Span(text[c.start : c.end], c.doc_id, c.start, c.end, self.index.sentences[c.row].text, round(confidence * relative, 4))

    def _alternatives(self, scored: Scored, best: int) -> list[int]:
        """The candidates listed as other answers: distinct from the answer and from each other (see
        :func:`~qa.readers.distinct_alternatives`), best first."""
        cands = scored.evidence.candidates
        others = scored.order[1:]
        places = [(cands[i].doc_id, cands[i].start, cands[i].end) for i in others]
        c = cands[best]  # a candidate's key is its answer_key
        return [others[j] for j in distinct_alternatives((c.doc_id, c.start, c.end), c.key, places, [cands[i].key for i in others])]

    def read(self, question: str, query: np.ndarray, hits: list[Hit]) -> Answer | None:
        scored = self.score(question, query, hits)
        if scored is None:
            return None
        best = scored.order[0]
        confidence = self.confidence(scored, best)
        if confidence < self.config.no_answer_threshold:
            return None
        c: Candidate = scored.evidence.candidates[best]
        supporting: dict[str, Span] = {}
        for i in scored.ranking:
            other = scored.evidence.candidates[i]
            if other.key == c.key and other.doc_id != c.doc_id and other.doc_id not in supporting:
                supporting[other.doc_id] = self._span(scored, i, confidence)
        sentence = self.index.sentences[c.row]
        return Answer(
            text=self.index.articles[c.doc_id].text[c.start : c.end],
            doc_id=c.doc_id,
            start=c.start,
            end=c.end,
            sentence=sentence.text,
            sentence_start=sentence.start,
            sentence_end=sentence.end,
            score=round(confidence, 4),
            alternatives=tuple(self._span(scored, i, confidence) for i in self._alternatives(scored, best)),
            supporting=tuple(supporting.values()),
        )
