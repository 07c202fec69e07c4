"""``qa``: build the index, ask from the terminal, serve the API, run the eval.

The top floor beside the app: it may use every package below (index, qa, eval)."""

from __future__ import annotations

import argparse
import copy
import functools
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from pydantic import ValidationError

from index.annotate_process import AnnotatorProcess
from index.article_files import read_articles, scan_folder
from index.chunking import ChunkingConfig
from index.corpus import ARTICLE_SUFFIXES, Article, Scan, skipped_lines
from index.distributed import LOCAL
from index.errors import ClusterError, CorpusError, QAError
from index.store import Manifest, build_index, fingerprint, read_manifest, why_stale
from index.update import sync_index
from qa.factory import annotator_for, chunking_config, load_embedder, load_pipeline, load_span_model, unloaded_embedder
from qa.pipeline import validate_question
from qa.retrieval import Mode
from qa.settings import Settings
from qa.types import Result


def _read_folder(settings: Settings, strict: bool) -> Scan:
    """The articles folder's articles; a file that cannot be read is skipped (listed in the report), or with
    ``strict`` an error that stops the command before anything is built."""
    scan = scan_folder(settings.articles_dir)
    if scan.skipped and strict:
        raise CorpusError(f"cannot read {len(scan.skipped)} file(s) of {settings.articles_dir} (--strict):\n{skipped_lines(scan.skipped)}")
    if not scan.articles:
        what = f": {len(scan.skipped)} file(s) cannot be read:\n{skipped_lines(scan.skipped)}" if scan.skipped else ""
        raise CorpusError(f"no articles ({', '.join(ARTICLE_SUFFIXES)}) in {settings.articles_dir}{what}")
    return scan


def _print_skipped(scan: Scan) -> None:
    if scan.skipped:
        print(f"  skipped {len(scan.skipped)} file(s) that cannot be read (not indexed; --strict makes this an error):")
        print(skipped_lines(scan.skipped, indent="    "))


def _build(settings: Settings, args: argparse.Namespace) -> int:
    # read under the folder's lock, an article change a crashed server left half done finished first; read again
    # under the build lock, so that a write a server acknowledged during the analysis is in the build swapped in
    started = time.perf_counter()
    scan = _read_folder(settings, args.strict)
    extract = time.perf_counter() - started
    articles = scan.articles
    chunking = chunking_config(settings)
    beside: dict[str, float] = {}
    if args.ray is not None:
        manifest = _build_on_ray(settings, args, articles, chunking)
    else:
        wanted = annotator_for(settings)
        # spaCy loads and annotates in a process of its own, on the other core, while this one loads the embedder
        with AnnotatorProcess(wanted.model, wanted.annotation) as annotator:
            annotator.start(articles)
            started = time.perf_counter()
            embedder = unloaded_embedder(settings).load(queries=False)  # a build embeds no question
            load = time.perf_counter() - started
            print(f"indexing {len(articles)} articles from {settings.articles_dir} with {embedder.name} ...", file=sys.stderr)
            manifest = build_index(
                articles,
                embedder,
                settings.index_dir,
                chunking,
                annotator=annotator,
                show_progress=sys.stderr.isatty(),
                source=functools.partial(read_articles, settings.articles_dir),
                stages_before={"extract": extract, "load_embedder": load},
            )
        beside = annotator.child_seconds
    print(
        f"built {settings.index_dir}: {manifest.articles} articles, {manifest.chunks} chunks, "
        f"{manifest.sentences} sentences, model {manifest.model}, {manifest.build_seconds:.1f} s"
    )
    print(f"  stages: {stage_line(manifest.stage_seconds)}")
    if beside:
        print(f"  spaCy in its own process, beside the embedder's loading: {stage_line(beside)}")
    _print_skipped(scan)
    return 0


def _build_on_ray(settings: Settings, args: argparse.Namespace, articles: list[Article], chunking: ChunkingConfig) -> Manifest:
    """The same build with the analysis on Ray: each actor loads the model itself (this process never does)."""
    from index.distributed import RayConfig, build_index_on_ray

    try:
        config = RayConfig(args.ray, workers=args.ray_workers, batch_size=args.ray_batch_size)
    except ValueError as exc:
        raise ClusterError(str(exc)) from exc
    embedder = unloaded_embedder(settings)  # builds the e5 folder once, here, if missing; never loads its weights
    built_with = fingerprint(embedder, chunking, annotator_for(settings))
    # the actors' settings name absolute paths: a worker's working directory need not be this one
    absolute = settings.model_copy(update={"model_cache_dir": settings.model_cache_dir.resolve()})
    where = f"{config.where}, {config.workers} workers"
    print(f"indexing {len(articles)} articles from {settings.articles_dir} with {embedder.name} on {where} ...", file=sys.stderr)
    return build_index_on_ray(
        articles,
        settings.index_dir,
        functools.partial(load_embedder, absolute),
        built_with,
        chunking,
        config=config,
        show_progress=sys.stderr.isatty(),
        source=functools.partial(read_articles, settings.articles_dir),
    )


