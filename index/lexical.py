"""French lexical analysis: tokens for BM25 and for term overlap.

Words as ``index/french.py`` makes them (case and both apostrophes folded, elisions stripped:
``l’Oracle`` -> ``oracle``, ``d'OpenAI`` -> ``openai``), French stopwords dropped, stems by
Snowball French, then accents removed so that a question typed without them still matches.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

from index.french import stopwords, strip_accents, words


@lru_cache(maxsize=1)
def _stemmer() -> object:
    import Stemmer

    return Stemmer.Stemmer("french")


def stem_words(items: Iterable[str]) -> list[str]:
    stemmer = _stemmer()
    return [strip_accents(s) for s in stemmer.stemWords(list(items))]  # type: ignore[attr-defined]


def terms(text: str) -> list[str]:
    """Content terms of ``text``: stems of its non-stopwords, in order, accents removed."""
    stop = stopwords()
    return stem_words(w for w in words(text) if w not in stop and strip_accents(w) not in stop)


class Bm25Index:
    """BM25 over pre-analysed French terms (bm25s, Lucene variant), saved as plain files (no pickle)."""

    def __init__(self, model: object) -> None:
        self._model = model
        self._vocab: dict[str, int] = dict(model.vocab_dict)  # type: ignore[attr-defined]

    @classmethod
    def build(cls, texts: Iterable[str]) -> Bm25Index:
        import bm25s

        model = bm25s.BM25()
        model.index([terms(t) or [""] for t in texts], show_progress=False)
        return cls(model)

    def save(self, folder: Path) -> None:
        self._model.save(str(folder), show_progress=False)  # type: ignore[attr-defined]

    @classmethod
    def load(cls, folder: Path) -> Bm25Index:
        import bm25s

        return cls(bm25s.BM25.load(str(folder), show_progress=False, verbosity=0))

    @property
    def size(self) -> int:
        return int(self._model.scores["num_docs"])  # type: ignore[attr-defined]

    def document_frequency(self, term: str) -> int:
        """How many documents (chunks) hold ``term``; 0 for a term never seen."""
        column = self._vocab.get(term)
        indptr = self._model.scores["indptr"]  # type: ignore[attr-defined]
        if column is None or column + 1 >= len(indptr):  # bm25s may append a column-less "" token
            return 0
        return int(indptr[column + 1] - indptr[column])

    def scores(self, query_terms: Iterable[str]) -> np.ndarray:
        """BM25 score of every document (row) for the query's terms; unknown terms count for nothing."""
        known = [t for t in query_terms if t in self._vocab]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._model.get_scores(known), dtype=np.float32)  # type: ignore[attr-defined]
