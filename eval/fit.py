"""``python -m eval.fit``: fit the reader's weights on a question set and write ``qa/reader_model.json``.

1. Every question goes through retrieval and ``qa/readers/evidence/features.py``; each candidate span gets its
   token F1 against the gold answers.
2. Span weights: a softmax over each question's candidates, trained so the candidates with the
   best F1 win (L2-regularised, plain gradient descent on numpy).
3. Confidence: a logistic regression on the best candidate's :data:`CONFIDENCE_FEATURES`, with
   "answerable and F1 >= 0.5" as the positive class (candidates of the wrong kind are left out: the
   reader refuses them outright). It is fitted on out-of-fold span scores, so
   it learns from scores like those of unseen questions rather than from the ones it was fitted on.
4. Cross-validated EM and F1 (k folds by article: all the questions about an article fall in one
   fold) are printed: they, and the held-out set, are the honest numbers; in-sample numbers are optimistic.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.metrics import exact_match, mean, token_f1
from eval.questions import Question
from eval.run import DEFAULT_QUESTIONS, load_eval
from index.errors import QAError
from qa.pipeline import Pipeline
from qa.readers.evidence.features import CONFIDENCE_FEATURES, SPAN_FEATURES, Evidence, confidence_features
from qa.readers.evidence.reader import MODEL_FILE, ReaderModel, Scored, SentenceReader, off_kind
from qa.settings import Settings


@dataclass(frozen=True)
class Example:
    question: Question
    evidence: Evidence | None
    f1: np.ndarray  # per candidate
    em: np.ndarray


def collect(pipeline: Pipeline, questions: list[Question]) -> list[Example]:
    """Each question's candidates as the evidence reader sees them (its ``max_chunks`` best chunks)."""
    reader = pipeline.reader
    if not isinstance(reader, SentenceReader):
        raise ValueError("eval.fit fits the evidence reader's weights: run it with QA_READER=evidence")
    vectors = pipeline.embedder.encode_queries([q.question for q in questions])
    out = []
    for q, vector in zip(questions, vectors, strict=True):
        hits = pipeline.retriever.retrieve(q.question, vector, reader.config.max_chunks)
        evidence = reader.evidence_for(q.question, vector, hits)
        if not evidence.candidates:
            out.append(Example(q, None, np.zeros(0), np.zeros(0)))
            continue
        texts = [reader.index.articles[c.doc_id].text[c.start : c.end] for c in evidence.candidates]
        f1 = np.array([token_f1(t, q.answers) for t in texts]) if q.answerable else np.zeros(len(texts))
        em = np.array([exact_match(t, q.answers) for t in texts]) if q.answerable else np.zeros(len(texts))
        out.append(Example(q, evidence, f1, em))
    return out


def fit_span_weights(examples: list[Example], l2: float, steps: int = 600, rate: float = 0.05) -> np.ndarray:
    """Softmax regression: for each question, push probability onto its best-F1 candidates."""
    groups = []
    for ex in examples:
        if ex.evidence is None or not len(ex.f1) or ex.f1.max() < 0.5:
            continue
        target = (ex.f1 >= ex.f1.max() - 1e-9).astype(np.float64)
        groups.append((ex.evidence.features, target / target.sum()))
    w = np.zeros(len(SPAN_FEATURES))
    m, v = np.zeros_like(w), np.zeros_like(w)
    for step in range(1, steps + 1):  # Adam on the mean cross-entropy
        grad = l2 * w
        for x, t in groups:
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            grad += x.T @ (p - t) / len(groups)
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= rate * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return w


def best_of(ex: Example, w: np.ndarray) -> tuple[Scored, int] | None:
    if ex.evidence is None:
        return None
    scored = Scored.of(ex.evidence, ex.evidence.features @ w)
    return scored, scored.order[0]


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float, steps: int = 3000, rate: float = 0.05) -> tuple[np.ndarray, float]:
    mu, sigma = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mu) / sigma
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        w -= rate * (z.T @ (p - y) / len(y) + l2 * w)
        b -= rate * float(np.mean(p - y))
    return w / sigma, b - float((w / sigma) @ mu)  # back to unstandardised features


