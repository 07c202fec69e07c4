"""Browser tests of the page: the real FastAPI app served by uvicorn on 127.0.0.1 in a thread, driven by
Debian's headless Chromium through Playwright (``executable_path``; no browser is ever downloaded).

Without Chromium or Playwright the tests are skipped with a message saying what to install, unless
``QA_BROWSER_REQUIRED=1`` (set by ``make test``, whose ``browser`` step installs Chromium), which turns
the skip into a failure so CI cannot pass without them.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from api.app import create_app
from index.corpus import load_articles
from index.store import build_index, load_index
from qa.pipeline import Pipeline
from qa.reader import ReaderConfig
from qa.settings import Settings
from tests.conftest import ARTICLES, FakeEmbedder

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "eval" / "reports" / "screenshots"
THRESHOLD = 0.001  # the hash embedder's confidences are tiny (see tests/api/test_api.py)
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = "install Debian's Chromium (`apt-get install chromium`, as root) and Playwright (`pip install -e '.[dev]'`)"

# Articles added to the tiny corpus for the page: HTML that must show as text, and a long article
# whose answer sits far down, so opening it must scroll.
HTML_ARTICLE = {
    "id": "html",
    "title": "La balise <script>alert('titre')</script> du rédacteur",
    "date": "2025-03-03",
    "url": "javascript:window.__pwned = 'url'",
    "text": (
        "La balise <script>window.__pwned = 'texte'</script> du rédacteur\n"
        "Le rédacteur Kermadec a collé une balise <img src=x onerror=\"window.__pwned = 'img'\"> et du <b>gras</b> "
        "dans le gestionnaire de contenu du journal. "
        "Le correctif du gestionnaire de contenu a été publié le 3 mars à Brest."
    ),
}
FILLER = (
    "Paragraphe {n}. La météo reste changeante sur la côte bretonne, avec des averses passagères et du vent "
    "soufflant de l'ouest ; les marins attendent une accalmie avant de reprendre la mer."
)
LONG_ARTICLE = (
    "La coopérative des pêcheurs de Douarnenez\n"
    + "\n\n".join(FILLER.format(n=n) for n in range(1, 41))
    + "\n\nLa coopérative des pêcheurs de Douarnenez compte 4 200 adhérents depuis sa fusion avec celle de Concarneau."
)

# No title (its first line ends a sentence) and an id with a slash (a subfolder): named by its opening words.
UNTITLED_ID = "archives/escales"
UNTITLED_ARTICLE = (
    "Le port de Lorient a accueilli 312 escales de paquebots en 2024, un record selon la chambre de commerce.\n"
    "Les commerçants du centre-ville disent avoir vu la différence dès le printemps."
)


def chromium_path() -> str | None:
    """``QA_CHROMIUM`` when set (``make test`` sets it), else Debian's Chromium where Debian puts it."""
    configured = os.environ.get("QA_CHROMIUM")
    for candidate in (configured,) if configured else CHROMIUM_CANDIDATES:
        if Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None if configured else shutil.which("chromium")


def _missing(what: str) -> None:
    message = f"browser tests need {what}: {INSTALL_HINT}"
    if os.environ.get("QA_BROWSER_REQUIRED") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/web" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in unit tests, nothing leaves the machine; connections to loopback (the served app) are allowed."""
    connect = socket.socket.connect

    def loopback_only(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise RuntimeError(f"network access in a test: {address!r}")
        return connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)


@dataclass
class LiveServer:
    """A uvicorn server on 127.0.0.1 with an ephemeral port, run in a daemon thread."""

    app: FastAPI
    url: str = ""
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    _socket: socket.socket | None = None

    def start(self) -> LiveServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)  # connections queue until uvicorn accepts them: no race with the first request
        self._socket = sock
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(self.app, lifespan="on", log_level="warning", ws="none", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="live-server")
        self._thread.start()
        deadline = time.monotonic() + 60
        while not self._server.started:  # the lifespan (warm-up) runs before uvicorn reports started
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=30)
        if self._socket is not None:
            self._socket.close()


def web_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in ARTICLES.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    (folder / "long.txt").write_text(LONG_ARTICLE, encoding="utf-8")
    (folder / "archives").mkdir(exist_ok=True)
    (folder / f"{UNTITLED_ID}.txt").write_text(UNTITLED_ARTICLE, encoding="utf-8")
    (folder / "html.jsonl").write_text(json.dumps(HTML_ARTICLE, ensure_ascii=False) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def web_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    root = tmp_path_factory.mktemp("web")
    embedder = FakeEmbedder()
    build_index(load_articles(web_corpus(root / "articles")), embedder, root / "index")
    return Pipeline(load_index(root / "index", model=embedder.name), embedder, ReaderConfig(no_answer_threshold=THRESHOLD))


@pytest.fixture(scope="session")
def server(web_pipeline: Pipeline) -> Iterator[LiveServer]:
    """The app over the tiny corpus with the fake embedder (no model)."""
    live = LiveServer(create_app(pipeline=web_pipeline)).start()
    yield live
    live.stop()


@pytest.fixture(scope="session")
def broken_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app with no index to load: every API route answers 503, the page itself is still served."""
    settings = Settings(index_dir=tmp_path_factory.mktemp("no-index") / "none", model="all-MiniLM-L6-v2")
    live = LiveServer(create_app(settings)).start()
    yield live
    live.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        _missing("Chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=LAUNCH_ARGS, headless=True)
        yield chromium
        chromium.close()


@dataclass
class PageWatch:
    """What a page did besides rendering: requests it made, script errors it raised."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


def open_page(browser: Any, watch: PageWatch, **context_options: Any) -> tuple[Any, Any]:
    context = browser.new_context(locale="fr-FR", **context_options)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.on("request", lambda request: watch.requests.append(request.url))
    page.on("pageerror", lambda error: watch.errors.append(f"page error: {error}"))
    page.on("console", lambda message: watch.errors.append(f"console {message.type}: {message.text}") if message.type == "error" else None)
    return context, page


@pytest.fixture
def page(browser: Any, watch: PageWatch) -> Iterator[Any]:
    """A fresh browser context and page; after the test, the page must have fetched nothing but the
    served app and raised no script error (HTTP error statuses the page shows are not script errors)."""
    context, tab = open_page(browser, watch, viewport={"width": 1100, "height": 800})
    yield tab
    context.close()
    outside = [url for url in watch.requests if not url.startswith("http://127.0.0.1:")]
    assert not outside, f"the page fetched from outside the app: {outside}"
    errors = [e for e in watch.errors if "Failed to load resource" not in e]
    assert not errors, errors


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
