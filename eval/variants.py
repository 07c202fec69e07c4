"""``python -m eval.variants``: the span reader's serving settings side by side, answers and speed.

For each setting (how the network runs, how many chunks it reads, its threads) and each development set
(seed, held-out, the news development split open over its articles, PIAF's development split with the
right article given), the same questions are asked through the same index: F1 and EM on each set, what
the reader read (windows and tokens a question, mean) and how long a question took in-process (p50 and
p95 of ``Pipeline.ask``, embedding and retrieval included). One table, to pick the default from.

The dev sets come from ``python -m train.export`` (``build/eval``); ``make bench`` and ``make train``
write them. Timings are of this process on this machine: compare rows of one run, not across runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.metrics import mean, percentile
from eval.profile import Recording
from eval.questions import Question
from eval.run import DEFAULT_QUESTIONS, load_eval, run_questions, summarize
from qa.factory import load_span_model, pipeline_for
from qa.pipeline import Pipeline
from qa.readers.span.model import SpanModel
from qa.readers.span.reader import ModelReader
from qa.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class DevSet:
    name: str
    questions: Path
    articles: Path
    closed: bool = False


def dev_sets(build: Path) -> list[DevSet]:
    sets = [
        DevSet("seed", DEFAULT_QUESTIONS, ROOT / "data" / "articles"),
        DevSet("heldout", ROOT / "eval" / "heldout" / "questions_fr.jsonl", ROOT / "eval" / "heldout" / "articles"),
        DevSet("news-dev", build / "news" / "dev.jsonl", build / "news" / "articles"),
        DevSet("piaf-dev-closed", build / "piaf" / "dev.jsonl", build / "piaf" / "articles", closed=True),
    ]
    missing = [s.name for s in sets if not s.questions.is_file()]
    if missing:
        raise SystemExit(f"missing dev sets {missing}: run `python -m train.export --out {build}` first")
    return sets


def parse_variant(text: str) -> dict[str, Any]:
    """``backend=onnx-int8,chunks=2,threads=1`` -> Settings overrides."""
    names = {"backend": "reader_backend", "chunks": "model_chunks", "threads": "reader_threads", "settle": "model_settle"}
    out: dict[str, Any] = {}
    for part in filter(None, text.split(",")):
        key, _, value = part.partition("=")
        if key not in names:
            raise SystemExit(f"unknown variant key {key!r} in {text!r} (backend, chunks, threads, settle)")
        out[names[key]] = value if key == "backend" else float(value) if key == "settle" else int(value)
    return out


def reading(pipeline: Pipeline, questions: list[Question], closed: bool) -> tuple[float, float]:
    """Mean windows and tokens the span reader reads a question, settling included (asked as the eval asks)."""
    reader = pipeline.reader
    if not isinstance(reader, ModelReader):
        return float("nan"), float("nan")
    counting = Recording(reader.model)
    counted = pipeline.with_reader(ModelReader(pipeline.index, counting, reader.config))  # type: ignore[arg-type]
    run_questions(counted, questions, 5, closed=closed)
    return counting.windows / max(1, len(questions)), counting.tokens / max(1, len(questions))


_MODELS: dict[tuple[str, int | None], SpanModel] = {}


def span_model(settings: Settings) -> SpanModel:
    """One loaded span model per backend and thread count, shared by every set."""
    key = (settings.reader_backend, settings.reader_threads)
    if key not in _MODELS:
        _MODELS[key] = load_span_model(settings)
    return _MODELS[key]


def measure(base: Pipeline, settings: Settings, questions: list[Question], closed: bool) -> dict[str, float]:
    pipeline = pipeline_for(base.index, base.embedder, settings, span_model(settings))
    run_questions(pipeline, questions[:20], 5, closed=closed)  # warm: graphs loaded, caches filled
    started = time.perf_counter()
    outcomes = run_questions(pipeline, questions, 5, closed=closed)
    seconds = time.perf_counter() - started
    summary = summarize(outcomes, pipeline.reader.no_answer_threshold)
    took = [o.took_ms for o in outcomes]
    windows, tokens = reading(pipeline, questions, closed)
    return {
        "f1": round(float(summary["f1"]), 4),
        "em": round(float(summary["exact_match"]), 4),
        "no_answer_accuracy": round(float(summary.get("no_answer_accuracy") or 0.0), 4),
        "p50_ms": round(percentile(took, 50), 1),
        "p95_ms": round(percentile(took, 95), 1),
        "questions_per_second": round(len(outcomes) / seconds, 2),
        "windows": round(windows, 2),
        "tokens": round(tokens, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.variants", description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="settings to compare, e.g. backend=onnx,chunks=3 (repeatable; default: a small grid)",
    )
    parser.add_argument("--build", type=Path, default=Path("build/eval"), help="where python -m train.export wrote the dev sets")
    parser.add_argument("--limit", type=int, default=400, help="questions of a set at most (its first ones; PIAF dev has 1,314)")
    parser.add_argument("--sets", nargs="+", default=None, help="only these sets (seed, heldout, news-dev, piaf-dev-closed)")
    parser.add_argument("--report", type=Path, default=Path("eval/reports/variants.json"))
    args = parser.parse_args(argv)
    variants = args.variant or [
        "backend=onnx,chunks=3",
        "backend=onnx-int8,chunks=3",
        "backend=onnx,chunks=2",
        "backend=onnx-int8,chunks=2",
    ]
    settings = Settings()
    rows: dict[str, dict[str, dict[str, float]]] = {v: {} for v in variants}
    for dev in dev_sets(args.build):
        if args.sets and dev.name not in args.sets:
            continue
        questions, base = load_eval(dev.questions, dev.articles, None, settings)
        questions = questions[: args.limit]
        for v in variants:
            rows[v][dev.name] = measure(base, settings.model_copy(update=parse_variant(v)), questions, dev.closed)
            print(f"{dev.name:<16} {v:<32} {json.dumps(rows[v][dev.name])}", file=sys.stderr)
    print_table(rows)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


def print_table(rows: dict[str, dict[str, dict[str, float]]]) -> None:
    sets = list(next(iter(rows.values())))
    head = " | ".join(f"F1 {s}" for s in sets)
    print(f"| variant | tokens | {head} | p50 ms | p95 ms |")
    print("|" + "---|" * (len(sets) + 4))
    for v, by_set in rows.items():
        tokens = mean(r["tokens"] for r in by_set.values())
        p50 = mean(r["p50_ms"] for r in by_set.values())
        p95 = mean(r["p95_ms"] for r in by_set.values())
        f1s = " | ".join(f"{by_set[s]['f1']:.3f}" for s in sets)
        print(f"| {v} | {tokens:.0f} | {f1s} | {p50:.0f} | {p95:.0f} |")


if __name__ == "__main__":
    sys.exit(main())
