from __future__ import annotations

import pytest

from eval.metrics import contains_answer, exact_match, first_relevant_rank, normalize_answer, percentile, token_f1


def test_french_normalisation() -> None:
    assert normalize_answer("L’Oracle, d'OpenAI !") == "oracle openai"
    assert normalize_answer("les 900\u00a0000 puces") == "900 000 puces"
    assert normalize_answer("Séoul") == "séoul"


def test_exact_match_and_f1() -> None:
    assert exact_match("la Corée du Sud", ["Corée du Sud"]) == 1.0
    assert exact_match("Corée", ["Corée du Sud"]) == 0.0
    assert token_f1("Corée", ["Corée du Sud"]) == pytest.approx(2 * 1 * 0.5 / 1.5)
    assert token_f1("rien", ["Corée"]) == 0.0
    assert token_f1("900 000 puces", ["x", "900 000"]) == pytest.approx(0.8)


def test_contains_answer_on_word_boundaries() -> None:
    assert contains_answer("Il en veut 900 000 par mois.", ["900 000"])
    assert not contains_answer("Séoulite", ["Séoul"])


def test_ranks_and_percentiles() -> None:
    assert first_relevant_rank(["a", "b", "c"], {"c"}) == 3
    assert first_relevant_rank(["a"], {"z"}) is None
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([5], 95) == 5
