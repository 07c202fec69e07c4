"""``make bench-scale``: the index at 10k, 100k and 1M chunks on this machine, over a SYNTHETIC corpus.

How the corpus and its vectors are made (say so wherever a number of this bench is quoted):

- the real eval articles (seed ``data/articles`` and held-out ``eval/heldout/articles``) are chunked,
  annotated and embedded for real (the configured e5 model), and are part of every size;
- the rest are synthetic articles (:mod:`eval.synthetic`: real French paragraphs recombined, ``synth-*`` ids,
  url ``synthetic://scale``), chunked and split into sentences by the real code;
- a synthetic chunk's vector is the real e5 vector of the paragraph it starts in, plus Gaussian noise, normalised
  (embedding a million chunks on two cores would take hours: the bench prints that estimate from the measured rate);
- a synthetic sentence's candidate spans are a real annotated sentence's, clipped to its length (spaCy over
  millions of sentences is out of reach here).

Per size, in fresh processes: build time (by stage), disk, the RSS of a process holding what ``qa serve`` holds
(the index, the question encoder and the span reader), the index load time, retrieval latency p50/p95 over the
eval questions (question encoding included, reader excluded; with its dense and BM25 parts), recall@10 of the dense
index against exact search over the same vectors, and how often a gold article is among the top 5 hits.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from eval.metrics import percentile
from eval.questions import load_questions
from eval.synthetic import NOTE, SourcePool, generate, source_pool
from index.corpus import Article

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
PIAF = Path("../shared/datasets/piaf-train/articles.jsonl")  # where train/data.py finds PIAF too
NEWS = Path("data/train/news")
REAL_ARTICLES = (Path("data/articles"), Path("eval/heldout/articles"))
QUESTIONS = (Path("eval/questions_fr.jsonl"), Path("eval/heldout/questions_fr.jsonl"))
NOISE = 0.25  # norm of the noise added to a (unit) paragraph vector, before normalising again
TOP_K = 5


def rss_mib() -> dict[str, float]:
    """This process's current and peak resident memory, in MiB (``/proc/self/status``)."""
    values: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values["rss_mib" if key == "VmRSS" else "peak_rss_mib"] = round(int(rest.split()[0]) / 1024, 1)
    return values


def _disk(folder: Path) -> dict[str, float]:
    sizes = {p.relative_to(folder).as_posix(): p.stat().st_size for p in folder.rglob("*") if p.is_file()}
    top: dict[str, int] = {}
    for name, size in sizes.items():
        key = name.split("/")[0]
        top[key] = top.get(key, 0) + size
    return {"total_mib": round(sum(sizes.values()) / 2**20, 1)} | {k: round(v / 2**20, 1) for k, v in sorted(top.items())}


# ---- preparing the real part (once, in the parent) ------------------------------------------------------


def prepare(work: Path) -> dict[str, Any]:
    """Index the real articles (kept up to date under ``work/real-index``) and embed the source paragraphs
    (cached in ``work/pool-vectors.npy`` for the same paragraphs and model)."""
    from index.corpus import load_articles
    from index.update import sync_index
    from qa.factory import load_embedder
    from qa.settings import Settings

    pool = source_pool(PIAF, NEWS)
    work.mkdir(parents=True, exist_ok=True)
    embedder = load_embedder(Settings())
    real = [a for folder in REAL_ARTICLES for a in load_articles(folder)]
    synced = sync_index(work / "real-index", real, embedder)
    vectors_path, info_path = work / "pool-vectors.npy", work / "prepared.json"
    key = {"paragraphs": len(pool.paragraphs), "model": embedder.name, "model_version": embedder.version}
    info: dict[str, Any] = json.loads(info_path.read_text()) if info_path.is_file() else {}
    if not vectors_path.is_file() or any(info.get(k) != v for k, v in key.items()):
        started = time.perf_counter()
        vectors = embedder.encode_passages(list(pool.paragraphs))
        rate = len(pool.paragraphs) / (time.perf_counter() - started)
        np.save(vectors_path, np.asarray(vectors, dtype=np.float32), allow_pickle=False)
        info = key | {"embed_passages_per_second": round(rate, 1)}
    info |= {
        "real_articles": len(real),
        "real_chunks": synced.manifest.chunks,
        "pool_sources": list(pool.sources),
        "paragraph_mean_chars": round(float(np.mean([len(p) for p in pool.paragraphs])), 1),
    }
    info_path.write_text(json.dumps(info, indent=2) + "\n")
    return info


# ---- one size: build (child process) ----------------------------------------------------------------------


