from __future__ import annotations

import numpy as np
import pytest

from index.store import Index
from qa.readers.evidence.reader import SentenceReader
from qa.readers.evidence.sentence_vectors import SentenceVectors
from tests.conftest import FakeEmbedder


class CountingEmbedder(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.encoded: list[str] = []

    def encode_passages(self, texts, *, show_progress=False):  # type: ignore[no-untyped-def]
        self.encoded += list(texts)
        return super().encode_passages(texts)


def test_rows_are_encoded_once_on_first_read(built_index: Index) -> None:
    embedder = CountingEmbedder()
    vectors = SentenceVectors(built_index, embedder)
    texts = [s.text for s in built_index.sentences]
    got = vectors.rows([2, 0, 2])
    assert np.allclose(got, FakeEmbedder().encode_passages([texts[2], texts[0], texts[2]]))
    assert embedder.encoded == [texts[2], texts[0]]  # a row asked twice is encoded once
    vectors.rows([0, 1])
    assert embedder.encoded == [texts[2], texts[0], texts[1]] and len(vectors) == 3
    assert vectors.rows([]).shape == (0, embedder.dim)


def test_the_cache_is_bounded(built_index: Index) -> None:
    embedder = CountingEmbedder()
    vectors = SentenceVectors(built_index, embedder, max_rows=2)
    vectors.rows([0, 1])
    vectors.rows([2])  # would make 3: starts over
    assert len(vectors) == 1
    assert np.allclose(vectors.rows([0]), FakeEmbedder().encode_passages([built_index.sentences[0].text]))
    with pytest.raises(ValueError, match="max_rows"):
        SentenceVectors(built_index, embedder, max_rows=0)


def test_a_reader_with_another_threshold_shares_the_vectors(built_index: Index, fake_embedder: FakeEmbedder) -> None:
    reader = SentenceReader(built_index, fake_embedder)
    assert reader.with_threshold(0.0).vectors is reader.vectors
