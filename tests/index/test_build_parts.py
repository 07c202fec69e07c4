"""Reusing analysed parts: the rows of the articles that did not change, the analysis of the others, in order."""

from __future__ import annotations

import numpy as np

from index.annotate import Annotator
from index.chunking import Chunker
from index.corpus import Article
from index.store import BuildParts, analyse_articles, refresh_parts, select_parts
from tests.conftest import FakeEmbedder


def analyse(articles: list[Article]) -> BuildParts:
    return analyse_articles(articles, FakeEmbedder(), Chunker(), Annotator())


def same_rows(a: BuildParts, b: BuildParts) -> None:
    assert a.articles == b.articles and a.chunks == b.chunks and a.sentences == b.sentences and a.spans == b.spans
    np.testing.assert_array_equal(a.chunk_vectors, b.chunk_vectors)


def test_select_parts_picks_and_orders_articles(articles: list[Article]) -> None:
    parts = analyse(articles)
    order = [articles[2].doc_id, articles[0].doc_id]
    same_rows(select_parts(parts, order), analyse([articles[2], articles[0]]))
    assert select_parts(parts, []).chunk_vectors.shape == (0, parts.chunk_vectors.shape[1])


def test_refresh_parts_analyses_only_what_changed(articles: list[Article]) -> None:
    parts = analyse(articles)
    changed = Article(articles[1].doc_id, "Un texte tout neuf\nLa mairie de Lyon ouvre une piscine en juin.")
    added = Article("zeta", "Un autre article\nLe port de Marseille agrandit ses quais.")
    now = [articles[0], changed, added]  # the third article went, the second changed, one came
    analysed: list[list[str]] = []

    def counting(missing: list[Article]) -> BuildParts:
        analysed.append([a.doc_id for a in missing])
        return analyse(missing)

    same_rows(refresh_parts(parts, now, counting), analyse(now))
    assert analysed == [[changed.doc_id, "zeta"]]
    assert refresh_parts(parts, articles, counting) is parts and len(analysed) == 1  # nothing changed: nothing analysed
