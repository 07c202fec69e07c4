"""Sentence vectors for the evidence reader, encoded when first read.

The index stores chunk vectors only: the trained span reader never reads sentence vectors, and encoding
every sentence at build time took as long as encoding the chunks. The evidence reader reads the sentences
of the few chunks it is given, so it encodes those with the index's passage encoder on first use and keeps
them, up to a bound, for the questions that follow.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from index.embedding import Embedder
from index.store import Index

# Rows kept before the cache starts over (384 floats each: about 150 MB at this bound).
MAX_CACHED_ROWS = 100_000


class SentenceVectors:
    """The passage vectors of an index's sentences, by row; safe to share between threads."""

    def __init__(self, index: Index, embedder: Embedder, *, max_rows: int = MAX_CACHED_ROWS) -> None:
        if max_rows < 1:
            raise ValueError(f"max_rows must be at least 1, got {max_rows}")
        self.index = index
        self.embedder = embedder
        self.max_rows = max_rows
        self._vectors: dict[int, np.ndarray] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many rows are encoded and kept now."""
        return len(self._vectors)

    def rows(self, rows: Sequence[int]) -> np.ndarray:
        """The vectors of ``rows`` (one per row, in order), encoding the ones not kept yet."""
        if not rows:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        with self._lock:
            known = {r: self._vectors[r] for r in rows if r in self._vectors}
        missing = [r for r in dict.fromkeys(rows) if r not in known]
        if missing:
            fresh = self.embedder.encode_passages([self.index.sentences[r].text for r in missing])
            with self._lock:
                if len(self._vectors) + len(missing) > self.max_rows:
                    self._vectors.clear()
                for row, vector in zip(missing, fresh, strict=True):
                    vector = np.asarray(vector, dtype=np.float32)
                    self._vectors[row] = known[row] = vector
        return np.stack([known[r] for r in rows])
