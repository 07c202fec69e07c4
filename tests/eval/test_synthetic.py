from __future__ import annotations

from pathlib import Path

import pytest

from eval.synthetic import SYNTHETIC_URL, SourcePool, generate, paragraphs_of, source_pool

POOL = SourcePool(tuple(f"Paragraphe numéro {i}, assez long pour porter une phrase entière sur l’économie." for i in range(20)), ())


def test_generated_articles_say_they_are_synthetic_and_are_made_of_pool_paragraphs() -> None:
    made = list(generate(POOL, 5, seed=3, target_chars=400))
    assert [a.doc_id for a, _ in made] == [f"synth-{i:06d}" for i in range(5)]
    for article, picked in made:
        assert article.url == SYNTHETIC_URL and article.title is not None and article.title.startswith("[synthétique]")
        assert article.text == "\n\n".join(POOL.paragraphs[row] for row in picked)
        assert article.date is not None and "2015" <= article.date <= "2026"
    assert [a for a, _ in generate(POOL, 5, seed=3, target_chars=400)] == [a for a, _ in made]  # seeded


def test_the_pool_reads_piaf_and_news_and_keeps_unique_paragraphs(tmp_path: Path) -> None:
    piaf = tmp_path / "articles.jsonl"
    long = "Un paragraphe de Wikipédia assez long pour compter comme un vrai paragraphe ici."
    piaf.write_text('{"id": "p1", "title": "T", "text": "' + long + "\\n\\ncourt\\n\\n" + long + '"}\n', encoding="utf-8")
    pool = source_pool(piaf, tmp_path / "no-news")
    assert pool.paragraphs == (long,) and pool.sources == (str(piaf),)
    assert paragraphs_of("court\n\n" + long) == [long]
    with pytest.raises(ValueError, match="no paragraphs"):
        source_pool(tmp_path / "none.jsonl", tmp_path / "no-news")
