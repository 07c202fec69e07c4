from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.chunking import ChunkingConfig
from index.corpus import Article
from index.errors import UnknownDocument
from index.lexical import terms
from index.store import Index, build_index, current_build, load_index, read_manifest
from index.update import sync_index, update_index
from tests.conftest import FakeEmbedder

DELTA = Article(
    "delta",
    "Nvidia livrera des processeurs à OpenAI\nLe contrat porte sur 10 gigawatts de calcul, annoncé lundi à Santa Clara.",
    title="Nvidia livrera des processeurs à OpenAI",
    date="2025-09-22",
    url="https://example.org/delta",
)


class RecordingEmbedder(FakeEmbedder):
    """The fake embedder, keeping every passage it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.passages: list[str] = []

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        self.passages += texts
        return super().encode_passages(texts, show_progress=show_progress)


def assert_same_index(incremental: Index, full: Index) -> None:
    assert incremental.articles.keys() == full.articles.keys()
    for doc_id, article in full.articles.items():
        assert (incremental.articles[doc_id].text, incremental.articles[doc_id].title) == (article.text, article.title)
        assert (incremental.articles[doc_id].date, incremental.articles[doc_id].url) == (article.date, article.url)
    assert incremental.chunks == full.chunks
    assert incremental.sentences == full.sentences
    assert incremental.sentence_spans == full.sentence_spans
    assert incremental.manifest.corpus_hash == full.manifest.corpus_hash
    assert incremental.manifest.fingerprint == full.manifest.fingerprint
    assert (incremental.manifest.chunks, incremental.manifest.sentences) == (full.manifest.chunks, full.manifest.sentences)
    np.testing.assert_allclose(incremental.chunk_vectors(), full.chunk_vectors(), atol=1e-6)
    for question in ("Combien de puces DRAM par mois ?", "Qui préside Stargate ?", "gigawatts Santa Clara"):
        np.testing.assert_allclose(incremental.lexical.scores(terms(question)), full.lexical.scores(terms(question)))


def test_sync_equals_a_full_build_and_embeds_only_the_changes(tmp_path: Path, articles: list[Article]) -> None:
    embedder = RecordingEmbedder()
    root = tmp_path / "inc"
    build_index(articles, embedder, root)
    by_id = {a.doc_id: a for a in articles}
    changed = replace(by_id["beta"], text=by_id["beta"].text + "\n\nLe chantier commencera en 2026 à Abilene.")
    final = [by_id["alpha"], changed, DELTA]  # gamma removed, beta replaced, delta added
    embedder.passages.clear()

    report = sync_index(root, final, embedder)

    assert (report.added, report.replaced, report.removed, report.unchanged) == (("delta",), ("beta",), ("gamma",), 1)
    assert report.full_build is None and report.written
    assert not any(text in by_id["alpha"].text for text in embedder.passages)  # alpha was not embedded again
    assert any("Abilene" in text for text in embedder.passages) and any("Santa Clara" in text for text in embedder.passages)
    incremental = load_index(root, model=embedder.name)
    assert report.chunks_embedded == sum(1 for c in incremental.chunks if c.doc_id in ("beta", "delta"))
    assert set(report.manifest.stage_seconds) == {"chunk", "split", "load_spacy", "annotate", "embed_chunks", "index", "write"}
    full_root = tmp_path / "full"
    build_index(final, FakeEmbedder(), full_root)
    assert_same_index(incremental, load_index(full_root))


def test_update_index_adds_replaces_and_deletes(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> None:
    root = tmp_path / "idx"
    build_index(articles, fake_embedder, root)
    report = update_index(root, fake_embedder, upserts=[DELTA], deletes=["gamma"])
    assert (report.added, report.removed, report.unchanged) == (("delta",), ("gamma",), 2)
    full_root = tmp_path / "full"
    build_index([a for a in articles if a.doc_id != "gamma"] + [DELTA], fake_embedder, full_root)
    assert_same_index(load_index(root), load_index(full_root))


def test_nothing_changed_keeps_the_current_build(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> None:
    root = tmp_path / "idx"
    build_index(articles, fake_embedder, root)
    before = current_build(root)
    report = sync_index(root, articles, fake_embedder)
    assert not report.written and report.unchanged == 3 and report.chunks_embedded == 0
    assert current_build(root) == before
    # an upsert of an identical article changes nothing either
    assert not update_index(root, fake_embedder, upserts=[articles[0]]).written


def test_a_changed_fingerprint_makes_a_full_build(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> None:
    root = tmp_path / "idx"
    build_index(articles, fake_embedder, root)
    report = sync_index(root, articles, fake_embedder, ChunkingConfig(120, 30))
    assert report.full_build is not None and "chunk_size" in report.full_build
    assert report.chunks_embedded == read_manifest(root).chunks
    full_root = tmp_path / "full"
    build_index(articles, fake_embedder, full_root, ChunkingConfig(120, 30))
    assert_same_index(load_index(root), load_index(full_root))
    other_model = FakeEmbedder(name="another-fake")
    assert "model" in (sync_index(root, articles, other_model).full_build or "")


def test_update_with_a_changed_fingerprint_applies_the_change_in_a_full_build(
    tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder
) -> None:
    root = tmp_path / "idx"
    build_index(articles, fake_embedder, root)
    report = update_index(root, fake_embedder, ChunkingConfig(120, 30), upserts=[DELTA], deletes=["gamma"])
    assert report.full_build is not None and (report.added, report.removed) == (("delta",), ("gamma",))
    full_root = tmp_path / "full"
    build_index([a for a in articles if a.doc_id != "gamma"] + [DELTA], fake_embedder, full_root, ChunkingConfig(120, 30))
    assert_same_index(load_index(root), load_index(full_root))


def test_no_index_yet_makes_a_full_build(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> None:
    report = sync_index(tmp_path / "new", articles, fake_embedder)
    assert report.full_build == "no index yet" and report.added == tuple(sorted(a.doc_id for a in articles))


def test_a_damaged_index_is_rebuilt_in_full(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> None:
    root = tmp_path / "idx"
    build_index(articles, fake_embedder, root)
    (current_build(root) / "chunks.faiss").write_bytes(b"broken")
    report = sync_index(root, articles, fake_embedder)
    assert report.full_build is not None and "unusable" in report.full_build
    assert load_index(root).manifest.articles == 3


def test_refuses_unknown_deletes_and_an_empty_index(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> None:
    root = tmp_path / "idx"
    build_index(articles, fake_embedder, root)
    before = current_build(root)
    with pytest.raises(UnknownDocument, match="nope"):
        update_index(root, fake_embedder, deletes=["nope"])
    with pytest.raises(ValueError, match="no articles"):
        update_index(root, fake_embedder, deletes=[a.doc_id for a in articles])
    assert current_build(root) == before


def test_a_change_of_source_metadata_alone_replaces_the_article(tmp_path: Path, articles: list[Article]) -> None:
    """An article whose text is the same but whose source says more (an author, a site, its file) is replaced:
    the index keeps what the source said, and the folder and the index agree again."""
    embedder = RecordingEmbedder()
    root = tmp_path / "inc"
    build_index(articles, embedder, root)
    by_id = {a.doc_id: a for a in articles}
    richer = replace(by_id["beta"], author="Léa Martin", site_name="Le Site", format="html", file_name="beta.html")
    report = sync_index(root, [by_id["alpha"], richer, by_id["gamma"]], embedder)
    assert report.replaced == ("beta",) and report.unchanged == 2
    stored = load_index(root, model=embedder.name).articles["beta"]
    assert (stored.author, stored.site_name, stored.format, stored.file_name, stored.summary_only) == (
        "Léa Martin",
        "Le Site",
        "html",
        "beta.html",
        False,
    )
