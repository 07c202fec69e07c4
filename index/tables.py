"""The index's articles, chunks, sentences and candidate spans as columns on disk, read through views.

A million chunks held as a million Python objects cost gigabytes and tens of seconds to load. Here every
row is a few integers in a NumPy array that is memory-mapped on load (nothing is read until used), and a
``Chunk`` or ``Sentence`` is made only when one is asked for. Their text is not stored twice: it is the
slice of its article's text between its offsets. Files of a build::

    articles.json        columns doc_id, title, date, url, author, site_name, format, file_name, summary_only (one list each)
    texts.bin            the articles' texts, UTF-8, end to end; text_offsets.npy: int64 byte offsets (n + 1)
    chunk_rows.npy       int32 (chunks, 4): article row, ordinal in its article, start, end (characters)
    sentence_rows.npy    int32 (sentences, 3): article row, start, end
    span_rows.npy        int32 (spans, 3): start, end, label number; span_offsets.npy: int64 (sentences + 1)
    span_labels.json     the labels, by number

Rows keep the build's order: each article's chunks (and sentences) together, in text order, articles in
their order; :func:`write_tables` checks that, and that every text is its article's slice, before writing.
"""

from __future__ import annotations

import json
import mmap
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, TypeVar, overload

import numpy as np

from index.annotate import SpanTuple
from index.chunking import Chunk
from index.corpus import Article
from index.sentences import Sentence

TABLE_FILES = (
    "articles.json",
    "texts.bin",
    "text_offsets.npy",
    "chunk_rows.npy",
    "sentence_rows.npy",
    "span_rows.npy",
    "span_offsets.npy",
    "span_labels.json",
)
_META = ("doc_id", "title", "date", "url", "author", "site_name", "format", "file_name", "summary_only")
_DECODED_TEXTS = 64
T = TypeVar("T")


class ArticleTable(Mapping[str, Article]):
    """The articles by id; an :class:`Article` (text decoded from the mapped file) is made per lookup."""

    def __init__(self, meta: dict[str, list[Any]], texts: mmap.mmap | bytes, offsets: np.ndarray) -> None:
        self.doc_ids: list[str] = meta["doc_id"]
        self._titles: list[str | None] = meta["title"]
        self._dates: list[str | None] = meta["date"]
        self._urls: list[str | None] = meta["url"]
        self._sources: dict[str, list[Any]] = {key: meta[key] for key in ("author", "site_name", "format", "file_name", "summary_only")}
        self._texts = texts
        self._offsets = offsets
        self._rows = {doc_id: row for row, doc_id in enumerate(self.doc_ids)}
        # a question reads the few articles it retrieved many times over: keep the latest ones decoded. The cache
        # holds the columns, not this table: a cache bound to ``self`` is a reference cycle, and a replaced index
        # caught in one keeps its memory and its mapped files until a full garbage collection.
        self.text: Callable[[int], str] = lru_cache(maxsize=_DECODED_TEXTS)(partial(_decode, texts, offsets))

    def row(self, doc_id: str) -> int:
        return self._rows[doc_id]

    def date(self, row: int) -> str | None:
        return self._dates[row]

    def at(self, row: int) -> Article:
        source = {key: column[row] for key, column in self._sources.items()}
        return Article(self.doc_ids[row], self.text(row), self._titles[row], self._dates[row], self._urls[row], **source)

    def __getitem__(self, doc_id: str) -> Article:
        return self.at(self._rows[doc_id])

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self.doc_ids)

    def __len__(self) -> int:
        return len(self.doc_ids)


def _decode(texts: mmap.mmap | bytes, offsets: np.ndarray, row: int) -> str:
    """The text of the article at ``row``."""
    a, b = int(offsets[row]), int(offsets[row + 1])
    return texts[a:b].decode("utf-8")


class _Rows(Sequence[T]):
    """A read-only sequence made row by row; equal to any sequence with equal items."""

    def __init__(self, length: int) -> None:
        self._length = length

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[T]:
        return (self._make(row) for row in range(self._length))

    def _make(self, row: int) -> T:
        raise NotImplementedError

    @overload
    def __getitem__(self, row: int) -> T: ...
    @overload
    def __getitem__(self, row: slice) -> list[T]: ...
    def __getitem__(self, row: int | slice) -> T | list[T]:
        if isinstance(row, slice):
            return [self._make(r) for r in range(*row.indices(self._length))]
        if row < 0:
            row += self._length
        if not 0 <= row < self._length:
            raise IndexError(row)
        return self._make(int(row))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or len(other) != len(self):
            return False
        return all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]


