"""The edge's limits and visibility, with the fake embedder: body size, saturation, time budget, the
access log line and /health's view of the articles folder.

Concurrency is made deterministic with a pipeline whose ``ask`` blocks on an event for one question:
no test waits for time to pass, except the time budget, which always runs out (nothing is released
before it has)."""

from __future__ import annotations

import asyncio
import logging
import shutil
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.limits import AskGate
from index.store import Index
from qa.pipeline import Pipeline
from qa.readers.evidence.reader import ReaderConfig, SentenceReader
from qa.settings import Settings
from qa.types import Result
from tests.conftest import FakeEmbedder

THRESHOLD = 0.001  # see tests/api/test_api.py
BLOCKING = "Question qui bloque ?"


class BlockingPipeline(Pipeline):
    """Blocks every ask of :data:`BLOCKING` until ``release`` is set; counts the asks that started."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.release = threading.Event()
        self.started = threading.Semaphore(0)  # one release per blocking ask that began
        self.finished = threading.Semaphore(0)
        self.blocking_asks = 0

    def ask(self, question: str, **kwargs: Any) -> Result:  # type: ignore[override]
        if question == BLOCKING:
            self.blocking_asks += 1
            self.started.release()
            assert self.release.wait(timeout=30), "the test never released the pipeline"
            try:
                return super().ask(question, **kwargs)
            finally:
                self.finished.release()
        return super().ask(question, **kwargs)


@pytest.fixture
def blocking(built_index: Index, fake_embedder: FakeEmbedder) -> BlockingPipeline:
    return BlockingPipeline(
        built_index, fake_embedder, SentenceReader(built_index, fake_embedder, ReaderConfig(no_answer_threshold=THRESHOLD))
    )


def settings_for(articles_dir: Path, **limits: Any) -> Settings:
    return Settings(articles_dir=articles_dir, **limits)


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan run, and an async client on it (requests really run concurrently)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def until(condition: Callable[[], bool]) -> None:
    """Let the other tasks and threads run until ``condition()`` holds (a state, not a duration: the
    bound only turns a hang into a failure)."""
    for _ in range(3000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never held")


async def acquire(semaphore: threading.Semaphore) -> None:
    assert await asyncio.to_thread(semaphore.acquire, True, 30)


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(test())  # type: ignore[arg-type]


# --- body size ---------------------------------------------------------------------------------


@pytest.fixture
def small_body_client(built_index: Index, fake_embedder: FakeEmbedder, articles_dir: Path) -> Iterator[TestClient]:
    pipeline = Pipeline(built_index, fake_embedder, SentenceReader(built_index, fake_embedder, ReaderConfig(no_answer_threshold=THRESHOLD)))
    with TestClient(create_app(settings_for(articles_dir, max_body_bytes=1024), pipeline=pipeline)) as client:
        yield client


def test_a_body_over_the_declared_limit_is_413_naming_the_limit(small_body_client: TestClient) -> None:
    response = small_body_client.post("/ask", json={"question": "Qui ? " + "x" * 2000}, headers={"X-Request-ID": "big-1"})
    assert response.status_code == 413
    body = response.json()
    assert "1024 bytes" in body["detail"] and "QA_MAX_BODY_BYTES" in body["detail"]
    assert body["request_id"] == "big-1" == response.headers["x-request-id"]


def test_the_write_endpoints_have_a_larger_limit_of_their_own(built_index: Index, fake_embedder: FakeEmbedder, articles_dir: Path) -> None:
    pipeline = Pipeline(built_index, fake_embedder, SentenceReader(built_index, fake_embedder, ReaderConfig(no_answer_threshold=THRESHOLD)))
    settings = settings_for(articles_dir, max_body_bytes=1024, max_write_body_bytes=4096)
    with TestClient(create_app(settings, pipeline=pipeline)) as client:
        body = {"articles": [{"id": "x", "text": "y" * 2000}]}
        assert client.post("/documents", json=body).status_code != 413  # over the /ask limit, under the write limit
        refused = client.post("/documents", json={"articles": [{"id": "x", "text": "y" * 5000}]})
        assert refused.status_code == 413 and "4096 bytes (QA_MAX_WRITE_BODY_BYTES)" in refused.json()["detail"]
        assert client.post("/ask", json={"question": "y" * 1500}).status_code == 413


def test_a_body_at_the_limit_is_read(small_body_client: TestClient) -> None:
    payload = b'{"question": "Qui finance Stargate ?"}'
    padded = payload[:-1] + b" " * (1024 - len(payload)) + b"}"
    assert len(padded) == 1024
    response = small_body_client.post("/ask", content=padded, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text


def test_a_streamed_body_is_cut_at_the_limit(small_body_client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: the size is only known while reading
        yield b'{"question": "'
        for _ in range(10):
            yield b"x" * 200
        yield b'"}'

    response = small_body_client.post("/ask", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "1024 bytes" in response.json()["detail"]


def test_a_lying_content_length_is_cut_at_the_limit(articles_dir: Path, blocking: BlockingPipeline) -> None:
    """A client announcing a small body and sending more: the app itself sees the messages."""
    app = create_app(settings_for(articles_dir, max_body_bytes=1024), pipeline=blocking)
    messages = [{"type": "http.request", "body": b'{"question": "' + b"x" * 600, "more_body": True}] * 3
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/ask",
        "raw_path": b"/ask",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"100")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }

    async def test() -> None:
        async with app.router.lifespan_context(app):
            app.state.pipeline = blocking
            await app(scope, receive, send)  # type: ignore[arg-type]

    run(test)
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
    assert b"1024 bytes" in sent[1]["body"]


# --- saturation and time budget --------------------------------------------------------------------


def test_saturated_asks_get_503_with_retry_after(articles_dir: Path, blocking: BlockingPipeline) -> None:
    settings = settings_for(articles_dir, max_concurrent_asks=1, max_waiting_asks=1, retry_after_s=7)
    app = create_app(settings, pipeline=blocking)

    async def test() -> None:
        async with serving(app) as client:
            gate: AskGate = app.state.ask_gate
            running = asyncio.create_task(client.post("/ask", json={"question": BLOCKING}))
            await acquire(blocking.started)  # on the one worker thread, blocked
            waiting = asyncio.create_task(client.post("/ask", json={"question": BLOCKING}))
            await until(lambda: gate.admitted == 2)  # admitted, queued behind the first
            refused = await client.post("/ask", json={"question": "Qui finance Stargate ?"}, headers={"X-Request-ID": "busy-1"})
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "7"
            assert refused.json()["request_id"] == "busy-1" and "retry in 7 s" in refused.json()["detail"]
            assert blocking.blocking_asks == 1  # the second has not started: it waits for the thread
            blocking.release.set()
            assert (await running).status_code == 200 and (await waiting).status_code == 200
            await until(lambda: gate.admitted == 0)
            assert (await client.post("/ask", json={"question": "Qui finance Stargate ?"})).status_code == 200

    run(test)


def test_the_time_budget_answers_503_and_drops_a_waiting_question(articles_dir: Path, blocking: BlockingPipeline) -> None:
    settings = settings_for(articles_dir, max_concurrent_asks=1, max_waiting_asks=4, ask_timeout_s=0.05)
    app = create_app(settings, pipeline=blocking)

    async def test() -> None:
        async with serving(app) as client:
            gate: AskGate = app.state.ask_gate
            slow = await client.post("/ask", json={"question": BLOCKING})  # blocked past the budget
            assert slow.status_code == 503 and slow.headers["retry-after"] == "1"
            assert "time budget of 0.05 s" in slow.json()["detail"] and "QA_ASK_TIMEOUT_S" in slow.json()["detail"]
            assert gate.admitted == 1  # its thread still runs: it keeps its place until it ends
            queued = await client.post("/ask", json={"question": BLOCKING})  # waits for the busy thread, runs out
            assert queued.status_code == 503
            blocking.release.set()
            await acquire(blocking.finished)  # the first finishes on its thread; its answer is dropped
            await until(lambda: gate.admitted == 0)
            assert blocking.blocking_asks == 1  # the queued one was dropped before it started

    run(test)


# --- the access log ---------------------------------------------------------------------------------


def access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "qa.api.access"]


def test_one_log_line_per_request(client_with_folder: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    question = "Combien de puces DRAM par mois ?"
    with caplog.at_level(logging.INFO, logger="qa.api"):
        client_with_folder.post("/ask", json={"question": question}, headers={"X-Request-ID": "log-1"})
        client_with_folder.post("/ask", json={"question": "Quelle est la recette de la ratatouille ?"}, headers={"X-Request-ID": "log-2"})
        client_with_folder.get("/documents/alpha", headers={"X-Request-ID": "log-3"})
        client_with_folder.get("/nowhere", headers={"X-Request-ID": "log-4"})
    lines = access_lines(caplog)
    assert len(lines) == 4
    first, second, third, fourth = lines
    assert first.startswith("request_id=log-1 method=POST route=/ask status=200 latency_ms=") and first.endswith(" answered=true")
    assert second.startswith("request_id=log-2 ") and second.endswith(" answered=false")
    assert third.startswith("request_id=log-3 method=GET route=/documents/{doc_id:path} status=200 ") and "answered" not in third
    assert fourth.startswith("request_id=log-4 method=GET route=- status=404 ")
    assert all(question not in r.getMessage() for r in caplog.records)  # the question only at debug level
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="qa.api"):
        client_with_folder.post("/ask", json={"question": question}, headers={"X-Request-ID": "log-5"})
    [debug] = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG and r.name == "qa.api"]
    assert "request_id=log-5" in debug and question in debug


def test_refusals_are_logged_too(small_body_client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="qa.api.access"):
        small_body_client.post("/ask", content=b"x" * 5000, headers={"X-Request-ID": "log-413"})
        small_body_client.post("/ask", json={"question": ""}, headers={"X-Request-ID": "log-422"})
    first, second = access_lines(caplog)
    assert first.startswith("request_id=log-413 method=POST route=- status=413 ")
    assert second.startswith("request_id=log-422 method=POST route=/ask status=422 ") and "answered" not in second


# --- /health and the articles folder ------------------------------------------------------------------


@pytest.fixture
def client_with_folder(built_index: Index, fake_embedder: FakeEmbedder, articles_dir: Path) -> Iterator[TestClient]:
    pipeline = Pipeline(built_index, fake_embedder, SentenceReader(built_index, fake_embedder, ReaderConfig(no_answer_threshold=THRESHOLD)))
    with TestClient(create_app(settings_for(articles_dir), pipeline=pipeline)) as client:
        yield client


def test_health_says_when_the_folder_and_the_index_disagree(client_with_folder: TestClient, articles_dir: Path) -> None:
    check = client_with_folder.app.state.articles_check  # type: ignore[attr-defined]
    health = client_with_folder.get("/health").json()
    assert health["articles_in_sync"] is True and health["stale_reasons"] == []
    reads = check.reads
    for _ in range(3):  # the folder is not read again while its files are unchanged
        assert client_with_folder.get("/health").json()["articles_in_sync"] is True
    assert check.reads == reads

    (articles_dir / "delta.txt").write_text("Un nouvel article\nLa mairie ouvre une piscine en juin.", encoding="utf-8")
    (articles_dir / "beta.txt").unlink()
    (articles_dir / "gamma.txt").write_text("Sam Altman en Corée\nUn autre texte.", encoding="utf-8")
    health = client_with_folder.get("/health").json()
    assert health["status"] == "ok" and health["articles_in_sync"] is False
    assert health["stale_reasons"] == [
        "1 article(s) in the folder are not in the index: delta",
        "1 indexed article(s) are no longer in the folder: beta",
        "1 article(s) changed since the index was built: gamma",
    ]
    assert check.reads == reads + 1
    client_with_folder.get("/health")
    assert check.reads == reads + 1


def test_health_lists_an_unreadable_file_as_skipped(client_with_folder: TestClient, articles_dir: Path) -> None:
    """A file that cannot be read is skipped, as a build skips it: the index still holds the folder's readable
    articles, and /health names the file and says why."""
    (articles_dir / "broken.txt").write_bytes(b"\xff\xfe\x00 pas du texte")
    health = client_with_folder.get("/health").json()
    assert (health["articles_in_sync"], health["stale_reasons"]) == (True, [])
    assert health["skipped_files"] == [{"file": "broken.txt", "reason": "line 1: not valid UTF-8 (byte 0)"}]


def test_health_reports_a_folder_that_is_gone(client_with_folder: TestClient, articles_dir: Path) -> None:
    shutil.rmtree(articles_dir)
    health = client_with_folder.get("/health").json()
    assert health["articles_in_sync"] is False
    [reason] = health["stale_reasons"]
    assert reason.startswith("the articles folder cannot be listed") and "articles folder not found" in reason


# --- the schema states the limits ---------------------------------------------------------------------


def test_the_schema_documents_every_status(client_with_folder: TestClient) -> None:
    paths = client_with_folder.get("/openapi.json").json()["paths"]
    ask = paths["/ask"]["post"]["responses"]
    assert {"200", "404", "413", "422", "500", "503"} <= ask.keys()
    assert "Retry-After" in ask["503"]["headers"]
    for path in ("/documents", "/documents/{doc_id}", "/health"):
        assert {"200", "413", "500", "503"} <= paths[path]["get"]["responses"].keys()
    assert "404" in paths["/documents/{doc_id}"]["get"]["responses"]
