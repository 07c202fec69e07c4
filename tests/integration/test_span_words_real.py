"""The shipped span reader offers whole words only (issue 21, item 6): with its own weights it put "Gré" (of
"Grégoire") at 4.7 over the null score for "Qui est le maire de Lyon ?", then "cet" (of "Doucet"), and "tier"
(of "Cartier")."""

from __future__ import annotations

import pytest

from qa.factory import load_span_model
from qa.readers.span.model import SpanModel, trim
from qa.settings import Settings

PASSAGES = [
    "Grégoire Doucet, maire écologiste de Lyon depuis 2020, a présenté mardi le nouveau plan de circulation de la ville.",
    "À Lyon, le maire Grégoire Doucet a inauguré le nouveau pont sur la Saône, en présence du préfet.",
    "Le joaillier Cartier ouvre une boutique à Lyon. Le maire de Lyon, Grégoire Doucet, était présent.",
    "Le Cafe\u0301 des Arts, tenu par Pierre Cartier, a rouvert ses portes à Lyon.",
]


@pytest.fixture(scope="module")
def span_model(real_settings: Settings) -> SpanModel:
    return load_span_model(real_settings)


def _is_word(char: str) -> bool:
    return char.isalnum()


@pytest.mark.parametrize("question", ["Qui est le maire de Lyon ?", "Qui tient le café des Arts ?"])
def test_the_span_reader_offers_no_piece_of_a_word(span_model: SpanModel, question: str) -> None:
    for passage in PASSAGES:
        guesses = span_model.read(question, [passage], k=5)
        assert guesses
        for guess in guesses:
            a, b = trim(passage, guess.start, guess.end)
            offered = passage[a:b]
            assert offered not in {"Gré", "cet", "goire", "Dou", "tier", "Car", "Cafe"}, (question, passage, offered)
            assert a == 0 or not (_is_word(passage[a - 1]) and _is_word(passage[a])), offered
            assert b == len(passage) or not _is_word(passage[b]), offered


def test_the_mayor_is_named_whole(span_model: SpanModel) -> None:
    for passage in PASSAGES[:3]:
        best = span_model.read("Qui est le maire de Lyon ?", [passage], k=5)[0]
        a, b = trim(passage, best.start, best.end)
        assert passage[a:b] == "Grégoire Doucet"
