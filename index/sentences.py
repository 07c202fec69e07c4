"""French sentence boundaries with offsets (rule based, no model).

Splits after ``.``, ``!``, ``?`` and ``…`` (with a closing quote or bracket that follows)
when the next word starts a sentence, and at line breaks, so headlines stand alone.
Common abbreviations (``M.``, ``Dr.``, ``etc.``, initials) do not end a sentence.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

_ABBREVIATIONS = {
    "m",
    "mm",
    "mme",
    "mmes",
    "mlle",
    "dr",
    "pr",
    "me",
    "mgr",
    "st",
    "ste",
    "etc",
    "cf",
    "p",
    "pp",
    "av",
    "apr",
    "j.-c",
    "n°",
    "no",
    "vol",
    "chap",
    "env",
    "ex",
    "fig",
    "inc",
    "corp",
    "co",
    "ltd",
    "jr",
    "sr",
    "vs",
    "éd",
    "art",
    "min",
    "max",
    "bd",
    "ave",
    "mrs",
    "mr",
}
_END = re.compile(r"[.!?…]+(?:[\s\u00a0\u202f]*[»”\"')\]])*")
_NEXT_STARTS = re.compile(r"[\s\u00a0\u202f]+(?=[«“\"'(\[]?[\s\u00a0]*[A-ZÀ-ÖØ-Þ0-9—–-])")
_WORD_CHAR = re.compile(r"[\w.°-]")


@dataclass(frozen=True)
class Sentence:
    """A sentence of an article; offsets are character offsets in the article text."""

    doc_id: str
    text: str
    start: int
    end: int


def _word_before(text: str, end: int) -> str:
    """The run of word characters, dots, ``°`` and dashes ending at ``end`` (or before a line break ending there),
    found by walking back from ``end``: searching the text from its start for it made splitting quadratic."""
    if end and text[end - 1] == "\n":
        end -= 1
    start = end
    while start and _WORD_CHAR.match(text, start - 1):
        start -= 1
    return text[start:end]


def _is_abbreviation(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word = _word_before(text, dot).casefold()
    if not word:
        return False
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence, trimmed of surrounding blank space."""
    cuts = [0]
    for line in re.finditer(r"\n+", text):
        cuts.append(line.end())
    for end in _END.finditer(text):
        if _is_abbreviation(text, end.start()):
            continue
        gap = _NEXT_STARTS.match(text, end.end())
        if gap is not None:
            cuts.append(gap.end())
    cuts = [*sorted(set(cuts)), len(text)]
    spans = []
    for a, b in itertools.pairwise(cuts):
        piece = text[a:b]
        left = len(piece) - len(piece.lstrip())
        right = len(piece.rstrip())
        if right > left:
            spans.append((a + left, a + right))
    return spans


def split_sentences(doc_id: str, text: str) -> list[Sentence]:
    return [Sentence(doc_id, text[a:b], a, b) for a, b in sentence_spans(text)]
