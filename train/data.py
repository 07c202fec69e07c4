"""Training examples for the span reader: PIAF v1.1's training part, the team's news set and English
SQuAD-format sets (answerable and unanswerable), split by article.

An :class:`Example` is a question over one passage (a paragraph) with the answer's character offsets in
that passage, or ``None`` when the passage does not answer it. Passages are paragraphs because the
reader reads retrieved passages, most of which do not hold the answer: every answerable question also
yields, with some probability, a paragraph of the same article that does not answer it.

The development split is fixed by a hash of the article id (never by question), for PIAF and the news
set alike: every choice is made on it. The English sets only keep a small sanity split (3% of their
articles): they are training data for a French reader, never what it is judged on.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.corpus import jsonl_lines

PIAF_DIR = Path("../shared/datasets/piaf-v1.1-train")
NEWS_DIR = Path("data/train/news")
ENGLISH_DIR = Path("../shared/datasets/english-qa")
DEV_SHARE = 18  # percent of articles in the development split
ENGLISH_DEV_SHARE = 3  # the English sets' sanity split
ENGLISH_GROUP = 8  # paragraphs of one SQuAD title (or one SQuADShifts collection) read as one article

# The English sources and their files (SQuAD JSON, see the folder's README). "unanswerable" takes only
# SQuAD v2.0's unanswerable questions: its answerable ones repeat v1.1.
ENGLISH_FILES: dict[str, tuple[str, ...]] = {
    "squad": ("dev-v1.1.rebuilt.json",),
    "shifts": ("new_wiki_v1.0.json", "reddit_v1.0.json", "amazon_reviews_v1.0.json"),
    "unanswerable": ("dev-v2.0.rebuilt.json",),
    "covid": ("200423_covidQA.json",),
}
SOURCES = ("piaf", "news", *ENGLISH_FILES)
# What each source's licence is (its README in ../shared/datasets/): weights trained on it carry these in their card.
LICENCES: dict[str, str] = {
    "piaf": "MIT (PIAF v1.1, etalab-ia)",
    "news": "the project's own (written for it)",
    "squad": "CC BY-SA 4.0 (SQuAD v1.1, Rajpurkar et al. 2016)",
    "shifts": "CC BY 4.0 (SQuADShifts, Miller et al. 2020)",
    "unanswerable": "CC BY-SA 4.0 (SQuAD v2.0, Rajpurkar et al. 2018)",
    "covid": "Apache-2.0 (COVID-QA, Möller et al. 2020, deepset)",
}


def card_licences(card: dict[str, Any]) -> dict[str, str]:
    """The licence of every source the weights of ``card`` were trained on, through the stages they were started from."""
    found: dict[str, str] = {}
    while card:
        for source in card.get("sources", []):
            found.setdefault(source, LICENCES.get(source, "unknown"))
        card = card.get("init_card") or {}
    return found


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
    context: tuple[int, int] | None = None  # the paragraph an unanswerable question was written against


def is_dev(doc_id: str, share: int = DEV_SHARE) -> bool:
    return int(hashlib.sha1(doc_id.encode("utf-8")).hexdigest(), 16) % 100 < share


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


def load_news(folder: Path = NEWS_DIR, pattern: str = "*.jsonl") -> tuple[dict[str, Article], list[Item]]:
    articles: dict[str, Article] = {}
    items: list[Item] = []
    for path in sorted(folder.glob(pattern)):
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


def locate_answer(context: str, text: str, start: int) -> tuple[int, str] | None:
    """The answer's offset and text in ``context``, checked: as given; else its stripped text nearest to the
    given offset (COVID-QA's answers that begin with a space, SQuAD's rebuilt first occurrences); else None."""
    stripped = text.strip()
    if not stripped:
        return None
    if context[start : start + len(text)] == text:
        lead = len(text) - len(text.lstrip())
        return start + lead, stripped
    found = [m.start() for m in re.finditer(re.escape(stripped), context)]
    if not found:
        return None
    return min(found, key=lambda at: abs(at - start)), stripped


@dataclass(frozen=True)
class SquadCounts:
    questions: int = 0
    kept: int = 0
    moved: int = 0  # an offset found again near the given one
    dropped: int = 0  # no answer text found in its paragraph


def load_squad(path: Path, source: str, *, unanswerable_only: bool = False) -> tuple[dict[str, Article], list[Item], SquadCounts]:
    """A SQuAD-format JSON file as articles and items. Each ``data`` entry's paragraphs are read in groups of
    :data:`ENGLISH_GROUP` joined by blank lines (a Wikipedia title's neighbouring paragraphs, or a few posts of
    a SQuADShifts collection): one article each, so an answerable question also yields non-answering
    paragraphs. The first answer whose offset checks out is kept; ``is_impossible`` questions keep their
    paragraph (``Item.context``)."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    articles: dict[str, Article] = {}
    items: list[Item] = []
    questions = kept = moved = dropped = 0
    for d, entry in enumerate(data):
        paragraphs_ = entry["paragraphs"]
        for g in range(0, len(paragraphs_), ENGLISH_GROUP):
            doc_id = f"{source}/{path.stem}/{d}/{g // ENGLISH_GROUP}"
            parts: list[str] = []
            at = 0
            for para in paragraphs_[g : g + ENGLISH_GROUP]:
                context = str(para["context"]).replace("\r", "")
                offset = at
                parts.append(context)
                at += len(context) + 2
                for qa in para["qas"]:
                    impossible = bool(qa.get("is_impossible")) or not qa.get("answers")
                    if unanswerable_only and not impossible:
                        continue
                    questions += 1
                    qid = f"{source}/{qa['id']}"
                    if impossible:
                        items.append(Item(qid, doc_id, str(qa["question"]), None, None, source, (offset, offset + len(context))))
                        kept += 1
                        continue
                    located = None
                    for answer in qa["answers"]:
                        located = locate_answer(context, str(answer["text"]), int(answer["answer_start"]))
                        if located is not None:
                            moved += located[0] != int(answer["answer_start"])
                            break
                    if located is None:
                        dropped += 1
                        continue
                    kept += 1
                    items.append(Item(qid, doc_id, str(qa["question"]), located[1], offset + located[0], source))
            articles[doc_id] = Article(doc_id, str(entry.get("title") or ""), "\n\n".join(parts))
    return articles, items, SquadCounts(questions, kept, moved, dropped)


