"""Splitting articles into overlapping chunks whose offsets are owned here.

langchain's ``RecursiveCharacterTextSplitter`` decides where to cut (paragraphs, then lines, sentences, clauses,
words, characters; the pieces merged up to the chunk size, the end of each repeated as overlap); this module
places each piece in the article and checks the result: ``article.text[start:end] == chunk.text``, and the chunks
cover every non-space character of the article (a build that would leave text out stops instead).

A piece is placed at its first occurrence, no earlier than ``overlap`` characters before the previous piece's
end, that reaches past that end: the first occurrence alone would place a sentence, byline or link that also
stands in the chunk before it there, and leave the text after it in no chunk. A piece wholly inside the
previous one (langchain emits a few) is placed at its first occurrence after the previous start.
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
    """Cuts articles with langchain's recursive splitter and places each piece (see the module's doc)."""

    def __init__(self, config: ChunkingConfig | None = None) -> None:
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self.config = config or ChunkingConfig()
        self._splitter = RecursiveCharacterTextSplitter(
            separators=FRENCH_SEPARATORS,
            is_separator_regex=True,
            keep_separator="end",
            chunk_size=self.config.size,
            chunk_overlap=self.config.overlap,
            strip_whitespace=True,
        )

    def split(self, article: Article) -> list[Chunk]:
        """The article's chunks, in text order; together they cover every non-space character of its text."""
        text = article.text
        spans = self.spans(text)
        gap = first_uncovered(text, spans)
        if gap is not None:  # a placement that loses text is a bug: never a silent loss
            raise ValueError(f"article {article.doc_id!r}: character {gap} is in no chunk")
        return [Chunk(article.doc_id, f"{article.doc_id}#{i}", text[a:b], a, b) for i, (a, b) in enumerate(spans)]

    def spans(self, text: str) -> list[Offsets]:
        """The chunks of ``text`` as (start, end) offsets, in order."""
        return locate_pieces(text, self._splitter.split_text(text), self.config.overlap)


def locate_pieces(text: str, pieces: Sequence[str], overlap: int) -> list[Offsets]:
    """Offsets of langchain's consecutive ``pieces`` in ``text``, together covering every non-space character.

    Each piece starts after the previous one's start and leaves no visible character between the previous end
    and itself; among its occurrences that do, those starting within ``overlap`` characters of the previous end
    and reaching past it come first. In repeated text several placements fit a piece; one that would leave the
    text after it in no chunk is undone and the next one tried (a search that rarely goes back: most pieces
    have a single place)."""
    n = len(pieces)
    placed: list[Offsets] = []
    reach: list[int] = []  # how far the chunks placed so far cover, after each one
    options: list[list[int]] = []  # the places left to try for each piece placed, and for the next one
    failed: set[tuple[int, int, int]] = set()  # (piece, previous start, covered) from which no placement works
    while True:
        i = len(placed)
        prev_start = placed[-1][0] if placed else -1
        covered = reach[-1] if reach else 0
        state = (i, prev_start, covered)
        if i == n:
            if _VISIBLE.search(text, covered) is None:
                return placed
        elif state not in failed and len(options) == i:
            options.append(_places(text, pieces[i], prev_start, covered, overlap))
        if len(options) > i and options[i]:
            at = options[i].pop(0)
            placed.append((at, at + len(pieces[i])))
            reach.append(max(covered, at + len(pieces[i])))
            continue
        # no place left for piece i after the placements so far: undo the last one, try its next place
        del options[i:]
        failed.add(state)
        if not placed:
            raise ValueError(f"the chunks cannot be placed in their article: {pieces[0][:60]!r} ...")
        placed.pop()
        reach.pop()


def _places(text: str, piece: str, prev_start: int, covered: int, overlap: int) -> list[int]:
    """Where ``piece`` may start, best first (see :func:`locate_pieces`)."""
    visible = _VISIBLE.search(text, covered)
    last = visible.start() if visible is not None else len(text)
    found: list[int] = []
    at = text.find(piece, prev_start + 1)
    while 0 <= at <= last:
        found.append(at)
        at = text.find(piece, at + 1)
    reaching = [a for a in found if a + len(piece) > covered]
    near = [a for a in reaching if a >= covered - overlap]
    return near + [a for a in reaching if a not in near] + [a for a in found if a + len(piece) <= covered]


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
