"""The ``qa`` command: subcommands, exit codes and one-line errors, with the fake embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from api import cli
from index.store import Index
from qa.pipeline import Pipeline
from qa.reader import ReaderConfig
from qa.settings import Settings
from tests.conftest import FakeEmbedder

THRESHOLD = 0.001  # see tests/qa/test_pipeline.py


@pytest.fixture
def env(tmp_path: Path, articles_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """QA_* settings pointing at the tiny corpus and a fresh index folder; no .env is read."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QA_ARTICLES_DIR", str(articles_dir))
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("QA_MODEL", "fake-hash-256")
    return tmp_path / "index"


@pytest.fixture
def pipeline(built_index: Index, fake_embedder: FakeEmbedder, env: Path, monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    pipeline = Pipeline(built_index, fake_embedder, ReaderConfig(no_answer_threshold=THRESHOLD))

    def load_pipeline(settings: Settings) -> Pipeline:
        return pipeline

    monkeypatch.setattr(cli, "load_pipeline", load_pipeline)
    return pipeline


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(("option", "value"), [("--date-from", "2025-13"), ("--date-to", "2025-02-30")])
def test_ask_refuses_an_impossible_date(pipeline: Pipeline, capsys: pytest.CaptureFixture[str], option: str, value: str) -> None:
    assert cli.main(["ask", "Qui finance Stargate ?", option, value]) == 2
    out, err = capsys.readouterr()
    assert f"'{value}' is not a real date" in one_error_line(err)
    assert out == ""


def test_ask_with_date_filters(pipeline: Pipeline, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["ask", "Samsung Séoul puces", "--date-from", "2024-02-29", "--date-to", "2025-12", "--exclude-undated", "--json"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert '"doc_id": "alpha"' in out and '"doc_id": "beta"' not in out