class ChunkTable(_Rows[Chunk]):
    """The chunks, in row order (the FAISS and BM25 row numbers); ``doc_rows`` is each chunk's article row."""

    def __init__(self, rows: np.ndarray, articles: ArticleTable) -> None:
        super().__init__(len(rows))
        self._cols = rows
        self._articles = articles
        self.doc_rows: np.ndarray = rows[:, 0]

    def _make(self, row: int) -> Chunk:
        doc, ordinal, start, end = self._cols[row].tolist()
        doc_id = self._articles.doc_ids[doc]
        return Chunk(doc_id, f"{doc_id}#{ordinal}", self._articles.text(doc)[start:end], start, end)


class SentenceTable(_Rows[Sentence]):
    """The sentences, each article's together in text order: ``doc_rows``, ``starts`` and ``ends`` are columns."""

    def __init__(self, rows: np.ndarray, articles: ArticleTable) -> None:
        super().__init__(len(rows))
        self._cols = rows
        self._articles = articles
        self.doc_rows: np.ndarray = rows[:, 0]
        self.starts: np.ndarray = rows[:, 1]
        self.ends: np.ndarray = rows[:, 2]

    def _make(self, row: int) -> Sentence:
        doc, start, end = self._cols[row].tolist()
        return Sentence(self._articles.doc_ids[doc], self._articles.text(doc)[start:end], start, end)

    def doc_ids(self) -> list[str]:
        """The ids of the articles, by article row."""
        return self._articles.doc_ids

    def rows_of(self, doc_id: str) -> range:
        """The rows of one article's sentences (empty for an unknown id)."""
        if doc_id not in self._articles:
            return range(0)
        doc = self._articles.row(doc_id)
        lo, hi = np.searchsorted(self.doc_rows, [doc, doc + 1])
        return range(int(lo), int(hi))


class SpanTable(_Rows[tuple[SpanTuple, ...]]):
    """The candidate answer spans of each sentence (document offsets and label)."""

    def __init__(self, rows: np.ndarray, offsets: np.ndarray, labels: list[str]) -> None:
        super().__init__(len(offsets) - 1)
        self._cols = rows
        self._offsets = offsets
        self._labels = labels

    def _make(self, row: int) -> tuple[SpanTuple, ...]:
        a, b = int(self._offsets[row]), int(self._offsets[row + 1])
        return tuple((start, end, self._labels[label]) for start, end, label in self._cols[a:b].tolist())


def _check_grouped(doc_rows: np.ndarray, starts: np.ndarray, what: str) -> None:
    if len(doc_rows) > 1:
        same = doc_rows[1:] == doc_rows[:-1]
        if np.any(doc_rows[1:] < doc_rows[:-1]) or np.any(same & (starts[1:] < starts[:-1])):
            raise ValueError(f"{what} must come per article, in article order and text order")


