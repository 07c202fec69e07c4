"""Driving the page in a real browser: the app served by uvicorn on 127.0.0.1 in a thread, and Debian's
headless Chromium through Playwright (``executable_path``; no browser is ever downloaded). A pytest plugin
(``pytest_plugins`` in tests/conftest.py), so tests/web/ and the real-model tier share it.

Without Chromium or Playwright the browser tests are skipped with a message saying what to install, unless
``QA_BROWSER_REQUIRED=1`` (set by ``make test``, whose ``browser`` step installs Chromium), which turns the
skip into a failure so CI cannot pass without them.
"""

from __future__ import annotations

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

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "eval" / "reports" / "screenshots"
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
        deadline = time.monotonic() + 120
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

    def check(self) -> None:
        """Nothing fetched from outside the served app; no script error (an HTTP error status the page
        shows is logged by Chromium as "Failed to load resource": not a script error)."""
        outside = [url for url in self.requests if not url.startswith("http://127.0.0.1:")]
        assert not outside, f"the page fetched from outside the app: {outside}"
        errors = [e for e in self.errors if "Failed to load resource" not in e]
        assert not errors, errors


def open_page(browser: Any, watch: PageWatch, **context_options: Any) -> tuple[Any, Any]:
    """A fresh context (no cookies, no cache) and a page in it, watched."""
    context = browser.new_context(locale="fr-FR", **context_options)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.on("request", lambda request: watch.requests.append(request.url))
    page.on("pageerror", lambda error: watch.errors.append(f"page error: {error}"))
    page.on("console", lambda message: watch.errors.append(f"console {message.type}: {message.text}") if message.type == "error" else None)
    return context, page


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A desktop-sized page; after the test, checked as `PageWatch.check` says."""
    watch = PageWatch()
    context, tab = open_page(browser, watch, viewport={"width": 1100, "height": 800})
    yield tab
    context.close()
    watch.check()


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
