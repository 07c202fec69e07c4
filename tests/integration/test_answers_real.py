"""Answers of the shipped readers with the real model: the trained span reader (the default) and the
evidence reader's fitted weights. They move when either is retrained or refitted: the readers' logic is
tested on explicit weights and a tiny model in tests/qa and tests/train."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.metrics import exact_match
from eval.questions import load_questions
from eval.run import DEFAULT_QUESTIONS
from qa.pipeline import Pipeline
from qa.readers import answer_key
from qa.readers.evidence.reader import SentenceReader
from qa.readers.span.reader import ModelReader

# Seed questions of each kind that the shipped evidence weights answer right and confidently.
IDS = ("q001", "q016", "q037", "q049", "q061", "q062", "q065")
# ... and that the shipped span reader answers right above its threshold: a person, a date, a place, an
# amount, a cause (a clause) and a manner.
MODEL_IDS = ("q005", "q039", "q048", "q058", "q075", "q089")
HELDOUT_QUESTIONS = Path(__file__).resolve().parents[2] / "eval" / "heldout" / "questions_fr.jsonl"


@pytest.mark.parametrize("question_id", MODEL_IDS)
def test_the_shipped_span_reader_answers_seed_questions(real_pipeline: Pipeline, question_id: str) -> None:
    assert isinstance(real_pipeline.reader, ModelReader)  # the default reader
    question = next(q for q in load_questions(DEFAULT_QUESTIONS) if q.id == question_id)
    answer = real_pipeline.ask(question.question).answer
    assert answer is not None, question.question
    assert exact_match(answer.text, question.answers) == 1.0, (question.question, answer.text)
    text = real_pipeline.index.articles[answer.doc_id].text
    assert text[answer.start : answer.end] == answer.text
    assert text[answer.sentence_start : answer.sentence_end] == answer.sentence
    assert answer.sentence_start <= answer.start < answer.end <= answer.sentence_end


def test_the_span_reader_abstains_on_a_question_the_articles_do_not_answer(real_pipeline: Pipeline) -> None:
    assert real_pipeline.ask("Quelle est la recette traditionnelle de la ratatouille niçoise ?").answer is None


@pytest.mark.parametrize("question_id", IDS)
def test_the_shipped_weights_answer_seed_questions(real_pipeline: Pipeline, question_id: str) -> None:
    evidence = real_pipeline.with_reader(SentenceReader(real_pipeline.index, real_pipeline.embedder))
    question = next(q for q in load_questions(DEFAULT_QUESTIONS) if q.id == question_id)
    answer = evidence.ask(question.question).answer
    assert answer is not None, question.question
    assert exact_match(answer.text, question.answers) == 1.0, (question.question, answer.text)
    assert evidence.index.articles[answer.doc_id].text[answer.start : answer.end] == answer.text


def test_top_k_changes_the_citations_not_the_answer(real_pipeline: Pipeline) -> None:
    """The review measured 12 of 12 sample questions changing answer or score between top_k 1 and 5."""
    for question in load_questions(DEFAULT_QUESTIONS)[:12]:
        results = [real_pipeline.ask(question.question, top_k=k) for k in (1, 5, 20)]
        assert results[0].answer == results[1].answer == results[2].answer, question.question
        assert [len(r.citations) for r in results] == [1, 5, 20]


def _assert_distinct(pipeline: Pipeline, question: str) -> int:
    """The answer's alternatives are other answers; returns how many were listed."""
    answer = pipeline.with_reader(pipeline.reader.with_threshold(0.0)).ask(question).answer
    if answer is None:
        return 0
    listed = [(answer.doc_id, answer.start, answer.end, answer_key(answer.text))]
    for alt in answer.alternatives:
        assert pipeline.index.articles[alt.doc_id].text[alt.start : alt.end] == alt.text  # verbatim, with offsets
        key = answer_key(alt.text)
        for doc_id, start, end, other_key in listed:
            assert key != other_key, (question, answer.text, [a.text for a in answer.alternatives])
            assert not (doc_id == alt.doc_id and start < alt.end and alt.start < end), (question, answer.text, alt.text)
        listed.append((alt.doc_id, alt.start, alt.end, key))
    return len(answer.alternatives)


@pytest.mark.parametrize("reader", ["span", "evidence"])
def test_alternatives_differ_on_every_eval_question(real_pipeline: Pipeline, heldout_pipeline: Pipeline, reader: str) -> None:
    """No alternative overlaps the answer or another alternative, none folds equal to them: every seed and
    held-out question, read with no threshold so that every answer is shown."""
    listed = 0
    for pipeline, questions in ((real_pipeline, DEFAULT_QUESTIONS), (heldout_pipeline, HELDOUT_QUESTIONS)):
        if reader == "evidence":
            pipeline = pipeline.with_reader(SentenceReader(pipeline.index, pipeline.embedder))
        for question in load_questions(questions):
            listed += _assert_distinct(pipeline, question.question)
    assert listed > 50  # the test saw alternatives, not empty lists
