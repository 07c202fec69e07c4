"""Check the team-written French news training set (``data/train/news/*.jsonl``), row by row.

One line per article::

    {"id": "nw_a01", "title": str, "date": "YYYY-MM-DD", "text": str,
     "questions": [{"id": "nw_a01_q01", "question": str, "answer": str | null, "start": int | null,
                    "type": "who" | "what" | "when" | "where" | "how_many" | "why" | "how"}]}

``answer`` is a verbatim span: ``text[start:start + len(answer)] == answer``; an unanswerable question
(plausible, but the article does not say) has ``answer`` and ``start`` null. ``python -m train.validate``
prints one line per problem and exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from index.corpus import jsonl_lines

NEWS_DIR = Path("data/train/news")
TYPES = ("who", "what", "when", "where", "how_many", "why", "how")
MIN_UNANSWERABLE = 0.20
MAX_ANSWER_WORDS = 30

# Common French function words: a French sentence of a few words has at least one.
_FRENCH = frozenset(
    [
        "le",
        "la",
        "les",
        "un",
        "une",
        "des",
        "du",
        "de",
        "d",
        "l",
        "à",
        "au",
        "aux",
        "en",
        "et",
        "est",
        "sont",
        "a",
        "ont",
        "qui",
        "que",
        "quoi",
        "quel",
        "quelle",
        "quels",
        "quelles",
        "combien",
        "quand",
        "où",
        "pourquoi",
        "comment",
        "dans",
        "par",
        "pour",
        "sur",
        "avec",
        "ce",
        "cette",
        "ses",
        "son",
        "sa",
        "leur",
        "il",
        "elle",
        "ils",
        "elles",
        "on",
        "se",
        "s",
        "n",
        "ne",
        "pas",
        "plus",
    ]
)
_ENGLISH = frozenset(
    ["the", "of", "and", "is", "are", "was", "which", "what", "who", "when", "where", "why", "how", "with", "from", "this", "that"]
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Words that announce a kind of answer, to catch a question filed under the wrong type.
_TYPE_CUES = {
    "how_many": re.compile(r"\bcombien\b|\bquel(?:le)?s? (?:montant|nombre|somme|part|pourcentage|prix|coût|taux|budget|effectif)\b", re.I),
    "when": re.compile(r"\bquand\b|\ben quelle année\b|\bquelle (?:date|année)\b|\bà quelle date\b|\bdepuis quand\b", re.I),
    "where": re.compile(r"\boù\b|\bd['’]où\b|\bdans quelle ville\b|\bdans quel pays\b", re.I),
    "why": re.compile(r"\bpourquoi\b|\bpour quelles? raisons?\b", re.I),
}


@dataclass(frozen=True)
class Problem:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(unicodedata.normalize("NFC", text))]


def is_french(text: str) -> bool:
    ws = words(text)
    if not ws:
        return False
    french = sum(w in _FRENCH for w in ws)
    english = sum(w in _ENGLISH for w in ws)
    return french >= 1 and french > english


def question_key(text: str) -> str:
    return " ".join(words(text))


_TOKEN = re.compile(r"\w+", re.UNICODE)


def _restates(answer: str, question: str) -> bool:
    """The answer's words, digits included, stand in the question in the same order."""
    a = " ".join(_TOKEN.findall(answer.lower()))
    return bool(a) and f" {a} " in f" {' '.join(_TOKEN.findall(question.lower()))} "


def read_rows(paths: Iterable[Path]) -> Iterator[tuple[str, object]]:
    for path in paths:
        for n, line in enumerate(jsonl_lines(path.read_text(encoding="utf-8")), start=1):
            if not line.strip():
                continue
            where = f"{path.name}:{n}"
            try:
                yield where, json.loads(line)
            except json.JSONDecodeError as exc:
                yield where, exc


def _check_question(where: str, text: str, q: object, seen_ids: set[str], seen_questions: Counter[str]) -> list[Problem]:
    if not isinstance(q, dict):
        return [Problem(where, "a question is not an object")]
    problems = []
    qid, question, answer, start, qtype = (q.get(k) for k in ("id", "question", "answer", "start", "type"))
    where = f"{where} {qid}"
    if not isinstance(qid, str) or not qid:
        problems.append(Problem(where, "question id missing"))
    elif qid in seen_ids:
        problems.append(Problem(where, "duplicate question id"))
    else:
        seen_ids.add(qid)
    if not isinstance(question, str) or len(question.strip()) < 8:
        return [*problems, Problem(where, "question missing or too short")]
    if question != question.strip() or not question.endswith("?"):
        problems.append(Problem(where, "a question is stripped and ends with '?'"))
    if not is_french(question):
        problems.append(Problem(where, f"not French: {question!r}"))
    key = question_key(question)
    seen_questions[key] += 1
    if seen_questions[key] > 1:
        problems.append(Problem(where, f"duplicate question: {question!r}"))
    if qtype not in TYPES:
        problems.append(Problem(where, f"type {qtype!r} is not one of {', '.join(TYPES)}"))
    else:
        for other, cue in _TYPE_CUES.items():
            if other != qtype and cue.search(question) and not (_TYPE_CUES.get(str(qtype)) or re.compile("$^")).search(question):
                problems.append(Problem(where, f"type {qtype} but the question reads as {other}: {question!r}"))
                break
    if (answer is None) != (start is None):
        problems.append(Problem(where, "answer and start are both null (unanswerable) or both set"))
    elif answer is not None:
        if not isinstance(answer, str) or not answer.strip() or answer != answer.strip():
            problems.append(Problem(where, "the answer is a non-empty stripped string"))
        elif not isinstance(start, int) or isinstance(start, bool) or start < 0:
            problems.append(Problem(where, "start is a non-negative integer"))
        elif text[start : start + len(answer)] != answer:
            found = text.find(answer)
            hint = f" (it occurs at {found})" if found >= 0 else " (not in the text)"
            problems.append(Problem(where, f"answer {answer!r} is not at {start}{hint}"))
        elif len(answer.split()) > MAX_ANSWER_WORDS:
            problems.append(Problem(where, f"answer longer than {MAX_ANSWER_WORDS} words"))
        elif _restates(answer, question):
            problems.append(Problem(where, "the answer is contained in the question"))
    return problems


