"""The request schema says what the service accepts, so a client generating requests from it is never refused."""

from __future__ import annotations

import itertools
import re

import jsonschema_rs
import pytest

from api.schemas import ISO_DATE, AskRequest
from index.errors import BadQuestion
from qa.pipeline import validate_question
from qa.retrieval import check_date

YEARS = ["0000", "0001", "0004", "0100", "0400", "1900", "2000", "2023", "2024", "2100", "9999"]
PARTS = [f"{n:02d}" for n in range(34)]


def accepted(value: str) -> bool:
    try:
        check_date(value, "date")
    except BadQuestion:
        return False
    return True


def test_the_date_pattern_is_what_check_date_accepts() -> None:
    pattern = re.compile(ISO_DATE)
    values = YEARS + [f"{y}-{m}" for y, m in itertools.product(YEARS, PARTS)]
    values += [f"{y}-{m}-{d}" for y, m, d in itertools.product(YEARS, PARTS[:14], PARTS)]
    values += ["2024-2", "2024-02-1", "20240", "2024-02-29T00", " 2024", "hier", ""]
    disagree = [v for v in values if bool(pattern.search(v)) != accepted(v)]
    assert not disagree
    assert sum(map(accepted, values)) > 3000  # the grid holds real dates, not only refusals


@pytest.mark.parametrize(("value", "real"), [("2024-02-29", True), ("2023-02-29", False), ("2000-02-29", True), ("1900-02-29", False)])
def test_leap_days(value: str, real: bool) -> None:
    assert bool(re.search(ISO_DATE, value)) is real is accepted(value)


def question_accepted(value: str) -> bool:
    try:
        validate_question(value)
    except BadQuestion:
        return False
    return True


def test_the_question_pattern_is_what_the_validator_accepts() -> None:
    """Issue 21, item 10: a question of blank characters only is refused ("the question is empty"), so the schema
    must refuse it too, whatever engine reads the pattern: the validating one of JSON Schema tools here (Rust's
    regex, whose Unicode ``\\s`` leaves out U+001C-U+001F and U+0085) and Python's with ``re.ASCII`` (the one
    schemathesis draws requests with; its ``\\s`` is ASCII only). One-character questions over every code point
    decide it."""
    question = AskRequest.model_json_schema()["properties"]["question"]
    validator = jsonschema_rs.validator_for({k: v for k, v in question.items() if k in ("type", "pattern", "minLength", "maxLength")})
    ascii_reading = re.compile(question["pattern"], re.ASCII)
    for code in range(0x110000):
        if 0xD800 <= code < 0xE000:
            continue  # surrogates: no JSON text holds one alone
        char = chr(code)
        accepted = question_accepted(char)
        assert validator.is_valid(char) is accepted, f"U+{code:04X}: schema-valid {validator.is_valid(char)}, accepted {accepted}"
        assert bool(ascii_reading.search(char)) is accepted, f"U+{code:04X} (re.ASCII)"
    assert validator.is_valid(" \u3000Qui ?\x85") and not validator.is_valid("\x1c\u2028 \t")
