"""Sentence embeddings: a small protocol and its sentence-transformers implementation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

from index.errors import ModelUnavailable
from index.models import ModelSpec

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors (one row per text)."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str:
        """What tells these weights from others of the same name (recorded in the index fingerprint)."""
        ...

    @property
    def dim(self) -> int: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model with separate query and passage prompts.

    Construction is cheap; :meth:`load` reads the weights (once).
    """

    def __init__(self, spec: ModelSpec, *, batch_size: int = 32, device: str = "cpu") -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.spec = spec
        self.batch_size = batch_size
        self.device = device
        self._model: SentenceTransformer | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def version(self) -> str:
        return self.spec.version

    @property
    def dim(self) -> int:
        dim = self._loaded().get_embedding_dimension()
        if dim is None:
            raise ModelUnavailable(f"model {self.name} does not report its embedding dimension")
        return int(dim)

    def load(self) -> SentenceTransformerEmbedder:
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            try:
                self._model = SentenceTransformer(self.spec.location, device=self.device, local_files_only=True)
            except (OSError, ValueError) as exc:
                raise ModelUnavailable(f"cannot load embedding model {self.spec.name!r} from {self.spec.location}: {exc}") from exc
        return self

    def _loaded(self) -> SentenceTransformer:
        if self._model is None:
            raise RuntimeError("call load() before encoding")
        return self._model

    def _encode(self, texts: Sequence[str], prompt: str, show_progress: bool) -> np.ndarray:
        vectors = self._loaded().encode(
            list(texts),
            prompt=prompt or None,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.spec.query_prompt, False)

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        return self._encode(texts, self.spec.passage_prompt, show_progress)
