"""A SYNTHETIC French news corpus for scale tests: real paragraphs recombined into fake articles.

Every generated article is made of paragraphs drawn (with a seeded generator) from real French texts
the project may use (PIAF's training articles, MIT; the team's news under ``data/train/news``), given a
new id (``synth-000123``), a made-up title (its first paragraph's opening words), a random date, and
the url ``synthetic://scale`` so that no one mistakes one for a real article. They are not news: the
facts of one paragraph have nothing to do with the next. They exist only to give the index a realistic
amount of French text to chunk, split, store and search.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from index.corpus import Article, jsonl_lines, load_articles

SYNTHETIC_URL = "synthetic://scale"
NOTE = (
    "SYNTHETIC corpus: real French paragraphs (PIAF training articles, MIT; data/train/news) recombined at random "
    "into fake articles with new ids (synth-*), titles and dates; url synthetic://scale. Not news, not facts."
)
_MIN_PARAGRAPH = 60
_FIRST_DAY = date(2015, 1, 1)
_DAYS = 11 * 365


@dataclass(frozen=True)
class SourcePool:
    """The paragraphs generated articles are made of, and where they came from."""

    paragraphs: tuple[str, ...]
    sources: tuple[str, ...]


def paragraphs_of(text: str) -> list[str]:
    """The blank-line separated paragraphs of ``text`` long enough to carry a sentence."""
    return [p.strip() for p in text.split("\n\n") if len(p.strip()) >= _MIN_PARAGRAPH]


def source_pool(piaf: Path, news: Path) -> SourcePool:
    """Paragraphs of PIAF's ``articles.jsonl`` and of every ``.jsonl`` under ``news`` (folders that are missing are skipped)."""
    texts: list[str] = []
    sources: list[str] = []
    if piaf.is_file():
        texts += [json.loads(line)["text"] for line in jsonl_lines(piaf.read_text(encoding="utf-8")) if line.strip()]
        sources.append(str(piaf))
    if news.is_dir():
        texts += [a.text for a in load_articles(news)]
        sources.append(str(news))
    paragraphs = tuple(dict.fromkeys(p for text in texts for p in paragraphs_of(text)))  # unique, in order
    if not paragraphs:
        raise ValueError(f"no paragraphs to recombine under {piaf} or {news}")
    return SourcePool(paragraphs, tuple(sources))


def generate(pool: SourcePool, count: int, *, seed: int = 0, target_chars: int = 3200) -> Iterator[tuple[Article, list[int]]]:
    """``count`` synthetic articles of about ``target_chars`` characters each (paragraphs are drawn until
    the article reaches a length drawn around it), each with the pool rows of its paragraphs in order
    (they are joined by a blank line)."""
    rng = np.random.default_rng(seed)
    lengths = np.fromiter((len(p) for p in pool.paragraphs), dtype=np.int64, count=len(pool.paragraphs))
    for number in range(count):
        goal = int(rng.uniform(0.5, 1.5) * target_chars)
        picked: list[int] = []
        size = 0
        while size < goal:
            row = int(rng.integers(len(pool.paragraphs)))
            picked.append(row)
            size += int(lengths[row]) + 2
        text = "\n\n".join(pool.paragraphs[row] for row in picked)
        day = _FIRST_DAY + timedelta(days=int(rng.integers(_DAYS)))
        title = " ".join(pool.paragraphs[picked[0]].split()[:8])
        yield Article(f"synth-{number:06d}", text, f"[synthétique] {title}", day.isoformat(), SYNTHETIC_URL), picked
