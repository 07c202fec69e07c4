"""``python -m train.export``: the development split as ``qa eval`` question sets over article folders.

Writes, under ``build/eval/`` (default):

- ``piaf/articles/articles.jsonl``: the 115 PIAF training-part articles (the open setting retrieves over all
  of them); ``piaf/dev.jsonl``: the development questions of the 20 development articles;
- ``news/articles/articles.jsonl``: the development articles of the team's news set; ``news/dev.jsonl``: their
  questions, unanswerable ones included (the no-answer threshold is read off this set).

Question types are guessed from the interrogative words (PIAF does not label them).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from train.data import NEWS_DIR, PIAF_DIR, Article, Item, is_dev, load_news, load_piaf

_TYPES = [
    ("why", re.compile(r"\bpourquoi\b|\bpour quelles? raisons?\b|\bdans quel but\b", re.I)),
    (
        "how_many",
        re.compile(r"\bcombien\b|\bquel(?:le)?s? (?:est |sont )?(?:le |la )?(?:nombre|montant|somme|part|pourcentage|taux)\b", re.I),
    ),
    (
        "when",
        re.compile(r"\bquand\b|\ben quelle année\b|\bquelle (?:date|année|époque)\b|\bà quelle (?:date|époque)\b|\bquel siècle\b", re.I),
    ),
    ("where", re.compile(r"\boù\b|\bdans quel(?:le)? (?:ville|pays|région|lieu)\b", re.I)),
    ("how", re.compile(r"\bcomment\b|\bde quelle (?:manière|façon)\b", re.I)),
    ("who", re.compile(r"\bqui\b", re.I)),
]


def guess_type(question: str) -> str:
    return next((t for t, pattern in _TYPES if pattern.search(question)), "what")


def _write(folder: Path, name: str, articles: list[Article], items: list[Item], typed: bool) -> Path:
    (folder / "articles").mkdir(parents=True, exist_ok=True)
    with (folder / "articles" / "articles.jsonl").open("w", encoding="utf-8") as f:
        for a in articles:
            row = {"id": a.id, "title": a.title, "text": a.text} | ({"date": a.date} if a.date else {})
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    path = folder / name
    with path.open("w", encoding="utf-8") as f:
        for q in items:
            qtype = q.qtype if typed and q.qtype in {t for t, _ in _TYPES} | {"what"} else guess_type(q.question)
            answers = [q.answer] if q.answer is not None else []
            record: dict[str, object] = {
                "id": q.id,
                "question": q.question,
                "qtype": qtype,
                "answers": answers,
                "doc_ids": [q.doc_id] if answers else [],
            }
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.export", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("build/eval"))
    args = parser.parse_args(argv)
    piaf_articles, piaf_items = load_piaf(PIAF_DIR)
    dev = [q for q in piaf_items if is_dev(q.doc_id)]
    print(_write(args.out / "piaf", "dev.jsonl", list(piaf_articles.values()), dev, typed=False), f"{len(dev)} questions")
    if any(NEWS_DIR.glob("*.jsonl")):
        news_articles, news_items = load_news(NEWS_DIR)
        dev_docs = [a for a in news_articles.values() if is_dev(a.id)]
        dev = [q for q in news_items if is_dev(q.doc_id)]
        print(_write(args.out / "news", "dev.jsonl", dev_docs, dev, typed=True), f"{len(dev)} questions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
