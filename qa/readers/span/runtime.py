"""How the span reader's network runs: eager torch, or an ONNX Runtime session exported from it.

The ONNX graph is exported once from the loaded torch model (base + shipped delta) into a cache folder
(see :mod:`index.onnx_graph`), under a name that carries everything the graph depends on: the delta's
SHA-256, the base model's version, torch's version, fp32 or int8.

``onnx`` reads the same numbers as torch (fp32, the graph only fuses operators); ``onnx-int8`` adds
ONNX Runtime's dynamic int8 quantisation of the weights, faster but further from the trained network.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np

from index.onnx_graph import cached_name, cached_session, graph_key

Backend = Literal["torch", "onnx", "onnx-int8"]
INPUTS = ("input_ids", "attention_mask")
OUTPUTS = ("start_logits", "end_logits")

# (input ids, attention mask) as int64 arrays of one shape -> (start logits, end logits) as float32
Runner = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def cache_name(weights_sha256: str, base_version: str, backend: Backend) -> str:
    """The cached graph's file name: it changes whenever the weights, the base, torch or the precision do."""
    return cached_name(f"span_reader-{backend}", graph_key(weights_sha256, base_version, backend))


def torch_runner(model: Any, threads: int | None) -> Runner:
    import torch

    if threads:
        torch.set_num_threads(threads)

    def run(ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with torch.inference_mode():
            out = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask))
        return out.start_logits.float().numpy(), out.end_logits.float().numpy()

    return run


def onnx_runner(graph: Path, build: Callable[[], Any], backend: Backend, threads: int | None) -> Runner:
    """A runner over the cached graph at ``graph``, exported from ``build()`` (the torch model) when missing."""

    def module() -> Any:
        import torch

        model = build()

        class Logits(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.inner = model

            def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
                out = self.inner(input_ids=input_ids, attention_mask=attention_mask)
                return out.start_logits, out.end_logits

        return Logits()

    session = cached_session(graph, module, threads, inputs=INPUTS, outputs=OUTPUTS, quantize=backend == "onnx-int8")

    def run(ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        start, end = session.run(list(OUTPUTS), {"input_ids": ids, "attention_mask": mask})
        return np.asarray(start, dtype=np.float32), np.asarray(end, dtype=np.float32)

    return run
