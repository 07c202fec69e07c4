from __future__ import annotations

import numpy as np

from eval.encoders import recall


def test_recall_counts_questions_whose_top_chunks_hold_a_gold_document() -> None:
    vectors = np.eye(3, dtype=np.float32)  # chunk i points along axis i
    docs = np.array(["a", "b", "c"])
    queries = np.array([[1.0, 0.5, 0.0], [0.0, 0.2, 1.0]], dtype=np.float32)  # best: a then b; c then b
    assert recall(queries, vectors, docs, [("b",), ("c",)], 1) == 0.5
    assert recall(queries, vectors, docs, [("b",), ("c",)], 2) == 1.0
    assert recall(queries, vectors, docs, [("c",), ("a",)], 2) == 0.0