def _sync(settings: Settings, strict: bool) -> int:
    """Bring the index up to the articles folder, embedding only added or changed articles (everything when
    the model, chunking, spaCy, the code's rules or the format changed, or there is no usable index)."""
    scan = _read_folder(settings, strict)
    articles = scan.articles
    chunking = chunking_config(settings)
    # the fingerprint needs the model's name and version, not its weights: an index up to date costs no model load
    embedder = unloaded_embedder(settings)
    annotator = annotator_for(settings)
    stale = why_stale(settings.index_dir, articles, fingerprint(embedder, chunking, annotator))
    if not stale:
        print(f"index at {settings.index_dir} is up to date ({len(articles)} articles, model {embedder.name})")
        _print_skipped(scan)
        return 0
    print(f"index at {settings.index_dir} is stale ({', '.join(stale)}): updating", file=sys.stderr)
    embedder.load()
    # the folder read again under the build lock: a write a server acknowledged since is kept, not undone
    source = functools.partial(read_articles, settings.articles_dir)
    report = sync_index(settings.index_dir, source, embedder, chunking, annotator=annotator, show_progress=sys.stderr.isatty())
    m = report.manifest
    how = f"full build ({report.full_build})" if report.full_build else "incremental"
    print(
        f"synced {settings.index_dir} ({how}): {len(report.added)} added, {len(report.replaced)} replaced, "
        f"{len(report.removed)} removed, {report.unchanged} unchanged; {report.chunks_embedded} chunks embedded; "
        f"now {m.articles} articles, {m.chunks} chunks, model {m.model}; {report.seconds:.1f} s"
    )
    print(f"  stages: {stage_line(m.stage_seconds)}")
    _print_skipped(scan)
    return 0


def stage_line(seconds: dict[str, float]) -> str:
    """``chunk 0.01 s, split 0.02 s, …`` in the order the stages ran."""
    return ", ".join(f"{name} {value:.2f} s" for name, value in seconds.items())


def _status(settings: Settings) -> int:
    print(json.dumps(asdict(read_manifest(settings.index_dir)), ensure_ascii=False, indent=2))
    return 0


def _print_result(result: Result) -> None:
    answer = result.answer
    if answer is None:
        print("Réponse : (les articles ne le disent pas)")
    else:
        print(f"Réponse : {answer.text}")
        print(f"  [{answer.doc_id} {answer.start}:{answer.end}, confiance {answer.score:.2f}]")
        if answer.sentence != answer.text:
            print(f"  Phrase : {answer.sentence}")
        for s in answer.supporting:
            print(f"  Aussi dans {s.doc_id} : {s.sentence}")
        if answer.alternatives:
            print("  Autres réponses possibles : " + " | ".join(f"{s.text} ({s.score:.2f})" for s in answer.alternatives))
    print("Sources :")
    for rank, c in enumerate(result.citations, start=1):
        title = f" — {c.title}" if c.title else ""
        snippet = " ".join(c.text.split())
        print(f"  {rank}. {c.chunk_id}{title} ({c.score:.3f})\n     {snippet[:160]}{'…' if len(snippet) > 160 else ''}")
    print(f"({result.took_ms:.0f} ms)")


def _ask(settings: Settings, args: argparse.Namespace) -> int:
    validate_question(args.question)  # before loading anything
    pipeline = load_pipeline(settings)
    top_k = settings.top_k if args.top_k is None else args.top_k
    result = pipeline.ask(
        args.question,
        top_k=top_k,
        mode=None if args.mode is None else Mode(args.mode),
        doc_ids=args.doc_id,
        date_from=args.date_from,
        date_to=args.date_to,
        keep_undated=not args.exclude_undated,
    )
    if args.json:
        print(json.dumps(asdict(result), ensure_ascii=False, indent=2))
    else:
        _print_result(result)
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    host = settings.host if args.host is None else args.host
    port = settings.port if args.port is None else args.port
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_config=log_config(settings.log_level), access_log=False)
    return 0


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging set-up, plus the service's own loggers (``qa.*``: one line per request on
    ``qa.api.access``, the question text at debug) on stderr at ``level``. uvicorn's access log is off:
    the service's line says more (request id, route template, latency, answered)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["qa"] = {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    config["handlers"]["qa"] = {"formatter": "qa", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
    config["loggers"]["qa"] = {"handlers": ["qa"], "level": level.upper(), "propagate": False}
    config["loggers"]["uvicorn"]["level"] = level.upper()
    return config


