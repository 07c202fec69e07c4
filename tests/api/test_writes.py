"""Writes that fail, wait or carry odd text (issue 21 items 1, 2, 7, 10; issue 19 part 3), through the API with the
fake embedder: a failed write loses nothing and is finished before the next one, a bad article changes nothing,
a write that finds the writer busy waits its turn in order (503 with Retry-After only when the line is full)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from index.annotate import Annotator
from index.article_files import JOURNAL
from index.corpus import Article, load_articles
from index.sentences import Sentence
from index.store import build_index, read_manifest
from qa.settings import Settings
from tests.api.test_admin import AUTH, DELTA, GatedEmbedder, assert_folder_and_index_agree, make_settings, start, wait_for_job

NEW_BETA = {"id": "beta", "text": "Le fonds Stargate change de mains\nOracle reprend seul le projet à Abilene."}


@pytest.fixture
def embedder() -> GatedEmbedder:
    return GatedEmbedder()


@pytest.fixture
def settings(tmp_path: Path, articles_dir: Path, embedder: GatedEmbedder) -> Settings:
    index_dir = tmp_path / "index"
    build_index(load_articles(articles_dir), embedder, index_dir)
    return make_settings(articles_dir, index_dir, write_queue=2)


@pytest.fixture
def client(settings: Settings, embedder: GatedEmbedder) -> Iterator[TestClient]:
    with start(settings, embedder) as test_client:
        yield test_client


def snapshot(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != ".qa-lock"}


# -- item 1: a failed write ------------------------------------------------------------------------------------


def test_a_write_that_fails_on_a_full_disk_loses_nothing(client: TestClient, settings: Settings, disk_full: list[bool]) -> None:
    old_beta = client.get("/documents/beta").json()["text"]
    built_at = client.get("/health").json()["index_built_at"]
    response = client.post("/documents", json={"articles": [NEW_BETA]}, headers=AUTH)
    assert response.status_code == 503, response.text
    assert "No space left on device" in response.json()["detail"] and response.json()["request_id"]
    assert {a.doc_id: a.text for a in load_articles(settings.articles_dir)}["beta"] == old_beta  # the .txt is still there
    assert client.get("/documents/beta").json()["text"] == old_beta
    assert client.get("/health").json()["index_built_at"] == built_at
    journal = (settings.articles_dir / JOURNAL).read_text(encoding="utf-8")

    still_full = client.post("/documents", json={"articles": [DELTA]}, headers=AUTH)
    assert still_full.status_code == 503  # the writer first finishes the change left behind; it cannot yet
    assert (settings.articles_dir / JOURNAL).read_text(encoding="utf-8") == journal  # not written over
    assert client.get("/documents/delta").status_code == 404

    disk_full[0] = False
    response = client.post("/documents", json={"articles": [DELTA]}, headers=AUTH)
    assert response.status_code == 200, response.text
    assert client.get("/documents/beta").json()["text"] == NEW_BETA["text"]  # the journalled change, finished first
    assert client.get("/documents/delta").status_code == 200
    assert_folder_and_index_agree(client, settings)


def test_a_journal_that_cannot_be_finished_at_start_up_leaves_writes_waiting_not_off(
    settings: Settings, embedder: GatedEmbedder, disk_full: list[bool]
) -> None:
    line = json.dumps(NEW_BETA, ensure_ascii=False) + "\n"
    journal = {"changes": [{"path": "beta.jsonl", "content": line}, {"path": "beta.txt", "content": None}]}
    (settings.articles_dir / JOURNAL).write_text(json.dumps(journal), encoding="utf-8")  # left by a failed write
    with start(settings, embedder) as client:
        response = client.post("/documents", json={"articles": [DELTA]}, headers=AUTH)
        assert response.status_code == 503 and "No space left on device" in response.json()["detail"]
        disk_full[0] = False
        assert client.post("/documents", json={"articles": [DELTA]}, headers=AUTH).status_code == 200
        assert client.get("/documents/beta").json()["text"] == NEW_BETA["text"]
        assert_folder_and_index_agree(client, settings)


# -- item 2: an article the index cannot take --------------------------------------------------------------------


def test_the_length_limit_applies_to_the_text_as_loaded(client: TestClient, settings: Settings) -> None:
    """U+0958 is two characters once NFC-normalised: 1,500 of them pass a raw limit of 2,000 and load as 3,000."""
    before, built_at = snapshot(settings.articles_dir), client.get("/health").json()["index_built_at"]
    response = client.post("/documents", json={"articles": [{"id": "epsilon", "text": "\u0958" * 1500}]}, headers=AUTH)
    assert response.status_code == 422, response.text
    assert "'epsilon': the text is 3000 characters long once normalised" in response.json()["detail"]
    assert snapshot(settings.articles_dir) == before and client.get("/health").json()["index_built_at"] == built_at


def test_an_article_the_analysis_refuses_changes_nothing(client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    real = Annotator.annotate

    def annotate(self: Annotator, articles: Sequence[Article], sentences: Sequence[Sentence], **kwargs: Any) -> Any:
        if any("REFUSÉ" in a.text for a in articles):
            raise ValueError("[E088] Text of length 1350017 exceeds maximum of 1000000.")
        return real(self, articles, sentences, **kwargs)

    monkeypatch.setattr(Annotator, "annotate", annotate)
    before, built_at = snapshot(settings.articles_dir), client.get("/health").json()["index_built_at"]
    bad = {"id": "epsilon", "text": "Un article REFUSÉ par l'analyse."}
    response = client.post("/documents", json={"articles": [DELTA, bad]}, headers=AUTH)
    assert response.status_code == 422, response.text
    assert "'epsilon'" in response.json()["detail"] and "E088" in response.json()["detail"]
    assert snapshot(settings.articles_dir) == before and client.get("/health").json()["index_built_at"] == built_at
    assert client.post("/documents", json={"articles": [DELTA]}, headers=AUTH).status_code == 200  # writes go on
    assert_folder_and_index_agree(client, settings)


# -- item 7 and 10: odd text, an id twice ------------------------------------------------------------------------


def test_an_article_may_hold_unicode_line_separators(client: TestClient, settings: Settings) -> None:
    text = "Un article\u2028sur deux lignes\u2029et trois\x85paragraphes."
    response = client.post("/documents", json={"articles": [{"id": "sep", "text": text}]}, headers=AUTH)
    assert response.status_code == 200, response.text
    assert client.get("/documents/sep").json()["text"] == text
    assert {a.doc_id: a.text for a in load_articles(settings.articles_dir)}["sep"] == text
    assert_folder_and_index_agree(client, settings)


def test_an_id_twice_in_a_batch_the_last_one_wins(client: TestClient, settings: Settings) -> None:
    second = {**DELTA, "text": "La seconde version de l'article delta, celle qui reste."}
    body = client.post("/documents", json={"articles": [DELTA, {"id": "beta", "text": "Entre les deux."}, second]}, headers=AUTH)
    assert body.status_code == 200, body.text
    assert (body.json()["added"], body.json()["replaced"]) == (["delta"], ["beta"])
    assert client.get("/documents/delta").json()["text"] == second["text"]
    assert_folder_and_index_agree(client, settings)


# -- issue 19 part 3: writes wait their turn ---------------------------------------------------------------------


def wait_for_line(client: TestClient, waiting: int, *sent: Future[Any]) -> None:
    """Until ``waiting`` writes wait in line; a write ``sent`` that was answered instead fails the test."""
    writer = client.app.state.writer  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while getattr(writer, "waiting", 0) < waiting:
        for future in sent:
            if future.done():
                raise AssertionError(f"answered {future.result().status_code} instead of waiting its turn: {future.result().text}")
        assert time.monotonic() < deadline, f"{getattr(writer, 'waiting', 0)} write(s) waiting, expected {waiting}"
        time.sleep(0.01)


def test_a_write_during_a_rebuild_waits_and_succeeds_after_it(client: TestClient, settings: Settings, embedder: GatedEmbedder) -> None:
    embedder.gate.clear()
    embedder.entered.clear()
    job = client.post("/index/rebuild", headers=AUTH).json()
    assert embedder.entered.wait(timeout=30)
    with ThreadPoolExecutor(2) as pool:
        add = pool.submit(client.post, "/documents", json={"articles": [DELTA]}, headers=AUTH)
        wait_for_line(client, 1, add)
        delete = pool.submit(client.delete, "/documents/gamma", headers=AUTH)
        wait_for_line(client, 2, add, delete)
        assert client.post("/ask", json={"question": "Qui finance Stargate ?"}).status_code == 200  # served meanwhile
        assert not add.done() and not delete.done()
        embedder.gate.set()
        added, deleted = add.result(timeout=60), delete.result(timeout=60)
    assert added.status_code == 200 and deleted.status_code == 200, (added.text, deleted.text)
    done = wait_for_job(client, job["job_id"])
    assert done["status"] == "done" and done["result"]["articles"] == 3  # the rebuild ran first, without delta
    assert added.json()["articles"] == 4 and deleted.json()["articles"] == 3  # then the add, then the delete
    assert client.get("/documents/delta").status_code == 200 and client.get("/documents/gamma").status_code == 404
    assert_folder_and_index_agree(client, settings)


def test_a_full_line_of_writes_answers_503_with_retry_after(client: TestClient, settings: Settings, embedder: GatedEmbedder) -> None:
    embedder.gate.clear()
    embedder.entered.clear()
    articles = [{"id": f"n{i}", "text": f"Article numéro {i} sur la piscine de Lyon."} for i in range(4)]
    with ThreadPoolExecutor(3) as pool:
        running = pool.submit(client.post, "/documents", json={"articles": [articles[0]]}, headers=AUTH)
        assert embedder.entered.wait(timeout=30)
        queued: list[Future[Any]] = []
        for waiting, article in enumerate(articles[1:3], start=1):  # QA_WRITE_QUEUE=2 may wait
            queued.append(pool.submit(client.post, "/documents", json={"articles": [article]}, headers=AUTH))
            wait_for_line(client, waiting, *queued)
        refused = client.post("/documents", json={"articles": [articles[3]]}, headers=AUTH)
        refused_delete = client.delete("/documents/alpha", headers=AUTH)
        embedder.gate.set()
        answers = [running.result(timeout=60)] + [f.result(timeout=60) for f in queued]
    for response in (refused, refused_delete):
        assert response.status_code == 503, response.text
        assert int(response.headers["Retry-After"]) >= 1 and "QA_WRITE_QUEUE" in response.json()["detail"]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["articles"] for a in answers] == [4, 5, 6]  # in the order they came
    assert client.get("/documents/n3").status_code == 404 and client.get("/documents/alpha").status_code == 200
    assert read_manifest(settings.index_dir).articles == 6
    assert_folder_and_index_agree(client, settings)
