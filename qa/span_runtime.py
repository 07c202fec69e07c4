"""How the span reader's network runs: eager torch, or an ONNX Runtime session exported from it.

The ONNX graph is exported once from the loaded torch model (base + shipped delta) into a cache folder,
under a name that carries everything the graph depends on (the delta's SHA-256, the base model's
version, torch's version, fp32 or int8), written atomically; later loads open the cached file without
building the torch model. A cached file that does not open is exported again.

``onnx`` reads the same numbers as torch (fp32, the graph only fuses operators); ``onnx-int8`` adds
ONNX Runtime's dynamic int8 quantisation of the weights, faster but further from the trained network.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np

Backend = Literal["torch", "onnx", "onnx-int8"]
BACKENDS: tuple[Backend, ...] = ("torch", "onnx", "onnx-int8")
_OPSET = 17

# (input ids, attention mask) as int64 arrays of one shape -> (start logits, end logits) as float32
Runner = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def cache_name(weights_sha256: str, base_version: str, backend: Backend) -> str:
    """The cached graph's file name: it changes whenever the weights, the base, torch or the precision do."""
    import torch

    key = hashlib.sha256(f"{weights_sha256}|{base_version}|{torch.__version__}|{_OPSET}|{backend}".encode()).hexdigest()
    return f"span_reader-{backend}-{key[:16]}.onnx"


def torch_runner(model: Any, threads: int | None) -> Runner:
    import torch

    if threads:
        torch.set_num_threads(threads)

    def run(ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with torch.inference_mode():
            out = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask))
        return out.start_logits.float().numpy(), out.end_logits.float().numpy()

    return run


def onnx_runner(path: Path, threads: int | None) -> Runner:
    """An ONNX Runtime session over ``path`` (raises if the file is not a readable graph)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or 0  # 0: one per physical core
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: the export's shape hints are not worth a warning per load
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def run(ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        start, end = session.run(["start_logits", "end_logits"], {"input_ids": ids, "attention_mask": mask})
        return np.asarray(start, dtype=np.float32), np.asarray(end, dtype=np.float32)

    return run


def export(model: Any, path: Path, *, quantize: bool) -> None:
    """Write ``model``'s graph (and, with ``quantize``, its dynamic int8 version) to ``path`` atomically."""
    import torch

    class _Logits(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask)
            return out.start_logits, out.end_logits

    path.parent.mkdir(parents=True, exist_ok=True)
    sample = torch.ones((2, 16), dtype=torch.int64)
    axes = {0: "batch", 1: "tokens"}
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".export-") as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        with warnings.catch_warnings():
            # The TorchScript exporter is deprecated in favour of torch.export's, which needs onnxscript; this one
            # exports BERT with dynamic batch and length and reads the same numbers (tests/train/test_span_runtime.py).
            # Its tracer warns about shape checks it freezes: for an encoder they compare a length with itself.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Logits(model).eval(),
                (sample, sample),
                str(fp32),
                input_names=["input_ids", "attention_mask"],
                output_names=["start_logits", "end_logits"],
                dynamic_axes={"input_ids": axes, "attention_mask": axes, "start_logits": axes, "end_logits": axes},
                opset_version=_OPSET,
                dynamo=False,
            )
        final = fp32
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            final = Path(tmp) / "int8.onnx"
            quantize_dynamic(str(fp32), str(final), weight_type=QuantType.QInt8)
        with final.open("rb") as f:
            os.fsync(f.fileno())
        final.replace(path)
