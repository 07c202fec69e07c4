from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from fastapi import Request, Response
from fastapi.testclient import TestClient

from api.app import create_app
from index.store import Index
from qa.pipeline import Pipeline
from qa.readers.evidence.reader import ReaderConfig, SentenceReader
from qa.settings import Settings
from qa.types import Result
from tests.conftest import FakeEmbedder

# The shipped confidence model is fitted on e5's cosines; the hash embedder's are far lower, so
# its confidences are too: a matching question scores about 0.01, an unrelated one 0.0.
THRESHOLD = 0.001


@pytest.fixture
def client(built_index: Index, fake_embedder: FakeEmbedder) -> Iterator[TestClient]:
    pipeline = Pipeline(built_index, fake_embedder, SentenceReader(built_index, fake_embedder, ReaderConfig(no_answer_threshold=THRESHOLD)))
    with TestClient(create_app(pipeline=pipeline)) as test_client:
        yield test_client


def test_ask_contract(client: TestClient) -> None:
    response = client.post("/ask", json={"question": "Combien de puces DRAM par mois ?", "top_k": 3})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"question", "answer", "citations", "took_ms"}
    answer = body["answer"]
    assert set(answer) == {
        "text",
        "doc_id",
        "start",
        "end",
        "sentence",
        "sentence_start",
        "sentence_end",
        "score",
        "alternatives",
        "supporting",
    }
    document = client.get(f"/documents/{answer['doc_id']}").json()
    assert document["text"][answer["start"] : answer["end"]] == answer["text"]
    assert document["text"][answer["sentence_start"] : answer["sentence_end"]] == answer["sentence"]
    assert answer["sentence_start"] <= answer["start"] < answer["end"] <= answer["sentence_end"]
    assert 0 <= answer["score"] <= 1
    assert 1 <= len(body["citations"]) <= 3
    for citation in body["citations"]:
        assert set(citation) == {"doc_id", "chunk_id", "title", "date", "text", "start", "end", "score"}
        text = client.get(f"/documents/{citation['doc_id']}").json()["text"]
        assert text[citation["start"] : citation["end"]] == citation["text"]


def test_ask_without_answer_returns_null(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "Quelle est la recette de la ratatouille ?"}).json()
    assert body["answer"] is None
    assert isinstance(body["citations"], list)


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"question": ""}, "question"),
        ({"question": "   "}, "empty"),
        ({"question": "x" * 1001}, "limit is 1000"),
        ({"question": "Qui ?", "top_k": 0}, "top_k"),
        ({"question": "Qui ?", "top_k": 21}, "top_k"),
        ({"question": "Qui ?", "top_k": "beaucoup"}, "top_k"),
        ({"question": "Qui ?", "unknown": 1}, "unknown"),
        ({"top_k": 3}, "question"),
        ({"question": 42}, "question"),
    ],
)
def test_ask_rejects_bad_input_with_a_message(client: TestClient, payload: dict[str, object], fragment: str) -> None:
    response = client.post("/ask", json=payload)
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"question": "Qui', "application/json"),
        (b'{"question": "Qui \xff\xfe ?"}', "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b"question=Qui", "application/x-www-form-urlencoded"),
        (b"[1, 2]", "application/json"),
    ],
)
def test_ask_rejects_malformed_bodies(client: TestClient, content: bytes, content_type: str) -> None:
    response = client.post("/ask", content=content, headers={"content-type": content_type})
    assert response.status_code == 422  # the documented status, never FastAPI's undocumented 400
    assert response.json()["detail"]


def test_documents(client: TestClient) -> None:
    listing = client.get("/documents").json()
    assert [d["doc_id"] for d in listing] == ["alpha", "beta", "gamma"]
    alpha = listing[0]
    assert alpha["date"] == "2025-10-02" and alpha["title"] == "OpenAI signe avec Samsung et SK Hynix"
    full = client.get("/documents/alpha").json()
    assert len(full["text"]) == alpha["length"]
    missing = client.get("/documents/nope")
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]


def test_health_and_docs(client: TestClient) -> None:
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["articles"] == 3 and health["model"] == "fake-hash-256"
    assert client.get("/docs").status_code == 200
    assert "/ask" in client.get("/openapi.json").json()["paths"]


def test_service_without_index_answers_503(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "none", model="all-MiniLM-L6-v2")
    with TestClient(create_app(settings)) as client:
        response = client.post("/ask", json={"question": "Qui ?"})
        assert response.status_code == 503
        assert "qa index build" in response.json()["detail"]
        assert client.get("/health").status_code == 503


