"""The real-model tier: the default embedding model, built offline, loaded once per session."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from index.corpus import load_articles
from index.embedding import SentenceTransformerEmbedder
from index.store import build_index, load_index
from qa.factory import annotator_for, chunking_config, load_embedder, pipeline_for
from qa.pipeline import Pipeline
from qa.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sockets may connect to 127.0.0.1 only, for a module with its own server on loopback: it overrides the
    unit tests' ``_no_network`` (which refuses every connection) with a ``_no_network`` fixture that calls this."""
    connect = socket.socket.connect

    def checked(self: socket.socket, address: Any) -> Any:
        if not (isinstance(address, tuple) and address[0] in ("127.0.0.1", "::1")):
            raise RuntimeError(f"network access to {address!r} in a test")
        return connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", checked)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    index_dir = tmp_path_factory.mktemp("real-index")
    return Settings(articles_dir=ROOT / "data" / "articles", index_dir=index_dir, model_cache_dir=ROOT / "data" / "models")


@pytest.fixture(scope="session")
def real_embedder(real_settings: Settings) -> SentenceTransformerEmbedder:
    return load_embedder(real_settings)


@pytest.fixture(scope="session")
def real_pipeline(real_settings: Settings, real_embedder: SentenceTransformerEmbedder) -> Pipeline:
    articles = load_articles(real_settings.articles_dir)
    build_index(articles, real_embedder, real_settings.index_dir, chunking_config(real_settings), annotator=annotator_for(real_settings))
    index = load_index(real_settings.index_dir, model=real_embedder.name)
    return pipeline_for(index, real_embedder, real_settings)


@pytest.fixture(scope="session")
def heldout_pipeline(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> Pipeline:
    """The real model over the held-out articles (eval/heldout/articles), on an index of their own."""
    index_dir = tmp_path_factory.mktemp("heldout-index")
    build_index(
        load_articles(ROOT / "eval" / "heldout" / "articles"),
        real_embedder,
        index_dir,
        chunking_config(real_settings),
        annotator=annotator_for(real_settings),
    )
    return pipeline_for(load_index(index_dir, model=real_embedder.name), real_embedder, real_settings)