def write_tables(
    folder: Path,
    articles: Sequence[Article],
    chunks: Sequence[Chunk],
    sentences: Sequence[Sentence],
    spans: Sequence[tuple[SpanTuple, ...]],
) -> None:
    """Write the columns of a build into ``folder`` (see the module docstring), after checking every row."""
    row_of = {a.doc_id: row for row, a in enumerate(articles)}
    texts = [a.text for a in articles]
    chunk_rows = np.zeros((len(chunks), 4), dtype=np.int32)
    for i, c in enumerate(chunks):
        doc = row_of[c.doc_id]
        ordinal = c.chunk_id.rpartition("#")[2]
        if not ordinal.isdigit() or c.chunk_id != f"{c.doc_id}#{int(ordinal)}" or texts[doc][c.start : c.end] != c.text:
            raise ValueError(f"chunk {c.chunk_id!r} is not its article's slice or not named doc_id#ordinal")
        chunk_rows[i] = (doc, int(ordinal), c.start, c.end)
    _check_grouped(chunk_rows[:, 0], chunk_rows[:, 2], "chunks")
    sentence_rows = np.zeros((len(sentences), 3), dtype=np.int32)
    for i, s in enumerate(sentences):
        doc = row_of[s.doc_id]
        if texts[doc][s.start : s.end] != s.text:
            raise ValueError(f"a sentence of {s.doc_id!r} is not its article's slice")
        sentence_rows[i] = (doc, s.start, s.end)
    _check_grouped(sentence_rows[:, 0], sentence_rows[:, 1], "sentences")
    if len(spans) != len(sentences):
        raise ValueError(f"{len(spans)} span lists for {len(sentences)} sentences")
    labels: dict[str, int] = {}
    flat = [(a, b, labels.setdefault(label, len(labels))) for row in spans for a, b, label in row]
    span_offsets = np.zeros(len(spans) + 1, dtype=np.int64)
    span_offsets[1:] = np.cumsum([len(row) for row in spans])
    encoded = [t.encode("utf-8") for t in texts]
    text_offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    text_offsets[1:] = np.cumsum([len(t) for t in encoded])
    meta = {key: [getattr(a, key) for a in articles] for key in _META}
    (folder / "articles.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    with (folder / "texts.bin").open("wb") as out:
        for text in encoded:
            out.write(text)
    np.save(folder / "text_offsets.npy", text_offsets, allow_pickle=False)
    np.save(folder / "chunk_rows.npy", chunk_rows, allow_pickle=False)
    np.save(folder / "sentence_rows.npy", sentence_rows, allow_pickle=False)
    np.save(folder / "span_rows.npy", np.asarray(flat, dtype=np.int32).reshape(-1, 3), allow_pickle=False)
    np.save(folder / "span_offsets.npy", span_offsets, allow_pickle=False)
    (folder / "span_labels.json").write_text(json.dumps(list(labels), ensure_ascii=False), encoding="utf-8")


def _mapped(path: Path) -> mmap.mmap | bytes:
    with path.open("rb") as source:
        if path.stat().st_size == 0:
            return b""
        return mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ)  # the mapping outlives the file object


def read_tables(folder: Path) -> tuple[ArticleTable, ChunkTable, SentenceTable, SpanTable]:
    """Map the columns of a build (raises ``OSError``/``ValueError``/``KeyError`` on missing or damaged files)."""
    meta = json.loads((folder / "articles.json").read_text(encoding="utf-8"))
    if not isinstance(meta, dict) or any(not isinstance(meta.get(k), list) or len(meta[k]) != len(meta["doc_id"]) for k in _META):
        raise ValueError("articles.json is not columns of equal length")
    offsets = np.load(folder / "text_offsets.npy", allow_pickle=False)
    texts = _mapped(folder / "texts.bin")
    if len(offsets) != len(meta["doc_id"]) + 1 or int(offsets[-1]) != len(texts):
        raise ValueError("texts.bin and text_offsets.npy disagree")
    articles = ArticleTable(meta, texts, offsets)
    chunk_rows = np.load(folder / "chunk_rows.npy", mmap_mode="r", allow_pickle=False)
    sentence_rows = np.load(folder / "sentence_rows.npy", mmap_mode="r", allow_pickle=False)
    span_rows = np.load(folder / "span_rows.npy", mmap_mode="r", allow_pickle=False)
    span_offsets = np.load(folder / "span_offsets.npy", mmap_mode="r", allow_pickle=False)
    labels = json.loads((folder / "span_labels.json").read_text(encoding="utf-8"))
    if chunk_rows.ndim != 2 or chunk_rows.shape[1] != 4 or sentence_rows.ndim != 2 or sentence_rows.shape[1] != 3:
        raise ValueError("chunk_rows.npy or sentence_rows.npy has the wrong shape")
    if len(span_offsets) != len(sentence_rows) + 1 or int(span_offsets[-1]) != len(span_rows) or span_rows.shape[1:] != (3,):
        raise ValueError("span_offsets.npy and span_rows.npy disagree")
    n_articles = len(articles)
    for column, name in ((chunk_rows[:, 0], "chunk_rows.npy"), (sentence_rows[:, 0], "sentence_rows.npy")):
        if len(column) and (int(column.min()) < 0 or int(column.max()) >= n_articles):
            raise ValueError(f"{name} names articles the build does not hold")
    if len(span_rows) and (int(span_rows[:, 2].min()) < 0 or int(span_rows[:, 2].max()) >= len(labels)):
        raise ValueError("span_rows.npy names labels span_labels.json does not hold")
    return (
        articles,
        ChunkTable(chunk_rows, articles),
        SentenceTable(sentence_rows, articles),
        SpanTable(span_rows, span_offsets, [str(label) for label in labels]),
    )