def test_ask_modes_and_filters(client: TestClient) -> None:
    for mode in ("hybrid", "dense", "bm25"):
        response = client.post("/ask", json={"question": "Qui finance Stargate ?", "mode": mode})
        assert response.status_code == 200, response.text
    only = client.post("/ask", json={"question": "Samsung Séoul", "doc_ids": ["beta"]}).json()
    assert {c["doc_id"] for c in only["citations"]} <= {"beta"}
    dated = client.post("/ask", json={"question": "Samsung Séoul", "date_from": "2025", "include_undated": False}).json()
    assert {c["doc_id"] for c in dated["citations"]} == {"alpha"}


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"question": "Qui ?", "mode": "fuzzy"}, "mode"),
        ({"question": "Qui ?", "doc_ids": []}, "doc_ids"),
        ({"question": "Qui ?", "doc_ids": [""]}, "doc_ids.0: String should have at least 1 character"),
        ({"question": "Qui ?", "date_from": "hier"}, "date_from must be YYYY, YYYY-MM or YYYY-MM-DD, got 'hier'"),
        ({"question": "Qui ?", "date_from": "2026", "date_to": "2025"}, "after"),
        ({"question": "Qui ?", "date_from": "2025-13"}, "date_from '2025-13' is not a real date"),
        ({"question": "Qui ?", "date_to": "2025-02-30"}, "date_to '2025-02-30' is not a real date"),
        ({"question": "Qui ?", "date_to": "2023-02-29"}, "not a real date"),
    ],
)
def test_bad_filters(client: TestClient, payload: dict[str, object], fragment: str) -> None:
    response = client.post("/ask", json=payload)
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


def test_an_unknown_doc_id_is_404_naming_it(client: TestClient) -> None:
    response = client.post("/ask", json={"question": "Qui ?", "doc_ids": ["beta", "nope"]})
    assert response.status_code == 404
    assert response.json()["detail"] == "unknown doc_ids: nope"


def test_leap_day_is_a_real_date(client: TestClient) -> None:
    response = client.post("/ask", json={"question": "Samsung", "date_from": "2024-02-29", "date_to": "2025-12"})
    assert response.status_code == 200, response.text


def test_unexpected_error_is_json_with_a_request_id_and_logged(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline = client.app.state.pipeline  # type: ignore[attr-defined]

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom in the reader")

    monkeypatch.setattr(pipeline, "ask", explode)
    with caplog.at_level(logging.ERROR, logger="qa.api"):
        response = client.post("/ask", json={"question": "Qui ?"}, headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"] == "req-42"
    body = response.json()
    assert body["request_id"] == "req-42" and body["detail"] and "boom" not in body["detail"]
    [record] = [r for r in caplog.records if r.exc_info]
    assert "req-42" in record.getMessage() and "/ask" in record.getMessage()
    assert isinstance(record.exc_info[1], RuntimeError)  # type: ignore[index]


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    first, second = client.get("/health"), client.get("/health")
    assert first.headers["x-request-id"] and first.headers["x-request-id"] != second.headers["x-request-id"]
    assert client.get("/health", headers={"X-Request-ID": "abc-1"}).headers["x-request-id"] == "abc-1"
    for forged in ("two words", "x" * 129):  # not a plain token: replaced
        assert client.get("/health", headers={"X-Request-ID": forged}).headers["x-request-id"] not in ("", forged)


@pytest.mark.parametrize(
    ("method", "path", "payload", "status"),
    [
        ("post", "/ask", {"question": ""}, 422),
        ("post", "/ask", {"question": "Qui ?", "doc_ids": ["nope"]}, 404),
        ("get", "/documents/nope", None, 404),
        ("get", "/no/such/route", None, 404),
        ("delete", "/ask", None, 405),
    ],
)
def test_error_bodies_carry_the_request_id(client: TestClient, method: str, path: str, payload: object, status: int) -> None:
    response = client.request(method, path, json=payload, headers={"X-Request-ID": "err-7"})
    assert response.status_code == status
    body = response.json()
    assert body["detail"] and body["request_id"] == "err-7" == response.headers["x-request-id"]


def test_503_body_carries_the_request_id(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "none", model="all-MiniLM-L6-v2")
    with TestClient(create_app(settings)) as client:
        body = client.get("/health", headers={"X-Request-ID": "r-503"}).json()
        assert body["request_id"] == "r-503" and "qa index build" in body["detail"]


class RecordingPipeline(Pipeline):
    """Records every question asked and every route served, in order."""

    def __init__(self, *args: object, events: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.events = events

    def ask(self, question: str, **kwargs: object) -> Result:  # type: ignore[override]
        self.events.append(f"ask {question}")
        return super().ask(question, **kwargs)  # type: ignore[arg-type]


def test_lifespan_warms_the_pipeline_before_serving(built_index: Index, fake_embedder: FakeEmbedder) -> None:
    events: list[str] = []
    pipeline = RecordingPipeline(
        built_index, fake_embedder, SentenceReader(built_index, fake_embedder, ReaderConfig(no_answer_threshold=THRESHOLD)), events=events
    )
    fake_embedder.calls = 0
    app = create_app(pipeline=pipeline)

    @app.middleware("http")
    async def record(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        events.append(f"serve {request.url.path}")
        return await call_next(request)

    with TestClient(app) as client:
        assert len(events) == 1 and events[0].startswith("ask ")  # a real ask, before any request
        assert fake_embedder.calls == 1  # the question was encoded
        health = client.get("/health").json()
    assert events[1] == "serve /health"
    assert health["status"] == "ok" and health["warm_up_ms"] > 0


def test_failed_warm_up_keeps_health_unavailable(built_index: Index, fake_embedder: FakeEmbedder, caplog: pytest.LogCaptureFixture) -> None:
    pipeline = Pipeline(built_index, fake_embedder, SentenceReader(built_index, fake_embedder))

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no memory for the model")

    pipeline.ask = explode  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR, logger="qa.api"), TestClient(create_app(pipeline=pipeline)) as client:
        response = client.get("/health")
    assert response.status_code == 503 and "warm-up failed" in response.json()["detail"]
    assert any(r.exc_info for r in caplog.records)
