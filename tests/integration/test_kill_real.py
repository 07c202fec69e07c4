"""Crash safety with the real model: ``qa serve`` in a subprocess on 127.0.0.1 is killed with SIGKILL while it
adds an article and while it rebuilds, then restarted; it must serve a whole index holding every article it
acknowledged, agree with its articles folder, and answer verbatim from articles that exist.

Bounded: each start loads the models and warms up (about 10-20 s on 2 cores); the test starts the server
five times and has a 10-minute ceiling in all.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from eval.service import free_port, wait_ready
from index.corpus import load_articles
from index.store import read_manifest
from qa.pipeline import Pipeline
from qa.settings import Settings
from tests.integration.conftest import loopback_only

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "kill-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
START_TIMEOUT = 180.0
QUESTIONS = (
    "Combien de puces mémoire OpenAI veut-il recevoir par mois ?",
    "Où l'accord a-t-il été signé ?",
    "Quel volcan est entré en éruption ?",
)
# Seconds after sending the write before the SIGKILL: an add of one article takes about 0.3 s here, so
# these land before, inside and after it (the outcome of each is reported: cut or acknowledged, and what
# the disk held at the kill).
KILL_DELAYS = (0.05, 0.12, 0.2, 0.35)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """This test talks to its own server on 127.0.0.1 only; any other address still fails loudly."""
    loopback_only(monkeypatch)


@dataclass
class Server:
    """``python -m api.cli serve`` (the ``qa serve`` command) on its own articles and index folders."""

    articles: Path
    index: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None
    client: httpx.Client | None = None
    url: str = ""
    starts: list[float] = field(default_factory=list)

    def start(self) -> httpx.Client:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "QA_ARTICLES_DIR": str(self.articles),
            "QA_INDEX_DIR": str(self.index),
            "QA_MODEL_CACHE_DIR": str(ROOT / "data" / "models"),
            "QA_ADMIN_TOKEN": TOKEN,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
        }
        command = [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
        began = time.monotonic()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        client = self.client = httpx.Client(base_url=self.url, timeout=60.0)
        try:
            wait_ready(client, self.process, START_TIMEOUT)
        except RuntimeError as exc:
            raise AssertionError(f"{exc} (exit code {self.process.returncode}):\n{self.log.read_text()[-3000:]}") from None
        self.starts.append(time.monotonic() - began)
        return client

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no shutdown, no flush
        self.process.wait(timeout=30)
        if self.client is not None:
            self.client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()


@pytest.fixture
def server(real_settings: Settings, real_pipeline: Pipeline, tmp_path: Path) -> Iterator[Server]:
    """A copy of the seed articles and of the session's real index (real_pipeline built it)."""
    articles, index = tmp_path / "articles", tmp_path / "index"
    shutil.copytree(real_settings.articles_dir, articles)
    shutil.copytree(real_settings.index_dir, index, symlinks=True)
    served = Server(articles, index, tmp_path / "server.log")
    yield served
    served.stop()


def article(number: int) -> dict[str, str]:
    return {
        "id": f"ajout/{number:03d}",
        "text": (
            f"Le volcan numéro {number} est entré en éruption\n"
            f"Le volcan Piton-{number} est entré en éruption mardi à La Réunion, selon l'observatoire. "
            f"La coulée de lave a parcouru {number + 2} kilomètres avant de s'arrêter près de la route des Laves."
        ),
        "date": "2025-11-18",
    }


def disk_state(server: Server, doc_id: str) -> str:
    """What the disk holds of an add after a kill, before the restart repairs anything."""
    in_folder = any(doc_id in p.read_text(encoding="utf-8") for p in server.articles.rglob("*.jsonl")) or bool(
        list(server.articles.glob(".qa-journal.json"))
    )
    indexed = doc_id in (server.index / "current" / "articles.json").read_text(encoding="utf-8")
    return {(False, False): "nothing", (True, False): "folder only", (True, True): "folder and index"}.get(
        (in_folder, indexed), "index only"
    )


