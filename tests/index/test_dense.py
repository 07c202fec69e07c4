from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.corpus import Article
from index.dense import DenseConfig, build_dense, kind, load_dense, nlist_for, save_dense, search
from index.store import build_index, load_index
from index.update import update_index
from tests.conftest import FakeEmbedder


def _clustered(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, dim))
    vectors = centres[rng.integers(0, 40, n)] + 0.3 * rng.normal(size=(n, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_exact_up_to_the_limit_approximate_above() -> None:
    vectors = _clustered(3000)
    assert kind(build_dense(vectors, DenseConfig(exact_limit=3000))) == "flat"
    ivf = build_dense(vectors, DenseConfig(exact_limit=2999, nprobe=4))
    assert kind(ivf) == "ivf"
    assert (ivf.nlist, ivf.nprobe, ivf.ntotal) == (nlist_for(3000), 4, 3000)


def test_nlist_grows_with_size_and_keeps_enough_training_points() -> None:
    assert nlist_for(1) == 1
    assert nlist_for(1_000_000) == 4000
    assert all(n // nlist_for(n) >= 39 for n in (100, 5000, 250_000) if nlist_for(n) > 1)


def test_ivf_gives_back_the_exact_vectors_in_row_order() -> None:
    vectors = _clustered(2000)
    ivf = build_dense(vectors, DenseConfig(exact_limit=10))
    assert np.array_equal(ivf.reconstruct_n(0, ivf.ntotal), vectors)


def test_ivf_finds_each_vector_itself_and_mostly_agrees_with_exact() -> None:
    vectors = _clustered(4000)
    exact = build_dense(vectors, DenseConfig())
    ivf = build_dense(vectors, DenseConfig(exact_limit=0, nprobe=8))
    agree = []
    for row in range(0, 4000, 97):
        _, ivf_rows = search(ivf, vectors[row], 10)
        _, exact_rows = search(exact, vectors[row], 10)
        assert ivf_rows[0] == row
        agree.append(len(set(ivf_rows) & set(exact_rows)) / 10)
    assert np.mean(agree) >= 0.9


def test_nprobe_is_set_on_load_not_taken_from_the_file(tmp_path: Path) -> None:
    ivf = build_dense(_clustered(2000), DenseConfig(exact_limit=0, nprobe=3))
    save_dense(ivf, tmp_path / "chunks.faiss")
    assert load_dense(tmp_path / "chunks.faiss", DenseConfig(nprobe=7)).nprobe == 7
    assert load_dense(tmp_path / "chunks.faiss", DenseConfig(nprobe=10_000)).nprobe == ivf.nlist


@pytest.mark.parametrize("exact_limit", [10**9, 0])
def test_a_restricted_search_returns_only_allowed_rows_best_first(exact_limit: int) -> None:
    vectors = _clustered(3000)
    index = build_dense(vectors, DenseConfig(exact_limit=exact_limit, nprobe=2))
    few = np.array([5, 700, 1999, 2500], dtype=np.int64)  # scattered over groups an IVF search would not all probe
    scores, rows = search(index, vectors[700], 10, few)
    assert sorted(rows.tolist()) == few.tolist()
    assert rows[0] == 700 and list(scores) == sorted(scores, reverse=True)
    many = np.arange(0, 3000, 2, dtype=np.int64)
    _, rows = search(index, vectors[700], 10, many)
    assert rows[0] == 700 and all(r % 2 == 0 for r in rows if r >= 0)


def test_a_large_build_is_approximate_loads_and_updates(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> None:
    root = tmp_path / "idx"
    config = DenseConfig(exact_limit=2, nprobe=1)
    build_index(articles, fake_embedder, root, dense=config)
    index = load_index(root, dense=DenseConfig(nprobe=5))
    assert kind(index.chunk_index) == "ivf" and index.chunk_index.nprobe == index.chunk_index.nlist == 1  # a few chunks: one group
    before = index.chunk_vectors()
    extra = Article("extra", "Un article de plus, sur la pêche en Bretagne.\n\nLes marins rentrent au port.", "Pêche", "2024-05-01")
    update_index(root, fake_embedder, upserts=[extra])
    updated = load_index(root)
    kept = [row for row, chunk in enumerate(updated.chunks) if chunk.doc_id != "extra"]
    assert np.array_equal(updated.chunk_vectors()[kept], before)


def test_a_search_runs_on_one_thread_and_restores_the_callers_setting() -> None:
    import faiss

    index = build_dense(_clustered(500), DenseConfig())
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(3)
    try:
        search(index, _clustered(1, seed=3)[0], 5)
        assert faiss.omp_get_max_threads() == 3
    finally:
        faiss.omp_set_num_threads(before)
