"""The SQuAD-format loader of the English training sets: offsets checked, known faults handled, unanswerable
questions on their own paragraph, a small sanity split by article."""

from __future__ import annotations

import json
import random
from pathlib import Path

from train.data import ENGLISH_GROUP, build, examples, load_squad, locate_answer

FIRST = "The bridge over the Loire was opened in 1894 by the city of Tours."
SECOND = "Its repair cost 12 million euros. The mayor, Claire Martin, opened it again in 2021."


def squad_file(path: Path, paragraphs: list[dict[str, object]], title: str = "Bridge") -> Path:
    path.write_text(json.dumps({"version": "x", "data": [{"title": title, "paragraphs": paragraphs}]}), encoding="utf-8")
    return path


def test_offsets_are_checked_and_the_known_faults_repaired(tmp_path: Path) -> None:
    path = squad_file(
        tmp_path / "set.json",
        [
            {
                "context": FIRST,
                "qas": [
                    {"id": "ok", "question": "When was it opened?", "answers": [{"text": "1894", "answer_start": FIRST.index("1894")}]},
                    # COVID-QA's fault: the text begins with a space, the offset points at it
                    {
                        "id": "space",
                        "question": "Who?",
                        "answers": [{"text": " the city of Tours. ", "answer_start": FIRST.index(" the city")}],
                    },
                    # the rebuilt SQuAD's fault: an offset at another place; the text is found again nearest to it
                    {"id": "moved", "question": "Which river?", "answers": [{"text": "Loire", "answer_start": 2}]},
                    # the first answer is not in the paragraph, the second one is
                    {
                        "id": "second",
                        "question": "Where?",
                        "answers": [{"text": "Paris", "answer_start": 0}, {"text": "Tours", "answer_start": 61}],
                    },
                    {"id": "lost", "question": "What?", "answers": [{"text": "nowhere to be found", "answer_start": 3}]},
                ],
            },
            {"context": SECOND, "qas": [{"id": "no", "question": "How long did the repair take?", "answers": [], "is_impossible": True}]},
        ],
    )
    articles, items, counts = load_squad(path, "squad")
    assert len(articles) == 1  # one title's paragraphs read as one article
    text = next(iter(articles.values())).text
    assert text == FIRST + "\n\n" + SECOND
    by_id = {i.id.split("/")[-1]: i for i in items}
    assert set(by_id) == {"ok", "space", "moved", "second", "no"}
    for item in items:
        if item.answer is not None:
            assert item.start is not None and text[item.start : item.start + len(item.answer)] == item.answer
    assert by_id["space"].answer == "the city of Tours."
    assert by_id["moved"].start == FIRST.index("Loire")
    assert by_id["second"].answer == "Tours"
    assert (counts.questions, counts.kept, counts.dropped) == (6, 5, 1)
    impossible = by_id["no"]
    assert impossible.answer is None and impossible.context is not None
    assert text[impossible.context[0] : impossible.context[1]] == SECOND


def test_an_unanswerable_question_reads_the_paragraph_it_was_written_against(tmp_path: Path) -> None:
    path = squad_file(
        tmp_path / "v2.json",
        [
            {
                "context": FIRST,
                "qas": [{"id": "a", "question": "When was the bridge opened?", "answers": [{"text": "1894", "answer_start": 40}]}],
            },
            {"context": SECOND, "qas": [{"id": "b", "question": "When was the bridge over the Loire opened by Tours?", "answers": []}]},
        ],
    )
    articles, items, _ = load_squad(path, "unanswerable", unanswerable_only=True)
    assert [i.id for i in items] == ["unanswerable/b"]  # v2.0's answerable questions repeat v1.1: left out
    [made] = examples(articles, items, "unanswerable", random.Random(0), negatives=0.0)
    # the paragraph sharing most words would be FIRST; the one the question was written against is SECOND
    assert made.answer is None and made.passage == SECOND


def test_long_collections_are_cut_into_articles_of_a_few_paragraphs(tmp_path: Path) -> None:
    paras = [
        {
            "context": f"Post {n}: the answer is {n}.",
            "qas": [{"id": f"q{n}", "question": "What?", "answers": [{"text": str(n), "answer_start": 21 + len(str(n))}]}],
        }
        for n in range(20)
    ]
    articles, items, counts = load_squad(squad_file(tmp_path / "reddit.json", paras, "Reddit"), "shifts")
    assert len(articles) == -(-20 // ENGLISH_GROUP)
    assert counts.kept == 20 and all(
        articles[i.doc_id].text[i.start : i.start + len(i.answer)] == i.answer for i in items if i.start is not None and i.answer
    )


def test_locate_answer_refuses_blank_and_missing_answers() -> None:
    assert locate_answer(FIRST, "   ", 0) is None
    assert locate_answer(FIRST, "Seine", 0) is None
    assert locate_answer(FIRST, "1894", FIRST.index("1894")) == (FIRST.index("1894"), "1894")


def test_english_sources_get_a_small_sanity_split_by_article(tmp_path: Path) -> None:
    folder = tmp_path / "english"
    folder.mkdir()
    data = [
        {
            "title": f"T{t}",
            "paragraphs": [
                {"context": FIRST, "qas": [{"id": f"{t}", "question": "When?", "answers": [{"text": "1894", "answer_start": 40}]}]}
            ],
        }
        for t in range(400)
    ]
    (folder / "dev-v1.1.rebuilt.json").write_text(json.dumps({"data": data}), encoding="utf-8")
    split = build(["squad"], english_dir=folder, negatives=0.0)
    share = split.counts["squad_dev_questions"] / 400
    assert 0.005 < share < 0.08  # about 3%, never PIAF's 18%
    again = build(["squad"], english_dir=folder, negatives=0.0)
    assert [e.id for e in again.dev] == [e.id for e in split.dev]
