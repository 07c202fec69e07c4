"""Limits of the HTTP edge: the request body size, and how much ``/ask`` work runs and waits at once.

``BodyLimit`` counts the body as it streams in (a ``Content-Length`` over the limit is refused
before reading anything; a chunked or lying body is cut off at the limit). The write endpoints
(``/documents``, batches of whole articles) get a larger limit of their own.

``AskGate`` runs questions on its own pool of ``max_running`` threads. At most ``max_waiting`` more
may wait for a thread; the next one is refused at once (:class:`Busy`, a 503 with ``Retry-After``)
instead of queueing without end. Each question has a time budget, waiting included: a question
still waiting when it runs out is dropped without being answered; one already running cannot be
stopped (Python threads cannot be killed), so it finishes on its thread, its answer is discarded,
and its thread stays counted as busy until then, so slow questions cannot pile up threads."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from index.errors import QAError

T = TypeVar("T")


class Busy(QAError):
    """The service cannot take this question now; try again after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when the body passes the limit. An ``HTTPException`` so that FastAPI's
    body reader lets it through as it is (it turns other errors into a 400)."""

    def __init__(self, limit: Limit) -> None:
        super().__init__(413, f"the request body is larger than the limit of {limit.max_bytes} bytes ({limit.setting})")


@dataclass(frozen=True)
class Limit:
    max_bytes: int
    setting: str  # the setting that changes it, named in the 413


class BodyLimit:
    """Refuses request bodies over ``default`` (or over the limit of the first of ``by_path`` whose
    path prefix the request's path starts with) with a JSON 413 naming the limit."""

    def __init__(self, app: ASGIApp, default: Limit, by_path: dict[str, Limit] | None = None) -> None:
        self.app = app
        self.default = default
        self.by_path = by_path or {}

    def limit_for(self, path: str) -> Limit:
        return next((limit for prefix, limit in self.by_path.items() if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit.max_bytes:
            await self._refuse(limit, scope, receive, send)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit.max_bytes:
                    raise BodyTooLarge(limit)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:  # read outside FastAPI's body reader (or its handler did not run)
            if started:
                raise
            await self._refuse(limit, scope, receive, send)

    async def _refuse(self, limit: Limit, scope: Scope, receive: Receive, send: Send) -> None:
        detail = BodyTooLarge(limit).detail
        request_id = str(scope.get("state", {}).get("request_id", ""))
        # Connection: close, as the rest of the body is never read.
        response = JSONResponse(status_code=413, content={"detail": detail, "request_id": request_id}, headers={"Connection": "close"})
        await response(scope, receive, send)


class AskGate:
    """Runs at most ``max_running`` calls at once on its own threads, lets ``max_waiting`` more wait,
    and refuses the rest; each call has ``timeout_s`` from admission to its result."""

    def __init__(self, max_running: int, max_waiting: int, timeout_s: float, retry_after: int) -> None:
        self.max_running, self.max_waiting = max_running, max_waiting
        self.timeout_s, self.retry_after = timeout_s, retry_after
        self._pool = ThreadPoolExecutor(max_workers=max_running, thread_name_prefix="ask")
        self._lock = threading.Lock()
        self._admitted = 0  # running or waiting; released when the work ends on its thread (or is dropped unstarted)

    @property
    def admitted(self) -> int:
        with self._lock:
            return self._admitted

    async def run(self, work: Callable[[], T]) -> T:
        """``work()`` on a worker thread; raises :class:`Busy` when saturated or over the time budget."""
        with self._lock:
            if self._admitted >= self.max_running + self.max_waiting:
                raise Busy(
                    f"the service is answering {self.max_running} questions and {self.max_waiting} more are waiting: "
                    f"retry in {self.retry_after} s",
                    self.retry_after,
                )
            self._admitted += 1
        try:
            future: Future[T] = self._pool.submit(work)
        except RuntimeError:  # the pool is shut down: the app is stopping
            self._release()
            raise Busy("the service is shutting down", self.retry_after) from None
        future.add_done_callback(lambda _: self._release())
        try:
            # Cancelling the wrapper on timeout cancels the future: a question still waiting never runs.
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout_s)
        except TimeoutError:
            raise Busy(
                f"no answer within the time budget of {self.timeout_s:g} s (QA_ASK_TIMEOUT_S): the service is busy; retry later",
                self.retry_after,
            ) from None

    def _release(self) -> None:
        with self._lock:
            self._admitted -= 1

    def close(self) -> None:
        """Drop the waiting work and let the running work finish on its own."""
        self._pool.shutdown(wait=False, cancel_futures=True)
