"""The eval on the real model must not fall below the committed floors (eval/baseline.json) of either
question set, the seed set the reader is fitted on and the held-out set."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eval.questions import load_questions
from eval.run import HERE, evaluate
from qa.pipeline import Pipeline

BASELINE = HERE / "baseline.json"
SETS = {"questions_fr.jsonl": "real_pipeline", "heldout/questions_fr.jsonl": "heldout_pipeline"}
LOWER_IS_BETTER = {"wrongly_unanswered"}
TOLERANCE = 0.005  # float noise across CPUs, not slack for regressions


@pytest.fixture(scope="module")
def baseline() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(BASELINE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module", params=sorted(SETS))
def question_set(request: pytest.FixtureRequest) -> tuple[str, Pipeline, dict[str, Any]]:
    key = request.param
    pipeline: Pipeline = request.getfixturevalue(SETS[key])
    return key, pipeline, evaluate(pipeline, load_questions(HERE / key), top_k=5)


def test_baseline_covers_both_sets(baseline: dict[str, Any]) -> None:
    assert set(baseline["sets"]) == set(SETS)


def test_metrics_hold_the_baseline(question_set: tuple[str, Pipeline, dict[str, Any]], baseline: dict[str, Any]) -> None:
    key, _, report = question_set
    assert baseline["model"] == report["model"], "baseline was measured with another model: re-measure it"
    drops = []
    for metric, floor in baseline["sets"][key]["summary"].items():
        value = report["summary"][metric]
        worse = value > floor + TOLERANCE if metric in LOWER_IS_BETTER else value < floor - TOLERANCE
        if worse:
            drops.append(f"{metric}: {value:.3f} (baseline {floor:.3f})")
    assert not drops, f"eval regressed on {key}: " + "; ".join(drops)


def test_hybrid_retrieval_leads_both_single_modes(question_set: tuple[str, Pipeline, dict[str, Any]]) -> None:
    modes = question_set[2]["retrieval_by_mode"]
    for metric in ("recall_at_1", "mrr"):
        assert modes["hybrid"][metric] >= max(modes["dense"][metric], modes["bm25"][metric]), modes


def test_answers_are_verbatim(question_set: tuple[str, Pipeline, dict[str, Any]]) -> None:
    _, pipeline, report = question_set
    for outcome in report["outcomes"]:
        if outcome["prediction"] is not None:
            assert outcome["prediction"] in pipeline.index.articles[outcome["doc_id"]].text