def _synthetic_parts(pool: SourcePool, pool_vectors: np.ndarray, want_chunks: int, real_spans: list[Any], stage: Any) -> Any:
    from index.chunking import Chunk, Chunker
    from index.sentences import split_sentences

    chunker = Chunker()
    rng = np.random.default_rng(7)
    articles: list[Article] = []
    chunks: list[Chunk] = []
    bases: list[int] = []
    with stage("generate+chunk"):
        for article, picked in generate(pool, 10**9):
            if len(chunks) >= want_chunks:
                break
            starts = np.cumsum([0] + [len(pool.paragraphs[row]) + 2 for row in picked])
            for chunk in chunker.split(article):
                chunks.append(chunk)
                bases.append(picked[int(np.searchsorted(starts, chunk.start, side="right")) - 1])
            articles.append(article)
    with stage("split"):
        sentences = [s for a in articles for s in split_sentences(a.doc_id, a.text)]
    with stage("spans"):
        spans = []
        for row, sentence in enumerate(sentences):
            length = sentence.end - sentence.start
            source = real_spans[row % len(real_spans)]
            spans.append(tuple((a, min(b, length), label) for a, b, label in source if a < length))
    with stage("vectors"):
        vectors = pool_vectors[np.asarray(bases, dtype=np.int64)]
        vectors += rng.normal(scale=NOISE / np.sqrt(vectors.shape[1]), size=vectors.shape).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return articles, chunks, sentences, spans, vectors


def build_size(work: Path, size: int, root: Path) -> dict[str, Any]:
    """Build an index of about ``size`` chunks under ``root``: the real articles plus synthetic ones."""
    from index.store import BuildParts, _Stages, build_lock, load_index, write_build

    started = time.perf_counter()
    stage = _Stages()
    real = load_index(work / "real-index")
    pool = source_pool(PIAF, NEWS)
    pool_vectors = np.load(work / "pool-vectors.npy")
    articles, chunks, sentences, spans, vectors = _synthetic_parts(
        pool, pool_vectors, max(0, size - len(real.chunks)), [s for s in real.sentence_spans if s], stage
    )
    del pool_vectors
    all_articles = list(real.articles.values()) + articles
    chunk_vectors = np.concatenate([real.chunk_vectors(), vectors])
    del vectors
    all_sentences = list(real.sentences) + sentences
    parts = BuildParts(
        all_articles,
        list(real.chunks) + chunks,
        all_sentences,
        list(real.sentence_spans) + spans,
        chunk_vectors,
        stage.seconds,
    )
    del articles, chunks, sentences, spans
    with build_lock(root):
        manifest = write_build(root, parts, real.manifest.fingerprint, started)
    (root / "SYNTHETIC.md").write_text(NOTE + "\n", encoding="utf-8")
    return {
        "articles": manifest.articles,
        "chunks": manifest.chunks,
        "sentences": manifest.sentences,
        "build_seconds": manifest.build_seconds,
        "stage_seconds": manifest.stage_seconds,
        "builder_peak_rss_mib": rss_mib()["peak_rss_mib"],
    }


# ---- one size: measure (child process) --------------------------------------------------------------------


def measure_size(root: Path, rounds: int) -> dict[str, Any]:
    """Load what ``qa serve`` loads, then time retrieval over the eval questions and compare dense with exact."""
    import faiss

    from index.dense import kind, search
    from index.lexical import Bm25Index, terms
    from index.store import current_build, load_index
    from qa.factory import load_embedder, load_span_model, pipeline_for
    from qa.settings import Settings

    settings = Settings(index_dir=root)
    before = rss_mib()["rss_mib"]
    bm25 = Bm25Index.load(current_build(root) / "bm25")
    bm25_mib = rss_mib()["rss_mib"] - before
    del bm25
    started = time.perf_counter()
    index = load_index(root)
    load_seconds = time.perf_counter() - started
    index_rss = rss_mib()["rss_mib"]
    embedder = load_embedder(settings)
    pipeline = pipeline_for(index, embedder, settings, load_span_model(settings))
    served = rss_mib()
    retriever = pipeline.retriever
    questions = [q for path in QUESTIONS for q in load_questions(path)]
    texts = [q.question for q in questions]
    pipeline.warm_up()
    total, encode, dense, lexical, gold = [], [], [], [], 0
    for _ in range(rounds):
        for question in questions:
            t0 = time.perf_counter()
            query = embedder.encode_queries([question.question])[0]
            t1 = time.perf_counter()
            hits = retriever.retrieve(question.question, query, TOP_K)
            t2 = time.perf_counter()
            total.append((t2 - t0) * 1000)
            encode.append((t1 - t0) * 1000)
            gold += bool({h.chunk.doc_id for h in hits} & set(question.doc_ids))
            t3 = time.perf_counter()
            retriever.dense(query, 50, None)
            t4 = time.perf_counter()
            retriever.lexical(question.question, 50, None)
            lexical.append((time.perf_counter() - t4) * 1000)
            dense.append((t4 - t3) * 1000)
    queries = embedder.encode_queries(texts)
    recall, by_nprobe = 1.0, {}
    if kind(index.chunk_index) != "flat":
        exact = faiss.IndexFlatIP(index.chunk_index.d)
        exact.add(index.chunk_vectors())
        _, truth = exact.search(queries, 10)
        del exact
        configured = index.chunk_index.nprobe
        for nprobe in sorted({1, 4, 8, 16, 32, 64, configured}):
            index.chunk_index.nprobe = nprobe
            found = [search(index.chunk_index, q, 10)[1] for q in queries]
            by_nprobe[nprobe] = round(float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])), 4)
        index.chunk_index.nprobe = configured
        recall = by_nprobe[configured]
    n = len(questions) * rounds
    return {
        "dense_kind": kind(index.chunk_index),
        "nprobe": int(getattr(index.chunk_index, "nprobe", 0)),
        "load_seconds": round(load_seconds, 2),
        "index_rss_mib": round(index_rss - before, 1),
        "bm25_rss_mib": round(bm25_mib, 1),
        "served_rss_mib": served["rss_mib"],
        "peak_rss_mib": rss_mib()["peak_rss_mib"],
        "questions": len(questions),
        "retrieval_ms": {"p50": percentile(total, 50), "p95": percentile(total, 95)},
        "encode_ms": {"p50": percentile(encode, 50), "p95": percentile(encode, 95)},
        "dense_ms": {"p50": percentile(dense, 50), "p95": percentile(dense, 95)},
        "bm25_ms": {"p50": percentile(lexical, 50), "p95": percentile(lexical, 95)},
        "recall_at_10_vs_exact": round(recall, 4),
        "recall_at_10_by_nprobe": by_nprobe,
        "gold_article_in_top5": round(gold / n, 3),
        "mean_query_terms": round(float(np.mean([len(terms(t)) for t in texts])), 1),
    }


