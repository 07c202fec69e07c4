"""A real ``qa serve`` on loopback for the benchmarks (eval talks to the API over HTTP only, never imports it)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_ready(client: Any, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Until ``GET /health`` answers 200; raises if the server exits or is not ready in ``timeout`` s."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("qa serve exited before it was ready")
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx.TransportError:  # not listening yet
            pass
        time.sleep(0.25)
    raise RuntimeError(f"qa serve not ready after {timeout:.0f} s")


@contextmanager
def running_service(env: Mapping[str, str], log: Path | None = None, ready_timeout: float = 180.0) -> Iterator[str]:
    """``qa serve`` on a free loopback port with ``env`` added to this process's environment; yields
    its base URL once ``/health`` answers, and stops it on exit. Its output goes to ``log`` (else nowhere)."""
    import httpx

    port = free_port()
    command = [sys.executable, "-m", "api.cli", "serve", "--host", HOST, "--port", str(port)]
    sink = log.open("wb") if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(command, env={**os.environ, "HF_HUB_OFFLINE": "1", **env}, stdout=sink, stderr=subprocess.STDOUT)
    base_url = f"http://{HOST}:{port}"
    try:
        with httpx.Client(base_url=base_url, timeout=30.0) as client:
            wait_ready(client, process, ready_timeout)
        yield base_url
    finally:
        stop(process, 30)
        if log is not None:
            sink.close()  # type: ignore[union-attr]


def stop(process: subprocess.Popen[bytes], timeout: float) -> None:
    """Terminate ``process`` and wait for it; kill it if it has not exited within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
