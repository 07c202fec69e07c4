"""The ONNX question and passage encoders give sentence-transformers' vectors (on the tiny BERT of this folder's conftest)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import index.onnx_graph as onnx_graph
from index.embedding import SentenceTransformerEmbedder
from index.errors import ModelUnavailable
from index.models import ModelSpec

PASSAGES = [
    "Valdor a versé 3 millions d'euros.",
    "Le 3 mars 2025, à Lyon, la société Valdor a versé trois millions d’euros à Jean-Noël d'Arcy, qui les a placés aussitôt "
    + "dans une fondation créée la veille pour financer des bourses d'études. " * 6,
    "Non.",
    "Jean-Noël d'Arcy a refusé de commenter l'opération devant les journalistes réunis à Lyon.",
]
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
    with pytest.raises(ValueError, match="cache_dir"):
        SentenceTransformerEmbedder(_spec(Path("nowhere")), passage_backend="onnx-int8")


def test_onnx_passages_match_sentence_transformers_in_length_sorted_batches(tiny_base: Path, tmp_path: Path) -> None:
    spec = _spec(_st_folder(tiny_base, tmp_path))
    eager = SentenceTransformerEmbedder(spec).load()
    # batch_size 2: the four passages go in two batches of similar length, and come back in their own order
    graph = SentenceTransformerEmbedder(spec, batch_size=2, passage_backend="onnx", cache_dir=tmp_path / "cache").load()
    expected = eager.encode_passages(PASSAGES)
    got = graph.encode_passages(PASSAGES)
    assert got.dtype == np.float32 and got.shape == expected.shape
    assert np.allclose(got, expected, atol=1e-5)
    assert np.allclose(graph.encode_passages(PASSAGES[::-1]), expected[::-1], atol=1e-5)
    assert graph.encode_passages([]).shape == (0, expected.shape[1])
    # questions stay on their own backend (torch here), and the passage backend is part of the index's version
    assert np.allclose(graph.encode_queries(QUESTIONS), eager.encode_queries(QUESTIONS), atol=1e-6)
    assert (eager.version, graph.version) == ("t1", "t1+onnx")


def test_int8_passages_are_close_and_versioned_apart(tiny_base: Path, tmp_path: Path) -> None:
    spec = _spec(_st_folder(tiny_base, tmp_path))
    eager = SentenceTransformerEmbedder(spec).load()
    int8 = SentenceTransformerEmbedder(spec, passage_backend="onnx-int8", cache_dir=tmp_path).load()
    cosines = (int8.encode_passages(PASSAGES) * eager.encode_passages(PASSAGES)).sum(axis=1)
    assert cosines.min() > 0.9 and not np.allclose(cosines, 1.0, atol=1e-6)  # quantised: near, not equal
    assert int8.version == "t1+onnx-int8" and len(list(tmp_path.glob("int8-tiny-*.onnx"))) == 1


def test_bf16_passages_are_near_fp32_in_length_sorted_batches_and_versioned_apart(tiny_base: Path, tmp_path: Path) -> None:
    spec = _spec(_st_folder(tiny_base, tmp_path))
    eager = SentenceTransformerEmbedder(spec).load()
    bf16 = SentenceTransformerEmbedder(spec, batch_size=2, passage_backend="torch-bf16").load()  # no graph: no cache folder needed
    expected = eager.encode_passages(PASSAGES)
    got = bf16.encode_passages(PASSAGES)
    assert got.dtype == np.float32 and got.shape == expected.shape
    assert (got * expected).sum(axis=1).min() > 0.999  # bf16 products, fp32 sums: near, not equal
    assert np.allclose(bf16.encode_passages(PASSAGES[::-1]), got[::-1], atol=1e-6)  # rows in the texts' order
    assert bf16.version == "t1+torch-bf16"


def test_auto_picks_bf16_only_where_the_cpu_has_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import index.embedding as embedding

    monkeypatch.setattr(embedding, "native_bf16", lambda: True)
    assert embedding.resolve_passage_backend("auto") == "torch-bf16"
    monkeypatch.setattr(embedding, "native_bf16", lambda: False)
    assert embedding.resolve_passage_backend("auto") == "onnx"
    assert SentenceTransformerEmbedder(_spec(Path("nowhere")), passage_backend="auto", cache_dir=Path("c")).passage_backend == "onnx"
    assert embedding.resolve_passage_backend("torch") == "torch"


def test_a_build_loads_no_question_graph_until_a_question_comes(tiny_base: Path, tmp_path: Path) -> None:
    spec = _spec(_st_folder(tiny_base, tmp_path))
    build = SentenceTransformerEmbedder(spec, query_backend="onnx", passage_backend="torch-bf16", cache_dir=tmp_path / "c")
    build.load(queries=False)
    assert not list((tmp_path / "c").glob("query-*.onnx"))  # nothing exported or opened for a build
    eager = SentenceTransformerEmbedder(spec).load()
    assert np.allclose(build.encode_queries(QUESTIONS), eager.encode_queries(QUESTIONS), atol=1e-5)  # opened on demand
    assert len(list((tmp_path / "c").glob("query-*.onnx"))) == 1
