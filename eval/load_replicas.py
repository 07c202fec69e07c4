"""Throughput of the API on Ray Serve with 1, 2, ... replicas over one read-only index (``python -m api.serve``).

For each replica count: builds the seed index once (``qa index build``), starts ``python -m api.serve
--replicas N`` on loopback, waits until every replica has answered ``/health``, then has ``--clients``
threads ask the eval questions for ``--duration`` seconds with :mod:`eval.load`'s clients (every answer
checked verbatim). Prints requests/s and latency p50/p95/p99 per count and writes a JSON report.

    python -m eval.load_replicas --replicas 1 2 --clients 8 --duration 30

Talks to the API over HTTP only (eval never imports ``api``)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eval.load import Ledger, SeedTexts, Tally, _build_index, _client
from eval.metrics import percentile
from eval.questions import load_questions
from eval.run import DEFAULT_QUESTIONS
from eval.service import HOST, free_port, stop
from index.corpus import load_articles

READY_TIMEOUT_S = 300.0


@contextmanager
def serve_replicas(replicas: int, env: dict[str, str], log: Path) -> Iterator[str]:
    """``python -m api.serve --replicas N`` on a free loopback port; yields its URL once every replica answered."""
    import httpx

    port = free_port()
    command = [sys.executable, "-m", "api.serve", "--replicas", str(replicas), "--host", HOST, "--port", str(port)]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env={**os.environ, "HF_HUB_OFFLINE": "1", **env}, stdout=sink, stderr=subprocess.STDOUT)
    base_url = f"http://{HOST}:{port}"
    try:
        seen: set[str] = set()
        deadline = time.monotonic() + READY_TIMEOUT_S
        with httpx.Client(base_url=base_url, timeout=30.0) as client:
            while len(seen) < replicas:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{replicas} replicas not ready (see {log})")
                try:
                    response = client.get("/health")
                    if response.status_code == 200:
                        seen.add(response.headers.get("X-Replica", ""))
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
        yield base_url
    finally:
        stop(process, 60)


def measure(base_url: str, questions: list[str], seeds: SeedTexts, clients: int, duration: float) -> dict[str, Any]:
    tally = Tally()
    deadline = time.monotonic() + duration
    started = time.monotonic()
    threads = [
        threading.Thread(target=_client, args=(base_url, c, questions, deadline, tally, seeds, Ledger()), name=f"client-{c}")
        for c in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies = tally.latencies_ms
    return {
        "requests": len(latencies),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 95), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
        "statuses": dict(tally.statuses),
        "answered": tally.answered,
        "failures": len(tally.failures),
        "first_failures": tally.failures[:10],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.load_replicas", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2], help="replica counts to measure, in turn")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of asking per replica count")
    parser.add_argument("--articles", type=Path, default=Path("data/articles"))
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--report", type=Path, default=Path("eval/reports/load_replicas.json"))
    args = parser.parse_args(argv)
    questions = [q.question for q in load_questions(args.questions)]
    results = []
    with tempfile.TemporaryDirectory(prefix="qa-replicas-") as tmp:
        articles_dir, index_dir = Path(tmp) / "articles", Path(tmp) / "index"
        shutil.copytree(args.articles, articles_dir)
        seeds = SeedTexts({a.doc_id for a in load_articles(articles_dir)})
        _build_index(articles_dir, index_dir)
        env = {"QA_ARTICLES_DIR": str(articles_dir), "QA_INDEX_DIR": str(index_dir)}
        for replicas in args.replicas:
            with serve_replicas(replicas, env, Path(tmp) / f"serve-{replicas}.log") as base_url:
                result = {"replicas": replicas, "clients": args.clients, **measure(base_url, questions, seeds, args.clients, args.duration)}
            results.append(result)
            print(
                f"{replicas} replica(s), {args.clients} clients, {args.duration:.0f} s: {result['requests']} requests, "
                f"{result['per_second']} requests/s, p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms; "
                f"statuses {result['statuses']}; failures {result['failures']}",
                flush=True,
            )
            for failure in result["first_failures"]:
                print(f"  FAIL {failure}")
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps({"cpus": os.cpu_count(), "runs": results}, indent=2) + "\n", encoding="utf-8")
    return 1 if any(r["failures"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
