"""The data ablation's variants and its table (``python -m train.ablation``)."""

from __future__ import annotations

from train.ablation import BY_NAME, ENGLISH, FIRST_NEWS, VARIANTS, table
from train.data import NEWS_DIR, load_news


def test_each_variant_leaves_out_one_source_of_the_full_mix() -> None:
    full = BY_NAME["all"]
    assert set(BY_NAME["no-english"].sources) == set(full.sources) - set(ENGLISH)
    assert BY_NAME["no-v1.1"].piaf_dir != full.piaf_dir and BY_NAME["no-v1.1"].sources == full.sources
    assert BY_NAME["no-new-news"].news_files == FIRST_NEWS and BY_NAME["no-new-news"].sources == full.sources
    assert len({v.name for v in VARIANTS}) == len(VARIANTS)


def test_the_first_news_files_are_the_first_120_articles() -> None:
    articles, items = load_news(NEWS_DIR, FIRST_NEWS)
    everything, _ = load_news(NEWS_DIR)
    assert len(articles) == 120 and len(items) == 1440
    assert len(everything) > len(articles) and set(articles) < set(everything)


def dev(piaf: float, news: float, written: float) -> dict[str, object]:
    return {
        "by_source": {"piaf": {"f1": piaf}, "news": {"f1": news}},
        "refused": {"news/written": {"share": written}, "news/negative": {"share": 0.5}, "piaf/negative": {"share": 0.5}},
    }


def test_the_table_shows_each_variant_against_the_full_mix() -> None:
    rows = [
        {"variant": "all", "label": "all sources", "train_examples": 1000, "dev": dev(0.6, 0.7, 0.5)},
        {"variant": "no-english", "label": "without the English sets", "train_examples": 400, "dev": dev(0.62, 0.65, 0.4)},
    ]
    text = table(rows)
    assert "| all sources | 1,000 | 0.600 | 0.700 | 50.0% |" in text
    assert "| without the English sets | 400 | 0.620 (+0.020) | 0.650 (-0.050) | 40.0% (-0.100) |" in text


def test_a_second_seed_is_a_row_of_its_own_measured_against_the_first() -> None:
    rows = [
        {"variant": "all", "label": "all sources", "train_examples": 1000, "dev": dev(0.6, 0.7, 0.5)},
        {"variant": "all", "label": "all sources, seed 7", "seed": 7, "train_examples": 1000, "dev": dev(0.61, 0.69, 0.5)},
    ]
    text = table(rows)
    assert "| all sources | 1,000 | 0.600 | 0.700 | 50.0% |" in text
    assert "| all sources, seed 7 | 1,000 | 0.610 (+0.010) | 0.690 (-0.010) |" in text
