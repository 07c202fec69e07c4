"""The trained reader: the span model reads the best retrieved passages and picks the answer.

Each retrieved chunk is widened to whole sentences (an answer cut by a chunk boundary is read whole) and
overlapping passages of one article are merged, so nothing is read twice. The span model scores spans
against each window's null score; the best span over every passage is the answer. Its confidence is the
probability that the articles answer the question, from the answerability head over the reader's evidence
(``answerability.py``), or else a logistic function of its score; both are fitted on the development split
and stored in the model's card. Under ``no_answer_threshold`` the articles do not say. Spans are cut back to the article's own
characters: ``article.text[start:end]`` is the answer, always.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, replace

import numpy as np

from index.store import Index
from qa.readers import answer_key, distinct_alternatives
from qa.readers.analysis import QuestionAnalysis, analyse
from qa.readers.locate import SentenceRows
from qa.readers.span.answerability import AnswerabilityHead, Evidence, evidence
from qa.readers.span.model import SpanGuess, SpanModel, trim
from qa.types import Answer, Hit, Span


@dataclass(frozen=True)
class Passage:
    doc_id: str
    start: int
    end: int


@dataclass(frozen=True)
class ModelReaderConfig:
    max_chunks: int = 4  # retrieved chunks read, whatever the number of citations asked for
    no_answer_threshold: float = 0.5
    max_passage_chars: int = 1500
    calibration: tuple[float, float] = (1.0, 0.0)  # confidence = sigmoid(a * score + b)
    # Evidence joining the model's score (tuned on the development split, stored in the card):
    passage_penalty: float = 0.0  # per rank of the passage in retrieval order
    kind_weight: float = 0.0  # times the type match of the span's label when the question wants a definite kind
    # A first passage whose best span reaches this confidence settles the question: the other passages are
    # not read (None: every passage is read). Saves the model's time on the questions it is sure of.
    settle_confidence: float | None = None
    # Whether the articles answer at all (fitted on the development split, stored in the card): the confidence is
    # its probability. None: the calibrated score is the confidence.
    answerability: AnswerabilityHead | None = None

    def __post_init__(self) -> None:
        if self.max_chunks < 1:
            raise ValueError("max_chunks must be at least 1")
        if not 0.0 <= self.no_answer_threshold <= 1.0:
            raise ValueError(f"no_answer_threshold must be in [0, 1], got {self.no_answer_threshold}")


class ModelReader:
    """Reads retrieved chunks with a loaded :class:`SpanModel`; the same ``read`` as the evidence reader."""

    def __init__(self, index: Index, model: SpanModel, config: ModelReaderConfig | None = None) -> None:
        self.index = index
        self.model = model
        self.config = config or ModelReaderConfig()
        self._located = SentenceRows.of(index.sentences)

    @property
    def max_chunks(self) -> int:
        return self.config.max_chunks

    @property
    def no_answer_threshold(self) -> float:
        return self.config.no_answer_threshold

    def with_threshold(self, threshold: float) -> ModelReader:
        """The same reader with another no-answer threshold (its sentence map shared, not built again)."""
        other = copy.copy(self)
        other.config = replace(self.config, no_answer_threshold=threshold)
        return other

    @classmethod
    def config_from_card(
        cls, model: SpanModel, max_chunks: int, threshold: float | None = None, settle: float | None = None
    ) -> ModelReaderConfig:
        """The calibration, no-answer threshold and settling confidence fitted for these weights (``python -m train
        tune``, ``python -m eval.variants``); ``threshold`` and ``settle`` override the card's."""
        card = model.card
        a, b = card.get("calibration", (1.0, 0.0))
        head = card.get("answerability")
        t = threshold if threshold is not None else float(card.get("no_answer_threshold", 0.5))
        return ModelReaderConfig(
            max_chunks=max_chunks,
            no_answer_threshold=t,
            calibration=(float(a), float(b)),
            passage_penalty=float(card.get("passage_penalty", 0.0)),
            kind_weight=float(card.get("kind_weight", 0.0)),
            settle_confidence=settle if settle is not None else _optional_float(card.get("settle_confidence")),
            answerability=AnswerabilityHead.from_card(head) if head else None,
        )

    def kind_match(self, analysis: QuestionAnalysis, doc_id: str, start: int, end: int) -> float:
        """How well the span's label (from the index's annotations) fits a question that wants a definite
        kind of answer (a date, a quantity, a place, a person, an organisation): 1, 0.5 loosely, 0 not at all
        or unlabelled; 0.5 for other questions, which want no kind."""
        if not analysis.wants_kind:
            return 0.5
        row = self.sentence_row(doc_id, start)
        if row is None:
            return 0.0
        best = 0.0
        for a, b, label in self.index.sentence_spans[row]:
            overlap = min(b, end) - max(a, start)
            if overlap > 0 and overlap >= 0.5 * max(b - a, end - start):
                best = max(best, analysis.type_match(label))
        return best

    def sentence_text(self, passage: Passage, offset: int) -> str:
        """The sentence holding ``offset`` of the passage's article, or the passage where none is found."""
        row = self.sentence_row(passage.doc_id, offset)
        if row is not None:
            return self.index.sentences[row].text
        return self.index.articles[passage.doc_id].text[passage.start : passage.end]

    def sentence_row(self, doc_id: str, offset: int) -> int | None:
        """The row of the sentence holding character ``offset`` of an article."""
        return self._located.at(doc_id, offset)

    def passages(self, hits: list[Hit]) -> list[Passage]:
        """The chunks widened to whole sentences, overlapping (or touching) ones of an article merged until none
        overlap, in retrieval order (a merged passage ranks as its best chunk)."""
        widened: list[Passage] = []
        for hit in hits[: self.config.max_chunks]:
            c = hit.chunk
            start, end = c.start, c.end
            first, last = self.sentence_row(c.doc_id, c.start), self.sentence_row(c.doc_id, max(c.start, c.end - 1))
            if first is not None and last is not None:
                start = min(start, self.index.sentences[first].start)
                end = max(end, self.index.sentences[last].end)
            if end - start > self.config.max_passage_chars:
                start, end = c.start, c.end
            widened.append(Passage(c.doc_id, start, end))
        return merge_passages(widened)

    def confidence(self, score: float) -> float:
        a, b = self.config.calibration
        z = max(-50.0, min(50.0, a * score + b))
        return 1.0 / (1.0 + math.exp(-z))

    def evidence(self, question: str, found: list[tuple[Passage, SpanGuess, int, int]]) -> Evidence:
        """What the answerability head reads of the best of ``found`` (as :meth:`guesses` returns them)."""
        p, g, start, end = found[0]
        text = self.index.articles[p.doc_id].text
        sentence = self.sentence_text(p, start)
        others = [(self.index.articles[q.doc_id].text[a:b], h.score) for q, h, a, b in found[1:]]
        return evidence(question, text[start:end], g.score, g.null_score, g.passage, sentence, text[p.start : p.end], others)

    def answer_confidence(self, question: str, found: list[tuple[Passage, SpanGuess, int, int]]) -> float:
        """The confidence in the best of ``found``: the probability that the articles answer the question, from the
        answerability head over the reader's evidence where the card has one, else its calibrated score."""
        if self.config.answerability is not None:
            return self.config.answerability.probability(self.evidence(question, found))
        return self.confidence(found[0][1].score)

    def guesses(self, question: str, hits: list[Hit]) -> list[tuple[Passage, SpanGuess, int, int]]:
        """Every span the model proposes, best first by the model's score joined with the evidence
        (passage rank, kind), as (passage, guess with that score, document start, document end)."""
        passages = self.passages(hits)
        texts = [self.index.articles[p.doc_id].text[p.start : p.end] for p in passages]
        analysis = analyse(question) if self.config.kind_weight else None
        out = []
        for g in self._read(question, texts):
            p = passages[g.passage]
            text = self.index.articles[p.doc_id].text
            start, end = trim(text, p.start + g.start, p.start + g.end)
            if end > start:
                score = g.score - self.config.passage_penalty * g.passage
                if analysis is not None:
                    score += self.config.kind_weight * (self.kind_match(analysis, p.doc_id, start, end) - 0.5)
                out.append((p, replace(g, score=score), start, end))
        out.sort(key=lambda item: -item[1].score)
        return out

    def _read(self, question: str, texts: list[str]) -> list[SpanGuess]:
        """The model's guesses over ``texts``: all at once, or the first passage alone when its best span
        settles the question (``settle_confidence``), else the rest after it."""
        settle = self.config.settle_confidence
        if settle is None or len(texts) < 2:
            return self.model.read(question, texts)
        first = self.model.read(question, texts[:1])
        if first and self.confidence(first[0].score) >= settle:
            return first
        rest = [replace(g, passage=g.passage + 1) for g in self.model.read(question, texts[1:])]
        return sorted(first + rest, key=lambda g: -g.score)

    def read(self, question: str, query: np.ndarray, hits: list[Hit]) -> Answer | None:
        del query  # the model reads text; the question vector served retrieval
        found = self.guesses(question, hits)
        if not found:
            return None
        keys = [answer_key(self.index.articles[q.doc_id].text[a:b]) for q, _, a, b in found]
        p, _, start, end = found[0]
        key = keys[0]
        confidence = self.answer_confidence(question, found)
        if confidence < self.config.no_answer_threshold:
            return None
        row = self.sentence_row(p.doc_id, start)
        text = self.index.articles[p.doc_id].text
        s_start, s_end = (self.index.sentences[row].start, self.index.sentences[row].end) if row is not None else (p.start, p.end)
        s_start, s_end = min(s_start, start), max(s_end, end)

        def span(item: tuple[Passage, SpanGuess, int, int]) -> Span:
            q, h, a, b = item
            body = self.index.articles[q.doc_id].text
            return Span(body[a:b], q.doc_id, a, b, self.sentence_text(q, a), round(min(confidence, self.confidence(h.score)), 4))

        places = [(q.doc_id, a, b) for q, _, a, b in found]
        supporting: dict[str, Span] = {}
        for item, item_key in zip(found, keys, strict=True):
            q = item[0]
            if q.doc_id != p.doc_id and q.doc_id not in supporting and item_key == key:
                supporting[q.doc_id] = span(item)
        return Answer(
            text=text[start:end],
            doc_id=p.doc_id,
            start=start,
            end=end,
            sentence=text[s_start:s_end],
            sentence_start=s_start,
            sentence_end=s_end,
            score=round(confidence, 4),
            alternatives=tuple(span(found[i]) for i in distinct_alternatives((p.doc_id, start, end), key, places, keys)),
            supporting=tuple(supporting.values()),
        )


def merge_passages(passages: list[Passage]) -> list[Passage]:
    """Merge the passages of each article that overlap or touch, by a sweep over them sorted by start: a merged
    passage that reaches a third one takes it in too, so nothing is read twice. The merged passages come in the
    order of their first member in ``passages``."""
    ranked = sorted(range(len(passages)), key=lambda i: (passages[i].doc_id, passages[i].start))
    merged: list[tuple[int, Passage]] = []  # (rank of its first member, passage)
    for i in ranked:
        p = passages[i]
        if merged and merged[-1][1].doc_id == p.doc_id and p.start <= merged[-1][1].end:
            rank, q = merged[-1]
            merged[-1] = (min(rank, i), Passage(q.doc_id, q.start, max(q.end, p.end)))
        else:
            merged.append((i, p))
    return [p for _, p in sorted(merged, key=lambda item: item[0])]


def _optional_float(value: object) -> float | None:
    return None if value is None else float(str(value))
