"""``python -m api.serve``: two replicas of the API on Ray Serve behind one address, over one index read-only.

The replicas load the real model, as ``qa serve`` does; both must answer (each names itself in ``X-Replica``),
answers must be verbatim, and the write endpoints must be off."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from eval.service import free_port, stop
from index.corpus import load_articles
from index.embedding import SentenceTransformerEmbedder
from index.store import build_index
from qa.factory import chunking_config
from qa.settings import Settings
from tests.integration.conftest import loopback_only

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = [
    "Combien de puces mémoire OpenAI veut-il recevoir par mois ?",
    "Qui préside SoftBank ?",
    "Où l'accord a-t-il été annoncé ?",
    "Quand Sam Altman s'est-il rendu en Corée ?",
]
READY_TIMEOUT_S = 240


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """This test talks to its own replicas on 127.0.0.1 only; any other address still fails loudly."""
    loopback_only(monkeypatch)


def wait_for_health(client: httpx.Client, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, "python -m api.serve exited before it served"
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(1.0)
    pytest.fail(f"no replica answered /health within {READY_TIMEOUT_S} s")


def test_two_replicas_answer_behind_one_address(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    build_index(load_articles(real_settings.articles_dir), real_embedder, tmp_path / "index", chunking_config(real_settings))
    port = free_port()
    env = {
        **os.environ,
        "QA_INDEX_DIR": str(tmp_path / "index"),
        "QA_ARTICLES_DIR": str(real_settings.articles_dir),
        "QA_MODEL_CACHE_DIR": str(real_settings.model_cache_dir),
        "QA_ADMIN_TOKEN": "a-token-the-replicas-must-ignore",
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    command = [sys.executable, "-m", "api.serve", "--replicas", "2", "--port", str(port)]
    with (tmp_path / "serve.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60.0) as client:
            wait_for_health(client, process)
            seen: set[str] = set()
            texts: dict[str, str] = {}
            deadline = time.monotonic() + READY_TIMEOUT_S  # the second replica may still be warming up
            with ThreadPoolExecutor(max_workers=4) as pool:
                while len(seen) < 2 and time.monotonic() < deadline:
                    responses = list(pool.map(lambda q: client.post("/ask", json={"question": q, "top_k": 3}), QUESTIONS))
                    for response in responses:
                        assert response.status_code == 200, response.text
                        seen.add(response.headers["X-Replica"])
                        answer = response.json()["answer"]
                        if answer is not None:
                            doc = answer["doc_id"]
                            texts.setdefault(doc, client.get(f"/documents/{doc}").json()["text"])
                            assert texts[doc][answer["start"] : answer["end"]] == answer["text"]
            assert len(seen) == 2, f"only replica {seen} answered"
            assert texts, "no question was answered"
            write = client.post("/documents", json={"articles": []}, headers={"Authorization": "Bearer a-token-the-replicas-must-ignore"})
            assert write.status_code == 403, "the replicas share one index: their write endpoints stay off"
    finally:
        stop(process, 60)
    assert process.returncode == 0, (tmp_path / "serve.log").read_text(errors="replace")[-3000:]
