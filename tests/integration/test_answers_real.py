"""Answers of the shipped (fitted) weights with the real model. They move when the weights are refitted:
the reader's logic is tested on explicit weights in tests/qa/test_reader.py."""

from __future__ import annotations

import pytest

from eval.metrics import exact_match
from eval.questions import load_questions
from eval.run import DEFAULT_QUESTIONS
from qa.pipeline import Pipeline

# Seed questions of each kind that the shipped weights answer right and confidently.
IDS = ("q001", "q016", "q037", "q049", "q061", "q062", "q065")


@pytest.mark.parametrize("question_id", IDS)
def test_the_shipped_weights_answer_seed_questions(real_pipeline: Pipeline, question_id: str) -> None:
    question = next(q for q in load_questions(DEFAULT_QUESTIONS) if q.id == question_id)
    answer = real_pipeline.ask(question.question).answer
    assert answer is not None, question.question
    assert exact_match(answer.text, question.answers) == 1.0, (question.question, answer.text)
    assert real_pipeline.index.articles[answer.doc_id].text[answer.start : answer.end] == answer.text


def test_top_k_changes_the_citations_not_the_answer(real_pipeline: Pipeline) -> None:
    """The review measured 12 of 12 sample questions changing answer or score between top_k 1 and 5."""
    for question in load_questions(DEFAULT_QUESTIONS)[:12]:
        results = [real_pipeline.ask(question.question, top_k=k) for k in (1, 5, 20)]
        assert results[0].answer == results[1].answer == results[2].answer, question.question
        assert [len(r.citations) for r in results] == [1, 5, 20]
