"""Fitting the answerability head and reading its threshold (``python -m train tune``)."""

from __future__ import annotations

import numpy as np

from eval.questions import Question
from qa.readers.span.answerability import FEATURES
from train.tune import article_of, fit_head, highest_threshold, out_of_fold, refusal_curve


def test_fit_head_learns_which_feature_tells_answerable_questions() -> None:
    rng = np.random.default_rng(0)
    n = 400
    x = rng.normal(size=(n, len(FEATURES)))
    y = (x[:, 6] + 0.3 * rng.normal(size=n) > 0).astype(float)  # the passage's cover decides
    head = fit_head(x, y)
    assert int(np.argmax(np.abs(head.weights))) == 6 and head.weights[6] > 0
    p = np.array([head.probability_of(row) for row in x])
    assert np.mean((p > 0.5) == (y == 1)) > 0.9


def test_out_of_fold_probabilities_come_from_heads_that_never_saw_the_article() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, len(FEATURES)))
    y = (x[:, 0] > 0).astype(float)
    groups = [f"a{i // 10}" for i in range(200)]
    p = out_of_fold(x, y, groups)
    assert p.shape == (200,) and np.all((p > 0) & (p < 1))
    assert np.mean((p > 0.5) == (y == 1)) > 0.85


def test_highest_threshold_refuses_at_most_the_share_asked() -> None:
    answerable = np.linspace(0.01, 1.0, 100)
    t = highest_threshold(answerable, 0.08)
    assert np.mean(answerable < t) <= 0.08 and np.mean(answerable < t + 0.011) > 0.08
    assert highest_threshold(np.array([]), 0.08) == 0.0
    curve = refusal_curve(answerable, np.array([0.0, 0.5]))
    assert curve[0] == {"threshold": 0.0, "answerable_refused": 0.0, "unanswerable_refused": 0.0}
    assert curve[-1]["unanswerable_refused"] == 1.0


def test_an_unanswerable_question_belongs_to_the_article_of_its_id() -> None:
    assert article_of(Question("nw_h06_q10", "q ?", "what", (), ())) == "nw_h06"
    assert article_of(Question("p123", "q ?", "what", ("a",), ("piaf_001",))) == "piaf_001"
