"""French lexical analysis: tokens for BM25 and for term overlap.

Lower-cases, folds both apostrophes and strips elisions (``l’Oracle`` -> ``oracle``,
``d'OpenAI`` -> ``openai``), drops French stopwords, stems with Snowball French, then
removes accents so that a question typed without them still matches.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu|presqu)['’]", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
# Number words carry meaning in questions about amounts; keep them out of the stopword list.
_KEEP = {
    "un",
    "une",
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
    "treize",
    "quatorze",
    "quinze",
    "seize",
    "vingt",
    "trente",
    "quarante",
    "cinquante",
    "soixante",
    "cent",
    "cents",
    "mille",
    "premier",
    "premiere",
    "première",
    "second",
    "seconde",
    "dernier",
    "derniere",
    "dernière",
}


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    import stopwordsiso

    words = {w.casefold().replace("’", "'") for w in stopwordsiso.stopwords("fr")} - _KEEP
    return frozenset(words | {strip_accents(w) for w in words})


@lru_cache(maxsize=1)
def _stemmer() -> object:
    import Stemmer

    return Stemmer.Stemmer("french")


def words(text: str) -> list[str]:
    """Lower-cased words with elisions removed (stopwords kept)."""
    folded = _ELISION.sub(" ", text.casefold().replace("’", "'"))
    return [w for part in _WORD.findall(folded) for w in part.split("-") if w]


def stem_words(items: Iterable[str]) -> list[str]:
    stemmer = _stemmer()
    return [strip_accents(s) for s in stemmer.stemWords(list(items))]  # type: ignore[attr-defined]


def terms(text: str) -> list[str]:
    """Content terms of ``text``: stems of its non-stopwords, in order, accents removed."""
    stop = stopwords()
    return stem_words(w for w in words(text) if w not in stop and strip_accents(w) not in stop)
