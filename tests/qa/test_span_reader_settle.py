"""The span reader's early settling: a confident first passage spares reading the others."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from index.store import Index
from qa.readers.span.model import SpanGuess
from qa.readers.span.reader import ModelReader, ModelReaderConfig
from qa.types import Hit


@dataclass
class ScriptedModel:
    """Answers each passage with its first word, at the score given for that passage's first word."""

    scores: dict[str, float]
    calls: list[int] = field(default_factory=list)
    card: dict[str, object] = field(default_factory=dict)

    def read(self, question: str, passages: Sequence[str], *, k: int = 3, batch_size: int = 8) -> list[SpanGuess]:
        self.calls.append(len(passages))
        out = []
        for i, text in enumerate(passages):
            word = text.split()[0]
            out.append(SpanGuess(i, 0, len(word), self.scores.get(word, -5.0), 0.0))
        return sorted(out, key=lambda g: -g.score)


def hits_of(index: Index) -> list[Hit]:
    """One chunk of each of three articles, in a fixed order."""
    chunks, seen = [], set()
    for c in index.chunks:
        if c.doc_id not in seen:
            seen.add(c.doc_id)
            chunks.append(c)
    return [Hit(c, 1.0 / (i + 1)) for i, c in enumerate(chunks[:3])]


def first_words(index: Index, hits: list[Hit]) -> list[str]:
    return [index.articles[h.chunk.doc_id].text[h.chunk.start :].split()[0] for h in hits]


def reader(index: Index, model: ScriptedModel, settle: float | None) -> ModelReader:
    config = ModelReaderConfig(max_chunks=3, no_answer_threshold=0.0, calibration=(1.0, 0.0), settle_confidence=settle)
    return ModelReader(index, model, config)  # type: ignore[arg-type]


def test_a_confident_first_passage_settles_the_question(built_index: Index) -> None:
    hits = hits_of(built_index)
    words = first_words(built_index, hits)
    model = ScriptedModel({words[0]: 4.0, words[1]: 6.0})  # confidence 0.982 first; the second would score higher
    answer = reader(built_index, model, settle=0.95).read("q ?", np.zeros(4), hits)
    assert model.calls == [1]  # one passage read
    assert answer is not None and answer.doc_id == hits[0].chunk.doc_id


def test_an_unsure_first_passage_reads_the_rest_with_their_ranks(built_index: Index) -> None:
    hits = hits_of(built_index)
    words = first_words(built_index, hits)
    model = ScriptedModel({words[0]: 1.0, words[2]: 3.0})  # 0.73 first: not settled
    answer = reader(built_index, model, settle=0.95).read("q ?", np.zeros(4), hits)
    assert model.calls == [1, 2]
    assert answer is not None and answer.doc_id == hits[2].chunk.doc_id  # the third passage's span, its rank kept
    assert answer.text == words[2]


def test_without_settling_every_passage_is_read_at_once(built_index: Index) -> None:
    hits = hits_of(built_index)
    words = first_words(built_index, hits)
    model = ScriptedModel({words[0]: 4.0, words[1]: 6.0})
    answer = reader(built_index, model, settle=None).read("q ?", np.zeros(4), hits)
    assert model.calls == [3]
    assert answer is not None and answer.doc_id == hits[1].chunk.doc_id
