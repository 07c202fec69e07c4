from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from index.chunking import ChunkingConfig
from index.corpus import Article
from index.errors import IndexIncompatible, IndexNotBuilt
from index.store import build_index, is_up_to_date, load_index, read_manifest
from tests.conftest import FakeEmbedder


def test_round_trip(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> None:
    root = tmp_path / "idx"
    manifest = build_index(articles, fake_embedder, root, ChunkingConfig(120, 30))
    index = load_index(root, model="fake-hash-256")
    assert index.manifest == manifest == read_manifest(root)
    assert (manifest.articles, manifest.dim, manifest.chunk_size) == (3, 256, 120)
    assert manifest.chunks == len(index.chunks) == index.chunk_index.ntotal
    for chunk in index.chunks:
        assert index.articles[chunk.doc_id].text[chunk.start : chunk.end] == chunk.text
    for sentence in index.sentences:
        assert index.articles[sentence.doc_id].text[sentence.start : sentence.end] == sentence.text
    assert index.sentence_vectors.shape == (len(index.sentences), 256)
    assert np.allclose(np.linalg.norm(index.chunk_vectors(), axis=1), 1.0, atol=1e-5)
    stored = [json.loads(line) for line in (root / "current" / "chunks.jsonl").read_text(encoding="utf-8").splitlines()]
    assert "’" in "".join(r["text"] for r in stored)  # ensure_ascii=False keeps the text readable


def test_refuses_index_of_another_model(built_index: object, tmp_path: Path) -> None:
    with pytest.raises(IndexIncompatible, match="rebuild"):
        load_index(tmp_path / "index", model="another-model")


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexNotBuilt, match="qa index build"):
        load_index(tmp_path / "none")


class ExplodingEmbedder(FakeEmbedder):
    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        raise RuntimeError("boom")


def test_failed_build_keeps_previous_index(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> None:
    root = tmp_path / "idx"
    first = build_index(articles, fake_embedder, root)
    with pytest.raises(RuntimeError, match="boom"):
        build_index(articles[:1], ExplodingEmbedder(), root)
    assert read_manifest(root) == first
    assert load_index(root).manifest.articles == 3
    assert not [p for p in (root / "builds").iterdir() if p.name.startswith(".")]


def test_rebuild_swaps_and_prunes(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> None:
    root = tmp_path / "idx"
    for count in (3, 2, 1, 2):
        build_index(articles[:count], fake_embedder, root)
    assert read_manifest(root).articles == 2
    assert len(list((root / "builds").iterdir())) == 2  # current and the one before


def test_up_to_date(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> None:
    root = tmp_path / "idx"
    config = ChunkingConfig()
    assert not is_up_to_date(root, articles, fake_embedder.name, config)
    build_index(articles, fake_embedder, root, config)
    assert is_up_to_date(root, articles, fake_embedder.name, config)
    assert not is_up_to_date(root, articles[:2], fake_embedder.name, config)
    assert not is_up_to_date(root, articles, "other", config)
    assert not is_up_to_date(root, articles, fake_embedder.name, ChunkingConfig(300, 10))


def test_corrupt_manifest_says_rebuild(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> None:
    root = tmp_path / "idx"
    build_index(articles, fake_embedder, root)
    (root / "current" / "manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(IndexIncompatible, match="rebuild"):
        load_index(root)
