"""The evidence for each candidate answer, as named numbers the reader weighs.

For a question, the sentences of the retrieved chunks are ranked; every candidate span of the
best ones (made at index time by ``index/annotate.py``) gets one row of :data:`SPAN_FEATURES`:
how relevant its sentence is, whether its type is the one asked for, how close it stands to
the question's terms, how much of it restates the question, its form and length, and how many
articles state it. :data:`CONFIDENCE_FEATURES` then describe the best candidate as a whole, for
the calibrated confidence and the no-answer decision. Every feature is generic: nothing here
knows an article, a question or an answer.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import pairwise

import numpy as np

from index.lexical import terms
from index.sentences import Sentence
from index.store import Index
from qa.readers import answer_key
from qa.readers.analysis import PLACE, THING, QuestionAnalysis
from qa.readers.evidence.sentence_vectors import SentenceVectors
from qa.readers.locate import SentenceRows
from qa.types import Hit

_BASE_FEATURES = (
    "sent_similarity",  # cosine to the question, rescaled over the candidate sentences
    "sent_similarity_gap",  # raw cosine minus the best sentence's (0 for the best)
    "sent_cover",  # share of the question's terms (idf-weighted) in the sentence
    "context_cover",  # ... in the sentence and the one before it
    "doc_cover",  # ... anywhere in the article
    "sent_rank",  # 1 / (1 + rank of the sentence)
    "chunk_rank",  # 1 / (1 + rank of the best retrieved chunk holding the sentence)
    "context_similarity_gap",  # cosine of the sentence with the one before it, minus the best such cosine
    "pair_cover",  # share of the question's consecutive term pairs found side by side in the sentence
    "type_strict",  # the span's label is the asked type
    "type_loose",  # the label fits the asked type loosely (a noun phrase for a person)
    "type_miss",  # a specific type is asked and the label is not it
    "proximity",  # exp(-distance to the nearest question term / 60 characters)
    "adjacent",  # a question term stands right next to the span
    "after_term",  # the nearest question term is before the span
    "focus",  # the noun the question asks about ("quel dirigeant") is in or just before the span
    "restate",  # share of the span's terms that are in the question
    "has_question_term",
    "log_words",
    "short",  # at most 4 words
    "clause_length",  # a cause or manner is asked and the span has 3 to 16 words
    "is_entity",
    "is_name",
    "is_noun_phrase",
    "is_clause",
    "is_pattern",  # number, amount, percentage, duration, date
    "is_reason_or_manner",
    "sentence_start",
    "capitalised",
    "window_cover",  # share of the question's terms (idf-weighted) within 8 words around the span
    "place_preposition",  # a place is asked and a locative preposition stands right before the span ("à Séoul", "au Texas")
    "plural_list",  # the question asks for several ("quels fabricants") and the span lists names ("X et Y", "X, Y, Z")
    "singular_list",  # the question asks for one ("quel fondeur") and the span lists several
    "agreement",  # other articles stating the same span (0 to 3)
    "topicality",  # share of the candidate sentences holding the span: what they are about
)
# Form features matter differently when the question is open ("quel rôle", "qu'est-ce que")
# or asks for a cause or manner: those get their own copies, zero for other questions.
_FORM = ("proximity", "adjacent", "log_words", "short", "is_entity", "is_name", "is_noun_phrase", "is_clause", "is_pattern", "capitalised")
SPAN_FEATURES: tuple[str, ...] = _BASE_FEATURES + tuple(f"open_{n}" for n in _FORM) + tuple(f"clause_{n}" for n in _FORM)
CONFIDENCE_FEATURES = (
    "score",  # the best candidate's score
    "margin",  # its lead over the next distinct answer
    "probability",  # its softmax share among all candidates
    "sent_similarity_raw",
    "sent_cover",
    "context_cover",
    "missing_term",  # the rarest question term missing from the sentence and its context, idf scaled to [0, 1]
    "unknown_terms",  # share of the question's terms (idf-weighted) found in no retrieved chunk
    "type_strict",
    "specific_question",  # the question asks for a specific type (not an open "what")
)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_LOCATIVE = re.compile(
    r"\b(?:à|au|aux|en|dans|vers|depuis|(?:près|hors|en dehors|au sud|au nord|à l['’]est|à l['’]ouest) d(?:e|u|es|['’]))\s*$", re.I
)
_LIST = re.compile(r"\S(?:,| et| ou) \S")
_ENTITY = frozenset({"PER", "ORG", "LOC", "MISC"})
_NAMES = _ENTITY | {"NAME"}
_PATTERN = frozenset({"NUM", "MONEY", "PERCENT", "DURATION", "DATE"})
_REASON_MANNER = frozenset({"REASON", "MANNER"})
_CLAUSE_LABELS = frozenset({"REASON", "MANNER", "CLAUSE"})


def feature_row(values: Mapping[str, float], names: tuple[str, ...]) -> list[float]:
    """``values`` in the order of ``names`` (:data:`SPAN_FEATURES` or :data:`CONFIDENCE_FEATURES`): rows
    are assembled by name, so reordering the names cannot misalign them with the weights."""
    try:
        row = [values[n] for n in names]
    except KeyError as exc:
        raise ValueError(f"no value for feature {exc.args[0]!r}") from None
    if len(values) != len(names):
        raise ValueError(f"values for unknown features: {', '.join(sorted(set(values) - set(names)))}")
    return row


def term_keys(term: str) -> frozenset[str]:
    """A stem and, for longer ones, its first five letters: "presid~" lets "présidence" meet
    "président", which the stemmer keeps apart."""
    return frozenset({term, term[:5] + "~"}) if len(term) >= 5 else frozenset({term})


def keyed(stems: Iterable[str]) -> frozenset[str]:
    return frozenset().union(*(term_keys(t) for t in stems))


@dataclass(frozen=True)
class Candidate:
    doc_id: str
    start: int
    end: int
    label: str
    row: int  # the sentence's row in the index
    key: str


@dataclass(frozen=True)
class SpanInfo:
    start: int
    end: int
    labels: frozenset[str]
    first: int  # index of its first word in the sentence
    last: int  # index after its last word
    capitalised: bool
    key: str
    listing: bool  # several names joined by "et", "ou" or commas


@dataclass(frozen=True)
class Evidence:
    """The candidates of one question and their feature rows (``features[i]`` is ``candidates[i]``)."""

    analysis: QuestionAnalysis
    candidates: list[Candidate]
    features: np.ndarray  # (n, len(SPAN_FEATURES))
    similarity: dict[int, float]  # raw cosine of each candidate sentence
    cover: dict[int, tuple[float, float, float]]  # sentence, context and article cover per sentence row
    missing: dict[int, float]  # rarest missing question term per sentence row
    unknown_terms: float


Positions = tuple[tuple[int, int, str], ...]


def _sentence_terms(index: Index, row: int) -> frozenset[str]:
    return keyed(terms(index.sentences[row].text))


def _doc_terms(index: Index, doc_id: str) -> frozenset[str]:
    return keyed(terms(index.articles[doc_id].text))


def _word_positions(index: Index, row: int) -> Positions:
    """(start, end, stem) of each word of a sentence, in document offsets ("" for a stopword)."""
    s = index.sentences[row]
    out = []
    for m in _WORD.finditer(s.text):
        stem = terms(m.group())
        out.append((m.start() + s.start, m.end() + s.start, stem[0] if stem else ""))
    return tuple(out)


def _row_spans(index: Index, positions: Callable[[int], Positions], row: int) -> tuple[SpanInfo, ...]:
    """The candidate spans of a sentence with what does not depend on the question."""
    sentence = index.sentences[row]
    text = index.articles[sentence.doc_id].text
    starts = [a for a, _, _ in positions(row)]
    labels_of: dict[tuple[int, int], set[str]] = defaultdict(set)
    for start, end, label in index.sentence_spans[row]:
        labels_of[start, end].add(label)  # the same words may carry several labels
    out = []
    for (start, end), labels in labels_of.items():
        first, last = bisect.bisect_left(starts, start), bisect.bisect_left(starts, end)
        span_text = text[start:end]
        listing = bool(labels & _NAMES) and bool(_LIST.search(span_text))
        out.append(SpanInfo(start, end, frozenset(labels), first, last, span_text[:1].isupper(), answer_key(span_text), listing))
    return tuple(out)


class EvidenceBuilder:
    """Per-index caches (sentence terms, word positions, term rarity) and the feature rows."""

    def __init__(self, index: Index, vectors: SentenceVectors) -> None:
        self.index = index
        self.vectors = vectors
        located = SentenceRows.of(index.sentences)
        self._rows, self._starts = located.rows, located.starts
        self._n_chunks = max(1, len(index.chunks))
        self._max_idf = math.log(1.0 + (self._n_chunks + 0.5) / 0.5)
        # The caches hold the index, never this builder: a cache bound to ``self`` is a reference cycle, and a
        # replaced index caught in one stays in memory, its files mapped, until a full garbage collection.
        self.sentence_terms: Callable[[int], frozenset[str]] = lru_cache(maxsize=65536)(partial(_sentence_terms, index))
        self.doc_terms: Callable[[str], frozenset[str]] = lru_cache(maxsize=4096)(partial(_doc_terms, index))
        self.positions: Callable[[int], Positions] = lru_cache(maxsize=65536)(partial(_word_positions, index))
        self.rows_spans: Callable[[int], tuple[SpanInfo, ...]] = lru_cache(maxsize=65536)(partial(_row_spans, index, self.positions))

    def previous_row(self, row: int) -> int | None:
        """The row of the sentence before ``row`` in its article (``None`` for an article's first): the row
        before it, since an index keeps each article's sentences together, in text order."""
        doc_rows = self.index.sentences.doc_rows
        return row - 1 if row > 0 and doc_rows[row - 1] == doc_rows[row] else None

    def idf(self, term: str) -> float:
        """Rarity of a term over the chunks, in [0, 1]; a term in no chunk is 1."""
        df = self.index.lexical.document_frequency(term)
        return math.log(1.0 + (self._n_chunks - df + 0.5) / (df + 0.5)) / self._max_idf

    def sentences_in(self, hit: Hit) -> list[int]:
        """Rows of the sentences that overlap a chunk."""
        chunk = hit.chunk
        rows, starts = self._rows.get(chunk.doc_id, []), self._starts.get(chunk.doc_id, [])
        first = max(0, bisect.bisect_right(starts, chunk.start) - 1)
        sentences = self.index.sentences
        return [r for r in rows[first:] if sentences[r].start < chunk.end and sentences[r].end > chunk.start]

    def _cover(self, wanted: dict[str, float], have: Iterable[frozenset[str]]) -> float:
        total = sum(wanted.values())
        if not total:
            return 0.0
        union = frozenset().union(*have)
        return sum(w for t, w in wanted.items() if term_keys(t) & union) / total

    def rank_sentences(
        self, wanted: dict[str, float], query: np.ndarray, rows_per_hit: list[list[int]], max_sentences: int
    ) -> list[tuple[int, float, float, int]]:
        """The best sentences of the given chunks as (row, raw cosine, rescaled cosine, chunk rank)."""
        chunk_rank: dict[int, int] = {}
        for rank, hit_rows in enumerate(rows_per_hit):
            for row in hit_rows:
                chunk_rank.setdefault(row, rank)
        rows = list(chunk_rank)
        if not rows:
            return []
        similarities = (self.vectors.rows(rows) @ query).tolist()
        low, high = min(similarities), max(similarities)
        spread = high - low if high - low > 1e-6 else 1.0
        scored = []
        for row, sim in zip(rows, similarities, strict=True):
            rescaled = (sim - low) / spread
            cover = self._cover(wanted, [self.sentence_terms(row)])
            scored.append((0.5 * rescaled + 0.5 * cover, row, sim, rescaled))
        scored.sort(key=lambda x: -x[0])
        return [(row, sim, rescaled, chunk_rank[row]) for _, row, sim, rescaled in scored[:max_sentences]]

    def build(self, analysis: QuestionAnalysis, query: np.ndarray, hits: list[Hit], max_chunks: int, max_sentences: int) -> Evidence:
        wanted = {t: self.idf(t) for t in analysis.terms}
        rows_per_hit = [self.sentences_in(hit) for hit in hits]
        ranked = self.rank_sentences(wanted, query, rows_per_hit[:max_chunks], max_sentences)
        retrieved_terms = [self.sentence_terms(r) for hit_rows in rows_per_hit for r in hit_rows]
        unknown = 1.0 - self._cover(wanted, retrieved_terms) if wanted else 0.0
        best_sim = max((sim for _, sim, _, _ in ranked), default=0.0)
        context_sims = self._context_similarities([row for row, _, _, _ in ranked], query)
        best_context = max(context_sims, default=0.0)
        question_terms = [t for t in terms(analysis.question) if t in analysis.terms]
        pairs = {(a, b) for a, b in pairwise(question_terms) if a != b}
        terms_by_key: dict[str, set[str]] = defaultdict(set)  # "presid~" -> the question terms it stands for
        for t in analysis.terms:
            for k in term_keys(t):
                terms_by_key[k].add(t)
        candidates: list[Candidate] = []
        rows: list[list[float]] = []
        similarity: dict[int, float] = {}
        cover: dict[int, tuple[float, float, float]] = {}
        missing: dict[int, float] = {}
        for rank, (row, sim, rescaled, chunk_rank) in enumerate(ranked):
            sentence = self.index.sentences[row]
            own = self.sentence_terms(row)
            before = self.previous_row(row)
            context = [own, self.sentence_terms(before)] if before is not None else [own]
            covers = (
                self._cover(wanted, [own]),
                self._cover(wanted, context),
                self._cover(wanted, [self.doc_terms(sentence.doc_id)]),
            )
            present = frozenset().union(*context)
            similarity[row], cover[row] = sim, covers
            missing[row] = max((w for t, w in wanted.items() if not term_keys(t) & present), default=0.0)
            stems = [stem for _, _, stem in self.positions(row) if stem]
            found_pairs = len(pairs & set(pairwise(stems))) / len(pairs) if pairs else 0.0
            sentence_part = {
                "sent_similarity": rescaled,
                "sent_similarity_gap": 10.0 * (sim - best_sim),
                "sent_cover": covers[0],
                "context_cover": covers[1],
                "doc_cover": covers[2],
                "sent_rank": 1.0 / (1 + rank),
                "chunk_rank": 1.0 / (1 + chunk_rank),
                "context_similarity_gap": 10.0 * (context_sims[rank] - best_context),
                "pair_cover": found_pairs,
            }
            for candidate, span_part in self._spans(analysis, row, sentence, wanted, terms_by_key):
                candidates.append(candidate)
                rows.append(feature_row(sentence_part | span_part, SPAN_FEATURES))
        features = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(SPAN_FEATURES))  # (0, n) when nothing was retrieved
        if len(candidates):
            self._add_agreement(candidates, features)
        return Evidence(analysis, candidates, features, similarity, cover, missing, unknown)

    def _context_similarities(self, rows: list[int], query: np.ndarray) -> list[float]:
        """Cosine of the question with each sentence read together with the one before it."""
        if not rows:
            return []
        previous = {r: before for r in rows if (before := self.previous_row(r)) is not None}
        wanted = list(dict.fromkeys([*rows, *previous.values()]))
        vectors = dict(zip(wanted, self.vectors.rows(wanted), strict=True))
        joined = np.stack([vectors[r] + vectors[previous[r]] if r in previous else vectors[r] for r in rows])
        joined /= np.linalg.norm(joined, axis=1, keepdims=True) + 1e-12
        return (joined @ query).tolist()  # type: ignore[no-any-return]

    def _spans(
        self,
        analysis: QuestionAnalysis,
        row: int,
        sentence: Sentence,
        wanted: dict[str, float],
        terms_by_key: dict[str, set[str]],
    ) -> Iterable[tuple[Candidate, dict[str, float]]]:
        """Each candidate span of a sentence with the features that describe the span (by name)."""
        positions = self.positions(row)
        # the question terms each word of the sentence stands for (empty for most words)
        matched = [frozenset().union(*(terms_by_key.get(k, ()) for k in term_keys(stem))) if stem else None for _, _, stem in positions]
        anchors = [(positions[i][0], positions[i][1]) for i, m in enumerate(matched) if m]
        focus_at = [a for a, _, stem in positions if stem and stem in analysis.focus]
        total = sum(wanted.values()) or 1.0
        open_question, clause_question = analysis.expected == THING, analysis.wants_clause
        specific = analysis.expected != THING
        wants_place = analysis.expected == PLACE
        text = self.index.articles[sentence.doc_id].text
        for info in self.rows_spans(row):
            start, end, labels = info.start, info.end, info.labels
            inside = [m for m in matched[info.first : info.last] if m is not None]
            restate = sum(bool(m) for m in inside) / len(inside) if inside else 1.0
            if restate >= 1.0:
                continue  # only words of the question: never an answer
            n_words = info.last - info.first
            label = max(sorted(labels), key=analysis.type_match)
            proximity = adjacent = after = 0.0
            if anchors:
                gap, side = min((max(a - end, start - b, 0), b <= start) for a, b in anchors)
                proximity, adjacent, after = math.exp(-gap / 60.0), float(gap <= 3), float(side)
            near = [m for m in matched[max(0, info.first - 8) : info.first] + matched[info.last : info.last + 8] if m]
            window = sum(wanted[t] for t in frozenset().union(*near)) / total if near else 0.0
            match = analysis.type_match(label)
            listing = info.listing
            span_part = {
                "type_strict": float(match == 1.0),
                "type_loose": float(match == 0.5),
                "type_miss": float(match == 0.0 and specific),
                "proximity": proximity,
                "adjacent": adjacent,
                "after_term": after,
                "focus": float(any(start - 40 <= a < end for a in focus_at)),
                "restate": restate,
                "has_question_term": float(restate > 0.0),
                "log_words": math.log1p(n_words),
                "short": float(n_words <= 4),
                "clause_length": float((clause_question or label in _CLAUSE_LABELS) and 3 <= n_words <= 16),
                "is_entity": float(bool(labels & _ENTITY)),
                "is_name": float("NAME" in labels),
                "is_noun_phrase": float("NP" in labels),
                "is_clause": float(labels <= {"CLAUSE"}),
                "is_pattern": float(bool(labels & _PATTERN)),
                "is_reason_or_manner": float(bool(labels & _REASON_MANNER)),
                "sentence_start": float(start - sentence.start <= 2),
                "capitalised": float(info.capitalised),
                "window_cover": window,
                "place_preposition": float(wants_place and bool(_LOCATIVE.search(text, max(sentence.start, start - 16), start))),
                "plural_list": float(listing and analysis.number == "plural"),
                "singular_list": float(listing and analysis.number == "singular"),
                "agreement": 0.0,  # set once every candidate is known
                "topicality": 0.0,  # likewise
            }
            for n in _FORM:
                span_part[f"open_{n}"] = span_part[n] * open_question
                span_part[f"clause_{n}"] = span_part[n] * clause_question
            yield Candidate(sentence.doc_id, start, end, label, row, info.key), span_part

    @staticmethod
    def _add_agreement(candidates: list[Candidate], features: np.ndarray) -> None:
        docs: dict[str, set[str]] = defaultdict(set)
        sentence_rows: dict[str, set[int]] = defaultdict(set)
        for c in candidates:
            docs[c.key].add(c.doc_id)
            sentence_rows[c.key].add(c.row)
        n_rows = len({c.row for c in candidates})
        agreement, topicality = SPAN_FEATURES.index("agreement"), SPAN_FEATURES.index("topicality")
        for i, c in enumerate(candidates):
            features[i, agreement] = min(len(docs[c.key]), 4) - 1
            features[i, topicality] = len(sentence_rows[c.key]) / n_rows if n_rows > 2 else 0.0


def confidence_features(evidence: Evidence, scores: np.ndarray, best: int, lead: float | None) -> np.ndarray:
    """One row of :data:`CONFIDENCE_FEATURES` for candidate ``best`` given all ``scores`` and its
    ``lead`` over the best other answer (None when there is no other answer)."""
    c = evidence.candidates[best]
    shifted = np.exp(scores - scores.max())
    sentence_cover, context_cover, _ = evidence.cover[c.row]
    values = {
        "score": float(scores[best]),
        "margin": min(lead, 3.0) if lead is not None else 3.0,
        "probability": float(shifted[best] / shifted.sum()),
        "sent_similarity_raw": evidence.similarity[c.row],
        "sent_cover": sentence_cover,
        "context_cover": context_cover,
        "missing_term": evidence.missing[c.row],
        "unknown_terms": evidence.unknown_terms,
        "type_strict": float(evidence.features[best, SPAN_FEATURES.index("type_strict")]),
        "specific_question": float(evidence.analysis.expected != THING),
    }
    return np.array(feature_row(values, CONFIDENCE_FEATURES))
