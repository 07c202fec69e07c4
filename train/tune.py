"""Tune how the evidence joins the span model, then calibrate it, on the development splits only.

One pass through the real pipeline (open retrieval) collects, per question, every span the model proposes
with its raw score, its passage's retrieval rank and its kind match. A grid over the passage penalty and
the kind weight picks the pair with the best mean F1 over the development sets (news and PIAF); with it, a
logistic curve of the joined score gives the confidence (labels: F1 >= 0.5, and any answer to an
unanswerable question is wrong). A second pass reads the questions of both sets as the service will (the
picked evidence weights, the calibration, the settling confidence) and fits the answerability head on what it
saw (label: the question has an answer; PIAF's answerable questions keep the head from learning the news set's
habits alone, such as near-misses that ask for numbers); the confidence is then the head's probability. The no-answer
threshold is the highest that leaves at most 8% of the answerable news questions unanswered, read off the
head's out-of-fold probabilities (5 folds by article), so that the threshold is not fitted on the very
questions the head learned. Everything goes into the weights' card,
with the curve of unanswerable questions refused against answerable ones refused, with and without the head.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.metrics import exact_match, token_f1
from eval.questions import Question
from eval.run import load_eval
from qa.readers.analysis import analyse
from qa.readers.span.answerability import FEATURES, AnswerabilityHead
from qa.readers.span.model import card_path, read_card
from qa.readers.span.reader import ModelReader, ModelReaderConfig
from qa.settings import Settings

PENALTIES = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0)
KIND_WEIGHTS = (0.0, 1.0, 2.0, 4.0)
MAX_UNANSWERED = 0.08
HEAD_L2 = 1.0
HEAD_FOLDS = 5


def fit_logistic(x: np.ndarray, y: np.ndarray, steps: int = 200) -> tuple[float, float]:
    """Newton's method on a 1-D logistic regression with a small ridge."""
    w = np.zeros(2)
    design = np.stack([x, np.ones_like(x)], axis=1)
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(design @ w)))
        grad = design.T @ (p - y) + 1e-3 * w
        hess = (design * (p * (1 - p))[:, None]).T @ design + 1e-3 * np.eye(2)
        w -= np.linalg.solve(hess, grad)
    return float(w[0]), float(w[1])


@dataclass(frozen=True)
class Guess:
    score: float
    passage: int
    kind: float
    text: str


@dataclass(frozen=True)
class Asked:
    question: Question
    guesses: list[Guess]

    def pick(self, penalty: float, kind_weight: float) -> tuple[float, str] | None:
        if not self.guesses:
            return None
        best = max(self.guesses, key=lambda g: g.score - penalty * g.passage + kind_weight * (g.kind - 0.5))
        return best.score - penalty * best.passage + kind_weight * (best.kind - 0.5), best.text


def collect(weights: Path, questions: Path, articles: Path, chunks: int) -> list[Asked]:
    settings = Settings(reader="model", reader_weights=weights, model_chunks=chunks)
    qs, pipeline = load_eval(questions, articles, None, settings)
    loaded = pipeline.reader
    assert isinstance(loaded, ModelReader)
    reader = ModelReader(pipeline.index, loaded.model, ModelReaderConfig(max_chunks=chunks, no_answer_threshold=0.0))
    out = []
    for q in qs:
        query = pipeline.embedder.encode_queries([q.question])[0]
        hits = pipeline.retriever.retrieve(q.question, query, chunks)
        analysis = analyse(q.question)
        guesses = [
            Guess(g.score, g.passage, reader.kind_match(analysis, p.doc_id, s, e), pipeline.index.articles[p.doc_id].text[s:e])
            for p, g, s, e in reader.guesses(q.question, hits)
        ]
        out.append(Asked(q, guesses))
    return out


