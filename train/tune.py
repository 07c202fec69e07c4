"""Tune how the evidence joins the span model, then calibrate it, on the development splits only.

One pass through the real pipeline (open retrieval) collects, per question, every span the model proposes
with its raw score, its passage's retrieval rank and its kind match. A grid over the passage penalty and
the kind weight picks the pair with the best mean F1 over the development sets (news and PIAF); with it, a
logistic curve of the joined score gives the confidence (labels: F1 >= 0.5, and any answer to an
unanswerable question is wrong), and the no-answer threshold is the highest that leaves at most 8% of the
answerable news questions unanswered. Everything goes into the weights' card.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.metrics import exact_match, token_f1
from eval.questions import Question
from eval.run import load_eval
from qa.readers.analysis import analyse
from qa.readers.span.model import card_path, read_card
from qa.readers.span.reader import ModelReader, ModelReaderConfig
from qa.settings import Settings

PENALTIES = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0)
KIND_WEIGHTS = (0.0, 1.0, 2.0, 4.0)
MAX_UNANSWERED = 0.08


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

    answerable = [confidence(p) for q, p in picks if q.question.answerable]
    unanswerable = [confidence(p) for q, p in picks if not q.question.answerable]
    threshold, sweep = 0.0, []
    for t in [i / 100 for i in range(0, 96)]:
        unanswered = float(np.mean([c < t for c in answerable]))
        abstained = float(np.mean([c < t for c in unanswerable])) if unanswerable else float("nan")
        sweep.append({"threshold": t, "wrongly_unanswered": round(unanswered, 4), "no_answer_accuracy": round(abstained, 4)})
        if unanswered <= MAX_UNANSWERED:
            threshold = t
    card = read_card(weights)
    card.update(
        {
            "passage_penalty": penalty,
            "kind_weight": kind_weight,
            "calibration": [round(a, 4), round(b, 4)],
            "no_answer_threshold": threshold,
            "tuned_on": {name: str(q) for name, (q, _) in sets.items()} | {"chunks": chunks, "max_unanswered": MAX_UNANSWERED},
            "tuning_grid": grid,
            "dev_open": best,
        }
    )
    card_path(weights).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return {"best": best, "calibration": (a, b), "threshold": threshold, "sweep": sweep[::5], "grid": grid}