def validate(paths: list[Path], forbidden_texts: Iterable[str] = ()) -> tuple[list[Problem], Counter[str]]:
    """Every problem of the files, and counts (articles, questions, unanswerable, per type)."""
    problems: list[Problem] = []
    counts: Counter[str] = Counter()
    seen_docs: set[str] = set()
    seen_ids: set[str] = set()
    seen_questions: Counter[str] = Counter()
    forbidden = {" ".join(words(t)[i : i + 12]) for t in forbidden_texts for i in range(0, max(1, len(words(t)) - 11), 6)}
    for where, row in read_rows(paths):
        if isinstance(row, json.JSONDecodeError):
            problems.append(Problem(where, f"bad JSON: {row}"))
            continue
        if not isinstance(row, dict):
            problems.append(Problem(where, "a line is one JSON object"))
            continue
        doc_id, text, title, date, questions = (row.get(k) for k in ("id", "text", "title", "date", "questions"))
        if not isinstance(doc_id, str) or not re.fullmatch(r"[a-z0-9_]+", doc_id or ""):
            problems.append(Problem(where, f"article id {doc_id!r} is lowercase letters, digits and _"))
            continue
        where = f"{where} {doc_id}"
        if doc_id in seen_docs:
            problems.append(Problem(where, "duplicate article id"))
        seen_docs.add(doc_id)
        if not isinstance(text, str) or len(text) < 600:
            problems.append(Problem(where, "text missing or shorter than 600 characters"))
            continue
        if text != unicodedata.normalize("NFC", text):
            problems.append(Problem(where, "text is not NFC"))
        if not is_french(text):
            problems.append(Problem(where, "text is not French"))
        if not isinstance(title, str) or not title.strip():
            problems.append(Problem(where, "title missing"))
        if not isinstance(date, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            problems.append(Problem(where, "date is YYYY-MM-DD"))
        ws = words(text)
        if forbidden and any(" ".join(ws[i : i + 12]) in forbidden for i in range(0, max(1, len(ws) - 11))):
            problems.append(Problem(where, "text copies an evaluation article"))
        if not isinstance(questions, list) or len(questions) < 5:
            problems.append(Problem(where, "at least 5 questions per article"))
            continue
        counts["articles"] += 1
        for q in questions:
            found = _check_question(where, text, q, seen_ids, seen_questions)
            problems.extend(found)
            if not found and isinstance(q, dict):
                counts["questions"] += 1
                counts[f"type:{q['type']}"] += 1
                counts["unanswerable"] += q["answer"] is None
    if counts["questions"] and counts["unanswerable"] / counts["questions"] < MIN_UNANSWERABLE:
        problems.append(Problem("set", f"{counts['unanswerable']} of {counts['questions']} unanswerable, under {MIN_UNANSWERABLE:.0%}"))
    return problems, counts


def evaluation_texts(root: Path) -> list[str]:
    """The seed and held-out articles, which the training set must not copy."""
    paths = [*sorted((root / "data/articles").glob("*")), *sorted((root / "eval/heldout/articles").glob("*"))]
    return [p.read_text(encoding="utf-8") for p in paths if p.is_file()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.validate", description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help=f"files to check (default: {NEWS_DIR}/*.jsonl)")
    args = parser.parse_args(argv)
    paths = args.paths or sorted(NEWS_DIR.glob("*.jsonl"))
    if not paths:
        print(f"no files to check in {NEWS_DIR}", file=sys.stderr)
        return 1
    problems, counts = validate(paths, evaluation_texts(Path()))
    for p in problems:
        print(p)
    types = " ".join(f"{t}={counts[f'type:{t}']}" for t in TYPES)
    print(
        f"{len(paths)} files, {counts['articles']} articles, {counts['questions']} valid questions "
        f"({counts['unanswerable']} unanswerable), {types}; {len(problems)} problems",
        file=sys.stderr,
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
