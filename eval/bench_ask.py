"""Warm ``POST /ask`` over HTTP on the eval sets' own questions: one client, then several at once.

The questions are those the answers are scored on: the seed set (``eval/questions_fr.jsonl``), the
held-out set (``eval/heldout/``) and the news development split (``build/eval/news/``, written by
``python -m train.export``; ``make bench`` runs it first). Their articles are indexed together, the index
a newsroom would serve, and one real ``qa serve`` answers every request on loopback.

- one client: a warm-up pass, then ``rounds`` passes, one request at a time: p50/p95/p99 and requests/s;
- ``clients`` clients at once (threads, one HTTP connection each) share ``rounds`` passes: the same
  figures under load, and the refused requests (503) counted, never hidden.
Bounded: a fixed number of requests, each with a timeout.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.metrics import percentile
from eval.questions import load_questions
from eval.service import running_service

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class QuestionSet:
    name: str
    questions: Path
    articles: Path  # a folder


def eval_sets(root: Path = ROOT) -> list[QuestionSet]:
    """The eval sets present: seed and held-out always, the news development split once exported."""
    sets = [
        QuestionSet("seed", root / "eval" / "questions_fr.jsonl", root / "data" / "articles"),
        QuestionSet("heldout", root / "eval" / "heldout" / "questions_fr.jsonl", root / "eval" / "heldout" / "articles"),
        QuestionSet("news-dev", root / "build" / "eval" / "news" / "dev.jsonl", root / "build" / "eval" / "news" / "articles"),
    ]
    return [s for s in sets if s.questions.is_file() and s.articles.is_dir()]


def gather_articles(sets: Sequence[QuestionSet], folder: Path) -> Path:
    """One articles folder holding every set's articles (each set in a subfolder: ids stay apart)."""
    for s in sets:
        shutil.copytree(s.articles, folder / s.name)
    return folder


def questions_of(sets: Sequence[QuestionSet]) -> list[str]:
    return [q.question for s in sets for q in load_questions(s.questions)]


def _stats(took_ms: Sequence[float], seconds: float, refused: int) -> dict[str, float]:
    return {
        "requests": len(took_ms),
        "p50_ms": round(percentile(took_ms, 50), 1),
        "p95_ms": round(percentile(took_ms, 95), 1),
        "p99_ms": round(percentile(took_ms, 99), 1),
        "requests_per_second": round(len(took_ms) / seconds, 2) if seconds else 0.0,
        "refused": refused,
    }


def _ask_all(client: Any, questions: Sequence[str], took: list[float], refused: list[int]) -> None:
    for q in questions:
        started = time.perf_counter()
        response = client.post("/ask", json={"question": q})
        elapsed = (time.perf_counter() - started) * 1000.0
        if response.status_code == 503:
            refused.append(1)
            continue
        response.raise_for_status()
        took.append(elapsed)


def one_client(base_url: str, questions: Sequence[str], rounds: int) -> dict[str, float]:
    import httpx

    took: list[float] = []
    refused: list[int] = []
    with httpx.Client(base_url=base_url, timeout=60.0) as client:
        _ask_all(client, questions, [], [])  # warm-up pass
        started = time.perf_counter()
        for _ in range(rounds):
            _ask_all(client, questions, took, refused)
        seconds = time.perf_counter() - started
    return _stats(took, seconds, len(refused))


def many_clients(base_url: str, questions: Sequence[str], rounds: int, clients: int) -> dict[str, float]:
    """``clients`` threads, each with its own connection, ask their share of ``rounds`` passes at once."""
    import httpx

    work = [q for _ in range(rounds) for q in questions]
    shares = [work[i::clients] for i in range(clients)]
    took: list[float] = []
    refused: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def run(share: Sequence[str]) -> None:
        mine: list[float] = []
        mine_refused: list[int] = []
        try:
            with httpx.Client(base_url=base_url, timeout=60.0) as client:
                _ask_all(client, share, mine, mine_refused)
        except (httpx.HTTPError, OSError) as exc:  # reported below, never swallowed
            errors.append(exc)
        with lock:
            took.extend(mine)
            refused.extend(mine_refused)

    threads = [threading.Thread(target=run, args=(share,)) for share in shares]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} of {clients} clients failed: {errors[0]!r}")
    return _stats(took, seconds, len(refused))


def serve_and_measure(
    articles: Path, index_dir: Path, questions: Sequence[str], rounds: int, clients: int, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """A real ``qa serve`` over ``index_dir`` (built from ``articles``): one client, then ``clients``."""
    service_env = {"QA_ARTICLES_DIR": str(articles), "QA_INDEX_DIR": str(index_dir), **(env or {})}
    with running_service(service_env) as base_url:
        single = one_client(base_url, questions, rounds)
        loaded = many_clients(base_url, questions, rounds, clients)
    return {"questions": len(questions), "one_client": single, f"{clients}_clients": loaded}


def line(name: str, stats: dict[str, float]) -> str:
    return (
        f"{name}: p50 {stats['p50_ms']:.1f} ms, p95 {stats['p95_ms']:.1f} ms, p99 {stats['p99_ms']:.1f} ms, "
        f"{stats['requests_per_second']:.1f} requests/s over {stats['requests']:.0f} requests ({stats['refused']:.0f} refused)"
    )


def dump(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
