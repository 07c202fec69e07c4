"""The answerability head: what it reads of an answer, how it is stored, and how the span reader uses it."""

from __future__ import annotations

import numpy as np
import pytest

from index.lexical import terms
from index.store import Index
from qa.readers.span.answerability import FEATURES, MARGIN_CAP, AnswerabilityHead, Evidence, cover, evidence
from qa.readers.span.reader import ModelReader, ModelReaderConfig
from tests.qa.test_span_reader_settle import ScriptedModel, first_words, hits_of


def test_cover_counts_the_question_terms_found_in_a_text() -> None:
    asked = set(terms("Combien d'employés compte l'entreprise ?"))
    assert cover(asked, "L'entreprise compte 1 200 employés en France.") == 1.0
    near_miss = cover(asked, "L'entreprise a réalisé un chiffre d'affaires de 3 millions.")
    assert 0.0 < near_miss < 1.0
    assert cover(set(), "any text") == 1.0


def test_evidence_of_a_near_miss_answer() -> None:
    ev = evidence(
        "Combien d'employés compte l'entreprise ?",
        "3 millions d'euros",
        2.5,
        4.0,
        1,
        "L'entreprise a réalisé un chiffre d'affaires de 3 millions d'euros.",
        "Le groupe est installé à Lyon. L'entreprise a réalisé un chiffre d'affaires de 3 millions d'euros.",
        [("3 millions", 2.0), ("Lyon", 0.5)],
    )
    assert ev.score == 2.5 and ev.null == 4.0 and ev.rank == 1
    assert ev.margin == pytest.approx(2.0)  # "3 millions" shares a term with the answer: Lyon is the rival
    assert ev.cover_sentence < 1.0 and ev.cover_passage < 1.0
    alone = evidence("Qui ?", "Marie", 1.0, 0.0, 0, "Marie vient.", "Marie vient.", [])
    assert alone.margin == MARGIN_CAP
    assert len(ev.vector()) == len(FEATURES)


def head(weights: tuple[float, ...], bias: float = 0.0) -> AnswerabilityHead:
    n = len(FEATURES)
    return AnswerabilityHead((0.0,) * n, (1.0,) * n, weights, bias)


def test_the_head_is_a_logistic_function_and_round_trips_through_the_card() -> None:
    n = len(FEATURES)
    h = head((1.0,) + (0.0,) * (n - 1), bias=-2.0)
    ev = Evidence(2.0, 0.0, 0.0, 0, 0.0, 0.0)
    assert h.probability(ev) == pytest.approx(0.5)
    assert h.probability(Evidence(5.0, 0.0, 0.0, 0, 0.0, 0.0)) > 0.9
    assert AnswerabilityHead.from_card(h.as_card()) == h


def test_a_head_over_other_features_is_refused() -> None:
    card = head((0.0,) * len(FEATURES)).as_card() | {"features": ["score"]}
    with pytest.raises(ValueError, match="answerability head reads"):
        AnswerabilityHead.from_card(card)
    with pytest.raises(ValueError):
        AnswerabilityHead((0.0,), (1.0,), (1.0,), 0.0)


def test_the_reader_refuses_what_the_head_says_the_articles_do_not_answer(built_index: Index) -> None:
    hits = hits_of(built_index)
    words = first_words(built_index, hits)
    model = ScriptedModel({words[0]: 6.0})  # a span the score alone would give with confidence 0.998
    n = len(FEATURES)
    sure = head((0.0,) * n, bias=3.0)  # P(answerable) 0.953 whatever the evidence
    doubtful = head((0.0,) * n, bias=-3.0)  # 0.047
    for h, expected in ((None, 0.9975), (sure, 0.9526), (doubtful, None)):
        config = ModelReaderConfig(max_chunks=3, no_answer_threshold=0.3, calibration=(1.0, 0.0), answerability=h)
        answer = ModelReader(built_index, model, config).read("q ?", np.zeros(4), hits)  # type: ignore[arg-type]
        if expected is None:
            assert answer is None
        else:
            assert answer is not None and answer.score == pytest.approx(expected, abs=1e-4)


def test_the_card_gives_the_reader_its_head() -> None:
    h = head((0.5,) * len(FEATURES), bias=0.1)
    model = ScriptedModel({}, card={"calibration": [1.0, 0.0], "no_answer_threshold": 0.2, "answerability": h.as_card()})
    config = ModelReader.config_from_card(model, 3)  # type: ignore[arg-type]
    assert config.answerability == h and config.no_answer_threshold == 0.2
    assert ModelReader.config_from_card(ScriptedModel({}), 3).answerability is None  # type: ignore[arg-type]
