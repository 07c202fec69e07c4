"""The request schema says what the service accepts, so a client generating requests from it is never refused."""

from __future__ import annotations

import itertools
import re

import pytest

from api.schemas import ISO_DATE
from index.errors import BadQuestion
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
