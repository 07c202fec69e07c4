"""Locating a character offset of an article in the index's sentences (query-time, not stored)."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from index.sentences import Sentence


@dataclass(frozen=True)
class SentenceRows:
    """Where each article's sentences sit in an index's sentence list, in text order: ``rows[doc_id]`` their
    rows, ``starts[doc_id]`` their start offsets (for bisecting an offset to its sentence)."""

    rows: dict[str, list[int]]
    starts: dict[str, list[int]]

    @classmethod
    def of(cls, sentences: Sequence[Sentence]) -> SentenceRows:
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
