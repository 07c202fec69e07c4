"""Splitting articles into overlapping chunks whose offsets are owned here.

langchain's splitter decides where to cut (paragraphs, then sentences, then clauses);
the offsets are computed by this module and checked: ``article.text[start:end] == chunk.text``.
"""

from __future__ import annotations

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


class Chunker:
    """Cuts articles with langchain's recursive splitter and locates each piece."""

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
        pieces = self._splitter.split_text(article.text)
        return [
            Chunk(article.doc_id, f"{article.doc_id}#{i}", article.text[start:end], start, end)
            for i, (start, end) in enumerate(locate_pieces(article.text, pieces, self.config.overlap))
        ]


def locate_pieces(text: str, pieces: list[str], overlap: int) -> list[tuple[int, int]]:
    """Offsets of consecutive pieces in ``text``.

    Pieces come in order; a piece starts after the previous one's start and no earlier
    than ``overlap`` characters before the previous one's end, which picks the right
    occurrence when a sentence repeats.
    """
    spans: list[tuple[int, int]] = []
    prev_start, prev_end = -1, 0
    for piece in pieces:
        lower = max(prev_start + 1, prev_end - overlap)
        start = text.find(piece, lower)
        if start < 0:  # the splitter reached further back than its overlap
            start = text.find(piece, prev_start + 1)
        if start < 0:
            raise ValueError(f"chunk not found in its article: {piece[:60]!r}")
        end = start + len(piece)
        spans.append((start, end))
        prev_start, prev_end = start, end
    return spans
