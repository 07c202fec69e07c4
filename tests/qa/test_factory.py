from __future__ import annotations

from pathlib import Path

import pytest

from index.corpus import Article
from index.models import ModelSpec
from index.store import build_index, read_manifest
from qa import factory
from qa.settings import Settings
from tests.conftest import FakeEmbedder


class SwappingEmbedder(FakeEmbedder):
    """Builds another index (as another process would) while its weights 'load'."""

    def __init__(self, spec: ModelSpec, root: Path, articles: list[Article]) -> None:
        super().__init__(name=spec.name)
        self.root, self.articles = root, articles

    def load(self) -> SwappingEmbedder:
        build_index(self.articles[:1], FakeEmbedder(name=self.name), self.root)
        return self


def test_load_pipeline_checks_and_loads_one_build(tmp_path: Path, articles: list[Article], monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "idx"
    first = build_index(articles, FakeEmbedder(), root)
    monkeypatch.setattr(factory, "SentenceTransformerEmbedder", lambda spec, **options: SwappingEmbedder(spec, root, articles))
    pipeline = factory.load_pipeline(Settings(index_dir=root, model="fake-hash-256"))
    assert read_manifest(root).articles == 1  # `current` moved while the model loaded
    assert pipeline.index.manifest == first and len(pipeline.index.articles) == 3  # the build that was checked
