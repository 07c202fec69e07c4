"""French normalisation has one owner (index/french.py); BM25 terms, candidate spans, answer keys and
the eval's SQuAD-style metric all take their apostrophes, spaces, elisions and articles from it."""

from __future__ import annotations

import pytest

from eval.metrics import normalize_answer
from index.annotate import _DETERMINERS
from index.french import ARTICLES, NUMBER_WORDS, fold, stopwords, strip_accents, words
from index.lexical import terms
from qa.readers import answer_key

NFD_SEOUL = "Se\u0301oul"  # "Séoul" typed with a combining accent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("l’Oracle d'OpenAI qu’il", ["oracle", "openai", "il"]),  # both apostrophes, elisions dropped
        ("L'accord de l’État", ["accord", "de", "état"]),
        ("jusqu’à la presqu'île", ["à", "la", "île"]),
        ("aujourd’hui", ["aujourd", "hui"]),  # not an elision: "d’" inside a word
        ("900\u00a0000 et 900\u202f000", ["900", "000", "et", "900", "000"]),  # non-breaking spaces
        (NFD_SEOUL, ["séoul"]),
        ("Lee Jae-myung", ["lee", "jae", "myung"]),
    ],
)
def test_words(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_fold_unifies_case_apostrophes_spaces_and_composition() -> None:
    assert fold(f"L’{NFD_SEOUL}\u00a0du\u202fSud") == "l'séoul du sud"
    assert strip_accents("Séoul, Pyeongtaek, Île-de-France") == "Seoul, Pyeongtaek, Ile-de-France"


@pytest.mark.parametrize(
    ("phrase", "key", "metric"),
    [
        ("l’Oracle", "oracle", "oracle"),
        ("d’OpenAI", "openai", "openai"),
        ("au Texas", "texas", "texas"),
        ("aux entreprises coréennes", "entreprises coreennes", "entreprises coréennes"),
        ("du Sud", "sud", "sud"),
        ("des puces DRAM", "puces dram", "puces dram"),
        ("de l’État", "etat", "état"),
        ("la Corée du Sud", "coree sud", "corée sud"),
        ("Séoul", "seoul", "séoul"),
        (NFD_SEOUL, "seoul", "séoul"),
        ("900\u202f000 puces", "900 000 puces", "900 000 puces"),
        ("une usine", "usine", "usine"),
    ],
)
def test_answer_keys_and_the_metric_drop_the_same_articles_and_elisions(phrase: str, key: str, metric: str) -> None:
    """The metric keeps its SQuAD-style rule (accents kept, punctuation to spaces); keys also fold accents."""
    assert answer_key(phrase) == key
    assert normalize_answer(phrase) == metric
    assert strip_accents(normalize_answer(phrase)) == answer_key(phrase)


def test_every_article_is_a_bm25_stopword_but_number_words() -> None:
    assert stopwords() >= ARTICLES - NUMBER_WORDS
    assert {"un", "une"} <= NUMBER_WORDS and not {"un", "une"} & stopwords()  # "un milliard", "une usine sur deux"
    assert terms("au Texas") == terms("aux Texas") == terms("Texas")


@pytest.mark.parametrize("article", sorted(ARTICLES))
def test_candidate_spans_drop_the_same_articles(article: str) -> None:
    m = _DETERMINERS.match(f"{article} usines coréennes")
    assert m is not None and f"{article} usines coréennes"[m.end() :] == "usines coréennes"


@pytest.mark.parametrize("elided", ["l’", "l'", "d’", "d'", "de l’", "de l'"])
def test_candidate_spans_drop_elided_articles(elided: str) -> None:
    m = _DETERMINERS.match(f"{elided}usine")
    assert m is not None and f"{elided}usine"[m.end() :] == "usine"
