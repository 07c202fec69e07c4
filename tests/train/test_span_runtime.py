"""The ONNX backends read what the torch model reads, cache their graph, and never trust a damaged one."""

from __future__ import annotations

from pathlib import Path

import pytest

import index.onnx_graph as onnx_graph
import qa.readers.span.model as span_model
from qa.readers.span.model import ReaderModelError, SpanModel, build_model, save_delta

PASSAGES = [
    "L’entreprise Valdor a versé 900\u00a0000 euros à Jean-Noël d'Arcy le 3 mars 2025 à Lyon.",
    "Le maire de Rennes a inauguré le pont.",
]
QUESTION = "Qui a versé l'argent ?"


def _shipped(tiny_base: Path, tmp_path: Path) -> Path:
    weights = tmp_path / "span_reader.safetensors"
    save_delta(build_model(tiny_base), weights, {"note": "test"})
    return weights


def _graphs(folder: Path) -> list[Path]:
    return sorted(folder.glob("span_reader-*.onnx"))


def test_onnx_reads_the_same_spans_as_torch(tiny_base: Path, tmp_path: Path) -> None:
    weights = _shipped(tiny_base, tmp_path)
    eager = SpanModel(tiny_base, weights).load().read(QUESTION, PASSAGES)
    graph = SpanModel(tiny_base, weights, backend="onnx", cache_dir=tmp_path / "cache").load().read(QUESTION, PASSAGES)
    assert [(g.passage, g.start, g.end) for g in graph] == [(g.passage, g.start, g.end) for g in eager]
    assert [g.score for g in graph] == pytest.approx([g.score for g in eager], abs=1e-4)


def test_int8_graph_reads_spans_inside_the_passages(tiny_base: Path, tmp_path: Path) -> None:
    model = SpanModel(tiny_base, _shipped(tiny_base, tmp_path), backend="onnx-int8", cache_dir=tmp_path).load()
    guesses = model.read(QUESTION, PASSAGES)
    assert guesses and all(0 <= g.start < g.end <= len(PASSAGES[g.passage]) for g in guesses)
    assert [p.name.split("-")[1] for p in _graphs(tmp_path)] == ["onnx"]  # span_reader-onnx-int8-<key>.onnx
    assert "int8" in _graphs(tmp_path)[0].name


def test_the_graph_is_exported_once_then_reused(tiny_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    weights = _shipped(tiny_base, tmp_path)
    SpanModel(tiny_base, weights, backend="onnx", cache_dir=tmp_path).load()
    assert len(_graphs(tmp_path)) == 1

    def no_export(*args: object, **kwargs: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_graph, "export", no_export)
    monkeypatch.setattr(span_model, "build_model", no_export)  # nor is the torch model built
    assert SpanModel(tiny_base, weights, backend="onnx", cache_dir=tmp_path).load().read(QUESTION, PASSAGES)


def test_a_damaged_cached_graph_is_exported_again(tiny_base: Path, tmp_path: Path) -> None:
    weights = _shipped(tiny_base, tmp_path)
    SpanModel(tiny_base, weights, backend="onnx", cache_dir=tmp_path).load()
    graph = _graphs(tmp_path)[0]
    graph.write_bytes(graph.read_bytes()[:100])  # truncated, as by a crash or a full disk
    assert SpanModel(tiny_base, weights, backend="onnx", cache_dir=tmp_path).load().read(QUESTION, PASSAGES)
    assert _graphs(tmp_path) == [graph] and graph.stat().st_size > 100


def test_new_weights_get_a_new_graph_and_the_old_one_goes(tiny_base: Path, tmp_path: Path) -> None:
    weights = _shipped(tiny_base, tmp_path)
    SpanModel(tiny_base, weights, backend="onnx-int8", cache_dir=tmp_path).load()
    SpanModel(tiny_base, weights, backend="onnx", cache_dir=tmp_path).load()
    [int8] = [g for g in _graphs(tmp_path) if "int8" in g.name]
    [old] = [g for g in _graphs(tmp_path) if "int8" not in g.name]
    other = tmp_path / "other" / "span_reader.safetensors"
    model = build_model(tiny_base)
    model.qa_outputs.bias.data += 1.0
    save_delta(model, other, {"note": "retrained"})
    SpanModel(tiny_base, other, backend="onnx", cache_dir=tmp_path).load()
    graphs = _graphs(tmp_path)
    assert len(graphs) == 2 and int8 in graphs and old not in graphs  # the stale fp32 graph deleted, the int8 one kept


def test_a_cached_graph_does_not_bypass_the_checksum(tiny_base: Path, tmp_path: Path) -> None:
    weights = _shipped(tiny_base, tmp_path)
    SpanModel(tiny_base, weights, backend="onnx", cache_dir=tmp_path).load()
    data = bytearray(weights.read_bytes())
    data[-10] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ReaderModelError, match="checksum"):
        SpanModel(tiny_base, weights, backend="onnx", cache_dir=tmp_path).load()
