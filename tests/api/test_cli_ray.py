"""``qa index build --ray``: what it refuses, as one error line and exit 2, before any model loads or the
index changes (the build itself, on a local Ray with the real model, is in tests/integration/test_ray_build_real.py)."""

from __future__ import annotations

import _socket
import socket
from pathlib import Path

import pytest

from api import cli


@pytest.fixture
def index_dir(env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:

    def no_model(*args: object) -> None:
        raise AssertionError("no model may load for a build that cannot run")

    monkeypatch.setattr(cli, "load_embedder", no_model)
    return env


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # free once closed: nobody listens there


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--ray", "nohost"], "bad Ray address 'nohost'"),
        (["--ray", "ray://:10001"], "bad Ray address"),
        (["--ray", "--ray-workers", "0"], "workers must be at least 1"),
        (["--ray", "--ray-batch-size", "0"], "batch_size must be at least 1"),
    ],
)
def test_bad_ray_options_are_one_error_line(index_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert cli.main(["index", "build", *argv]) == 2
    _, err = capsys.readouterr()
    assert err.strip().splitlines() == [err.strip()] and err.startswith("error: ") and message in err
    assert not (index_dir / "current").exists() and not list(index_dir.glob(".ray-shards-*"))


def test_an_address_nobody_answers_at_fails_fast(
    index_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket.socket, "connect", _socket.socket.connect)  # loopback only: a port nobody listens on
    port = closed_port()
    assert cli.main(["index", "build", "--ray", f"127.0.0.1:{port}"]) == 2
    _, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert lines[-1].startswith(f"error: no Ray cluster answers at 127.0.0.1:{port}") and "Traceback" not in err
    assert not (index_dir / "current").exists() and not list(index_dir.glob(".ray-shards-*"))