def load_english(source: str, folder: Path = ENGLISH_DIR) -> tuple[dict[str, Article], list[Item], dict[str, int]]:
    """The articles and items of one English source (``ENGLISH_FILES``), with what the loader kept and dropped."""
    articles: dict[str, Article] = {}
    items: list[Item] = []
    counts: dict[str, int] = {}
    for name in ENGLISH_FILES[source]:
        a, i, c = load_squad(folder / name, source, unanswerable_only=source == "unanswerable")
        articles.update(a)
        items += i
        for key, value in vars(c).items():
            counts[f"{source}_{key}"] = counts.get(f"{source}_{key}", 0) + value
    return articles, items, counts


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
            a, b = item.context or max(paras, key=lambda p: _overlap(item.question, doc.text[p[0] : p[1]]))
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
    news_files: str = "*.jsonl",
    english_dir: Path = ENGLISH_DIR,
) -> Split:
    """The training and development examples of the named sources (:data:`SOURCES`); ``shares`` keeps a
    random part of a source's training examples (a sample of a large set, or a replay of an earlier stage's data).
    ``piaf_dir`` and ``news_files`` (a glob in ``news_dir``) choose a part of the French data (ablations)."""
    rng = random.Random(seed)
    train: list[Example] = []
    dev: list[Example] = []
    counts: dict[str, int] = {}
    for source in sources:
        share_of_dev = DEV_SHARE
        if source == "piaf":
            articles, items = load_piaf(piaf_dir)
        elif source == "news":
            articles, items = load_news(news_dir, news_files)
        elif source in ENGLISH_FILES:
            articles, items, loaded = load_english(source, english_dir)
            counts.update(loaded)
            share_of_dev = ENGLISH_DEV_SHARE
        else:
            raise ValueError(f"unknown training source {source!r} ({', '.join(SOURCES)})")
        tr = [i for i in items if not is_dev(i.doc_id, share_of_dev)]
        dv = [i for i in items if is_dev(i.doc_id, share_of_dev)]
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
