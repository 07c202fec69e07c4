"""Alternatives are other answers: never a piece of the answer or of another alternative, never the same
answer spelt another way."""

from __future__ import annotations

from qa.readers import answer_key, distinct_alternatives, overlaps

TEXT = "Le groupe veut réduire à la fois les coûts et l’empreinte carbone, selon Anne Roy, et vise 2030."


def place(piece: str, doc: str = "a") -> tuple[str, int, int]:
    start = TEXT.index(piece)
    return (doc, start, start + len(piece))


def test_pieces_of_the_answer_and_folded_twins_are_not_alternatives() -> None:
    answer = place("réduire à la fois les coûts et l’empreinte carbone")
    candidates = [
        place("la fois les coûts et l’empreinte carbone"),  # inside the answer (the page's complaint)
        place("à la fois les coûts et l’empreinte carbone"),
        ("b", 0, 10),  # another article, same words once folded
        place("Anne Roy"),
        place("Anne"),  # inside the alternative just taken
        place("2030"),
    ]
    keys = [
        answer_key(TEXT[candidates[0][1] : candidates[0][2]]),
        answer_key(TEXT[candidates[1][1] : candidates[1][2]]),
        answer_key("Réduire, à la fois, LES couts et l'empreinte carbone"),
        "anne roy",
        "anne",
        "2030",
    ]
    assert keys[2] == answer_key(TEXT[answer[1] : answer[2]])
    chosen = distinct_alternatives(answer, answer_key(TEXT[answer[1] : answer[2]]), candidates, keys)
    assert chosen == [3, 5]


def test_at_most_limit_and_no_empty_key() -> None:
    candidates = [("a", i * 10, i * 10 + 5) for i in range(6)]
    keys = ["", "x1", "x2", "x2", "x3", "x4"]
    assert distinct_alternatives(("a", 100, 110), "answer", candidates, keys, limit=2) == [1, 2]


def test_overlap_is_within_one_article() -> None:
    assert overlaps(("a", 0, 5), ("a", 4, 9)) and not overlaps(("a", 0, 5), ("a", 5, 9)) and not overlaps(("a", 0, 5), ("b", 0, 5))
