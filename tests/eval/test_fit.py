from __future__ import annotations

import numpy as np
import pytest

from eval.fit import Example, fit_logistic, fit_span_weights, folds_of
from qa.readers.analysis import analyse
from qa.readers.evidence.features import SPAN_FEATURES, Candidate, Evidence


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


def question(i: int, doc_ids: tuple[str, ...]) -> Example:
    from eval.questions import Question

    q = Question(f"q{i}", "Qui ?", "who", ("x",) if doc_ids else (), doc_ids)
    return Example(q, None, np.zeros(0), np.zeros(0))


def test_folds_keep_each_article_on_one_side() -> None:
    """Questions about one article all sit in one fold (a question citing several goes with its first, main
    one), so a fold is never scored by weights fitted on its own articles."""
    rng = np.random.default_rng(2)
    docs = [f"doc{j}" for j in range(7)]
    examples = []
    for i in range(90):
        if i % 6 == 0:
            examples.append(question(i, ()))  # unanswerable: no article
        else:
            main = docs[int(rng.integers(len(docs)))]
            examples.append(question(i, (main, *rng.choice(docs, size=int(rng.integers(0, 3)), replace=False).tolist())))
    fold = folds_of(examples, 5)
    assert sorted(set(fold)) == [0, 1, 2, 3, 4]
    for k in range(5):
        held = {ex.question.doc_ids[0] for ex, f in zip(examples, fold, strict=True) if f == k and ex.question.doc_ids}
        trained = {ex.question.doc_ids[0] for ex, f in zip(examples, fold, strict=True) if f != k and ex.question.doc_ids}
        assert held and not held & trained, k
    sizes = [fold.count(k) for k in range(5)]
    assert max(sizes) - min(sizes) <= max(sum(1 for ex in examples if ex.question.doc_ids[:1] == (d,)) for d in docs)


def test_more_folds_than_articles_is_an_error() -> None:
    with pytest.raises(ValueError, match="3 folds need at least 3 articles"):
        folds_of([question(0, ("a",)), question(1, ("b",)), question(2, ())], 3)
