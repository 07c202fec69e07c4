"""From retrieved chunks to a short answer.

1. Sentences of the top chunks are ranked by cosine similarity to the question (vectors made at
   index time) and by the share of the question's content terms they hold.
2. Candidate spans of the best sentences (entities, numbers, dates, noun phrases, clauses: made at
   index time by ``index/annotate.py``) are scored from evidence that can be explained:
   the sentence's relevance, whether the span's type is the one the question asks for, how close
   it stands to the question's terms, how much of it merely restates the question, its length,
   and how many articles state the same span.
3. The raw score goes through a logistic calibration fitted on the eval set; below
   ``no_answer_threshold`` no answer is given.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from index.lexical import strip_accents, terms, words
from index.sentences import Sentence
from index.store import Index
from qa.analysis import QuestionAnalysis, analyse
from qa.types import Answer, Hit, Span

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CLAUSE_LABELS = frozenset({"REASON", "MANNER", "CLAUSE"})
_SPECIFIC = {"MONEY": 0.08, "PERCENT": 0.08, "DURATION": 0.05, "PER": 0.04, "LOC": 0.04, "ORG": 0.02, "REASON": 0.04, "MANNER": 0.04}


@dataclass(frozen=True)
class ReaderConfig:
    """Weights of the evidence, the calibration and the no-answer threshold.

    The weights and ``calibration`` (logistic slope and intercept mapping the raw score to a
    probability of being right) were fitted on ``eval/questions_fr.jsonl``; ``eval/heldout``
    checks them on unseen articles."""

    max_chunks: int = 6
    max_sentences: int = 6
    similarity_weight: float = 0.5
    w_sentence: float = 1.5
    w_type: float = 0.6
    w_proximity: float = 1.0
    w_restate: float = 0.8
    w_length: float = 0.5
    w_agreement: float = 0.1
    w_topic: float = 0.5
    calibration: tuple[float, float] = (4.025, -12.012)
    no_answer_threshold: float = 0.1

    def __post_init__(self) -> None:
        if self.max_chunks < 1 or self.max_sentences < 1:
            raise ValueError("max_chunks and max_sentences must be at least 1")
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


@dataclass(frozen=True)
class Candidate:
    doc_id: str
    start: int
    end: int
    label: str
    row: int
    raw: float
    key: str


def answer_key(text: str) -> str:
    """What two spans must share to state the same answer: folded words, no articles."""
    return " ".join(strip_accents(w) for w in words(text) if w not in {"le", "la", "les", "de", "des", "du", "un", "une"})


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
        self._positions = lru_cache(maxsize=65536)(self._word_positions)

    def _sentence_terms(self, row: int) -> frozenset[str]:
        return frozenset(terms(self.index.sentences[row].text))

    def _word_positions(self, row: int) -> tuple[tuple[int, int, str], ...]:
        """(start, end, stem) of each word of a sentence, in document offsets."""
        s = self.index.sentences[row]
        out = []
        for m in _WORD.finditer(s.text):
            stem = terms(m.group())  # empty for a stopword
            out.append((m.start() + s.start, m.end() + s.start, stem[0] if stem else ""))
        return tuple(out)

    def sentences_in(self, hit: Hit) -> list[int]:
        """Rows of the sentences that overlap a chunk."""
        chunk = hit.chunk
        rows, starts = self._rows.get(chunk.doc_id, []), self._starts.get(chunk.doc_id, [])
        first = max(0, bisect.bisect_right(starts, chunk.start) - 1)
        sentences = self.index.sentences
        return [r for r in rows[first:] if sentences[r].start < chunk.end and sentences[r].end > chunk.start]

    def rank(self, analysis: QuestionAnalysis, query: np.ndarray, hits: list[Hit]) -> list[ScoredSentence]:
        wanted = analysis.terms
        rows = list(dict.fromkeys(r for hit in hits[: self.config.max_chunks] for r in self.sentences_in(hit)))
        if not rows:
            return []
        similarities = self.index.sentence_vectors[rows] @ query
        # e5 cosines sit in a narrow band: rescale them over the candidates so they weigh as intended.
        low, high = float(similarities.min()), float(similarities.max())
        spread = high - low if high - low > 1e-6 else 1.0
        weight = self.config.similarity_weight
        scored = []
        for row, similarity in zip(rows, similarities.tolist(), strict=True):
            overlap = len(wanted & self._terms(row)) / len(wanted) if wanted else 0.0
            score = weight * (similarity - low) / spread + (1.0 - weight) * overlap
            scored.append(ScoredSentence(row, self.index.sentences[row], similarity, overlap, score))
        return sorted(scored, key=lambda s: s.score, reverse=True)[: self.config.max_sentences]

    def _candidates(self, analysis: QuestionAnalysis, ranked: list[ScoredSentence]) -> list[Candidate]:
        cfg = self.config
        out = []
        for ss in ranked:
            text = self.index.articles[ss.sentence.doc_id].text
            anchors = [(a, b) for a, b, stem in self._positions(ss.row) if stem and stem in analysis.terms]
            for start, end, label in self.index.sentence_spans[ss.row]:
                span_text = text[start:end]
                span_terms = terms(span_text)
                restate = sum(t in analysis.terms for t in span_terms) / len(span_terms) if span_terms else 1.0
                if restate >= 1.0:
                    continue
                n_words = len(_WORD.findall(span_text))
                if anchors:
                    gap = min(max(a - end, start - b, 0) for a, b in anchors)
                    proximity = math.exp(-gap / 60.0)
                else:
                    proximity = 0.0
                if label in _CLAUSE_LABELS or analysis.wants_clause:
                    length = 1.0 if 3 <= n_words <= 16 else 0.3
                else:
                    length = 1.0 if n_words <= 4 else max(0.0, 1.0 - (n_words - 4) / 6)
                raw = (
                    cfg.w_sentence * ss.score
                    + cfg.w_type * analysis.type_match(label)
                    + cfg.w_proximity * proximity
                    - cfg.w_restate * restate
                    + cfg.w_length * length
                    + _SPECIFIC.get(label, 0.0) * float(label in analysis.expected)
                )
                out.append(Candidate(ss.sentence.doc_id, start, end, label, ss.row, raw, answer_key(span_text)))
        return out

    def _span(self, c: Candidate, score: float) -> Span:
        text = self.index.articles[c.doc_id].text
        return Span(text[c.start : c.end], c.doc_id, c.start, c.end, self.index.sentences[c.row].text, round(score, 4))

    def calibrate(self, raw: float) -> float:
        slope, intercept = self.config.calibration
        return 1.0 / (1.0 + math.exp(-(slope * raw + intercept)))

    def read(self, question: str, query: np.ndarray, hits: list[Hit]) -> Answer | None:
        analysis = analyse(question)
        candidates = self._candidates(analysis, self.rank(analysis, query, hits))
        if not candidates:
            return None
        docs_by_key: dict[str, set[str]] = defaultdict(set)
        rows_by_key: dict[str, set[int]] = defaultdict(set)
        for c in candidates:
            docs_by_key[c.key].add(c.doc_id)
            rows_by_key[c.key].add(c.row)
        n_rows = len({c.row for c in candidates})
        best_by_key: dict[str, tuple[float, Candidate]] = {}
        for c in candidates:
            # A span found in most of the best sentences is what they are about, not an answer.
            topicality = len(rows_by_key[c.key]) / n_rows if n_rows > 2 else 0.0
            agreement = min(len(docs_by_key[c.key]), 4) - 1
            total = c.raw + self.config.w_agreement * agreement - self.config.w_topic * topicality
            if c.key not in best_by_key or total > best_by_key[c.key][0]:
                best_by_key[c.key] = (total, c)
        ordered = sorted(best_by_key.values(), key=lambda x: (-x[0], x[1].start))
        raw, best = ordered[0]
        confidence = self.calibrate(raw)
        if confidence < self.config.no_answer_threshold:
            return None
        supporting = {}
        for c in sorted(candidates, key=lambda c: -c.raw):
            if c.key == best.key and c.doc_id != best.doc_id and c.doc_id not in supporting:
                supporting[c.doc_id] = self._span(c, self.calibrate(c.raw))
        sentence = self.index.sentences[best.row]
        return Answer(
            text=self.index.articles[best.doc_id].text[best.start : best.end],
            doc_id=best.doc_id,
            start=best.start,
            end=best.end,
            sentence=sentence.text,
            sentence_start=sentence.start,
            sentence_end=sentence.end,
            score=round(confidence, 4),
            alternatives=tuple(self._span(c, self.calibrate(r)) for r, c in ordered[1:4]),
            supporting=tuple(supporting.values()),
        )
