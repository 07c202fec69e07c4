"""The ONNX question encoder gives sentence-transformers' vectors (on the tiny BERT of this folder's conftest)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import index.onnx_graph as onnx_graph
from index.embedding import SentenceTransformerEmbedder
from index.errors import ModelUnavailable
from index.models import ModelSpec

QUESTIONS = ["Qui a versé l'argent ?", "Combien d’euros Valdor a-t-elle versés à Jean-Noël d'Arcy le 3 mars 2025 ?", "Où ?"]


def _st_folder(tiny_base: Path, tmp_path: Path, pooling: str = "mean") -> Path:
    from sentence_transformers import SentenceTransformer, models

    transformer = models.Transformer(str(tiny_base))
    modules = [transformer, models.Pooling(transformer.get_embedding_dimension(), pooling), models.Normalize()]
    folder = tmp_path / f"st-{pooling}"
    SentenceTransformer(modules=modules, device="cpu").save(str(folder))
    return folder


def _spec(folder: Path) -> ModelSpec:
    return ModelSpec(name="tiny", location=str(folder), query_prompt="query: ", passage_prompt="passage: ", version="t1")


def test_onnx_questions_match_sentence_transformers(tiny_base: Path, tmp_path: Path) -> None:
    spec = _spec(_st_folder(tiny_base, tmp_path))
    eager = SentenceTransformerEmbedder(spec).load()
    graph = SentenceTransformerEmbedder(spec, query_backend="onnx", cache_dir=tmp_path / "cache").load()
    one_by_one = np.vstack([graph.encode_queries([q]) for q in QUESTIONS])
    batched = graph.encode_queries(QUESTIONS)  # padded: the mean skips the padding
    expected = eager.encode_queries(QUESTIONS)
    assert one_by_one.dtype == np.float32 and one_by_one.shape == expected.shape
    assert np.allclose(one_by_one, expected, atol=1e-5) and np.allclose(batched, expected, atol=1e-5)
    assert np.array_equal(graph.encode_passages(QUESTIONS), eager.encode_passages(QUESTIONS))  # passages never change path


def test_the_question_graph_is_cached(tiny_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _spec(_st_folder(tiny_base, tmp_path))
    SentenceTransformerEmbedder(spec, query_backend="onnx", cache_dir=tmp_path).load()
    assert len(list(tmp_path.glob("query-tiny-*.onnx"))) == 1

    def no_export(*args: object, **kwargs: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_graph, "export", no_export)
    SentenceTransformerEmbedder(spec, query_backend="onnx", cache_dir=tmp_path).load().encode_queries(QUESTIONS)


def test_a_model_without_mean_pooling_is_refused(tiny_base: Path, tmp_path: Path) -> None:
    spec = _spec(_st_folder(tiny_base, tmp_path, pooling="cls"))
    with pytest.raises(ModelUnavailable, match="mean pooling"):
        SentenceTransformerEmbedder(spec, query_backend="onnx", cache_dir=tmp_path).load()


def test_an_onnx_backend_needs_a_cache_folder() -> None:
    with pytest.raises(ValueError, match="cache_dir"):
        SentenceTransformerEmbedder(_spec(Path("nowhere")), query_backend="onnx")
