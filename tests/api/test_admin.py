"""The write endpoints with the fake embedder: tokens, add / replace / delete, batches, the writer's turn,
rebuild jobs, and the articles folder and the index agreeing after every write."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from index.article_files import JOURNAL
from index.corpus import load_articles
from index.store import build_index, corpus_hash, load_index, read_manifest
from qa.factory import pipeline_for
from qa.settings import Settings
from tests.conftest import FakeEmbedder

TOKEN = "s3cret-admin"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DELTA = {
    "id": "delta",
    "text": "Nvidia livrera des processeurs à OpenAI\nLe contrat porte sur 10 gigawatts, annoncé lundi à Santa Clara.",
    "date": "2025-09-22",
    "url": "https://example.org/delta",
}
DELTA_QUESTION = "Combien de gigawatts Nvidia livrera-t-il à Santa Clara ?"


class GatedEmbedder(FakeEmbedder):
    """The fake embedder; while ``gate`` is clear, embedding passages (writes, rebuilds) waits for it, and
    ``entered`` says a write reached it. Questions are never held."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.fail = False
        self.query_gate = threading.Event()  # while clear, questions wait for it (a slow reader in flight)
        self.query_gate.set()
        self.query_entered = threading.Event()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.query_entered.set()
        assert self.query_gate.wait(timeout=30), "test query gate never opened"
        return super().encode_queries(texts)

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        self.entered.set()
        assert self.gate.wait(timeout=30), "test gate never opened"
        if self.fail:
            raise RuntimeError("embedding failed on purpose")
        return super().encode_passages(texts, show_progress=show_progress)


