"""The committed question sets are well formed and every answer is verbatim in a gold article."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.questions import load_questions
from index.corpus import load_articles

ROOT = Path(__file__).resolve().parents[2]
SETS = [
    (ROOT / "eval" / "questions_fr.jsonl", ROOT / "data" / "articles", 80, 12, 8),
    (ROOT / "eval" / "heldout" / "questions_fr.jsonl", ROOT / "eval" / "heldout" / "articles", 30, 5, 3),
]


@pytest.mark.parametrize(("questions_file", "articles_dir", "min_questions", "min_unanswerable", "min_multi_doc"), SETS)
def test_question_set(questions_file: Path, articles_dir: Path, min_questions: int, min_unanswerable: int, min_multi_doc: int) -> None:
    questions = load_questions(questions_file)
    texts = {a.doc_id: a.text for a in load_articles(articles_dir)}
    assert len(questions) >= min_questions
    assert sum(not q.answerable for q in questions) >= min_unanswerable
    assert sum(len(q.doc_ids) >= 2 for q in questions) >= min_multi_doc
    assert {q.qtype for q in questions if q.answerable} == {"who", "what", "when", "where", "how_many", "why", "how"}
    for q in questions:
        assert set(q.doc_ids) <= texts.keys(), q.id
        for answer in q.answers:
            assert any(answer in texts[d] for d in q.doc_ids), f"{q.id}: {answer!r} is not verbatim in {q.doc_ids}"
