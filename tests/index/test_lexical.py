from __future__ import annotations

from index.lexical import terms, words


def test_elisions_and_both_apostrophes_fold() -> None:
    assert words("l’Oracle d'OpenAI qu’il") == ["oracle", "openai", "il"]
    assert terms("l’Oracle") == terms("l'oracle") == terms("Oracle")


def test_stopwords_dropped_numbers_kept() -> None:
    found = terms("Combien de puces pour les deux usines en 2026 ?")
    assert "2026" in found and "deux" in found
    assert not {"combien", "de", "les", "pour", "en"} & set(found)


def test_accents_and_plurals_match() -> None:
    assert terms("Séoul mémoires") == terms("seoul memoire")