def check_whole(client: httpx.Client, server: Server, acknowledged: set[str]) -> set[str]:
    """The served index is whole, holds every acknowledged article and agrees with the folder; answers are
    verbatim from served articles. Returns the ids served."""
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok", health.text
    served = {d["doc_id"] for d in client.get("/documents").json()}
    assert acknowledged <= served, f"acknowledged but lost: {acknowledged - served}"
    assert served == {a.doc_id for a in load_articles(server.articles)}, "the index and the articles folder disagree"
    assert health.json()["articles"] == len(served) == read_manifest(server.index).articles
    assert not list(server.articles.rglob(".qa-journal.json"))
    texts = {doc_id: client.get(f"/documents/{doc_id}").json()["text"] for doc_id in served}
    for question in QUESTIONS:
        response = client.post("/ask", json={"question": question, "top_k": 5})
        assert response.status_code == 200, response.text
        body = response.json()
        spans = list(body["citations"])
        if body["answer"] is not None:
            spans += [body["answer"], *body["answer"]["alternatives"], *body["answer"]["supporting"]]
        for span in spans:
            assert span["doc_id"] in texts, f"{span['doc_id']} is not an article served"
            assert texts[span["doc_id"]][span["start"] : span["end"]] == span["text"]
    return served


def post_in_background(server: Server, body: dict[str, Any], path: str, results: dict[str, Any]) -> threading.Thread:
    def send() -> None:
        try:
            with httpx.Client(base_url=server.url, timeout=120.0) as client:
                results["response"] = client.post(path, json=body, headers=AUTH)
        except httpx.TransportError as exc:  # killed before it answered
            results["error"] = exc

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


@pytest.mark.integration
def test_kill_during_adds_and_a_rebuild_keeps_a_whole_index(server: Server) -> None:
    client = server.start()
    acknowledged = check_whole(client, server, set())
    outcomes = []
    for number, delay in enumerate(KILL_DELAYS):
        new = article(number)
        results: dict[str, Any] = {}
        thread = post_in_background(server, {"articles": [new]}, "/documents", results)
        time.sleep(delay)
        server.kill()
        thread.join(timeout=30)
        response = results.get("response")
        if response is not None and response.status_code == 200:
            acknowledged.add(new["id"])
        state = disk_state(server, new["id"])
        assert state != "index only"  # the folder, the source of truth, always changes first
        took = f" in {response.json()['took_ms']:.0f} ms" if new["id"] in acknowledged and response is not None else ""
        outcomes.append(f"{'acknowledged' + took if new['id'] in acknowledged else 'cut'}, disk: {state}")
        client = server.start()
        served = check_whole(client, server, acknowledged)
        assert (new["id"] in served) == (state != "nothing")  # a change that reached the folder is finished at the start
        if new["id"] in served:  # whole or nothing: an unacknowledged add that survived is complete
            assert client.get(f"/documents/{new['id']}").json()["text"] == new["text"]
    assert any(o.startswith("cut") for o in outcomes), (
        f"no kill landed before the write was acknowledged ({outcomes}): the test proved nothing"
    )

    # An acknowledged add, then a kill during a rebuild of every article.
    done = client.post("/documents", json={"articles": [article(9)]}, headers=AUTH)
    assert done.status_code == 200
    acknowledged.add(article(9)["id"])
    served_build = (server.index / "current").resolve()
    job = client.post("/index/rebuild", headers=AUTH)
    assert job.status_code == 202
    job_url = f"/index/jobs/{job.json()['job_id']}"
    deadline = time.monotonic() + 60
    while not client.get(job_url, headers=AUTH).json()["stage"].startswith("embedding"):
        assert time.monotonic() < deadline, client.get(job_url, headers=AUTH).json()
        time.sleep(0.05)
    time.sleep(0.5)  # into the embedding of every article (several seconds of it)
    rebuilding = client.get(job_url, headers=AUTH).json()
    server.kill()
    # The guard: the kill landed inside the rebuild, not before it began or after it swapped its build in.
    assert rebuilding["status"] == "running" and rebuilding["stage"].startswith("embedding"), (
        f"the rebuild was not running at the kill ({rebuilding}): the test proved nothing"
    )
    assert (server.index / "current").resolve() == served_build, "the rebuild finished before the kill: the test proved nothing"
    client = server.start()
    check_whole(client, server, acknowledged)
    print(
        json.dumps(
            {
                "adds": outcomes,
                "rebuild_at_kill": f"{rebuilding['status']}: {rebuilding['stage']}",
                "start_seconds": [round(s, 1) for s in server.starts],
            },
            ensure_ascii=False,
        )
    )
