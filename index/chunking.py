"""Splitting articles into overlapping chunks whose offsets are owned here.

The cuts are those of langchain's ``RecursiveCharacterTextSplitter`` (paragraphs, then lines, sentences,
clauses, words, characters; the pieces merged up to the chunk size, the end of each repeated as overlap), made
here on offsets, so that each chunk's place is known instead of searched for: ``str.find`` of a piece's text
places a sentence, byline or link that also occurs in the previous chunk there, and the text after it is then
in no chunk. ``tests/index/test_chunking.py`` checks that the pieces are langchain's, and every build checks
that the chunks cover every non-space character of the article: ``article.text[start:end] == chunk.text``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.corpus import Article

# Paragraphs, lines, sentence ends, clause ends, commas, words, characters.
FRENCH_SEPARATORS = [
    r"\n\s*\n",
    r"\n",
    r"(?<=[.!?…])\s+",
    r"(?<=[.!?…] »)\s+",
    r"(?<=[;:])\s+",
    r"(?<=,)\s+",
    r"\s+",
    "",
]
_VISIBLE = re.compile(r"\S")


@dataclass(frozen=True)
class Chunk:
    """A window of an article; ``start``/``end`` are character offsets in the article text."""

    doc_id: str
    chunk_id: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class ChunkingConfig:
    """Chunk size and overlap in characters."""

    size: int = 400
    overlap: int = 80

    def __post_init__(self) -> None:
        if self.size < 50:
            raise ValueError(f"chunk size must be at least 50 characters, got {self.size}")
        if not 0 <= self.overlap < self.size:
            raise ValueError(f"chunk overlap must be at least 0 and less than the chunk size ({self.size}), got {self.overlap}")


Offsets = tuple[int, int]


class Chunker:
    """Cuts articles as langchain's recursive splitter does (keeping each separator at the end of the piece
    before it, whitespace stripped from each chunk), on character offsets."""

    def __init__(self, config: ChunkingConfig | None = None) -> None:
        self.config = config or ChunkingConfig()

    def split(self, article: Article) -> list[Chunk]:
        """The article's chunks, in text order; together they cover every non-space character of its text."""
        text = article.text
        spans = self.spans(text)
        gap = first_uncovered(text, spans)
        if gap is not None:  # the splitter covers the text by construction: this is a bug, never a silent loss
            raise ValueError(f"article {article.doc_id!r}: character {gap} is in no chunk")
        return [Chunk(article.doc_id, f"{article.doc_id}#{i}", text[a:b], a, b) for i, (a, b) in enumerate(spans)]

    def spans(self, text: str) -> list[Offsets]:
        """The chunks of ``text`` as (start, end) offsets, in order."""
        return self._split(text, 0, len(text), FRENCH_SEPARATORS)

    def _split(self, text: str, start: int, end: int, separators: list[str]) -> list[Offsets]:
        """``RecursiveCharacterTextSplitter._split_text`` of ``text[start:end]``."""
        part = text[start:end]  # searched as a string of its own, as langchain does (a lookbehind stops at its start)
        separator, finer = separators[-1], []
        for i, candidate in enumerate(separators):
            if not candidate:
                separator = candidate
                break
            if re.search(candidate, part):
                separator, finer = candidate, separators[i + 1 :]
                break
        out: list[Offsets] = []
        good: list[Offsets] = []
        for a, b in _pieces(part, separator):
            a, b = a + start, b + start
            if b - a < self.config.size:
                good.append((a, b))
                continue
            out += self._merge(text, good)
            good = []
            out += self._split(text, a, b, finer) if finer else [(a, b)]
        return out + self._merge(text, good)

    def _merge(self, text: str, splits: list[Offsets]) -> list[Offsets]:
        """``TextSplitter._merge_splits`` of consecutive splits: each chunk up to the size, then its last
        splits (up to the overlap) start the next one; each chunk whitespace-stripped, empty ones dropped."""
        size, overlap = self.config.size, self.config.overlap
        out: list[Offsets] = []
        current: list[Offsets] = []
        total = 0
        for a, b in splits:
            if total + (b - a) > size and current:
                out += _stripped(text, current[0][0], current[-1][1])
                while total > overlap or (total + (b - a) > size and total > 0):
                    total -= current[0][1] - current[0][0]
                    current = current[1:]
            current.append((a, b))
            total += b - a
        return out + (_stripped(text, current[0][0], current[-1][1]) if current else [])


def _pieces(part: str, separator: str) -> list[Offsets]:
    """langchain's ``_split_text_with_regex`` with the separator kept at the end, as offsets in ``part``: the
    text up to and including each match of ``separator`` (every character when it is empty), empty ones dropped."""
    if not separator:
        return [(i, i + 1) for i in range(len(part))]
    out: list[Offsets] = []
    at = 0
    for match in re.finditer(separator, part):
        if match.end() > at:
            out.append((at, match.end()))
        at = match.end()
    if at < len(part):
        out.append((at, len(part)))
    return out


def _stripped(text: str, start: int, end: int) -> list[Offsets]:
    """``text[start:end]`` without its leading and trailing whitespace, as one span; none when nothing is left."""
    part = text[start:end]
    a, b = start + len(part) - len(part.lstrip()), start + len(part.rstrip())
    return [(a, b)] if b > a else []


def first_uncovered(text: str, spans: Sequence[Offsets]) -> int | None:
    """The offset of the first non-space character of ``text`` in none of ``spans`` (given in text order), or ``None``."""
    reached = 0
    for start, end in [*spans, (len(text), len(text))]:
        if start > reached:
            gap = _VISIBLE.search(text, reached, start)
            if gap is not None:
                return gap.start()
        reached = max(reached, end)
    return None
