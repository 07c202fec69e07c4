"""Turns at the writer: one holder at a time, the others served in the order they came, the line bounded.

A write (``POST`` / ``DELETE /documents``) that finds the writer busy (another write, a rebuild) takes its place
in line and waits; only when ``max_waiting`` writes already wait is it refused, with a
:class:`~index.errors.WriteUnavailable` that says when to try again. Unbounded callers (a rebuild job, the
start-up catch-up) always take a place: a rebuild already queued is not queued twice (``qa/jobs.py``)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from index.errors import WriteUnavailable

_FIRST_GUESS_S = 1.0  # the length of a turn before any was measured
_MAX_RETRY_AFTER_S = 3600


class Turns:
    """A first-come first-served lock with a bounded line. Thread-safe."""

    def __init__(self, max_waiting: int) -> None:
        if max_waiting < 0:
            raise ValueError(f"max_waiting must be at least 0, got {max_waiting}")
        self.max_waiting = max_waiting
        self._changed = threading.Condition()
        self._line: deque[object] = deque()
        self._busy = False
        self._turn_seconds = _FIRST_GUESS_S  # a moving average of the turns' lengths

    @property
    def waiting(self) -> int:
        """How many callers wait in line now."""
        with self._changed:
            return len(self._line)

    @contextmanager
    def turn(self, *, bounded: bool) -> Iterator[None]:
        """Wait for this caller's turn and hold it; ``bounded``: refuse (rather than wait) when the line is full."""
        me = object()
        with self._changed:
            if bounded and (self._busy or self._line) and len(self._line) >= self.max_waiting:
                raise WriteUnavailable(
                    f"{len(self._line)} write(s) already wait their turn behind the one under way (QA_WRITE_QUEUE="
                    f"{self.max_waiting}): retry later",
                    retry_after=self._retry_after(),
                )
            self._line.append(me)
            try:
                while self._busy or self._line[0] is not me:
                    self._changed.wait()
            except BaseException:
                self._line.remove(me)
                self._changed.notify_all()
                raise
            self._line.popleft()
            self._busy = True
        started = time.monotonic()
        try:
            yield
        finally:
            with self._changed:
                self._turn_seconds = 0.7 * self._turn_seconds + 0.3 * (time.monotonic() - started)
                self._busy = False
                self._changed.notify_all()

    def _retry_after(self) -> int:
        """Seconds until a place in line is likely free: the turn under way and the ones waiting, on average."""
        return max(1, min(_MAX_RETRY_AFTER_S, math.ceil(self._turn_seconds * (len(self._line) + 1))))
