"""Running a torch encoder through ONNX Runtime: export its graph once into a cache file, then open sessions on it.

The graph is traced from the loaded torch module (TorchScript exporter, dynamic batch and length) and
written atomically under a name the caller derives from everything the graph depends on; later loads open
the cached file without building the torch module. A cached file that does not open is exported again.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

OPSET = 17


def graph_key(*parts: str) -> str:
    """A short hash of what a graph depends on (torch's version and the opset always included)."""
    import torch

    return hashlib.sha256("|".join([*parts, torch.__version__, str(OPSET)]).encode()).hexdigest()[:16]


def open_session(path: Path, threads: int | None) -> Any:
    """An ONNX Runtime CPU session over ``path`` (raises if the file is not a readable graph)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or 0  # 0: one per physical core
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only
    # No busy-waiting after a run: the question and span sessions take turns on the same cores, and a pool
    # spinning after its run slows the next session's (seed questions in-process: 91 -> 60 ms an ask).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def export(
    module: Any, path: Path, inputs: Sequence[str], outputs: Sequence[str], *, quantize: bool = False, sample_length: int = 16
) -> None:
    """Write ``module``'s graph to ``path`` atomically; ``module(*int64 tensors named inputs)`` returns ``outputs``.

    With ``quantize``, the file holds ONNX Runtime's dynamic int8 quantisation of the graph."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    sample = tuple(torch.ones((2, sample_length), dtype=torch.int64) for _ in inputs)
    axes = {0: "batch", 1: "tokens"}
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".export-") as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        with warnings.catch_warnings():
            # The TorchScript exporter is deprecated in favour of torch.export's, which needs onnxscript; this one
            # exports BERT encoders with dynamic batch and length and reads torch's numbers (see the tests).
            # Its tracer warns about shape checks it freezes: for an encoder they compare a length with itself.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module.eval(),
                sample,
                str(fp32),
                input_names=list(inputs),
                output_names=list(outputs),
                dynamic_axes={name: axes for name in [*inputs, *outputs]},
                opset_version=OPSET,
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


def cached_name(prefix: str, key: str) -> str:
    """``<prefix>-<key>.onnx``: the file name of a cached graph (see :func:`cached_session`)."""
    return f"{prefix}-{key}.onnx"


def cached_session(path: Path, build: Callable[[], Any], threads: int | None, **export_args: Any) -> Any:
    """A session over the graph cached at ``path``, exporting ``build()``'s module first when it is missing or unreadable.

    ``path`` is named by :func:`cached_name`; after an export, the graphs of the same prefix with another key
    (older weights or versions, 100-500 MB each) are deleted. ``export_args`` go to :func:`export`."""
    if path.is_file():
        try:
            return open_session(path, threads)
        except Exception:  # a truncated or foreign file: export it again  # noqa: BLE001
            path.unlink(missing_ok=True)
    export(build(), path, **export_args)
    prefix, _, key = path.stem.rpartition("-")
    for old in path.parent.glob(f"{prefix}-{'?' * len(key)}.onnx"):
        if old != path:
            old.unlink(missing_ok=True)
    return open_session(path, threads)
