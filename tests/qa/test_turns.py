"""The writer's line: one turn at a time, in arrival order, bounded for writes."""

from __future__ import annotations

import threading
import time

import pytest

from index.errors import WriteUnavailable
from qa.turns import Turns


def wait_until(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.005)


def test_turns_are_served_in_the_order_they_came() -> None:
    turns, order, release = Turns(max_waiting=8), [], threading.Event()

    def take(name: str, bounded: bool) -> None:
        with turns.turn(bounded=bounded):
            order.append(name)
            if name == "first":
                assert release.wait(timeout=10)

    first = threading.Thread(target=take, args=("first", True))
    first.start()
    wait_until(lambda: order == ["first"])
    threads = []
    for waiting, (name, bounded) in enumerate([("a", True), ("rebuild", False), ("b", True), ("c", True)], start=1):
        threads.append(threading.Thread(target=take, args=(name, bounded)))
        threads[-1].start()
        wait_until(lambda waiting=waiting: turns.waiting == waiting)  # type: ignore[misc]
    release.set()
    for thread in [first, *threads]:
        thread.join(timeout=10)
    assert order == ["first", "a", "rebuild", "b", "c"]
    assert turns.waiting == 0


def test_a_full_line_refuses_bounded_callers_only() -> None:
    turns, release, inside = Turns(max_waiting=1), threading.Event(), threading.Event()

    def hold() -> None:
        with turns.turn(bounded=True):
            inside.set()
            assert release.wait(timeout=10)

    def wait_in_line(bounded: bool) -> None:
        with turns.turn(bounded=bounded):
            pass

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(timeout=10)
    queued = threading.Thread(target=wait_in_line, args=(True,))
    queued.start()
    wait_until(lambda: turns.waiting == 1)
    with pytest.raises(WriteUnavailable, match="QA_WRITE_QUEUE=1") as refused, turns.turn(bounded=True):
        pass
    assert refused.value.retry_after is not None and refused.value.retry_after >= 1
    unbounded = threading.Thread(target=wait_in_line, args=(False,))  # a rebuild always takes a place
    unbounded.start()
    wait_until(lambda: turns.waiting == 2)
    release.set()
    for thread in (holder, queued, unbounded):
        thread.join(timeout=10)
    with turns.turn(bounded=True):  # free again, and no line: no refusal
        assert turns.waiting == 0


def test_no_line_at_all_refuses_a_write_only_while_one_runs() -> None:
    turns = Turns(max_waiting=0)
    with turns.turn(bounded=True), pytest.raises(WriteUnavailable), turns.turn(bounded=True):
        pass
    with turns.turn(bounded=True):
        pass
    with pytest.raises(ValueError, match="at least 0"):
        Turns(max_waiting=-1)
