"""The default question path (ONNX Runtime) gives e5-small's sentence-transformers vectors on every eval question."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from eval.questions import load_questions
from index.embedding import SentenceTransformerEmbedder
from qa.factory import embedder_for
from qa.settings import Settings

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_onnx_question_vectors_are_st_vectors(real_settings: Settings, real_embedder: SentenceTransformerEmbedder) -> None:
    assert real_embedder.query_backend == real_settings.query_backend == "onnx"  # what the service runs
    eager = embedder_for(real_embedder.spec, real_settings.model_copy(update={"query_backend": "torch"})).load()
    questions = [q.question for f in ("questions_fr.jsonl", "heldout/questions_fr.jsonl") for q in load_questions(ROOT / "eval" / f)]
    graph = np.vstack([real_embedder.encode_queries([q]) for q in questions])
    cosine = (graph * eager.encode_queries(questions)).sum(axis=1)
    assert cosine.min() >= 0.99999
