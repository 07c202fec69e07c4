"""The dense chunk index: its FAISS kind follows its size.

Up to :attr:`DenseConfig.exact_limit` vectors the index is exact (``IndexFlatIP``: every chunk scored).
Above it, an inverted file (``IndexIVFFlat``, inner product): vectors are grouped around ``nlist``
k-means centroids (about ``4 * sqrt(n)``) and a question scores only the ``nprobe`` nearest groups.
Vectors are stored uncompressed with a direct map, so ``reconstruct`` gives back the exact vectors an
incremental update reuses, and the approximation is only in which groups are probed. HNSW was not chosen:
its graph build over a million 384-dimensional vectors takes far longer on two cores than IVF's k-means
on a sample, and it cannot give vectors back by row as cheaply (``make bench-scale`` measures IVF's
recall@10 against exact search).

``nprobe`` is not trusted from the file: :func:`load_dense` sets it from the config on every load.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# Training points per centroid: faiss warns under 39; more only slows k-means.
_TRAIN_PER_LIST = 64
_SEED = 1234


@dataclass(frozen=True)
class DenseConfig:
    """``exact_limit``: the largest index kept exact; ``nprobe``: groups an IVF search visits (capped at ``nlist``)."""

    exact_limit: int = 200_000
    nprobe: int = 48

    def __post_init__(self) -> None:
        if self.exact_limit < 0:
            raise ValueError(f"exact_limit must be at least 0, got {self.exact_limit}")
        if self.nprobe < 1:
            raise ValueError(f"nprobe must be at least 1, got {self.nprobe}")


def nlist_for(n: int) -> int:
    """Groups of an IVF index over ``n`` vectors: about ``4 * sqrt(n)``, at least 1 and at most ``n // 39``."""
    return max(1, min(int(4 * math.sqrt(n)), n // 39))


def kind(index: Any) -> str:
    """``"flat"`` (exact) or ``"ivf"`` (approximate)."""
    import faiss

    return "ivf" if isinstance(index, faiss.IndexIVF) else "flat"


def build_dense(vectors: np.ndarray, config: DenseConfig | None = None) -> Any:
    """An inner-product FAISS index over ``vectors`` (rows = chunk rows): exact up to the config's limit, IVF above."""
    import faiss

    config = config or DenseConfig()
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    if n <= config.exact_limit:
        flat = faiss.IndexFlatIP(dim)
        flat.add(vectors)
        return flat
    nlist = nlist_for(n)
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.cp.seed = _SEED
    sample = min(n, nlist * _TRAIN_PER_LIST)
    rows = np.sort(np.random.default_rng(_SEED).choice(n, size=sample, replace=False))
    ivf.train(vectors[rows])
    ivf.add(vectors)
    ivf.make_direct_map()  # reconstruct(row) for updates and filtered searches
    _set_nprobe(ivf, config)
    return ivf


def _set_nprobe(index: Any, config: DenseConfig) -> None:
    import faiss

    if isinstance(index, faiss.IndexIVF):
        index.nprobe = min(config.nprobe, index.nlist)


def save_dense(index: Any, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


def load_dense(path: Path, config: DenseConfig | None = None) -> Any:
    """Read an index written by :func:`save_dense` and set its search parameter from ``config``."""
    import faiss

    index = faiss.read_index(str(path))
    _set_nprobe(index, config or DenseConfig())
    return index


def search(index: Any, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Scores and rows of the ``k`` best vectors for one ``query`` (best first; row -1 pads a short answer).

    ``allowed`` (sorted rows) restricts the search. On an IVF index a restriction to few rows is searched
    exactly over those rows' vectors (an IVF search could miss them in groups it does not probe); a large
    one goes through IVF with an ID selector.

    One question is searched on one thread: on this shared two-core machine OpenMP's team of two spent
    about 15 ms spinning around a 0.6 ms exact search of 10k vectors (measured). The setting is the calling
    thread's own (an OpenMP per-thread variable) and is restored afterwards, so builds keep both cores.
    """
    import faiss

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        return _search(index, query, k, allowed)
    finally:
        faiss.omp_set_num_threads(threads)


def _search(index: Any, query: np.ndarray, k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    import faiss

    query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
    if allowed is None:
        scores, rows = index.search(query, min(k, index.ntotal))
        return scores[0], rows[0]
    k = min(k, len(allowed))
    if isinstance(index, faiss.IndexIVF) and len(allowed) <= max(k, index.ntotal // max(1, index.nlist) * index.nprobe):
        vectors = index.reconstruct_batch(allowed.astype(np.int64))
        scores = vectors @ query[0]
        best = np.argsort(-scores, kind="stable")[:k]
        return scores[best].astype(np.float32), allowed[best].astype(np.int64)
    selector = faiss.IDSelectorBatch(allowed.astype(np.int64))
    if isinstance(index, faiss.IndexIVF):
        params: Any = faiss.SearchParametersIVF(sel=selector, nprobe=index.nprobe)  # type: ignore[call-arg]
    else:
        params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
    scores, rows = index.search(query, k, params=params)
    return scores[0], rows[0]