# ---- the parent ---------------------------------------------------------------------------------------------


def _child(*args: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "eval.bench_scale", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _row(size: int, result: dict[str, Any]) -> str:
    b, m = result["build"], result["measure"]
    return (
        f"{size:>9,} | {b['chunks']:>9,} | {b['build_seconds']:>8.1f} | {result['disk']['total_mib']:>8.0f} | "
        f"{m['served_rss_mib'] / 1024:>7.2f} | "
        f"{m['load_seconds']:>6.1f} | {m['retrieval_ms']['p50']:>6.1f} / {m['retrieval_ms']['p95']:<6.1f} | "
        f"{m['dense_kind']:>4} {m['recall_at_10_vs_exact']:.3f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_scale", description=(__doc__ or "").splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="build and measure each size (the default)")
    run.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="chunk counts to build")
    run.add_argument("--work", type=Path, default=Path("build/scale"), help="where the indexes are built (large)")
    run.add_argument("--rounds", type=int, default=2, help="timed passes over the eval questions")
    run.add_argument("--report", type=Path, default=Path("eval/reports/bench_scale.json"))
    run.add_argument("--keep", action="store_true", help="keep the built indexes")
    build = sub.add_parser("build")
    build.add_argument("--work", type=Path, required=True)
    build.add_argument("--size", type=int, required=True)
    build.add_argument("--root", type=Path, required=True)
    measure = sub.add_parser("measure")
    measure.add_argument("--root", type=Path, required=True)
    measure.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv if argv is not None else (sys.argv[1:] or ["run"]))
    if args.command == "build":
        print(json.dumps(build_size(args.work, args.size, args.root)))
        return 0
    if args.command == "measure":
        print(json.dumps(measure_size(args.root, args.rounds)))
        return 0
    prepared = prepare(args.work)
    print(NOTE)
    print(
        f"real part: {prepared['real_articles']} eval articles, {prepared['real_chunks']} chunks embedded for real; "
        f"{prepared['paragraphs']} source paragraphs embedded at {prepared['embed_passages_per_second']} passages/s"
    )
    report: dict[str, Any] = {"note": NOTE, "cpus": os.cpu_count(), "prepared": prepared, "noise": NOISE, "sizes": {}}
    header = ["size".rjust(9), "chunks".rjust(9), "build s".rjust(8), "disk MiB", "RSS GiB", "load s", "p50 / p95 ms".ljust(15)]
    print(" | ".join([*header, "recall@10"]))
    for size in args.sizes:
        root = args.work / f"index-{size}"
        subprocess.run(["rm", "-rf", str(root)], check=True)
        built = _child("build", "--work", str(args.work), "--size", str(size), "--root", str(root))
        disk = _disk(root / "current")
        measured = _child("measure", "--root", str(root), "--rounds", str(args.rounds))
        estimate_h = built["chunks"] / prepared["embed_passages_per_second"] / 3600
        result = {"build": built, "disk": disk, "measure": measured, "real_embedding_estimate_hours": round(estimate_h, 2)}
        report["sizes"][str(size)] = result
        print(_row(size, result), flush=True)
        if not args.keep:
            subprocess.run(["rm", "-rf", str(root)], check=True)
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"report: {args.report}  (parent peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
