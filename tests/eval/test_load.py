"""The load test's answer check: which versions of a writer's article a request could have seen."""

from __future__ import annotations

from typing import Any

from eval.load import WRITER_PREFIX, Ledger, SeedTexts, _check_answer


def ledger_with(history: list[tuple[str | None, float, float]]) -> Ledger:
    ledger = Ledger()
    for text, started, acknowledged in history:
        version = ledger.begin(f"{WRITER_PREFIX}1", text)
        version.started, version.acknowledged = started, acknowledged
    return ledger


def test_a_request_sees_the_versions_alive_during_it() -> None:
    ledger = ledger_with([("un", 1, 2), ("deux", 5, 6), (None, 9, 10)])
    doc = f"{WRITER_PREFIX}1"
    assert ledger.texts_during(doc, 3, 4) == ["un"]
    assert ledger.texts_during(doc, 5.5, 5.6) == ["un", "deux"]  # the replace is under way: either
    assert ledger.texts_during(doc, 7, 8) == ["deux"]
    assert ledger.texts_during(doc, 9.5, 11) == ["deux"]  # the delete is under way
    assert ledger.texts_during(doc, 11, 12) == []  # deleted
    assert ledger.texts_during(f"{WRITER_PREFIX}2", 0, 100) == []


class NoServer:
    def get(self, path: str) -> Any:
        raise AssertionError(f"fetched {path}")


def test_answers_are_checked_against_what_the_request_could_see() -> None:
    ledger = ledger_with([("Paris est grand.", 1, 2), ("Lyon est grand.", 5, 6)])
    seeds = SeedTexts(set())
    answer = {"doc_id": f"{WRITER_PREFIX}1", "start": 0, "end": 5, "text": "Paris"}
    assert _check_answer(answer, 3, 4, NoServer(), seeds, ledger) is None
    assert "not load/w1[0:5]" in str(_check_answer(answer, 7, 8, NoServer(), seeds, ledger))
    assert "nobody wrote" in str(_check_answer({**answer, "doc_id": "ailleurs"}, 3, 4, NoServer(), seeds, ledger))