def _models(settings: Settings) -> int:
    started = time.perf_counter()
    embedder = load_embedder(settings)
    print(f"model {embedder.name} ready (dimension {embedder.dim}, {time.perf_counter() - started:.1f} s)")
    if settings.reader == "model":
        started = time.perf_counter()
        span = load_span_model(settings)  # exports the ONNX graph once, so the first `qa serve` starts fast
        print(f"span reader ready ({span.backend}, {time.perf_counter() - started:.1f} s)")
    return 0


def _eval(argv: list[str]) -> int:
    from eval.run import main as eval_main

    return eval_main(argv)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="qa", description="Extractive question answering over French news articles.")
    commands = root.add_subparsers(dest="command", required=True)
    index = commands.add_parser("index", help="build or inspect the index").add_subparsers(dest="action", required=True)
    build = index.add_parser("build", help="rebuild the index from the articles folder")
    build.add_argument(
        "--ray",
        nargs="?",
        const=LOCAL,
        default=None,
        metavar="ADDRESS",
        help="analyse the articles on Ray: a cluster's head (host:port, ray://host:port, auto), or without ADDRESS a local Ray",
    )
    build.add_argument("--ray-workers", type=int, default=2, help="Ray actors analysing articles, one CPU each (default 2)")
    build.add_argument("--ray-batch-size", type=int, default=8, help="articles per Ray batch, one shard each (default 8)")
    sync = index.add_parser("sync", help="update the index to the articles folder: embed only added or changed articles")
    for command in (build, sync):
        command.add_argument(
            "--strict", action="store_true", help="stop on a file that cannot be read (default: skip it, list it, index the rest)"
        )
    index.add_parser("status", help="print the current index manifest")
    ask = commands.add_parser("ask", help="answer a question from the terminal")
    ask.add_argument("question")
    ask.add_argument("--top-k", type=int, default=None, help="number of citations (1-20)")
    ask.add_argument("--json", action="store_true", help="print the result as JSON")
    ask.add_argument("--mode", choices=[m.value for m in Mode], default=None, help="retrieval mode (default: configured)")
    ask.add_argument("--doc-id", action="append", default=None, help="only search this document (repeatable)")
    ask.add_argument("--date-from", default=None, help="earliest article date: YYYY, YYYY-MM or YYYY-MM-DD")
    ask.add_argument("--date-to", default=None, help="latest article date: YYYY, YYYY-MM or YYYY-MM-DD")
    ask.add_argument("--exclude-undated", action="store_true", help="with a date filter, leave out articles without a date")
    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    commands.add_parser("models", help="build/check the embedding model (offline)")
    commands.add_parser("eval", help="run the eval suite (options: qa eval -- --help)", add_help=False)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "eval":
        rest = argv[1:]
        return _run(lambda: _eval(rest[1:] if rest[:1] == ["--"] else rest))
    args = parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"error: bad configuration (QA_* environment variables or .env): {_describe(exc)}", file=sys.stderr)
        return 2
    if args.command == "index":
        action = {
            "build": lambda: _build(settings, args),
            "sync": lambda: _sync(settings, args.strict),
            "status": lambda: _status(settings),
        }
        return _run(action[args.action])
    if args.command == "ask":
        return _run(lambda: _ask(settings, args))
    if args.command == "serve":
        return _run(lambda: _serve(settings, args))
    return _run(lambda: _models(settings))


def _describe(error: ValidationError) -> str:
    """Each setting's problem on one line: ``QA_TOP_K: Input should be greater than or equal to 1``."""
    parts = []
    for e in error.errors():
        message = str(e["msg"]).removeprefix("Value error, ")
        parts.append(f"QA_{'_'.join(str(p) for p in e['loc']).upper()}: {message}" if e["loc"] else message)
    return "; ".join(parts)


def _run(action: Callable[[], int]) -> int:
    try:
        return action()
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
