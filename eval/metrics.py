"""Scoring: exact match and token F1 with French normalisation, retrieval ranks,
no-answer behaviour, calibration bands, latency percentiles."""

from __future__ import annotations

import math
import string
from collections import Counter
from collections.abc import Iterable, Sequence

from index.french import ARTICLES, fold, strip_elisions

_PUNCT = set(string.punctuation) | set("«»“”‘’–—…¿¡·")


def normalize_answer(text: str) -> str:
    """SQuAD-style, in French: lower-case, fold apostrophes and spaces, drop elided words, punctuation and
    articles (``index/french.py`` says which), fold runs of spaces. Accents are kept."""
    text = strip_elisions(fold(text))
    text = "".join(" " if ch in _PUNCT else ch for ch in text)
    return " ".join(w for w in text.split() if w not in ARTICLES)


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    norm = normalize_answer(prediction)
    return float(any(norm == normalize_answer(g) for g in golds))


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    pred = normalize_answer(prediction).split()
    best = 0.0
    for gold in golds:
        ref = normalize_answer(gold).split()
        common = sum((Counter(pred) & Counter(ref)).values())
        if common:
            precision, recall = common / len(pred), common / len(ref)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains_answer(text: str, golds: Sequence[str]) -> bool:
    """True when a gold answer appears (normalised, on word boundaries) inside ``text``."""
    haystack = f" {normalize_answer(text)} "
    return any(f" {normalize_answer(g)} " in haystack for g in golds if normalize_answer(g))


def first_relevant_rank(ranked_doc_ids: Sequence[str], gold: Iterable[str]) -> int | None:
    wanted = set(gold)
    for rank, doc_id in enumerate(ranked_doc_ids, start=1):
        if doc_id in wanted:
            return rank
    return None


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, ``q`` in [0, 100]."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else math.nan


BANDS = ((0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.0001))


def band_of(score: float) -> tuple[float, float]:
    for band in BANDS:
        if band[0] <= score < band[1]:
            return band
    return BANDS[-1]
