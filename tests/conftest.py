"""Shared fixtures: a deterministic fake embedder and a tiny French corpus.

The fake embedder hashes content terms into a fixed number of dimensions, so texts
sharing words are similar; it needs no model and no network.
"""

from __future__ import annotations

import errno
import hashlib
import os
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from index.corpus import Article, load_articles
from index.lexical import terms
from index.store import Index, build_index, load_index
from qa.readers.evidence.reader import ReaderModel

pytest_plugins = ["tests.browser"]  # the `browser` and `page` fixtures, for tests/web and the real-model tier

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class FakeEmbedder:
    def __init__(self, name: str = "fake-hash-256", dim: int = 256, version: str = "1") -> None:
        self._name, self._dim, self._version = name, dim, version
        self.calls = 0  # questions encoded (calls of encode_queries)

    @property
    def name(self) -> str:
        return self._name

    def load(self, *, queries: bool = True) -> FakeEmbedder:
        return self

    @property
    def version(self) -> str:
        return self._version

    @property
    def dim(self) -> int:
        return self._dim

    def _one(self, text: str) -> np.ndarray:
        vector = np.zeros(self._dim, dtype=np.float32)
        for term in terms(text) or [text.strip().casefold()]:
            digest = hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest()
            vector[int.from_bytes(digest[:4], "little") % self._dim] += 1.0 if digest[4] % 2 else -1.0
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        return np.stack([self._one(t) for t in texts]).astype(np.float32)

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        return np.stack([self._one(t) for t in texts]).astype(np.float32)


# Chosen weights, not the fitted ones of qa/reader_model.json: unit tests check the reader's logic and must
# not break on a refit (answers of the fitted weights are checked in tests/integration). A span of the asked
# type, near the question's terms in a sentence that covers them, wins.
CHOSEN_SPAN_WEIGHTS = {
    "type_strict": 3.0,
    "type_loose": 1.0,
    "type_miss": -3.0,
    "sent_cover": 2.0,
    "context_cover": 1.0,
    "chunk_rank": 1.0,
    "proximity": 1.0,
    "restate": -3.0,
    "short": 0.5,
}
# The confidence rises with the sentence's cover of the question and falls with question terms that no
# retrieved chunk holds: about 0.9 for a question the articles match, under 0.001 for one they do not.
CHOSEN_CONFIDENCE_WEIGHTS = {"sent_cover": 4.0, "unknown_terms": -8.0}


def chosen_model(
    confidence_bias: float = 0.0, confidence_weights: dict[str, float] | None = None, span_weights: dict[str, float] | None = None
) -> ReaderModel:
    """A reader model with explicit weights (by default :data:`CHOSEN_SPAN_WEIGHTS` and
    :data:`CHOSEN_CONFIDENCE_WEIGHTS`); the confidence is ``sigmoid(bias + weights . features)``."""
    return ReaderModel(
        CHOSEN_SPAN_WEIGHTS if span_weights is None else span_weights,
        CHOSEN_CONFIDENCE_WEIGHTS if confidence_weights is None else confidence_weights,
        confidence_bias,
        "chosen by hand for the unit tests",
    )


ARTICLES = {
    "alpha": (
        " date 2025-10-02 OpenAI signe avec Samsung et SK Hynix\n"
        "OpenAI a signé mercredi à Séoul des lettres d’intention avec Samsung Electronics et SK Hynix. "
        "L'accord prévoit jusqu'à 900 000 puces DRAM par mois pour le projet Stargate.\n\n"
        "Le président sud-coréen Lee Jae-myung assistait à la signature. "
        "L’entreprise américaine veut aussi construire des centres de données en Corée du Sud."
    ),
    "beta": (
        "Le fonds Stargate réunit SoftBank et Oracle\n"
        "Le projet Stargate prévoit 500 milliards de dollars d'investissements sur quatre ans. "
        "SoftBank assure le financement et Oracle fournit l’infrastructure de calcul.\n\n"
        "Masayoshi Son présidera la structure. Le premier centre de données est construit au Texas."
    ),
    "gamma": (
        " date 2024-01 Sam Altman en Corée\n"
        "Sam Altman s’est rendu en Corée du Sud le 26 janvier pour rencontrer les dirigeants de Samsung. "
        "Il a visité l'usine de Pyeongtaek, à 60 kilomètres au sud de Séoul."
    ),
}


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests never reach the network: any outbound connection fails loudly."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("network access in a unit test")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def articles_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def articles(articles_dir: Path) -> list[Article]:
    return load_articles(articles_dir)


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def built_index(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> Iterator[Index]:
    root = tmp_path / "index"
    build_index(articles, fake_embedder, root)
    yield load_index(root, model=fake_embedder.name)


@pytest.fixture
def disk_full(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """While ``full[0]`` is true, writing any ``.jsonl`` article file fails with ENOSPC half-way through its temporary file."""
    from index import article_files

    full = [True]
    real = article_files._write_atomic

    def write(path: Path, content: str) -> None:
        if full[0] and path.suffix == ".jsonl":
            path.with_name(f".{path.name}.qa-tmp").write_text(content[: len(content) // 2], encoding="utf-8")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, content)

    monkeypatch.setattr(article_files, "_write_atomic", write)
    yield full
