from __future__ import annotations

from index.french import words
from index.lexical import terms


def test_elisions_and_both_apostrophes_fold() -> None:
    assert words("l’Oracle d'OpenAI qu’il") == ["oracle", "openai", "il"]
    assert terms("l’Oracle") == terms("l'oracle") == terms("Oracle")


def test_stopwords_dropped_numbers_kept() -> None:
    found = terms("Combien de puces pour les deux usines en 2026 ?")
    assert "2026" in found and "deux" in found
    assert not {"combien", "de", "les", "pour", "en"} & set(found)


def test_accents_and_plurals_match() -> None:
    assert terms("Séoul mémoires") == terms("seoul memoire")


def test_document_frequency_counts_chunks_holding_a_term() -> None:
    from index.lexical import Bm25Index

    bm25 = Bm25Index.build(["Les puces de Samsung", "Samsung et SK Hynix", "Le Texas"])
    assert bm25.document_frequency(terms("Samsung")[0]) == 2
    assert bm25.document_frequency(terms("Texas")[0]) == 1
    assert bm25.document_frequency("inconnu") == 0
