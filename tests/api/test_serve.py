"""The Ray Serve replica's own pieces, in-process with the fake embedder (two real replicas on Ray are in
tests/integration/test_serve_real.py): the replica header, read-only settings, and reloading ``current``."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.serve import REPLICA_HEADER, ReplicaHeader, read_only, reload
from index.corpus import Article
from index.store import Index, build_index
from qa.pipeline import Pipeline
from qa.readers.evidence.reader import ReaderConfig, SentenceReader
from qa.settings import Settings
from tests.conftest import FakeEmbedder


def test_every_answer_names_its_replica(built_index: Index, fake_embedder: FakeEmbedder) -> None:
    app = create_app(pipeline=Pipeline(built_index, fake_embedder, SentenceReader(built_index, fake_embedder, ReaderConfig())))
    app.add_middleware(ReplicaHeader, replica="r1")
    with TestClient(app) as client:
        assert client.get("/health").headers[REPLICA_HEADER] == "r1"
        assert client.get("/documents/nope").headers[REPLICA_HEADER] == "r1"  # errors too


def test_replicas_never_write() -> None:
    assert read_only(Settings(admin_token=SecretStr("secret"))).admin_token is None


def test_reload_swaps_in_the_current_build(
    built_index: Index, fake_embedder: FakeEmbedder, articles: list[Article], tmp_path: Path
) -> None:
    settings = Settings(index_dir=built_index.path.parents[1], articles_dir=tmp_path / "articles", reader="evidence")
    first = Pipeline(built_index, fake_embedder, SentenceReader(built_index, fake_embedder, ReaderConfig()))
    app = create_app(settings, pipeline=first)
    assert reload(app) is None, "nothing to reload before the app has started"
    with TestClient(app) as client:
        before = client.get("/health").json()
        newer = Article("delta", "Un nouvel article\nLa mairie ouvre une piscine en juin.")
        build_index([*articles, newer], fake_embedder, settings.index_dir)
        assert client.get("/health").json() == before, "a replica keeps its index until told to reload"
        build = reload(app)
        assert build is not None and build != built_index.path.name
        assert app.state.pipeline is not first and app.state.pipeline.embedder is fake_embedder
        assert client.get("/health").json()["articles"] == before["articles"] + 1
        assert client.get("/documents/delta").status_code == 200
