"""``make bench``: speed of the service on this machine.

1. index build time for the seed corpus (model already loaded);
2. index build time, per stage, for a larger set of articles (``--ingest``: by default the 115 PIAF articles
   of ``../shared/datasets/piaf-train``, about 1,200 chunks), and its chunks per second;
3. passage encode throughput of the pipeline's embedder against raw ``SentenceTransformer.encode``
   on the same texts, prompt and batch size;
4. question encoding, in-process, one question at a time as ``/ask`` does: p50/p95 over the eval questions;
5. warm ``POST /ask`` over HTTP through a real ``qa serve`` on loopback, on the eval sets' own questions
   (seed, held-out, news development split: ``eval/bench_ask.py``), one client and ``--clients`` at once:
   p50/p95/p99 and requests per second;
6. where a question's time goes, stage by stage, in-process (``eval/profile.py``): embedding, retrieval,
   the reader's passages, windows and model run (with the windows and tokens it read), answer assembly.

``--ask-only`` runs 5 and 6 alone.

Talks to the API over HTTP only (eval never imports ``api``). Bounded: a fixed number of requests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from eval.bench_ask import dump, eval_sets, gather_articles, line, questions_of, serve_and_measure
from eval.metrics import percentile
from eval.profile import profile
from eval.questions import load_questions
from eval.run import DEFAULT_QUESTIONS
from index.corpus import load_articles
from index.store import build_index, load_index
from qa.factory import chunking_config, load_embedder, pipeline_for
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


def ask_bench(settings: Settings, embedder: Any, work: Path, rounds: int, clients: int, profiled: int = 200) -> dict[str, Any]:
    """Steps 5 and 6 over one index of the eval sets' articles."""
    sets = eval_sets()
    articles = gather_articles(sets, work / "ask-articles")
    index_dir = work / "ask-index"
    build_index(load_articles(articles), embedder, index_dir, chunking_config(settings))
    questions = questions_of(sets)
    served = serve_and_measure(articles, index_dir, questions, rounds, clients)
    pipeline = pipeline_for(load_index(index_dir, model=embedder.name), embedder, settings)
    step = max(1, len(questions) // profiled)  # an even sample of the sets' questions
    stages = profile(pipeline, questions[::step][:profiled]).summary()
    return {"sets": [s.name for s in sets], **served, "stages": stages}


def print_ask(report: dict[str, Any], clients: int) -> None:
    print(f"POST /ask, warm, over HTTP, {report['questions']} questions of {', '.join(report['sets'])}:")
    print("  " + line("one client", report["one_client"]))
    print("  " + line(f"{clients} clients", report[f"{clients}_clients"]))
    stages = report["stages"]
    p50 = ", ".join(f"{k} {v:.1f}" for k, v in stages["ms_p50"].items())
    print(f"  in-process, per question, p50 ms: {p50}")
    print(
        f"  the reader had {stages['passages_mean']:.1f} passages and read {stages['windows_mean']:.1f} windows, "
        f"{stages['tokens_mean']:.0f} tokens a question (mean)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the eval questions")
    parser.add_argument("--clients", type=int, default=8, help="clients asking at once in the load part of POST /ask")
    parser.add_argument("--report", type=Path, default=Path("eval/reports/bench.json"))
    parser.add_argument("--ingest", type=Path, default=DEFAULT_INGEST, help="articles (folder or .jsonl) for the ingestion timing")
    parser.add_argument("--ask-only", action="store_true", help="only POST /ask and the stage profile (5 and 6)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.clients < 1:
        parser.error("--rounds and --clients take a positive number")
    settings = Settings()
    embedder = load_embedder(settings)
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        ask = ask_bench(settings, embedder, Path(tmp), args.rounds, args.clients)
        if args.ask_only:
            print_ask(ask, args.clients)
            dump({"model": embedder.name, "cpus": os.cpu_count(), "ask": ask}, args.report)
            return 0
        articles = load_articles(settings.articles_dir)
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
    report = {
        "model": embedder.name,
        "cpus": os.cpu_count(),
        "index_build_seconds": min(builds),
        "corpus": {"articles": index.manifest.articles, "chunks": index.manifest.chunks, "sentences": index.manifest.sentences},
        "ingest": ingested,
        "encode_texts_per_second": {"pipeline": ours, "raw_sentence_transformers": theirs, "ratio": ours / theirs},
        "question_encoding": encoding,
        "ask": ask,
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
    print_ask(ask, args.clients)
    dump(report, args.report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
