"""Fit the span reader's confidence and no-answer threshold on the news development split.

The reader's raw score is the best span's logit sum minus its window's null score. Through the real
pipeline (open retrieval over the development articles), each question's top answer is labelled right
(answerable, F1 >= 0.5) or wrong (a wrong span, or any answer to an unanswerable question); a logistic
curve of the raw score gives the confidence, and the threshold is the highest on the sweep that leaves at
most ``max_unanswered`` of the answerable questions without an answer. Both go into the weights' card.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.metrics import token_f1
from eval.run import Outcome, load_eval, run_questions, summarize
from qa.model_reader import ModelReader, ModelReaderConfig
from qa.settings import Settings
from qa.span_model import card_path, read_card

SQUASH = 0.25  # raw scores are squashed through sigmoid(SQUASH * raw) to travel in Outcome.score


@dataclass(frozen=True)
class Calibration:
    a: float
    b: float
    threshold: float
    n: int
    sweep: list[dict[str, float]]


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


def raw_scores(outcomes: list[Outcome]) -> np.ndarray:
    scores = np.clip(np.array([o.score for o in outcomes]), 1e-4, 1 - 1e-4)
    raw: np.ndarray = np.log(scores / (1 - scores)) / SQUASH
    return raw


def calibrate(outcomes: list[Outcome], max_unanswered: float = 0.08) -> Calibration:
    answered = [o for o in outcomes if o.prediction is not None]
    x = raw_scores(answered)
    y = np.array([float(o.answerable and token_f1(o.prediction or "", o.golds) >= 0.5) for o in answered])
    a, b = fit_logistic(x, y)
    calibrated = [
        Outcome(**{**o.__dict__, "score": 1.0 / (1.0 + math.exp(-(a * r + b))) if o.prediction is not None else 0.0})
        for o, r in zip(outcomes, raw_scores(outcomes), strict=True)
    ]
    sweep = []
    threshold = 0.0
    for t in [i / 100 for i in range(0, 96)]:
        s = summarize(calibrated, t)
        row = {"threshold": t, **{k: round(float(s[k]), 4) for k in ("f1", "no_answer_accuracy", "wrongly_unanswered", "overall_accuracy")}}
        sweep.append(row)
        if s["wrongly_unanswered"] <= max_unanswered:
            threshold = t
    return Calibration(a, b, threshold, len(answered), sweep)


def run(weights: Path, questions: Path, articles: Path, chunks: int) -> Calibration:
    settings = Settings(reader="model", reader_weights=weights, model_chunks=chunks)
    qs, pipeline = load_eval(questions, articles, None, settings)
    reader = pipeline.reader
    assert isinstance(reader, ModelReader)
    raw = ModelReader(
        pipeline.index, reader.model, ModelReaderConfig(max_chunks=chunks, no_answer_threshold=0.0, calibration=(SQUASH, 0.0))
    )
    result = calibrate(run_questions(pipeline.with_reader(raw), qs, top_k=5))
    card = read_card(weights)
    card["calibration"] = [round(result.a, 4), round(result.b, 4)]
    card["no_answer_threshold"] = result.threshold
    card["calibrated_on"] = {"questions": str(questions), "answered": result.n, "max_unanswered": 0.08, "chunks": chunks}
    card_path(weights).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return result
