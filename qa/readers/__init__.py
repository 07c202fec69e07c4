"""Readers: what turns a question and its retrieved chunks into one verbatim answer.

Two readers live here, one folder each; the pipeline knows them only through :class:`Reader`:

- ``span/``: the trained span reader, the default. ``model.py`` holds the weights (a compact delta over
  the rebuilt e5-small, checked by SHA-256), the windows a passage is cut into and the null score;
  ``runtime.py`` runs it (torch or ONNX Runtime); ``reader.py`` turns the chunks a question retrieved
  into passages and the model's best spans into an :class:`~qa.types.Answer`. ``weights/`` ships them.
- ``evidence/``: the feature reader of earlier versions (``QA_READER=evidence``). ``features.py`` describes
  every candidate span of the best sentences; ``reader.py`` scores them with the fitted weights of
  ``reader_model.json``; ``sentence_vectors.py`` encodes the sentences it reads, once.

Shared by both: ``analysis.py`` (the answer type a question expects), ``locate.py`` (the index's sentence
rows around an offset) and :func:`answer_key` (when two spans state the same answer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from index.french import ARTICLES, strip_accents, words
from qa.types import Answer, Hit


class Reader(Protocol):
    """What the pipeline needs of a reader: how many chunks it reads, and the answer they give."""

    @property
    def max_chunks(self) -> int: ...

    @property
    def no_answer_threshold(self) -> float: ...

    def read(self, question: str, query: np.ndarray, hits: list[Hit]) -> Answer | None: ...

    def with_threshold(self, threshold: float) -> Reader:
        """The same reader with another no-answer threshold (the eval reads every answer at 0)."""
        ...


def answer_key(text: str) -> str:
    """What two spans must share to state the same answer: folded words without accents or articles
    ("au Texas" and "Texas", "l’Oracle" and "Oracle" are one answer)."""
    return " ".join(strip_accents(w) for w in words(text) if w not in ARTICLES)


def distinct_alternatives(
    answer: tuple[str, int, int], answer_key_: str, candidates: Sequence[tuple[str, int, int]], keys: Sequence[str], limit: int = 3
) -> list[int]:
    """Which ``candidates`` (``(doc_id, start, end)``, best first, each with its :func:`answer_key`) are other
    answers to list beside ``answer``: none overlaps the answer or an alternative already taken, none folds
    equal to the answer or to one of them (case, accents, articles, punctuation), none is empty once folded.
    Their indices, at most ``limit``."""
    taken = [answer]
    seen = {answer_key_}
    out: list[int] = []
    for i, (place, key) in enumerate(zip(candidates, keys, strict=True)):
        if len(out) == limit:
            break
        if not key or key in seen or any(overlaps(place, other) for other in taken):
            continue
        out.append(i)
        taken.append(place)
        seen.add(key)
    return out


def overlaps(a: tuple[str, int, int], b: tuple[str, int, int]) -> bool:
    """Two spans of one article that share a character."""
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]
