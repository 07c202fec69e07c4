"""Fixtures of the command-line tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def env(tmp_path: Path, articles_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """QA_* settings pointing at the tiny corpus and a fresh index folder; no .env is read."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QA_ARTICLES_DIR", str(articles_dir))
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("QA_MODEL", "fake-hash-256")
    # the fake embedder's services read with the evidence reader, which needs spaCy's full analysis in the index
    monkeypatch.setenv("QA_ANNOTATION", "full")
    return tmp_path / "index"
