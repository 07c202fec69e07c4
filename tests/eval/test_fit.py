from __future__ import annotations

import numpy as np

from eval.fit import Example, fit_logistic, fit_span_weights
from qa.analysis import analyse
from qa.evidence import SPAN_FEATURES, Candidate, Evidence


def example(rng: np.random.Generator, informative: int) -> Example:
    """Five candidates with random features; the right one (F1 1) has feature ``informative`` high."""
    features = rng.normal(size=(5, len(SPAN_FEATURES)))
    right = int(rng.integers(5))
    features[:, informative] = 0.0
    features[right, informative] = 1.0
    candidates = [Candidate("d", i, i + 1, "NP", 0, str(i)) for i in range(5)]
    evidence = Evidence(analyse("Qui ?"), candidates, features, {0: 0.5}, {0: (0.5, 0.5, 0.5)}, {0: 0.0}, 0.0)
    f1 = np.zeros(5)
    f1[right] = 1.0
    return Example(None, evidence, f1, f1)  # type: ignore[arg-type]


def test_span_weights_learn_the_feature_that_marks_the_answer() -> None:
    rng = np.random.default_rng(0)
    informative = SPAN_FEATURES.index("type_strict")
    weights = fit_span_weights([example(rng, informative) for _ in range(60)], l2=0.01, steps=300)
    assert int(np.argmax(weights)) == informative
    assert weights[informative] > 1.0


def test_logistic_regression_separates_and_stays_on_the_raw_scale() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(loc=5.0, scale=2.0, size=(200, 2))
    y = (x[:, 0] > 5.0).astype(float)
    w, b = fit_logistic(x, y, l2=0.001)
    predicted = (x @ w + b > 0).astype(float)
    assert (predicted == y).mean() > 0.95
    assert w[0] > abs(w[1])
