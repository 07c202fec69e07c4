"""End to end with the real model: HTTP in, verbatim cited answer out."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from qa.pipeline import Pipeline
from qa.settings import Settings


def test_app_loads_index_and_model_in_lifespan(real_settings: Settings, real_pipeline: Pipeline) -> None:
    with TestClient(create_app(real_settings)) as client:
        health = client.get("/health").json()
        assert health["status"] == "ok" and health["articles"] == 5 and health["model"] == real_pipeline.embedder.name
        body = client.post("/ask", json={"question": "Combien de puces mémoire OpenAI espère-t-il recevoir chaque mois ?"}).json()
        answer = body["answer"]
        assert answer is not None
        text = client.get(f"/documents/{answer['doc_id']}").json()["text"]
        assert text[answer["start"] : answer["end"]] == answer["text"]
        assert 0.0 <= answer["score"] <= 1.0
        assert any("900 000" in c["text"] for c in body["citations"])


def test_index_refuses_another_model(real_settings: Settings, real_pipeline: Pipeline) -> None:
    other = real_settings.model_copy(
        update={"model": "all-MiniLM-L6-v2" if real_settings.model != "all-MiniLM-L6-v2" else "multilingual-e5-small"}
    )
    with TestClient(create_app(other)) as client:
        response = client.post("/ask", json={"question": "Qui ?"})
        assert response.status_code == 503
        assert "rebuild" in response.json()["detail"]
