"""Sentence embeddings: a small protocol and its sentence-transformers implementation."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

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


QueryBackend = Literal["torch", "onnx"]


class SentenceTransformerEmbedder:
    """A sentence-transformers model with separate query and passage prompts.

    Construction is cheap; :meth:`load` reads the weights (once). With ``query_backend="onnx"``, questions
    (one short text at a time, on the request path) go through an ONNX Runtime graph of the same transformer,
    exported once into ``cache_dir``, with the model's own mean pooling and normalisation: the same vectors
    as sentence-transformers to float precision, without its per-call overhead. Passages always go
    through sentence-transformers, so the index does not depend on the query backend.
    """

    def __init__(
        self,
        spec: ModelSpec,
        *,
        batch_size: int = 32,
        device: str = "cpu",
        query_backend: QueryBackend = "torch",
        cache_dir: Path | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if query_backend == "onnx" and cache_dir is None:
            raise ValueError("an onnx query backend needs a cache_dir for its exported graph")
        self.spec = spec
        self.batch_size = batch_size
        self.device = device
        self.query_backend = query_backend
        self.cache_dir = cache_dir
        self._model: SentenceTransformer | None = None
        self._session: Any = None

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
        if self.query_backend == "onnx" and self._session is None:
            self._session = self._query_session()
        return self

    def _query_session(self) -> Any:
        from index.onnx_graph import cached_name, cached_session, graph_key

        assert self.cache_dir is not None
        model = self._loaded()
        pooling = [m for m in model if type(m).__name__ == "Pooling"]
        if len(model) != 3 or len(pooling) != 1 or getattr(pooling[0], "pooling_mode", None) != "mean":
            raise ModelUnavailable(f"the onnx query backend needs a transformer + mean pooling + normalize model, not {self.spec.name}")
        safe = "".join(c if c.isalnum() else "-" for c in self.spec.name)[-40:]
        graph = self.cache_dir / cached_name(f"query-{safe}", graph_key(self.spec.name, self.spec.version))

        def hidden_states() -> Any:
            import torch

            transformer = model[0].auto_model

            class LastHidden(torch.nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.inner: Any = transformer

                def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> Any:
                    return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

            return LastHidden()

        return cached_session(graph, hidden_states, None, inputs=("input_ids", "attention_mask"), outputs=("hidden",))

    def _encode_onnx(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        model = self._loaded()
        enc = model.tokenizer(
            [prompt + t for t in texts], padding=True, truncation=True, max_length=model.max_seq_length, return_tensors="np"
        )
        ids, mask = enc["input_ids"].astype(np.int64), enc["attention_mask"].astype(np.int64)
        (hidden,) = self._session.run(["hidden"], {"input_ids": ids, "attention_mask": mask})
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return np.ascontiguousarray(pooled, dtype=np.float32)

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
        if self._session is not None:
            return self._encode_onnx(texts, self.spec.query_prompt)
        return self._encode(texts, self.spec.query_prompt, False)

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        return self._encode(texts, self.spec.passage_prompt, show_progress)