def make_settings(articles_dir: Path, index_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "articles_dir": articles_dir,
        "index_dir": index_dir,
        "model": "fake-hash-256",
        "reader": "evidence",
        "no_answer_threshold": 0.001,
        "admin_token": TOKEN,
        "max_batch_articles": 3,
        "max_article_chars": 2000,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def embedder() -> GatedEmbedder:
    return GatedEmbedder()


@pytest.fixture
def settings(tmp_path: Path, articles_dir: Path, embedder: GatedEmbedder) -> Settings:
    index_dir = tmp_path / "index"
    build_index(load_articles(articles_dir), embedder, index_dir)
    return make_settings(articles_dir, index_dir)


def start(settings: Settings, embedder: FakeEmbedder) -> TestClient:
    pipeline = pipeline_for(load_index(settings.index_dir, model=embedder.name), embedder, settings)
    return TestClient(create_app(settings, pipeline))


@pytest.fixture
def client(settings: Settings, embedder: GatedEmbedder) -> Iterator[TestClient]:
    with start(settings, embedder) as test_client:
        yield test_client


def assert_folder_and_index_agree(client: TestClient, settings: Settings) -> None:
    on_disk = load_articles(settings.articles_dir)
    served = {d["doc_id"]: d for d in client.get("/documents").json()}
    assert served.keys() == {a.doc_id for a in on_disk}
    for article in on_disk:
        assert client.get(f"/documents/{article.doc_id}").json()["text"] == article.text
    manifest = read_manifest(settings.index_dir)
    assert manifest.corpus_hash == corpus_hash(on_disk)
    assert client.get("/health").json()["index_built_at"] == manifest.built_at
    assert not (settings.articles_dir / JOURNAL).exists()


def names(body: dict[str, Any]) -> set[str]:
    """Every doc_id an /ask answer names: the answer, its alternatives and supporting spans, the citations."""
    found = {c["doc_id"] for c in body["citations"]}
    if body["answer"] is not None:
        found.add(body["answer"]["doc_id"])
        found |= {s["doc_id"] for s in body["answer"]["alternatives"] + body["answer"]["supporting"]}
    return found


# -- tokens -------------------------------------------------------------------------------------------------


def test_write_endpoints_need_the_admin_token(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}, {"Authorization": "Bearer"}):
        response = client.post("/documents", json={"articles": [DELTA]}, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert "Bearer" in response.json()["detail"] and response.json()["request_id"]
    assert client.delete("/documents/alpha").status_code == 401
    assert client.post("/index/rebuild").status_code == 401
    assert client.get("/index/jobs/x").status_code == 401
    assert client.post("/documents", json={"articles": [DELTA]}, headers=AUTH).status_code == 200


def test_the_token_is_checked_before_the_articles(client: TestClient) -> None:
    """A schema-invalid body without a token gets 401, not a 422 describing the schema (malformed JSON is
    refused as 422 by FastAPI before any dependency runs)."""
    assert client.post("/documents", json={"articles": "x"}).status_code == 401
    assert client.post("/documents", json={"articles": [{"id": "../x", "text": ""}]}).status_code == 401


def test_a_blank_admin_token_disables_writes(settings: Settings, embedder: GatedEmbedder) -> None:
    with start(make_settings(settings.articles_dir, settings.index_dir, admin_token="  "), embedder) as client:
        assert client.post("/documents", json={"articles": [DELTA]}, headers={"Authorization": "Bearer   "}).status_code == 403


def test_without_an_admin_token_writes_answer_403(settings: Settings, embedder: GatedEmbedder) -> None:
    with start(make_settings(settings.articles_dir, settings.index_dir, admin_token=None), embedder) as client:
        for response in (
            client.post("/documents", json={"articles": [DELTA]}, headers=AUTH),
            client.delete("/documents/alpha", headers=AUTH),
            client.post("/index/rebuild"),
        ):
            assert response.status_code == 403
            assert "QA_ADMIN_TOKEN" in response.json()["detail"]
        assert client.get("/documents/alpha").status_code == 200


def test_read_token_guards_ask_and_documents_only(settings: Settings, embedder: GatedEmbedder) -> None:
    with start(make_settings(settings.articles_dir, settings.index_dir, read_token="lecteur"), embedder) as client:
        for method, path, body in (("post", "/ask", {"question": "Qui ?"}), ("get", "/documents", None), ("get", "/documents/alpha", None)):
            response = client.request(method, path, json=body)
            assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"
            assert client.request(method, path, json=body, headers={"Authorization": "Bearer nope"}).status_code == 401
            assert client.request(method, path, json=body, headers={"Authorization": "Bearer lecteur"}).status_code == 200
            assert client.request(method, path, json=body, headers=AUTH).status_code == 200  # the admin token reads too
        assert client.get("/health").status_code == 200
        assert client.get("/").status_code == 200
        assert client.post("/documents", json={"articles": [DELTA]}, headers={"Authorization": "Bearer lecteur"}).status_code == 401


# -- add, replace, delete --------------------------------------------------------------------------------------


def test_add_is_read_at_once_and_written_to_the_folder(client: TestClient, settings: Settings) -> None:
    before = client.post("/ask", json={"question": DELTA_QUESTION}).json()
    assert "delta" not in names(before)
    response = client.post("/documents", json={"articles": [DELTA]}, headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert (body["added"], body["replaced"], body["unchanged"], body["articles"]) == (["delta"], [], [], 4)
    assert (settings.articles_dir / "delta.jsonl").is_file()
    document = client.get("/documents/delta").json()
    assert document["text"] == DELTA["text"] and document["date"] == "2025-09-22" and document["title"].startswith("Nvidia")
    answer = client.post("/ask", json={"question": DELTA_QUESTION}).json()
    assert "delta" in names(answer)
    assert body["index_built_at"] == client.get("/health").json()["index_built_at"]
    assert_folder_and_index_agree(client, settings)
    again = client.post("/documents", json={"articles": [DELTA]}, headers=AUTH).json()
    assert (again["added"], again["replaced"], again["unchanged"]) == ([], [], ["delta"])


def test_ids_with_folders_are_added_and_deleted(client: TestClient, settings: Settings) -> None:
    body = client.post("/documents", json={"articles": [{**DELTA, "id": "2025/11/delta"}]}, headers=AUTH).json()
    assert body["added"] == ["2025/11/delta"] and (settings.articles_dir / "2025" / "11" / "delta.jsonl").is_file()
    assert client.get("/documents/2025/11/delta").status_code == 200
    assert client.delete("/documents/2025/11/delta", headers=AUTH).json()["removed"]["doc_id"] == "2025/11/delta"
    assert client.get("/documents/2025/11/delta").status_code == 404
    assert_folder_and_index_agree(client, settings)


def test_replace_leaves_one_definition(client: TestClient, settings: Settings) -> None:
    new = {"id": "beta", "text": "Le fonds Stargate change de mains\nOracle reprend seul le projet à Abilene.", "title": "Stargate"}
    body = client.post("/documents", json={"articles": [new, DELTA]}, headers=AUTH).json()
    assert (body["added"], body["replaced"]) == (["delta"], ["beta"])
    assert not (settings.articles_dir / "beta.txt").exists()
    document = client.get("/documents/beta").json()
    assert document["text"] == new["text"] and document["title"] == "Stargate"
    assert "SoftBank" not in " ".join(
        c["text"]
        for c in client.post("/ask", json={"question": "Qui finance Stargate SoftBank ?"}).json()["citations"]
        if c["doc_id"] == "beta"
    )
    assert_folder_and_index_agree(client, settings)


def test_delete_removes_the_article_everywhere(client: TestClient, settings: Settings) -> None:
    question = {"question": "Combien de puces DRAM par mois pour Stargate ?", "top_k": 20}
    assert "alpha" in names(client.post("/ask", json=question).json())
    response = client.delete("/documents/alpha", headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body["removed"]["doc_id"] == "alpha" and body["removed"]["title"].startswith("OpenAI") and body["articles"] == 2
    assert not (settings.articles_dir / "alpha.txt").exists()
    assert client.get("/documents/alpha").status_code == 404
    for mode in ("hybrid", "dense", "bm25"):
        assert "alpha" not in names(client.post("/ask", json={**question, "mode": mode}).json())
    assert client.post("/ask", json={"question": "Qui ?", "doc_ids": ["alpha"]}).status_code == 404  # no article has that id any more
    missing = client.delete("/documents/alpha", headers=AUTH)
    assert missing.status_code == 404 and "alpha" in missing.json()["detail"]
    assert_folder_and_index_agree(client, settings)


@pytest.mark.parametrize(
    ("bad", "status", "fragment"),
    [
        ({"id": "epsilon", "text": "   "}, 422, "'epsilon': the article is empty"),
        ({"id": "epsilon", "text": "Texte.", "date": "2025-02-30"}, 422, "not a real date"),
        ({"id": "epsilon", "text": "Texte.", "date": "hier"}, 422, "date"),
        ({"id": "../evil", "text": "Texte."}, 422, "'../evil'"),
        ({"id": "a/../../evil", "text": "Texte."}, 422, "relative path"),
        ({"id": "/etc/passwd", "text": "Texte."}, 422, "relative path"),
        ({"id": "epsilon", "text": "x" * 2001}, 422, "'epsilon': the text is 2001 characters long"),
        ({"id": "x" * 201, "text": "Texte."}, 422, "id"),
        ({"id": "epsilon", "text": "Texte.", "author": "moi"}, 422, "author"),
    ],
)
def test_a_bad_article_fails_the_whole_batch(
    client: TestClient, settings: Settings, bad: dict[str, str], status: int, fragment: str
) -> None:
    files = {p: p.read_bytes() for p in settings.articles_dir.rglob("*")}
    built_at = client.get("/health").json()["index_built_at"]
    response = client.post("/documents", json={"articles": [DELTA, bad]}, headers=AUTH)
    assert response.status_code == status
    assert fragment in response.json()["detail"] and response.json()["request_id"]
    assert {p: p.read_bytes() for p in settings.articles_dir.rglob("*")} == files
    assert client.get("/documents/delta").status_code == 404
    assert client.get("/health").json()["index_built_at"] == built_at


def test_batch_size_is_bounded(client: TestClient) -> None:
    articles = [{"id": f"n{i}", "text": f"Article numéro {i}."} for i in range(4)]
    response = client.post("/documents", json={"articles": articles}, headers=AUTH)
    assert response.status_code == 422 and "at most 3 articles" in response.json()["detail"]
    assert client.post("/documents", json={"articles": []}, headers=AUTH).status_code == 422


# -- one writer at a time, readers never wait --------------------------------------------------------------------


def test_a_second_write_waits_its_turn_while_readers_keep_the_old_index(client: TestClient, embedder: GatedEmbedder) -> None:
    embedder.gate.clear()
    embedder.entered.clear()
    writer = client.app.state.writer  # type: ignore[attr-defined]
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(client.post, "/documents", json={"articles": [DELTA]}, headers=AUTH)
        assert embedder.entered.wait(timeout=30)
        second = pool.submit(client.post, "/documents", json={"articles": [{"id": "epsilon", "text": "Un autre article."}]}, headers=AUTH)
        deadline = time.monotonic() + 30
        while getattr(writer, "waiting", 0) < 1 and not second.done() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not second.done(), f"answered {second.result().status_code} instead of waiting its turn"
        assert writer.waiting == 1
        during = client.post("/ask", json={"question": DELTA_QUESTION})  # answered from the current index
        assert during.status_code == 200 and "delta" not in names(during.json())
        assert client.get("/documents/delta").status_code == 404
        embedder.gate.set()
        assert first.result(timeout=30).status_code == 200
        assert second.result(timeout=30).status_code == 200
    assert client.get("/documents/delta").status_code == 200
    assert client.get("/documents/epsilon").status_code == 200


def test_a_request_in_flight_keeps_the_pipeline_it_started_with(client: TestClient, embedder: GatedEmbedder) -> None:
    question = {"question": "Combien de puces DRAM par mois pour Stargate ?", "top_k": 20}
    old_text = client.get("/documents/alpha").json()["text"]
    embedder.query_gate.clear()
    embedder.query_entered.clear()
    with ThreadPoolExecutor(1) as pool:
        in_flight = pool.submit(client.post, "/ask", json=question)
        assert embedder.query_entered.wait(timeout=30)
        assert client.delete("/documents/alpha", headers=AUTH).status_code == 200  # swapped while the ask waits
        embedder.query_gate.set()
        body = in_flight.result(timeout=30).json()
    assert "alpha" in names(body)  # answered whole from the index it started on
    for citation in body["citations"]:
        if citation["doc_id"] == "alpha":
            assert old_text[citation["start"] : citation["end"]] == citation["text"]
    assert "alpha" not in names(client.post("/ask", json=question).json())  # the next one reads the new index


# -- rebuild jobs ------------------------------------------------------------------------------------------------


def wait_for_job(client: TestClient, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/index/jobs/{job_id}", headers=AUTH).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish")


def test_rebuild_job_lifecycle(client: TestClient, settings: Settings, embedder: GatedEmbedder) -> None:
    built_at = client.get("/health").json()["index_built_at"]
    (settings.articles_dir / "delta.jsonl").write_text('{"id": "delta", "text": "Posé à la main dans le dossier."}\n', encoding="utf-8")
    embedder.gate.clear()
    embedder.entered.clear()
    response = client.post("/index/rebuild", headers=AUTH)
    assert response.status_code == 202
    job = response.json()
    assert job["status"] in ("queued", "running") and job["kind"] == "rebuild" and job["result"] is None
    assert embedder.entered.wait(timeout=30)
    running = client.get(f"/index/jobs/{job['job_id']}", headers=AUTH).json()
    assert running["status"] == "running" and 0 < running["progress"] < 1 and "embedding" in running["stage"]
    assert client.post("/ask", json={"question": "Qui finance Stargate ?"}).status_code == 200  # served meanwhile
    assert client.get("/documents/delta").status_code == 404  # (a write sent now waits its turn: tests/api/test_writes.py)
    embedder.gate.set()
    done = wait_for_job(client, job["job_id"])
    assert done["status"] == "done" and done["progress"] == 1 and done["error"] is None and done["finished_at"]
    assert done["result"]["articles"] == 4 and done["result"]["index_built_at"] == client.get("/health").json()["index_built_at"]
    assert client.get("/health").json()["index_built_at"] >= built_at
    assert client.get("/documents/delta").json()["text"] == "Posé à la main dans le dossier."
    assert_folder_and_index_agree(client, settings)
    unknown = client.get("/index/jobs/nope", headers=AUTH)
    assert unknown.status_code == 404 and "nope" in unknown.json()["detail"]


def test_a_failed_rebuild_reports_why_and_keeps_serving(client: TestClient, embedder: GatedEmbedder) -> None:
    built_at = client.get("/health").json()["index_built_at"]
    embedder.fail = True
    job = wait_for_job(client, client.post("/index/rebuild", headers=AUTH).json()["job_id"])
    assert job["status"] == "failed" and "embedding failed on purpose" in job["error"]
    assert client.get("/health").json()["index_built_at"] == built_at
    assert client.post("/ask", json={"question": "Qui finance Stargate ?"}).status_code == 200


# -- start-up -------------------------------------------------------------------------------------------------


def test_start_brings_a_lagging_index_up_to_the_folder(settings: Settings, embedder: GatedEmbedder) -> None:
    """A crash after the folder changed but before the index did: the next start finishes the work."""
    (settings.articles_dir / "delta.jsonl").write_text('{"id": "delta", "text": "Écrit juste avant le crash."}\n', encoding="utf-8")
    (settings.articles_dir / JOURNAL).write_text('{"changes": [{"path": "gamma.txt", "content": null}]}', encoding="utf-8")
    with start(settings, embedder) as client:
        assert client.get("/documents/delta").status_code == 200
        assert client.get("/documents/gamma").status_code == 404
        assert_folder_and_index_agree(client, settings)


def test_writes_without_a_loaded_index_answer_503(tmp_path: Path, articles_dir: Path) -> None:
    settings = make_settings(articles_dir, tmp_path / "no-index")
    with TestClient(create_app(settings)) as client:
        response = client.post("/documents", json={"articles": [DELTA]}, headers=AUTH)
        assert response.status_code == 503 and "qa index build" in response.json()["detail"]


def test_openapi_documents_every_write_status(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    expected = {
        ("/documents", "post"): {"200", "401", "403", "409", "413", "422", "500", "503"},
        ("/documents/{doc_id}", "delete"): {"200", "401", "403", "404", "409", "413", "500", "503"},
        ("/index/rebuild", "post"): {"202", "401", "403", "413", "500", "503"},
        ("/index/jobs/{job_id}", "get"): {"200", "401", "403", "404", "500"},
        ("/ask", "post"): {"200", "401", "404", "413", "422", "500", "503"},
    }
    for (path, method), statuses in expected.items():
        assert statuses <= set(paths[path][method]["responses"]), (path, method)
