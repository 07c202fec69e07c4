"""The span reader's passages: retrieved chunks widened to sentences, overlapping ones of an article merged."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from index.chunking import Chunk
from index.corpus import Article
from index.store import build_index, load_index
from qa.readers.span.model import SpanGuess
from qa.readers.span.reader import ModelReader, Passage
from qa.types import Hit
from tests.conftest import FakeEmbedder

SENTENCES = [f"La phrase numéro {n} parle du pont de Lyon et de la Saône." for n in range(8)]
TEXT = " ".join(SENTENCES)


class ReadingRecorder:
    """A stand-in for the loaded span model that records the passages it is given and proposes nothing."""

    def __init__(self) -> None:
        self.card: dict[str, Any] = {}
        self.read_texts: list[str] = []

    def read(self, question: str, passages: Sequence[str], *, k: int = 3, batch_size: int = 8) -> list[SpanGuess]:
        self.read_texts += passages
        return []


def _bounds(first: int, last: int) -> tuple[int, int]:
    """The offsets of sentences ``first`` to ``last`` (included) of :data:`TEXT`."""
    start = TEXT.index(SENTENCES[first])
    return start, TEXT.index(SENTENCES[last]) + len(SENTENCES[last])


def _hit(first: int, last: int) -> Hit:
    start, end = _bounds(first, last)
    return Hit(Chunk("pont", f"pont#{first}", TEXT[start:end], start, end), 1.0)


def test_a_merged_passage_that_overlaps_a_third_takes_it_in(tmp_path: Path) -> None:
    """Chunks 0-1 and 4-5 do not overlap; 1-4 overlaps both: one passage, 0-5, read once (issue 21, item 8:
    merging once gave 0-4 and 4-5, sentence 4 read twice)."""
    build_index([Article("pont", TEXT)], FakeEmbedder(), tmp_path / "index")
    model: Any = ReadingRecorder()
    reader = ModelReader(load_index(tmp_path / "index"), model)
    hits = [_hit(0, 1), _hit(4, 5), _hit(1, 4)]
    assert reader.passages(hits) == [Passage("pont", *_bounds(0, 5))]
    reader.read("Qui parle du pont ?", FakeEmbedder().encode_queries(["pont"])[0], hits)
    assert model.read_texts == [TEXT[slice(*_bounds(0, 5))]]


def test_passages_merge_until_none_overlap_and_keep_retrieval_order() -> None:
    from qa.readers.span.reader import merge_passages

    passages = [
        Passage("b", 500, 600),
        Passage("a", 0, 100),
        Passage("a", 300, 400),
        Passage("b", 50, 90),
        Passage("a", 150, 250),
        Passage("a", 90, 160),  # reaches 0-100 and 150-250
        Passage("a", 250, 300),  # touches 150-250 and 300-400
    ]
    assert merge_passages(passages) == [Passage("b", 500, 600), Passage("a", 0, 400), Passage("b", 50, 90)]
    assert merge_passages([]) == []


def test_another_threshold_shares_the_sentence_map_and_changes_only_the_threshold(tmp_path: Path) -> None:
    build_index([Article("pont", TEXT)], FakeEmbedder(), tmp_path / "index")
    model: Any = ReadingRecorder()
    reader = ModelReader(load_index(tmp_path / "index"), model)
    other = reader.with_threshold(0.0)
    assert other.no_answer_threshold == 0.0 and reader.no_answer_threshold == reader.config.no_answer_threshold != 0.0
    assert other._located is reader._located and other.model is reader.model and other.index is reader.index
    assert other.passages([_hit(0, 1)]) == reader.passages([_hit(0, 1)])
