"""The eval on the real model must not fall below the committed baseline (eval/baseline.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eval.questions import load_questions
from eval.run import DEFAULT_QUESTIONS, evaluate
from qa.pipeline import Pipeline

BASELINE = Path(__file__).resolve().parents[2] / "eval" / "baseline.json"
LOWER_IS_BETTER = {"wrongly_unanswered"}
TOLERANCE = 0.005  # float noise across CPUs, not slack for regressions


@pytest.fixture(scope="module")
def report(real_pipeline: Pipeline) -> dict[str, Any]:
    return evaluate(real_pipeline, load_questions(DEFAULT_QUESTIONS), top_k=5)


def test_metrics_hold_the_baseline(report: dict[str, Any]) -> None:
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    assert baseline["model"] == report["model"], "baseline was measured with another model: re-measure it"
    drops = []
    for metric, floor in baseline["summary"].items():
        value = report["summary"][metric]
        worse = value > floor + TOLERANCE if metric in LOWER_IS_BETTER else value < floor - TOLERANCE
        if worse:
            drops.append(f"{metric}: {value:.3f} (baseline {floor:.3f})")
    assert not drops, "eval regressed: " + "; ".join(drops)


def test_answers_are_verbatim(report: dict[str, Any], real_pipeline: Pipeline) -> None:
    for outcome in report["outcomes"]:
        if outcome["prediction"] is not None:
            assert outcome["prediction"] in real_pipeline.index.articles[outcome["doc_id"]].text


def test_hybrid_retrieval_leads_both_single_modes(report: dict[str, Any]) -> None:
    modes = report["retrieval_by_mode"]
    for metric in ("recall_at_1", "mrr"):
        assert modes["hybrid"][metric] >= max(modes["dense"][metric], modes["bm25"][metric]), modes
