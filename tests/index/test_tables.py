from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.chunking import Chunk, Chunker, ChunkingConfig
from index.corpus import Article
from index.sentences import split_sentences
from index.tables import ChunkTable, read_tables, write_tables
from qa.readers.locate import SentenceRows

ARTICLES = [
    Article("a/un", "L’été à Paris.\nM. Dupont arrive lundi. Il repart mardi à Lyon.", "Été", "2024-07-01", "https://example.org/1"),
    Article("b", "Deuxième article, sans titre ni date.\n\nUn paragraphe de plus sur l'économie française.", None, None, None),
]


def _write(folder: Path) -> tuple[list[Chunk], list[object], list[object]]:
    chunker = Chunker(ChunkingConfig(60, 10))
    chunks = [c for a in ARTICLES for c in chunker.split(a)]
    sentences = [s for a in ARTICLES for s in split_sentences(a.doc_id, a.text)]
    spans = [((s.start, s.start + 2, "NUM"), (s.start, s.end, "CLAUSE")) if i % 2 else () for i, s in enumerate(sentences)]
    write_tables(folder, ARTICLES, chunks, sentences, spans)
    return chunks, sentences, spans


def test_round_trip_gives_back_equal_records(tmp_path: Path) -> None:
    chunks, sentences, spans = _write(tmp_path)
    articles, chunk_table, sentence_table, span_table = read_tables(tmp_path)
    assert dict(articles) == {a.doc_id: a for a in ARTICLES}
    assert chunk_table == chunks and list(chunk_table) == chunks and len(chunk_table) == len(chunks) > 2
    assert sentence_table == sentences and span_table == spans
    assert chunk_table[-1] == chunks[-1] and chunk_table[1:3] == chunks[1:3]
    assert chunk_table.doc_rows.tolist() == [0 if c.doc_id == "a/un" else 1 for c in chunks]
    with pytest.raises(IndexError):
        chunk_table[len(chunks)]
    assert "b" in articles and "c" not in articles and articles.get("c") is None


def test_sentence_rows_over_the_table_agree_with_the_ones_over_a_list(tmp_path: Path) -> None:
    _, sentences, _ = _write(tmp_path)
    table = read_tables(tmp_path)[2]
    mapped, listed = SentenceRows.of(table), SentenceRows.of(sentences)  # type: ignore[arg-type]
    assert dict(mapped.rows) == {d: range(rs[0], rs[-1] + 1) for d, rs in listed.rows.items()}
    assert dict(mapped.starts) == listed.starts
    for doc_id in ("a/un", "b", "unknown"):
        assert [mapped.at(doc_id, offset) for offset in range(0, 80, 7)] == [listed.at(doc_id, offset) for offset in range(0, 80, 7)]


def test_a_chunk_that_is_not_its_articles_slice_is_refused(tmp_path: Path) -> None:
    bad = Chunk("b", "b#0", "texte inventé", 0, 13)
    with pytest.raises(ValueError, match="slice"):
        write_tables(tmp_path, ARTICLES, [bad], [], [])


def test_rows_out_of_article_order_are_refused(tmp_path: Path) -> None:
    chunks = [c for a in reversed(ARTICLES) for c in Chunker(ChunkingConfig(60, 10)).split(a)]
    with pytest.raises(ValueError, match="article order"):
        write_tables(tmp_path, ARTICLES, chunks, [], [])


def test_a_table_makes_records_only_when_asked(tmp_path: Path) -> None:
    _write(tmp_path)
    table = read_tables(tmp_path)[1]
    assert isinstance(table, ChunkTable) and isinstance(table.doc_rows, np.ndarray)
    assert not any(isinstance(value, list | tuple | dict) for value in vars(table).values())  # no record per row is held
