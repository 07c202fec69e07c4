"""Locating a character offset of an article in the index's sentences (query-time, not stored)."""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from index.sentences import Sentence
from index.tables import SentenceTable


class _RowsOf(Mapping[str, Sequence[int]]):
    """Per article, its sentence rows (or their start offsets) read off a :class:`SentenceTable`'s columns when
    asked: nothing is computed per sentence up front. Articles without sentences are absent."""

    def __init__(self, table: SentenceTable, starts: bool) -> None:
        self._table = table
        self._starts = starts

    def __getitem__(self, doc_id: str) -> Sequence[int]:
        rows = self._table.rows_of(doc_id)
        if not rows:
            raise KeyError(doc_id)
        return self._table.starts[rows.start : rows.stop].tolist() if self._starts else rows

    def __iter__(self) -> Iterator[str]:
        return (doc_id for doc_id in self._table.doc_ids() if self._table.rows_of(doc_id))

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass(frozen=True)
class SentenceRows:
    """Where each article's sentences sit in an index's sentence list, in text order: ``rows[doc_id]`` their
    rows, ``starts[doc_id]`` their start offsets (for bisecting an offset to its sentence)."""

    rows: Mapping[str, Sequence[int]]
    starts: Mapping[str, Sequence[int]]

    @classmethod
    def of(cls, sentences: Sequence[Sentence]) -> SentenceRows:
        if isinstance(sentences, SentenceTable):  # an index's: already grouped by article, in text order
            return cls(_RowsOf(sentences, starts=False), _RowsOf(sentences, starts=True))
        by_doc: dict[str, list[int]] = {}
        for row, sentence in enumerate(sentences):
            by_doc.setdefault(sentence.doc_id, []).append(row)
        rows = {d: sorted(rs, key=lambda r: sentences[r].start) for d, rs in by_doc.items()}
        return cls(rows, {d: [sentences[r].start for r in rs] for d, rs in rows.items()})

    def at(self, doc_id: str, offset: int) -> int | None:
        """The row of the sentence of ``doc_id`` holding character ``offset`` (the last starting at or before it)."""
        starts = self.starts.get(doc_id)
        if not starts:
            return None
        return self.rows[doc_id][max(0, bisect.bisect_right(starts, offset) - 1)]
