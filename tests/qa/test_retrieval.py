from __future__ import annotations

import numpy as np
import pytest

from index.store import Index
from qa.retrieval import Mode, Retriever, rrf, top_rows
from tests.conftest import FakeEmbedder


def test_rrf_is_normalised_and_rewards_agreement() -> None:
    fused = dict(rrf([[1, 2, 3], [2, 1, 4]], k=60))
    assert fused[1] == pytest.approx(fused[2])
    assert fused[1] > fused[3] > 0 and fused[1] > fused[4]
    assert dict(rrf([[7], [7]], k=60))[7] == pytest.approx(1.0)


@pytest.mark.parametrize("mode", list(Mode))
def test_every_mode_ranks_the_matching_article_first(built_index: Index, fake_embedder: FakeEmbedder, mode: Mode) -> None:
    question = "Masayoshi Son présidera-t-il Stargate avec SoftBank ?"
    hits = Retriever(built_index).retrieve(question, fake_embedder.encode_queries([question])[0], 3, mode=mode)
    assert hits and hits[0].chunk.doc_id == "beta"
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and all(s <= 1.0 + 1e-6 for s in scores)


def test_bm25_folds_elisions_and_apostrophes(built_index: Index) -> None:
    hits = Retriever(built_index, mode=Mode.BM25).retrieve("l'entreprise americaine", None, 1)
    assert hits and hits[0].chunk.doc_id == "alpha"  # the article writes « L’entreprise américaine »


def test_bm25_without_known_terms_returns_nothing(built_index: Index) -> None:
    assert Retriever(built_index, mode=Mode.BM25).retrieve("zzzz qqqq", None, 3) == []


def test_rrf_k_is_validated(built_index: Index) -> None:
    with pytest.raises(ValueError, match="rrf_k"):
        Retriever(built_index, rrf_k=0)


def test_hits_carry_the_chunk_and_its_fused_score_only() -> None:
    from dataclasses import fields

    from qa.types import Hit

    assert [f.name for f in fields(Hit)] == ["chunk", "score"]


def test_a_longer_ranking_begins_with_the_shorter_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """How many hits are asked for must not change the fused order (so neither what the reader reads):
    here a chunk far down the dense ranking but first for BM25 would climb once a deeper pool fuses it."""
    from types import SimpleNamespace

    from index.chunking import Chunk

    chunks = [Chunk(f"d{i}", f"d{i}#0", "x", 0, 1) for i in range(100)]
    retriever = Retriever(SimpleNamespace(chunks=chunks), mode=Mode.HYBRID)  # type: ignore[arg-type]
    dense_order = list(range(100))
    lexical_order = [70, *range(100)][:100]
    monkeypatch.setattr(retriever, "dense", lambda query, k, mask: [(r, 1.0) for r in dense_order[:k]])
    monkeypatch.setattr(retriever, "lexical", lambda question, k, mask: [(r, 1.0) for r in lexical_order[:k]])
    longest = [h.chunk.chunk_id for h in retriever.retrieve("q", np.zeros(1), 20)]
    for k in range(1, 20):
        assert [h.chunk.chunk_id for h in retriever.retrieve("q", np.zeros(1), k)] == longest[:k], k


def test_top_rows_is_a_stable_sort_of_the_positive_scores_cut_at_k() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        scores = rng.choice([0.0, 0.5, 1.0, 1.5, 2.0, -1.0], size=int(rng.integers(0, 40))).astype(np.float32)
        k = int(rng.integers(1, 12))
        expected = [r for r in np.argsort(-scores, kind="stable") if scores[r] > 0][:k]
        assert top_rows(scores, k).tolist() == expected
