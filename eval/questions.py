"""The question-set format: one JSON object a line with ``id``, ``question``, ``qtype``,
``answers`` (verbatim short answers; empty when the articles do not say) and ``doc_ids``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from index.corpus import jsonl_lines

QTYPES = ("who", "what", "when", "where", "how_many", "why", "how")


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    qtype: str
    answers: tuple[str, ...]
    doc_ids: tuple[str, ...]

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def load_questions(path: Path) -> list[Question]:
    """Read and check a question file; raises ``ValueError`` naming the line."""
    questions: list[Question] = []
    seen: set[str] = set()
    for number, line in enumerate(jsonl_lines(path.read_text(encoding="utf-8")), start=1):
        if not line.strip():
            continue
        where = f"{path}: line {number}"
        try:
            raw = json.loads(line)
            q = Question(raw["id"], raw["question"], raw["qtype"], tuple(raw["answers"]), tuple(raw["doc_ids"]))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{where}: bad question record ({exc})") from None
        if q.qtype not in QTYPES:
            raise ValueError(f"{where}: qtype must be one of {QTYPES}, got {q.qtype!r}")
        if q.id in seen:
            raise ValueError(f"{where}: duplicate id {q.id!r}")
        if bool(q.answers) != bool(q.doc_ids):
            raise ValueError(f"{where}: answers and doc_ids must be both empty or both given")
        seen.add(q.id)
        questions.append(q)
    return questions
