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


def test_the_writer_reuses_the_serving_models(tmp_path: Path, articles_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every pipeline a write builds gets the serving pipeline's embedder and span model: nothing loads again."""
    from index.corpus import load_articles
    from index.store import load_index
    from qa.pipeline import Pipeline
    from qa.readers.span.reader import ModelReader

    embedder = FakeEmbedder()
    build_index(load_articles(articles_dir), embedder, tmp_path / "idx")
    span_model = object()
    reader = object.__new__(ModelReader)
    reader.model = span_model  # type: ignore[assignment]
    serving = Pipeline(load_index(tmp_path / "idx"), embedder, reader)
    built: list[tuple[object, object]] = []

    def pipeline_for(index: object, used_embedder: object, settings: Settings, used_span_model: object = None) -> Pipeline:
        built.append((used_embedder, used_span_model))
        return serving

    def no_loading(*args: object) -> None:
        raise AssertionError("a model was loaded again")

    monkeypatch.setattr(factory, "pipeline_for", pipeline_for)
    monkeypatch.setattr(factory, "load_span_model", no_loading)
    monkeypatch.setattr(factory, "load_embedder", no_loading)
    settings = Settings(articles_dir=articles_dir, index_dir=tmp_path / "idx", model="fake-hash-256")
    published: list[Pipeline] = []
    writer = factory.writer_for(settings, serving, published.append)
    writer.upsert([Article("delta", "Un article ajouté pendant le service.")])
    writer.delete("delta")
    assert built == [(embedder, span_model)] * 2 and published == [serving, serving]


def test_the_annotation_follows_the_reader_and_the_evidence_reader_refuses_an_entities_index(
    tmp_path: Path, articles: list[Article]
) -> None:
    from index.annotate import Annotator
    from index.errors import IndexIncompatible
    from index.store import load_index

    assert factory.annotator_for(Settings()).annotation == "entities"  # the span reader reads a span's kind only
    assert factory.annotator_for(Settings(reader="evidence")).annotation == "full"
    assert factory.annotator_for(Settings(annotation="full")).annotation == "full"
    embedder = FakeEmbedder()
    build_index(articles, embedder, tmp_path / "idx", annotator=Annotator(annotation="entities"))
    index = load_index(tmp_path / "idx")
    assert index.manifest.annotation == "entities"
    with pytest.raises(IndexIncompatible, match="rebuild it with QA_READER=evidence qa index build"):
        factory.reader_for(index, embedder, Settings(reader="evidence"))
