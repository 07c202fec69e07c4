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
