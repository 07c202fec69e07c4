"""``python -m eval.encoders``: passage encoders compared against fp32 ONNX Runtime on the eval sets.

For each question set (folder of articles + question file): the chunks are encoded by each passage backend,
then compared with the reference backend's vectors (cosine, min and mean) and scored by dense retrieval alone:
R@1 / R@5 = share of answerable questions whose top-1 / top-5 chunks include one of the gold documents.
Questions always go through the reference encoder, as ``/ask`` does whatever built the index.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from eval.questions import load_questions
from index.chunking import Chunker
from index.corpus import load_articles
from index.embedding import PassageBackend, SentenceTransformerEmbedder
from qa.factory import chunking_config
from qa.settings import Settings

SETS = {
    "seed": (Path("data/articles"), Path("eval/questions_fr.jsonl")),
    "heldout": (Path("eval/heldout/articles"), Path("eval/heldout/questions_fr.jsonl")),
    "piaf-dev": (Path("build/eval/piaf/articles"), Path("build/eval/piaf/dev.jsonl")),  # from python -m train.export
    "news-dev": (Path("build/eval/news/articles"), Path("build/eval/news/dev.jsonl")),
}
REFERENCE: PassageBackend = "onnx"


def recall(queries: np.ndarray, vectors: np.ndarray, chunk_docs: np.ndarray, gold: list[tuple[str, ...]], k: int) -> float:
    top = np.argsort(-(queries @ vectors.T), axis=1)[:, :k]
    return float(np.mean([any(d in g for d in chunk_docs[row]) for row, g in zip(top, gold, strict=True)]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.encoders", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backends", nargs="+", default=["onnx-int8"], help="passage backends to compare with fp32 onnx")
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    args = parser.parse_args(argv)
    settings = Settings()
    from index.models import resolve_model

    spec = resolve_model(settings.model, settings.model_cache_dir)
    encoders = {
        name: SentenceTransformerEmbedder(spec, query_backend="onnx", passage_backend=name, cache_dir=settings.model_cache_dir).load()
        for name in [REFERENCE, *args.backends]
    }
    chunker = Chunker(chunking_config(settings))
    for set_name in args.sets:
        articles_dir, questions_file = SETS[set_name]
        if not articles_dir.exists() or not questions_file.exists():
            print(f"{set_name}: {articles_dir} or {questions_file} missing (python -m train.export writes the dev sets), skipped")
            continue
        chunks = [c for a in load_articles(articles_dir) for c in chunker.split(a)]
        docs = np.array([c.doc_id for c in chunks])
        asked = [q for q in load_questions(questions_file) if q.answerable]
        queries = encoders[REFERENCE].encode_queries([q.question for q in asked])
        gold = [q.doc_ids for q in asked]
        reference: np.ndarray | None = None
        print(f"{set_name}: {len(asked)} answerable questions, {len(chunks)} chunks")
        for name, encoder in encoders.items():
            started = time.perf_counter()
            vectors = encoder.encode_passages([c.text for c in chunks])
            seconds = time.perf_counter() - started
            reference = vectors if reference is None else reference
            cosine = (vectors * reference).sum(axis=1)
            print(
                f"  {name:10s} {seconds:6.1f} s  cosine min {cosine.min():.4f} mean {cosine.mean():.4f}  "
                f"R@1 {recall(queries, vectors, docs, gold, 1):.3f}  R@5 {recall(queries, vectors, docs, gold, 5):.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
