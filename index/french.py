"""French text normalisation, owned here: case and Unicode composition, apostrophes and non-breaking
spaces, elisions, articles, accents and stopwords.

BM25 terms (``index/lexical.py``), candidate spans (``index/annotate.py``), answer keys
(``qa/readers/evidence/features.py``) and the eval's SQuAD-style answer normalisation (``eval/metrics.py``) take
their pieces from this module, so they agree on what an article or an elision is.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

APOSTROPHES = "'’"  # the typewriter and the typographic apostrophe, both kept in articles as written
SPACES = "\u00a0\u202f"  # non-breaking and narrow non-breaking spaces ("900 000", "19 %")
# Words that elide before a vowel: l’accord, d’OpenAI, qu’il, jusqu’à, presqu’île.
ELISIONS = ("l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu")
# Articles, plain and contracted (au = à le, aux = à les, du = de le, des = de les); their elided
# forms (l’, d’) go with the elisions.
ARTICLES = frozenset({"le", "la", "les", "un", "une", "des", "du", "de", "au", "aux"})
ELIDED_ARTICLES = ("l", "d")
# Number words carry meaning in questions about amounts: never stopwords, "un" and "une" included.
NUMBER_WORDS = frozenset(
    {
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
)

_ELISION = re.compile(rf"\b(?:{'|'.join(ELISIONS)})[{APOSTROPHES}]", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_FOLD = str.maketrans({"’": "'", **dict.fromkeys(SPACES, " ")})


def fold(text: str) -> str:
    """Composed (NFC), case-folded, one apostrophe ('), plain spaces."""
    return unicodedata.normalize("NFC", text).casefold().translate(_FOLD)


def strip_elisions(text: str) -> str:
    """Elided words replaced by a space: "l’Oracle d'OpenAI" -> " Oracle  OpenAI"."""
    return _ELISION.sub(" ", text)


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Folded words, elisions removed, hyphenated words split (stopwords and articles kept)."""
    return [w for part in _WORD.findall(strip_elisions(fold(text))) for w in part.split("-") if w]


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """French stopwords (stopwordsiso) without the number words, with and without accents."""
    import stopwordsiso

    found = {fold(w) for w in stopwordsiso.stopwords("fr")} - NUMBER_WORDS
    return frozenset(found | {strip_accents(w) for w in found})