def fit_head(x: np.ndarray, y: np.ndarray, l2: float = HEAD_L2, steps: int = 50) -> AnswerabilityHead:
    """Newton's method on a logistic regression over standardised features, a ridge on the weights (not the bias)."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    design = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(design.shape[1])
    ridge = l2 * np.r_[np.ones(x.shape[1]), 0.0]
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ w, -50, 50)))
        grad = design.T @ (p - y) + ridge * w
        hess = (design * (p * (1 - p))[:, None]).T @ design + np.diag(ridge + 1e-6)
        w -= np.linalg.solve(hess, grad)
    return AnswerabilityHead(tuple(mean.tolist()), tuple(scale.tolist()), tuple(w[:-1].tolist()), float(w[-1]))


def article_of(question: Question) -> str:
    """The article a question is about: its first ``doc_id``, or for an unanswerable one the article part of its
    id (the news set's ``<article>_q<n>``), so that an article's questions all fall in one fold."""
    return question.doc_ids[0] if question.doc_ids else question.id.rsplit("_q", 1)[0]


def out_of_fold(x: np.ndarray, y: np.ndarray, groups: list[str], k: int = HEAD_FOLDS) -> np.ndarray:
    """Each row's probability from a head fitted without its article's fold (folds by a hash of the article)."""
    fold = np.array([int(hashlib.sha1(g.encode("utf-8")).hexdigest(), 16) % k for g in groups])
    p = np.zeros(len(y))
    for i in range(k):
        held = fold == i
        if held.any() and (~held).any():
            head = fit_head(x[~held], y[~held])
            p[held] = [head.probability_of(row) for row in x[held]]
    return p


@dataclass(frozen=True)
class Read:
    """A question read as the service reads it: the best answer's calibrated score and its evidence."""

    question: Question
    confidence: float  # the calibrated score alone
    evidence: tuple[float, ...] | None


def read_as_served(weights: Path, questions: Path, articles: Path, config: ModelReaderConfig) -> list[Read]:
    settings = Settings(reader="model", reader_weights=weights, model_chunks=config.max_chunks)
    qs, pipeline = load_eval(questions, articles, None, settings)
    loaded = pipeline.reader
    assert isinstance(loaded, ModelReader)
    reader = ModelReader(pipeline.index, loaded.model, config)
    out = []
    for q in qs:
        query = pipeline.embedder.encode_queries([q.question])[0]
        found = reader.guesses(q.question, pipeline.retriever.retrieve(q.question, query, config.max_chunks))
        if not found:
            out.append(Read(q, 0.0, None))
            continue
        out.append(Read(q, reader.confidence(found[0][1].score), reader.evidence(q.question, found).vector()))
    return out


def refusal_curve(answerable: np.ndarray, unanswerable: np.ndarray) -> list[dict[str, float]]:
    """Per threshold: the share of answerable questions refused and of unanswerable ones refused."""
    rows = []
    for t in [i / 100 for i in range(0, 96)]:
        rows.append(
            {
                "threshold": t,
                "answerable_refused": round(float(np.mean(answerable < t)), 4),
                "unanswerable_refused": round(float(np.mean(unanswerable < t)), 4) if len(unanswerable) else float("nan"),
            }
        )
    return rows


def highest_threshold(answerable: np.ndarray, max_refused: float = MAX_UNANSWERED) -> float:
    """The highest threshold (4 decimals) under which at most ``max_refused`` of the answerable confidences fall."""
    if not len(answerable):
        return 0.0
    ordered = np.sort(answerable)
    k = int(max_refused * len(ordered))
    if k >= len(ordered):
        return 1.0
    return math.floor(float(ordered[k]) * 1e4) / 1e4


def refused_at(confidence: np.ndarray, answerable: np.ndarray, max_refused: float) -> float:
    """The share of unanswerable questions refused at the threshold that refuses ``max_refused`` of the answerable."""
    t = highest_threshold(confidence[answerable], max_refused)
    unanswerable = confidence[~answerable]
    return round(float(np.mean(unanswerable < t)), 4) if len(unanswerable) else float("nan")


MATCHED = (0.03, 0.05, 0.08, 0.10, 0.15, 0.20)


def f1_of(asked: list[Asked], penalty: float, kind_weight: float) -> tuple[float, float]:
    f1s, ems = [], []
    for a in asked:
        if not a.question.answerable:
            continue
        picked = a.pick(penalty, kind_weight)
        text = picked[1] if picked else ""
        f1s.append(token_f1(text, a.question.answers))
        ems.append(exact_match(text, a.question.answers))
    return float(np.mean(f1s)), float(np.mean(ems))


def tune(weights: Path, sets: dict[str, tuple[Path, Path]], chunks: int) -> dict[str, object]:
    collected = {name: collect(weights, q, a, chunks) for name, (q, a) in sets.items()}
    grid = []
    for penalty in PENALTIES:
        for kind_weight in KIND_WEIGHTS:
            scores = {name: f1_of(asked, penalty, kind_weight) for name, asked in collected.items()}
            mean_f1 = float(np.mean([f1 for f1, _ in scores.values()]))
            grid.append(
                {"passage_penalty": penalty, "kind_weight": kind_weight, "mean_f1": round(mean_f1, 4)}
                | {f"{n}_f1": round(f1, 4) for n, (f1, _) in scores.items()}
                | {f"{n}_em": round(em, 4) for n, (_, em) in scores.items()}
            )
    best = max(grid, key=lambda r: float(r["mean_f1"]))
    penalty, kind_weight = float(best["passage_penalty"]), float(best["kind_weight"])
    news = collected["news"]
    picks = [(a, a.pick(penalty, kind_weight)) for a in news]
    x = np.array([p[0] for _, p in picks if p is not None])
    y = np.array([float(a.question.answerable and token_f1(p[1], a.question.answers) >= 0.5) for a, p in picks if p is not None])
    a, b = fit_logistic(x, y)

    def confidence(p: tuple[float, str] | None) -> float:
        return 0.0 if p is None else 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, a * p[0] + b))))

    calibrated = np.array([confidence(p) for q, p in picks if q.question.answerable])
    score_only = refusal_curve(calibrated, np.array([confidence(p) for q, p in picks if not q.question.answerable]))
    card = read_card(weights)
    settle = card.get("settle_confidence")
    served = ModelReaderConfig(
        max_chunks=chunks,
        no_answer_threshold=0.0,
        calibration=(a, b),
        passage_penalty=penalty,
        kind_weight=kind_weight,
        settle_confidence=None if settle is None else float(settle),
    )
    news_q, _ = sets["news"]
    by_set = {name: read_as_served(weights, q, a, served) for name, (q, a) in sets.items()}
    seen = [r for reads_ in by_set.values() for r in reads_ if r.evidence is not None]
    x = np.array([r.evidence for r in seen])
    labels = np.array([float(r.question.answerable) for r in seen])
    head = fit_head(x, labels)
    held_out = dict(zip([id(r) for r in seen], out_of_fold(x, labels, [article_of(r.question) for r in seen]), strict=True))
    oof = {name: [held_out[id(r)] if r.evidence is not None else 0.0 for r in reads_] for name, reads_ in by_set.items()}
    reads, joined = by_set["news"], oof["news"]
    answerable = np.array([c for r, c in zip(reads, joined, strict=True) if r.question.answerable])
    with_head = refusal_curve(answerable, np.array([c for r, c in zip(reads, joined, strict=True) if not r.question.answerable]))
    threshold = highest_threshold(answerable)
    answerable_refused = {
        name: round(float(np.mean([c < threshold for r, c in zip(by_set[name], oof[name], strict=True) if r.question.answerable])), 4)
        for name in by_set
    }
    is_answerable = np.array([r.question.answerable for r in reads])
    by_score, by_head = np.array([r.confidence for r in reads]), np.array(joined)
    matched = [
        {
            "answerable_refused_at_most": m,
            "null_score_difference": refused_at(by_score, is_answerable, m),
            "answerability_head": refused_at(by_head, is_answerable, m),
        }
        for m in MATCHED
    ]
    card.update(
        {
            "passage_penalty": penalty,
            "kind_weight": kind_weight,
            "calibration": [round(a, 4), round(b, 4)],
            "answerability": head.as_card() | {"fitted_on": [str(q) for q, _ in sets.values()], "questions": len(seen), "l2": HEAD_L2},
            "no_answer_threshold": threshold,
            "tuned_on": {name: str(q) for name, (q, _) in sets.items()} | {"chunks": chunks, "max_unanswered": MAX_UNANSWERED},
            "tuning_grid": grid,
            "dev_open": best,
            "refusal_curve": {
                "set": str(news_q),
                "score_only": score_only[::5],
                "with_head_out_of_fold": with_head[::5],
                "score_only_threshold": highest_threshold(calibrated),
                "unanswerable_refused_matched": matched,
                "answerable_refused_at_threshold_out_of_fold": answerable_refused,
            },
        }
    )
    card_path(weights).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return {
        "best": best,
        "calibration": (a, b),
        "threshold": threshold,
        "sweep": [
            {"threshold": s["threshold"], "score_only": s["unanswerable_refused"], "answerable_refused": s["answerable_refused"]}
            | {"with_head": h["unanswerable_refused"], "answerable_refused_with_head": h["answerable_refused"]}
            for s, h in zip(score_only[::5], with_head[::5], strict=True)
        ],
        "grid": grid,
        "matched": matched,
        "answerable_refused": answerable_refused,
        "features": FEATURES,
    }
