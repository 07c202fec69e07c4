"""``qa index build --ray`` on the seed corpus, on a local Ray of 2 CPUs, holds what the local build holds:
the same articles, chunks, sentences and candidate spans, and vectors within cosine 0.9999."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from index.corpus import load_articles
from index.embedding import SentenceTransformerEmbedder
from index.store import build_index, load_index
from index.tables import TABLE_FILES
from qa.factory import annotator_for, chunking_config
from qa.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
# bfloat16 passages (the default where the CPU has it) move with the batch they are in: the actors batch 2 articles
MIN_COSINE = 0.9999


def test_ray_build_matches_the_local_build(real_settings: Settings, real_embedder: SentenceTransformerEmbedder, tmp_path: Path) -> None:
    articles = load_articles(real_settings.articles_dir)
    build_index(articles, real_embedder, tmp_path / "local", chunking_config(real_settings), annotator=annotator_for(real_settings))
    env = {
        **os.environ,
        "QA_ARTICLES_DIR": str(real_settings.articles_dir),
        "QA_INDEX_DIR": str(tmp_path / "ray"),
        "QA_MODEL_CACHE_DIR": str(real_settings.model_cache_dir),
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    # batches of 2 articles: 3 shards for the 2 actors, so the assembly's ordering is exercised
    command = [sys.executable, "-m", "api.cli", "index", "build", "--ray", "--ray-workers", "2", "--ray-batch-size", "2"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "on a local Ray (2 CPUs)" in done.stderr and f"built {tmp_path / 'ray'}: {len(articles)} articles" in done.stdout

    local, ray = load_index(tmp_path / "local"), load_index(tmp_path / "ray")
    assert ray.manifest.fingerprint == local.manifest.fingerprint
    assert ray.manifest.corpus_hash == local.manifest.corpus_hash
    assert ray.articles == local.articles
    assert ray.chunks == local.chunks
    assert ray.sentences == local.sentences
    assert ray.sentence_spans == local.sentence_spans
    assert ray.lexical.size == local.lexical.size
    for name in TABLE_FILES:
        assert (ray.path / name).read_bytes() == (local.path / name).read_bytes(), name
    cosines = (np.asarray(ray.chunk_vectors()) * np.asarray(local.chunk_vectors())).sum(axis=1)
    assert cosines.min() >= MIN_COSINE
    assert {"ray_start", "ray_analyse", "assemble", "annotate", "embed_chunks"} <= ray.manifest.stage_seconds.keys()
    assert not list((tmp_path / "ray").glob(".ray-shards-*")), "the shards are removed once assembled"
