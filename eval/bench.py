"""``make bench``: speed of the service on this machine.

1. index build time for the seed corpus (model already loaded);
2. ``qa index build`` of a larger set of articles end to end, as a user runs it (``--ingest``: by default the
   115 PIAF articles of ``../shared/datasets/piaf-train``, about 1,200 chunks): a new process, models loaded
   included, timed from outside (best of ``--ingest-runs``), with the build's own stages (extract, load, chunk,
   split, annotate, embed, index, write) from its manifest; and the converters' speed per format, in files per
   second, on the held-out articles rendered as each format (``eval/render_formats.py``);
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
import subprocess
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
from index.store import Manifest, build_index, load_index, read_manifest
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


def ingest(source: Path, settings: Settings, work: Path, runs: int) -> dict[str, Any] | None:
    """``qa index build`` of the articles at ``source`` (a folder, or one ``.jsonl`` file) in a new process, as a
    user runs it: wall seconds from outside (imports and model loading included), best of ``runs``, with the
    stages of that run's manifest."""
    if not source.exists():
        print(f"ingest: {source} not found, skipped")
        return None
    folder = source
    if source.is_file():
        folder = work / "ingest-articles"
        folder.mkdir()
        shutil.copy(source, folder / source.name)
    index_dir = work / "ingest-index"
    env = {
        **os.environ,
        "QA_ARTICLES_DIR": str(folder.resolve()),
        "QA_INDEX_DIR": str(index_dir),
        "QA_MODEL_CACHE_DIR": str(settings.model_cache_dir.resolve()),
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    walls: list[float] = []
    best: dict[str, Any] | None = None
    for _ in range(runs):
        shutil.rmtree(index_dir, ignore_errors=True)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "api.cli", "index", "build"], env=env, capture_output=True, text=True, check=False)
        walls.append(round(time.perf_counter() - started, 2))
        if done.returncode != 0:
            raise RuntimeError(f"qa index build failed: {done.stderr.strip().splitlines()[-1:]}")
        built = read_manifest(index_dir)
        if best is None or walls[-1] <= min(walls[:-1]):
            beside = [line.split(": ", 1)[1] for line in done.stdout.splitlines() if "spaCy in its own process" in line]
            best = {"manifest": built, "beside": beside[0] if beside else None}
    assert best is not None
    manifest: Manifest = best["manifest"]
    return {
        "source": str(source),
        "articles": manifest.articles,
        "chunks": manifest.chunks,
        "end_to_end_seconds": min(walls),
        "runs_seconds": walls,
        "chunks_per_second": manifest.chunks / min(walls),
        "stage_seconds": manifest.stage_seconds,
        "spacy_beside": best["beside"],
        "annotation": manifest.annotation,
        "passages": manifest.model_version,
    }


def extraction(work: Path) -> dict[str, dict[str, float]]:
    """Files per second of each format's converter, on the held-out articles rendered as each format (the second
    of two passes: the first one imports the converters' libraries)."""
    from eval.render_formats import measure, render_heldout

    folders = render_heldout(work / "formats")
    measure(folders)
    return measure(folders)


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


def print_ingest(ingested: dict[str, Any] | None, extracted: dict[str, dict[str, float]], source: Path) -> None:
    if ingested:
        print(
            f"qa index build, end to end in a new process ({ingested['articles']} articles, {ingested['chunks']} chunks from {source}): "
            f"{ingested['end_to_end_seconds']:.1f} s (runs {', '.join(f'{s:.1f}' for s in ingested['runs_seconds'])}), "
            f"{ingested['chunks_per_second']:.0f} chunks/s; passages {ingested['passages']}, annotation {ingested['annotation']}"
        )
        print("  stage          seconds   (annotate and embed_chunks overlap: spaCy's wait beside the embedding)")
        for name, seconds in ingested["stage_seconds"].items():
            print(f"  {name:<14} {seconds:7.2f}")
        if ingested["spacy_beside"]:
            print(f"  spaCy in its own process, beside the embedder's loading: {ingested['spacy_beside']}")
    print("  extraction     files/s   similarity to the text (mean / min), held-out articles rendered per format")
    for fmt, row in extracted.items():
        print(f"  {fmt:<14} {row['files_per_s']:7.1f}   {row['similarity_mean']:.4f} / {row['similarity_min']:.4f}")


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
    parser.add_argument("--ingest-only", action="store_true", help="only the end-to-end index build and the extraction speeds (2)")
    parser.add_argument("--ingest-runs", type=int, default=2, help="runs of the end-to-end build (the best is kept)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.clients < 1:
        parser.error("--rounds and --clients take a positive number")
    settings = Settings()
    if args.ingest_only:
        with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
            ingested = ingest(args.ingest, settings, Path(tmp), args.ingest_runs)
            extracted = extraction(Path(tmp))
        print_ingest(ingested, extracted, args.ingest)
        dump({"cpus": os.cpu_count(), "ingest": ingested, "extraction": extracted}, args.report)
        return 0
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
        ingested = ingest(args.ingest, settings, Path(tmp), args.ingest_runs)
        extracted = extraction(Path(tmp))
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
        "extraction": extracted,
        "encode_texts_per_second": {"pipeline": ours, "raw_sentence_transformers": theirs, "ratio": ours / theirs},
        "question_encoding": encoding,
        "ask": ask,
    }
    print(f"model {report['model']} on {report['cpus']} CPUs")
    print(f"index build (seed corpus, model loaded): {report['index_build_seconds']:.2f} s")
    print_ingest(ingested, extracted, args.ingest)
    print(f"encode: pipeline {ours:.1f} texts/s, raw SentenceTransformer.encode {theirs:.1f} texts/s ({100 * ours / theirs:.0f}%)")
    print(f"question encoding, in-process, one at a time: p50 {encoding['p50_ms']:.1f} ms, p95 {encoding['p95_ms']:.1f} ms")
    print_ask(ask, args.clients)
    dump(report, args.report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
