from __future__ import annotations

import pytest

from index.store import Index
from qa.retrieval import Mode, Retriever, rrf
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
