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
    cover = FEATURES.index("cover_passage")
    y = (x[:, cover] + 0.3 * rng.normal(size=n) > 0).astype(float)  # the passage's cover decides
    head = fit_head(x, y)
    assert int(np.argmax(np.abs(head.weights))) == cover and head.weights[cover] > 0
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


def test_refused_at_compares_decisions_at_the_same_cost() -> None:
    from train.tune import refused_at

    confidence = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.1, 0.2, 0.65])
    answerable = np.array([True, True, True, True, True, False, False, False])
    assert refused_at(confidence, answerable, 0.0) == round(2 / 3, 4)  # 0.1 and 0.2 fall under 0.5; 0.65 does not
    assert refused_at(confidence, answerable, 0.2) == round(2 / 3, 4)  # 0.6: still not 0.65
    assert refused_at(confidence, answerable, 0.4) == 1.0  # 0.7
