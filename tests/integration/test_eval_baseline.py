"""The eval on the real model must not fall below the committed floors (eval/baseline.json) of either
question set, the seed set the reader is fitted on and the held-out set; and every span /ask returns
over HTTP is where it says in the document that GET /documents returns."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
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


@pytest.mark.parametrize("key", sorted(SETS))
def test_every_returned_span_is_where_it_says_over_http(key: str, request: pytest.FixtureRequest) -> None:
    """Over HTTP, as a client sees it: every answer, sentence, alternative, supporting span and citation of
    the eval questions' /ask responses is ``document.text[start:end]`` of GET /documents/{doc_id}. The no-answer
    threshold is 0 so that every question returns an answer with its alternatives."""
    real_pipeline: Pipeline = request.getfixturevalue(SETS[key])
    questions = load_questions(HERE / key)
    open_pipeline = real_pipeline.with_reader(real_pipeline.reader.with_threshold(0.0))
    counts = {"answer": 0, "sentence": 0, "alternative": 0, "supporting": 0, "citation": 0}
    with TestClient(create_app(pipeline=open_pipeline)) as client:

        def document(doc_id: str) -> str:
            response = client.get(f"/documents/{doc_id}")
            assert response.status_code == 200, response.text
            text: str = response.json()["text"]
            return text

        def check(kind: str, span: dict[str, Any], start: str = "start", end: str = "end", field: str = "text") -> None:
            assert document(span["doc_id"])[span[start] : span[end]] == span[field], (kind, span)
            counts[kind] += 1

        for q in questions:
            response = client.post("/ask", json={"question": q.question, "top_k": 5})
            assert response.status_code == 200, response.text
            body = response.json()
            answer = body["answer"]
            assert answer is not None, q.id
            check("answer", answer)
            check("sentence", answer, "sentence_start", "sentence_end", "sentence")
            for alternative in answer["alternatives"]:
                check("alternative", alternative)
            for supporting in answer["supporting"]:
                check("supporting", supporting)
            for citation in body["citations"]:
                check("citation", citation)
    assert counts["answer"] == counts["sentence"] == len(questions)
    assert counts["alternative"] > 0 and counts["supporting"] > 0 and counts["citation"] >= counts["answer"]
