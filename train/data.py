"""Training examples for the span reader: PIAF's training part and the team's news set, split by article.

An :class:`Example` is a question over one passage (a paragraph) with the answer's character offsets in
that passage, or ``None`` when the passage does not answer it. Passages are paragraphs because the
reader reads retrieved passages, most of which do not hold the answer: every answerable question also
yields, with some probability, a paragraph of the same article that does not answer it.

The development split is fixed by a hash of the article id (never by question), for PIAF and the news
set alike: every choice is made on it.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from index.corpus import jsonl_lines

PIAF_DIR = Path("../shared/datasets/piaf-train")
NEWS_DIR = Path("data/train/news")
DEV_SHARE = 18  # percent of articles in the development split


@dataclass(frozen=True)
class Example:
    id: str
    question: str
    passage: str
    start: int | None  # character offset of the answer in the passage, None: the passage does not answer
    answer: str | None
    source: str  # "piaf" or "news"
    qtype: str = ""

    def __post_init__(self) -> None:
        if (self.start is None) != (self.answer is None):
            raise ValueError(f"{self.id}: start and answer are both set or both None")
        if self.start is not None and self.answer is not None and self.passage[self.start : self.start + len(self.answer)] != self.answer:
            raise ValueError(f"{self.id}: the answer is not at its offset")


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str
    date: str | None = None


@dataclass(frozen=True)
class Item:
    """A question on an article, with the answer's offset in the article (None: unanswerable)."""

    id: str
    doc_id: str
    question: str
    answer: str | None
    start: int | None
    qtype: str


def is_dev(doc_id: str) -> bool:
    return int(hashlib.sha1(doc_id.encode("utf-8")).hexdigest(), 16) % 100 < DEV_SHARE


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-empty paragraph (blank-line separated)."""
    out = []
    for m in re.finditer(r"[^\n](?:.|\n(?!\s*\n))*", text):
        a, b = m.start(), m.end()
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
    return out


def read_jsonl(path: Path) -> Iterator[dict[str, object]]:
    for line in jsonl_lines(path.read_text(encoding="utf-8")):
        if line.strip():
            yield json.loads(line)


def load_piaf(folder: Path = PIAF_DIR) -> tuple[dict[str, Article], list[Item]]:
    articles = {
        str(a["id"]): Article(str(a["id"]), str(a.get("title") or ""), str(a["text"])) for a in read_jsonl(folder / "articles.jsonl")
    }
    items = []
    for q in read_jsonl(folder / "questions.jsonl"):
        answers = q["answers"]
        docs = q["docs"]
        assert isinstance(answers, list) and isinstance(docs, list)
        items.append(Item(str(q["id"]), str(docs[0]), str(q["question"]), str(answers[0]), int(str(q["start"])), "piaf"))
    return articles, items


def load_news(folder: Path = NEWS_DIR) -> tuple[dict[str, Article], list[Item]]:
    articles: dict[str, Article] = {}
    items: list[Item] = []
    for path in sorted(folder.glob("*.jsonl")):
        for row in read_jsonl(path):
            doc = Article(str(row["id"]), str(row["title"]), str(row["text"]), str(row.get("date") or "") or None)
            articles[doc.id] = doc
            questions = row["questions"]
            assert isinstance(questions, list)
            for q in questions:
                answer, start = q.get("answer"), q.get("start")
                items.append(
                    Item(
                        str(q["id"]),
                        doc.id,
                        str(q["question"]),
                        None if answer is None else str(answer),
                        None if start is None else int(start),
                        str(q["type"]),
                    )
                )
    return articles, items


_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


def _overlap(question: str, passage: str) -> int:
    q = {w.lower() for w in _WORD.findall(question)}
    return len(q & {w.lower() for w in _WORD.findall(passage)})


def examples(articles: dict[str, Article], items: Iterable[Item], source: str, rng: random.Random, negatives: float) -> list[Example]:
    """One example per answerable question (its paragraph), one per unanswerable question (the paragraph
    sharing most words with it), and with probability ``negatives`` a paragraph that does not answer."""
    out: list[Example] = []
    cache: dict[str, list[tuple[int, int]]] = {}
    for item in items:
        doc = articles[item.doc_id]
        paras = cache.setdefault(doc.id, paragraphs(doc.text))
        if item.start is None or item.answer is None:
            a, b = max(paras, key=lambda p: _overlap(item.question, doc.text[p[0] : p[1]]))
            out.append(Example(item.id, item.question, doc.text[a:b], None, None, source, item.qtype))
            continue
        end = item.start + len(item.answer)
        holding = [p for p in paras if p[0] <= item.start and end <= p[1]]
        if holding:
            a, b = holding[0]
        else:  # an answer across a paragraph break: the whole article
            a, b = 0, len(doc.text)
        out.append(Example(item.id, item.question, doc.text[a:b], item.start - a, item.answer, source, item.qtype))
        others = [p for p in paras if p[1] <= item.start or p[0] >= end]
        if others and rng.random() < negatives:
            a, b = rng.choice(others)
            out.append(Example(f"{item.id}~neg", item.question, doc.text[a:b], None, None, source, item.qtype))
    return out


@dataclass(frozen=True)
class Split:
    train: list[Example]
    dev: list[Example]
    counts: dict[str, int]


def build(
    sources: Iterable[str],
    *,
    seed: int = 13,
    negatives: float = 0.3,
    shares: dict[str, float] | None = None,
    piaf_dir: Path = PIAF_DIR,
    news_dir: Path = NEWS_DIR,
) -> Split:
    """The training and development examples of the named sources ("piaf", "news"); ``shares`` keeps a
    random part of a source's training examples (a replay of an earlier stage's data)."""
    rng = random.Random(seed)
    train: list[Example] = []
    dev: list[Example] = []
    counts: dict[str, int] = {}
    for source in sources:
        if source == "piaf":
            articles, items = load_piaf(piaf_dir)
        elif source == "news":
            articles, items = load_news(news_dir)
        else:
            raise ValueError(f"unknown training source {source!r} (piaf, news)")
        tr = [i for i in items if not is_dev(i.doc_id)]
        dv = [i for i in items if is_dev(i.doc_id)]
        made = examples(articles, tr, source, rng, negatives)
        share = (shares or {}).get(source, 1.0)
        if share < 1.0:
            made = rng.sample(made, round(share * len(made)))
        train += made
        dev += examples(articles, dv, source, random.Random(seed), negatives)
        counts[f"{source}_articles"] = len(articles)
        counts[f"{source}_train_questions"] = len(tr)
        counts[f"{source}_train_examples"] = len(made)
        counts[f"{source}_dev_questions"] = len(dv)
        counts[f"{source}_dev_articles"] = len({i.doc_id for i in dv})
    counts["train_examples"], counts["dev_examples"] = len(train), len(dev)
    return Split(train, dev, counts)


def files_digest(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for p in sorted(paths):
        digest.update(p.name.encode())
        digest.update(p.read_bytes())
    return digest.hexdigest()[:16]
