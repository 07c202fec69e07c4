"""The page as the app serves it (no browser: tests/web/ drives it in Chromium)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.web import STATIC_DIR
from index.store import Index
from qa.pipeline import Pipeline
from qa.readers.evidence.reader import SentenceReader
from qa.settings import Settings
from tests.conftest import FakeEmbedder


@pytest.fixture
def client(built_index: Index, fake_embedder: FakeEmbedder) -> Iterator[TestClient]:
    with TestClient(create_app(pipeline=Pipeline(built_index, fake_embedder, SentenceReader(built_index, fake_embedder)))) as test_client:
        yield test_client


def test_root_serves_the_french_page_with_a_strict_policy(client: TestClient) -> None:
    response = client.get("/", params={"q": "Qui ?"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in response.text and "Votre question" in response.text
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "/" not in client.get("/openapi.json").json()["paths"]  # the page is not part of the API


@pytest.mark.parametrize(
    ("path", "kind"), [("/static/page.js", "javascript"), ("/static/page.css", "text/css"), ("/static/icon.svg", "svg")]
)
def test_static_files(client: TestClient, path: str, kind: str) -> None:
    response = client.get(path)
    assert response.status_code == 200 and kind in response.headers["content-type"]


def test_the_page_is_served_when_the_service_is_not_ready(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "none", model="all-MiniLM-L6-v2")
    with TestClient(create_app(settings)) as client:
        assert client.get("/").status_code == 200
        assert client.get("/static/page.js").status_code == 200
        assert client.post("/ask", json={"question": "Qui ?"}).status_code == 503


def test_nothing_is_loaded_from_outside() -> None:
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    for url in re.findall(r'(?:src|href)="([^"]*)"', html):
        assert url.startswith("/"), f"index.html loads {url!r}"
    for name in ("page.js", "page.css", "index.html"):
        text = (STATIC_DIR / name).read_text(encoding="utf-8")
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|@import|url\(", text), f"{name} refers to something outside"


def test_the_script_builds_text_with_text_nodes_only() -> None:
    script = (STATIC_DIR / "page.js").read_text(encoding="utf-8")
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("//"))
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in code, f"page.js uses {sink}"
