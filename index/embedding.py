"""Sentence embeddings: a small protocol and its sentence-transformers implementation."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
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
# How passages (the index's vectors) are encoded: sentence-transformers, or the same transformer through ONNX Runtime,
# in fp32 (the same vectors to float precision) or dynamically quantised to int8.
PassageBackend = Literal["auto", "torch", "torch-bf16", "onnx", "onnx-int8"]
# Passages are encoded in batches of similar length, each holding at most this many tokens (padding included).
_TOKEN_BUDGET = 8192
# bf16 batches are padded to a multiple of this many tokens: fewer distinct shapes for oneDNN to prepare kernels for
_BF16_PAD_TO = 16


def native_bf16() -> bool:
    """Whether this CPU computes in bfloat16 natively (AVX512-BF16 or AMX): torch's bf16 matrix products are then
    several times faster than fp32 ones; without it they are emulated, and slower."""
    import torch

    cpu: Any = torch.cpu
    try:
        return bool(cpu._is_avx512_bf16_supported() or cpu._is_amx_tile_supported())
    except AttributeError:  # a torch without the probes
        return False


def resolve_passage_backend(backend: PassageBackend) -> PassageBackend:
    """``"auto"``: ``"torch-bf16"`` on a CPU with native bfloat16, else ``"onnx"`` (fp32); others as given."""
    if backend != "auto":
        return backend
    return "torch-bf16" if native_bf16() else "onnx"


class SentenceTransformerEmbedder:
    """A sentence-transformers model with separate query and passage prompts.

    Construction is cheap; :meth:`load` reads the weights (once). ``query_backend="onnx"`` sends questions (one
    short text at a time, on the request path) through an ONNX Runtime graph of the same transformer, exported
    once into ``cache_dir``, with the model's own mean pooling and normalisation: the same vectors as
    sentence-transformers to float precision, without its per-call overhead. ``passage_backend`` does the same
    for passages, in batches of similar length (``"onnx-int8"``: a dynamically quantised graph, faster and
    approximate). ``"torch-bf16"`` runs the same batches through torch in bfloat16 (autocast: the matrix products in
    bf16, the rest in fp32): on a CPU with AMX or AVX512-BF16 about three times faster than fp32, vectors within
    cosine 0.9999 of fp32's; ``"auto"`` picks it where the CPU has them, ``"onnx"`` elsewhere. The passage backend
    shapes the index, so it is part of :attr:`version`; the query backend is not.
    """

    def __init__(
        self,
        spec: ModelSpec,
        *,
        batch_size: int = 32,
        device: str = "cpu",
        query_backend: QueryBackend = "torch",
        passage_backend: PassageBackend = "torch",
        cache_dir: Path | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        passage_backend = resolve_passage_backend(passage_backend)
        if (query_backend == "onnx" or passage_backend.startswith("onnx")) and cache_dir is None:
            raise ValueError("an onnx backend needs a cache_dir for its exported graph")
        self.spec = spec
        self.batch_size = batch_size
        self.device = device
        self.query_backend = query_backend
        self.passage_backend: PassageBackend = passage_backend
        self.cache_dir = cache_dir
        self._model: SentenceTransformer | None = None
        self._session: Any = None  # the fp32 graph: questions with query_backend="onnx", passages with "onnx"
        self._passage_session: Any = None
        self._opening = threading.Lock()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def version(self) -> str:
        return self.spec.version if self.passage_backend == "torch" else f"{self.spec.version}+{self.passage_backend}"

    @property
    def dim(self) -> int:
        dim = self._loaded().get_embedding_dimension()
        if dim is None:
            raise ModelUnavailable(f"model {self.name} does not report its embedding dimension")
        return int(dim)

    def load(self, *, queries: bool = True) -> SentenceTransformerEmbedder:
        """Load the model (once); ``queries=False`` leaves the question graph unopened until a question comes
        (an index build never embeds one: 0.8 s saved)."""
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            try:
                self._model = SentenceTransformer(self.spec.location, device=self.device, local_files_only=True)
            except (OSError, ValueError) as exc:
                raise ModelUnavailable(f"cannot load embedding model {self.spec.name!r} from {self.spec.location}: {exc}") from exc
        if self._session is None and ((queries and self.query_backend == "onnx") or self.passage_backend == "onnx"):
            with self._opening:
                if self._session is None:
                    self._session = self._graph_session(quantize=False)
        if self._passage_session is None and self.passage_backend.startswith("onnx"):
            self._passage_session = self._session if self.passage_backend == "onnx" else self._graph_session(quantize=True)
        return self

    def _graph_session(self, *, quantize: bool) -> Any:
        from index.onnx_graph import cached_name, cached_session, graph_key

        assert self.cache_dir is not None
        model = self._loaded()
        pooling = [m for m in model if type(m).__name__ == "Pooling"]
        if len(model) != 3 or len(pooling) != 1 or getattr(pooling[0], "pooling_mode", None) != "mean":
            raise ModelUnavailable(f"the onnx backends need a transformer + mean pooling + normalize model, not {self.spec.name}")
        safe = "".join(c if c.isalnum() else "-" for c in self.spec.name)[-40:]
        # "query-" for the fp32 graph (its first use; it encodes passages too), "int8-" for the quantised one
        prefix = f"int8-{safe}" if quantize else f"query-{safe}"
        graph = self.cache_dir / cached_name(prefix, graph_key(self.spec.name, self.spec.version))

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

        return cached_session(graph, hidden_states, None, inputs=("input_ids", "attention_mask"), outputs=("hidden",), quantize=quantize)

    def _encode_onnx(self, session: Any, texts: Sequence[str], prompt: str, show_progress: bool = False) -> np.ndarray:
        """Encode through ``session`` in batches of similar length (see :meth:`_encode_sorted`)."""

        def run(batch: np.ndarray, mask: np.ndarray) -> np.ndarray:
            (hidden,) = session.run(["hidden"], {"input_ids": batch, "attention_mask": mask})
            return np.asarray(hidden)

        return self._encode_sorted(run, texts, prompt, show_progress)

    def _encode_bf16(self, texts: Sequence[str], prompt: str, show_progress: bool = False) -> np.ndarray:
        """Encode through torch with bfloat16 autocast, in batches of similar length (see :meth:`_encode_sorted`)."""
        import torch

        transformer: Any = self._loaded()[0].auto_model

        def run(batch: np.ndarray, mask: np.ndarray) -> np.ndarray:
            with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
                out = transformer(input_ids=torch.from_numpy(batch), attention_mask=torch.from_numpy(mask))
            return np.asarray(out.last_hidden_state.float().numpy())

        return self._encode_sorted(run, texts, prompt, show_progress, pad_to=_BF16_PAD_TO)

    def _encode_sorted(
        self,
        run: Callable[[np.ndarray, np.ndarray], np.ndarray],
        texts: Sequence[str],
        prompt: str,
        show_progress: bool,
        pad_to: int = 1,
    ) -> np.ndarray:
        """Tokenise once, sort by length, and ``run`` batches of similar length (at most ``batch_size`` texts and
        about :data:`_TOKEN_BUDGET` padded tokens each) to last hidden states; mean-pool and normalise them as the
        model does, returning rows in the order of ``texts``."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._loaded()
        ids = model.tokenizer([prompt + t for t in texts], truncation=True, max_length=model.max_seq_length)["input_ids"]
        pad = model.tokenizer.pad_token_id or 0
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        batches, first = [], 0
        while first < len(order):
            last = first + 1
            # sorted by length, so the batch's last text is its longest: stop before padding exceeds the budget
            while last < len(order) and last - first < self.batch_size and (last - first + 1) * len(ids[order[last]]) <= _TOKEN_BUDGET:
                last += 1
            batches.append(order[first:last])
            first = last
        for rows in _progress(batches, show_progress, len(order)):
            width = max(len(ids[r]) for r in rows)
            width = -(-width // pad_to) * pad_to
            batch = np.full((len(rows), width), pad, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for k, r in enumerate(rows):
                batch[k, : len(ids[r])] = ids[r]
                mask[k, : len(ids[r])] = 1
            hidden = run(batch, mask)
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[rows] = pooled
        return out

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
        if self.query_backend == "onnx":
            if self._session is None:
                self.load()  # loaded without the question graph (an index build): open it now, once
            return self._encode_onnx(self._session, texts, self.spec.query_prompt)
        return self._encode(texts, self.spec.query_prompt, False)

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        if self._passage_session is not None:
            return self._encode_onnx(self._passage_session, texts, self.spec.passage_prompt, show_progress)
        if self.passage_backend == "torch-bf16":
            return self._encode_bf16(texts, self.spec.passage_prompt, show_progress)
        return self._encode(texts, self.spec.passage_prompt, show_progress)


def _progress(batches: list[list[int]], show: bool, total: int) -> Any:
    """``batches``, with a progress bar counting texts when ``show``."""
    if not show:
        yield from batches
        return
    from tqdm import tqdm

    with tqdm(total=total, unit="text", desc="embed", position=0, leave=False) as bar:
        for rows in batches:
            yield rows
            bar.update(len(rows))
