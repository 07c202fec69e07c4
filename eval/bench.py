"""``make bench``: speed of the service on this machine.

1. index build time for the seed corpus (model already loaded);
2. index build time, per stage, for a larger set of articles (``--ingest``: by default the 115 PIAF articles
   of ``../shared/datasets/piaf-train``, about 1,200 chunks), and its chunks per second;
3. passage encode throughput of the pipeline's embedder against raw ``SentenceTransformer.encode``
   on the same texts, prompt and batch size;
4. question encoding, in-process, one question at a time as ``/ask`` does: p50/p95 over the eval questions;
5. ``POST /ask`` latency over the eval questions, warm, through a real ``qa serve`` on loopback.

Talks to the API over HTTP only (eval never imports ``api``). Bounded: a fixed number of requests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from eval.metrics import percentile
from eval.questions import load_questions
from eval.run import DEFAULT_QUESTIONS
from eval.service import running_service
from index.corpus import load_articles
from index.store import build_index, load_index
from qa.factory import chunking_config, load_embedder
from qa.settings import Settings


def _best_rate(encode: Any, texts: list[str], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        encode(texts)
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


DEFAULT_INGEST = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "piaf-train" / "articles.jsonl"


def ingest(source: Path, embedder: Any, settings: Settings, work: Path) -> dict[str, Any] | None:
    """Build an index of the articles at ``source`` (a folder, or one ``.jsonl`` file) and time its stages."""
    if not source.exists():
        print(f"ingest: {source} not found, skipped")
        return None
    folder = source
    if source.is_file():
        folder = work / "ingest-articles"
        folder.mkdir()
        shutil.copy(source, folder / source.name)
    manifest = build_index(load_articles(folder), embedder, work / "ingest-index", chunking_config(settings))
    return {
        "source": str(source),
        "articles": manifest.articles,
        "chunks": manifest.chunks,
        "seconds": manifest.build_seconds,
        "chunks_per_second": manifest.chunks / manifest.build_seconds,
        "stage_seconds": manifest.stage_seconds,
    }


def question_encoding(embedder: Any, questions: list[str], rounds: int) -> dict[str, float]:
    """Milliseconds to encode one question, as ``/ask`` does (after a warm-up pass)."""
    for q in questions:
        embedder.encode_queries([q])
    took = []
    for _ in range(rounds):
        for q in questions:
            started = time.perf_counter()
            embedder.encode_queries([q])
            took.append((time.perf_counter() - started) * 1000)
    return {"questions": len(took), "p50_ms": percentile(took, 50), "p95_ms": percentile(took, 95)}


def ask_latency(index_dir: Path, questions: list[str], rounds: int) -> dict[str, float]:
    import httpx

    with running_service({"QA_INDEX_DIR": str(index_dir)}) as base_url, httpx.Client(base_url=base_url, timeout=30.0) as client:
        for q in questions:  # warm-up round
            client.post("/ask", json={"question": q}).raise_for_status()
        wall, server = [], []
        for _ in range(rounds):
            for q in questions:
                started = time.perf_counter()
                response = client.post("/ask", json={"question": q})
                wall.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
                server.append(float(response.json()["took_ms"]))
    return {
        "requests": len(wall),
        "p50_ms": percentile(wall, 50),
        "p95_ms": percentile(wall, 95),
        "server_p50_ms": percentile(server, 50),
        "server_p95_ms": percentile(server, 95),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the eval questions")
    parser.add_argument("--report", type=Path, default=Path("eval/reports/bench.json"))
    parser.add_argument("--ingest", type=Path, default=DEFAULT_INGEST, help="articles (folder or .jsonl) for the ingestion timing")
    args = parser.parse_args(argv)
    settings = Settings()
    embedder = load_embedder(settings)
    articles = load_articles(settings.articles_dir)
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        index_dir = Path(tmp) / "index"
        builds = [build_index(articles, embedder, index_dir, chunking_config(settings)).build_seconds for _ in range(2)]
        index = load_index(index_dir)
        ingested = ingest(args.ingest, embedder, settings, Path(tmp))
        texts = [c.text for c in index.chunks] + [s.text for s in index.sentences]

        from sentence_transformers import SentenceTransformer

        raw = SentenceTransformer(embedder.spec.location, device="cpu", local_files_only=True)
        prompt = embedder.spec.passage_prompt or None

        def raw_encode(batch: list[str]) -> Any:
            return raw.encode(batch, prompt=prompt, batch_size=embedder.batch_size, normalize_embeddings=True, convert_to_numpy=True)

        ours = _best_rate(embedder.encode_passages, texts, 3)
        theirs = _best_rate(raw_encode, texts, 3)
        questions = [q.question for q in load_questions(DEFAULT_QUESTIONS)]
        encoding = question_encoding(embedder, questions, args.rounds)
        latency = ask_latency(index_dir, questions, args.rounds)
    report = {
        "model": embedder.name,
        "cpus": os.cpu_count(),
        "index_build_seconds": min(builds),
        "corpus": {"articles": index.manifest.articles, "chunks": index.manifest.chunks, "sentences": index.manifest.sentences},
        "ingest": ingested,
        "encode_texts_per_second": {"pipeline": ours, "raw_sentence_transformers": theirs, "ratio": ours / theirs},
        "question_encoding": encoding,
        "ask": latency,
    }
    print(f"model {report['model']} on {report['cpus']} CPUs")
    print(f"index build (seed corpus, model loaded): {report['index_build_seconds']:.2f} s")
    if ingested:
        stages = ", ".join(f"{k} {v:.2f} s" for k, v in ingested["stage_seconds"].items())
        print(
            f"index build ({ingested['articles']} articles, {ingested['chunks']} chunks from {args.ingest}): {ingested['seconds']:.1f} s, "
            f"{ingested['chunks_per_second']:.0f} chunks/s ({stages}; annotate and embed_chunks overlap)"
        )
    print(f"encode: pipeline {ours:.1f} texts/s, raw SentenceTransformer.encode {theirs:.1f} texts/s ({100 * ours / theirs:.0f}%)")
    print(f"question encoding, in-process, one at a time: p50 {encoding['p50_ms']:.1f} ms, p95 {encoding['p95_ms']:.1f} ms")
    print(
        f"POST /ask over {latency['requests']} requests (warm): p50 {latency['p50_ms']:.1f} ms, p95 {latency['p95_ms']:.1f} ms "
        f"(server-side p50 {latency['server_p50_ms']:.1f} ms, p95 {latency['server_p95_ms']:.1f} ms)"
    )
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