def folds_of(examples: list[Example], k: int) -> list[int]:
    """The fold of each example, by article: every question about one article (its first, main ``doc_id``)
    falls in one fold, so no article is on both sides of a split. Articles go, largest first, to the
    smallest fold; unanswerable questions (no article) are then dealt to the smallest folds."""
    by_article: dict[str, list[int]] = defaultdict(list)
    unanswerable = []
    for i, ex in enumerate(examples):
        if ex.question.doc_ids:
            by_article[ex.question.doc_ids[0]].append(i)
        else:
            unanswerable.append(i)
    if len(by_article) < k:
        raise ValueError(f"{k} folds need at least {k} articles; the questions are about {len(by_article)}")
    fold, sizes = [0] * len(examples), [0] * k
    groups = [members for _, members in sorted(by_article.items(), key=lambda item: (-len(item[1]), item[0]))]
    for members in groups + [[i] for i in unanswerable]:
        smallest = sizes.index(min(sizes))
        for i in members:
            fold[i] = smallest
        sizes[smallest] += len(members)
    return fold


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.fit", description="Fit the reader's weights on a question set.")
    p.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    p.add_argument("--articles", type=Path, default=None)
    p.add_argument("--index-dir", type=Path, default=None)
    p.add_argument("--out", type=Path, default=MODEL_FILE, help="where to write the model (default: the shipped one)")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--l2", type=float, default=0.01, help="L2 penalty of the span weights")
    p.add_argument("--confidence-l2", type=float, default=0.01, help="L2 penalty of the confidence model (standardised features)")
    p.add_argument("--dry-run", action="store_true", help="report cross-validation only, write nothing")
    args = p.parse_args(argv)
    try:
        questions, pipeline = load_eval(args.questions, args.articles, args.index_dir, Settings(reader="evidence"))
    except (QAError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    examples = collect(pipeline, questions)
    answerable = [ex for ex in examples if ex.question.answerable]
    ceiling_em = mean(float(ex.em.max()) if len(ex.em) else 0.0 for ex in answerable)
    ceiling_f1 = mean(float(ex.f1.max()) if len(ex.f1) else 0.0 for ex in answerable)
    print(f"{len(examples)} questions; best candidate available: EM {ceiling_em:.3f}, F1 {ceiling_f1:.3f}")

    try:
        fold = folds_of(examples, args.folds)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    oof: list[tuple[Scored, int] | None] = [None] * len(examples)
    for k in range(args.folds):
        w = fit_span_weights([ex for ex, f in zip(examples, fold, strict=True) if f != k], args.l2)
        for i, ex in enumerate(examples):
            if fold[i] == k:
                oof[i] = best_of(ex, w)
    em_cv = [float(ex.em[o[1]]) if o else 0.0 for ex, o in zip(examples, oof, strict=True) if ex.question.answerable]
    f1_cv = [float(ex.f1[o[1]]) if o else 0.0 for ex, o in zip(examples, oof, strict=True) if ex.question.answerable]
    print(f"cross-validated ({args.folds} folds by article), answering everything: EM {mean(em_cv):.3f}, F1 {mean(f1_cv):.3f}")

    w = fit_span_weights(examples, args.l2)
    fitted = [best_of(ex, w) for ex in examples]
    em_in = mean(float(ex.em[o[1]]) if o else 0.0 for ex, o in zip(examples, fitted, strict=True) if ex.question.answerable)
    f1_in = mean(float(ex.f1[o[1]]) if o else 0.0 for ex, o in zip(examples, fitted, strict=True) if ex.question.answerable)
    print(f"in-sample, answering everything: EM {em_in:.3f}, F1 {f1_in:.3f}")

    rows, labels = [], []
    for ex, o in zip(examples, oof, strict=True):
        if o is None:
            continue
        scored, best = o
        if off_kind(scored.evidence, best):
            continue  # refused whatever its features say (see SentenceReader.confidence)
        rows.append(confidence_features(scored.evidence, scored.scores, best, scored.lead(best)))
        labels.append(float(ex.question.answerable and ex.f1[best] >= 0.5))
    cw, cb = fit_logistic(np.array(rows), np.array(labels), args.confidence_l2)
    print("span weights:", ", ".join(f"{n} {x:+.2f}" for n, x in zip(SPAN_FEATURES, w, strict=True)))
    print("confidence weights:", ", ".join(f"{n} {x:+.2f}" for n, x in zip(CONFIDENCE_FEATURES, cw, strict=True)), f"bias {cb:+.2f}")
    if args.dry_run:
        return 0
    note = (
        f"fitted by `python -m eval.fit` on {args.questions.name} ({len(examples)} questions); "
        f"{args.folds}-fold cross-validated (folds by article) EM {mean(em_cv):.3f} F1 {mean(f1_cv):.3f} before the no-answer threshold"
    )
    model = ReaderModel(
        dict(zip(SPAN_FEATURES, w.tolist(), strict=True)), dict(zip(CONFIDENCE_FEATURES, cw.tolist(), strict=True)), cb, note
    )
    model.to_json(args.out)
    print(f"model: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
