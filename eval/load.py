"""``make load``: many clients asking a real ``qa serve`` at once while, optionally, a writer changes the articles.

1. copies the seed articles to a temporary folder and builds an index of them (``qa index build``);
2. starts ``qa serve`` on 127.0.0.1 over them, with a fresh admin token;
3. ``--clients`` threads ask the eval questions for ``--duration`` seconds; meanwhile a writer thread, every
   ``--write-every`` seconds, adds an article of its own (``load/w<n>``, a seed article with a revision line),
   replaces the one before, deletes the oldest when more than two are live, and every third cycle asks for
   a rebuild and runs its next cycle while the rebuild runs (those writes wait their turn behind it), then waits
   for the job, all through the write endpoints (``POST /documents``,
   ``DELETE /documents/{id}``, ``POST /index/rebuild``); it stands down, saying so, when the service has
   no write endpoints (404/405);
4. checks every answer: a 200, and verbatim (``text == document.text[start:end]``) from an article that
   existed during the request: a seed article's text is fetched once (``GET /documents/{id}``; the writer
   never touches them), a writer article's is checked against every version the writer had made visible
   while the request ran;
5. prints requests/s, latency p50/p99 and the failures, and writes a JSON report. Exits 1 on any failure. A write
   the service refused for now (503: its line of writes full, its disk full; 409) is a failure, also counted
   apart as ``refused``, with the writes sent while a rebuild ran (``during_rebuild``).

Talks to the API over HTTP only (eval never imports ``api``). Bounded by ``--duration``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.metrics import percentile
from eval.questions import load_questions
from eval.run import DEFAULT_QUESTIONS
from eval.service import running_service
from index.corpus import Article, load_articles

WRITER_PREFIX = "load/w"
SHOWN_FAILURES = 10


@dataclass
class Version:
    """One write of one article: ``text`` None for a delete. Visible at the earliest when its request
    started, and surely once it was acknowledged."""

    text: str | None
    started: float
    acknowledged: float = math.inf


class Ledger:
    """Every version the writer made of its articles, to check answers against. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[str, list[Version]] = {}

    def begin(self, doc_id: str, text: str | None) -> Version:
        version = Version(text, time.monotonic())
        with self._lock:
            self._versions.setdefault(doc_id, []).append(version)
        return version

    def acknowledge(self, version: Version) -> None:
        with self._lock:
            version.acknowledged = time.monotonic()

    def owns(self, doc_id: str) -> bool:
        return doc_id.startswith(WRITER_PREFIX)

    def texts_during(self, doc_id: str, started: float, ended: float) -> list[str]:
        """The texts ``doc_id`` may have had between ``started`` and ``ended``: each version from its
        write's start until the next write of the article was acknowledged."""
        with self._lock:
            versions = list(self._versions.get(doc_id, ()))
        texts = []
        for i, version in enumerate(versions):
            gone = versions[i + 1].acknowledged if i + 1 < len(versions) else math.inf
            if version.text is not None and version.started <= ended and gone >= started:
                texts.append(version.text)
        return texts


@dataclass
class Tally:
    """What the clients saw. Thread-safe through ``lock``."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    answered: int = 0
    from_writer: int = 0  # answers from an article the writer made
    failures: list[str] = field(default_factory=list)

    def add(self, latency_ms: float, status: str, answered: bool, failure: str | None, from_writer: bool = False) -> None:
        with self.lock:
            self.latencies_ms.append(latency_ms)
            self.statuses[status] += 1
            self.answered += answered
            self.from_writer += from_writer
            if failure is not None:
                self.failures.append(failure)


@dataclass
class WriterLog:
    adds_ms: list[float] = field(default_factory=list)
    replaces: int = 0
    deletes: int = 0
    rebuilds: int = 0
    rebuild_seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    refused: int = 0  # writes answered 409 or 503: the service did not take them (a subset of the failures)
    during_rebuild: int = 0  # writes sent while a rebuild job ran
    skipped: str | None = None

    def failed(self, what: str, response: Any) -> None:
        self.failures.append(f"{what}: {response.status_code} {response.text[:200]}")
        self.refused += response.status_code in (409, 503)


class SeedTexts:
    """Seed articles' texts as the service serves them, fetched once each."""

    def __init__(self, seed_ids: set[str]) -> None:
        self.ids = seed_ids
        self._lock = threading.Lock()
        self._texts: dict[str, str] = {}

    def get(self, client: Any, doc_id: str) -> str | None:
        with self._lock:
            if doc_id in self._texts:
                return self._texts[doc_id]
        response = client.get(f"/documents/{doc_id}")
        if response.status_code != 200:
            return None
        text = str(response.json()["text"])
        with self._lock:
            self._texts[doc_id] = text
        return text


def _check_answer(answer: dict[str, Any], started: float, ended: float, client: Any, seeds: SeedTexts, ledger: Ledger) -> str | None:
    """Why the answer is wrong, or None when it is verbatim from an article that existed during the request."""
    doc_id, start, end, text = answer["doc_id"], answer["start"], answer["end"], answer["text"]
    if ledger.owns(doc_id):
        candidates = ledger.texts_during(doc_id, started, ended)
        if not candidates:
            return f"answer from {doc_id}, which did not exist during the request"
    elif doc_id in seeds.ids:
        seed = seeds.get(client, doc_id)
        if seed is None:
            return f"answer from seed article {doc_id}, which GET /documents cannot find"
        candidates = [seed]
    else:
        return f"answer from {doc_id}, an article nobody wrote"
    if not any(candidate[start:end] == text for candidate in candidates):
        return f"answer {text!r} is not {doc_id}[{start}:{end}] in any version the request could see"
    return None


def _client(base_url: str, number: int, questions: list[str], deadline: float, tally: Tally, seeds: SeedTexts, ledger: Ledger) -> None:
    import httpx

    with httpx.Client(base_url=base_url, timeout=60.0) as client:
        i = number
        while time.monotonic() < deadline:
            question = questions[i % len(questions)]
            i += 1
            started = time.monotonic()
            try:
                response = client.post("/ask", json={"question": question})
            except httpx.HTTPError as exc:
                tally.add((time.monotonic() - started) * 1000.0, "transport error", False, f"{question!r}: {exc!r}")
                continue
            ended = time.monotonic()
            latency_ms = (ended - started) * 1000.0
            if response.status_code != 200:
                tally.add(latency_ms, str(response.status_code), False, f"{question!r}: {response.status_code} {response.text[:200]}")
                continue
            answer = response.json()["answer"]
            failure = None if answer is None else _check_answer(answer, started, ended, client, seeds, ledger)
            from_writer = answer is not None and ledger.owns(answer["doc_id"])
            tally.add(latency_ms, "200", answer is not None, None if failure is None else f"{question!r}: {failure}", from_writer)


def _variant(seed: Article, n: int) -> dict[str, Any]:
    """A writer article: a seed article's text with a revision line, so that questions find it too."""
    text = f"{seed.text}\n\nMise à jour n° {n} : cet article a été révisé par le test de charge."
    return {"id": f"{WRITER_PREFIX}{n}", "text": text, "title": f"{seed.title or 'Article'} (révision {n})"}


def _wait_for_job(client: Any, job_id: str, deadline: float) -> dict[str, Any]:
    while True:
        job: dict[str, Any] = client.get(f"/index/jobs/{job_id}").raise_for_status().json()
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.5)


def _writer(
    base_url: str, token: str, seeds: list[Article], deadline: float, every: float, ledger: Ledger, log: WriterLog, stop: threading.Event
) -> None:
    import httpx

    auth = {"Authorization": f"Bearer {token}"}
    live: list[str] = []
    n = 0
    with httpx.Client(base_url=base_url, timeout=300.0, headers=auth) as client:
        while time.monotonic() < deadline and not stop.is_set():
            n += 1
            try:
                _write_cycle(client, n, seeds, ledger, log, live)
            except httpx.HTTPError as exc:
                log.failures.append(f"cycle {n}: {exc!r}")
            if log.skipped is not None:
                return
            if n % 3 == 0 and time.monotonic() < deadline:
                started = time.monotonic()
                response = client.post("/index/rebuild")
                if response.status_code != 202:
                    log.failures.append(f"POST /index/rebuild: {response.status_code} {response.text[:200]}")
                else:
                    n += 1  # the next cycle's writes go in while the rebuild runs: they wait their turn behind it
                    job_id = response.json()["job_id"]
                    running = client.get(f"/index/jobs/{job_id}").json()["status"] in ("queued", "running")
                    during = threading.Thread(target=_guarded_cycle, args=(client, n, seeds, ledger, log, live, running), name="writer-2")
                    during.start()
                    job = _wait_for_job(client, job_id, time.monotonic() + 300)
                    if job["status"] != "done":
                        log.failures.append(f"rebuild job {job['job_id']}: {job['status']} {job.get('error')}")
                    else:
                        log.rebuilds += 1
                        log.rebuild_seconds.append(time.monotonic() - started)
                    during.join()
            stop.wait(every)


def _guarded_cycle(client: Any, n: int, seeds: list[Article], ledger: Ledger, log: WriterLog, live: list[str], running: bool) -> None:
    import httpx

    try:
        _write_cycle(client, n, seeds, ledger, log, live, during_rebuild=running)
    except httpx.HTTPError as exc:
        log.failures.append(f"cycle {n}: {exc!r}")


def _write_cycle(
    client: Any, n: int, seeds: list[Article], ledger: Ledger, log: WriterLog, live: list[str], *, during_rebuild: bool = False
) -> None:
    """Add one article; replace the one before; delete the oldest when more than two are live."""
    log.during_rebuild += during_rebuild
    article = _variant(seeds[n % len(seeds)], n)
    version = ledger.begin(article["id"], article["text"])
    started = time.monotonic()
    response = client.post("/documents", json={"articles": [article]})
    if response.status_code in (404, 405):
        log.skipped = f"POST /documents answered {response.status_code}: this service has no write endpoints; asking without writes"
        ledger.acknowledge(version)
        return
    if response.status_code != 200:
        log.failed(f"add {article['id']}", response)
        return
    ledger.acknowledge(version)
    log.adds_ms.append((time.monotonic() - started) * 1000.0)
    live.append(article["id"])
    if len(live) >= 2:
        target = live[-2]
        replacement = {**_variant(seeds[(n + 1) % len(seeds)], n), "id": target}
        version = ledger.begin(target, replacement["text"])
        response = client.post("/documents", json={"articles": [replacement]})
        if response.status_code != 200:
            log.failed(f"replace {target}", response)
        else:
            ledger.acknowledge(version)
            log.replaces += 1
    if len(live) > 2:
        oldest = live.pop(0)
        version = ledger.begin(oldest, None)
        response = client.delete(f"/documents/{oldest}")
        if response.status_code != 200:
            log.failed(f"delete {oldest}", response)
        else:
            ledger.acknowledge(version)
            log.deletes += 1


def _build_index(articles_dir: Path, index_dir: Path) -> None:
    env = {**os.environ, "QA_ARTICLES_DIR": str(articles_dir), "QA_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1"}
    subprocess.run([sys.executable, "-m", "api.cli", "index", "build"], env=env, check=True, stdout=subprocess.DEVNULL)


def run_load(
    articles: Path, questions: list[str], clients: int, duration: float, writes: bool, write_every: float, log_path: Path | None
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="qa-load-") as tmp:
        articles_dir, index_dir = Path(tmp) / "articles", Path(tmp) / "index"
        shutil.copytree(articles, articles_dir)
        seeds = load_articles(articles_dir)
        _build_index(articles_dir, index_dir)
        token = secrets.token_urlsafe(24)
        env = {"QA_ARTICLES_DIR": str(articles_dir), "QA_INDEX_DIR": str(index_dir), "QA_ADMIN_TOKEN": token}
        tally, ledger, writer_log = Tally(), Ledger(), WriterLog()
        seed_texts = SeedTexts({a.doc_id for a in seeds})
        with running_service(env, log=log_path) as base_url:
            started = time.monotonic()
            deadline = started + duration
            stop = threading.Event()
            threads = [
                threading.Thread(target=_client, args=(base_url, c, questions, deadline, tally, seed_texts, ledger), name=f"client-{c}")
                for c in range(clients)
            ]
            if writes:
                args = (base_url, token, seeds, deadline, write_every, ledger, writer_log, stop)
                threads.append(threading.Thread(target=_writer, args=args, name="writer"))
            for thread in threads:
                thread.start()
            for thread in threads[:clients]:
                thread.join()
            elapsed = time.monotonic() - started  # the askers' time; the writer may still finish a rebuild
            for thread in threads[clients:]:
                thread.join()
    latencies = tally.latencies_ms
    return {
        "clients": clients,
        "duration_s": round(elapsed, 1),
        "cpus": os.cpu_count(),
        "asks": {
            "requests": len(latencies),
            "per_second": round(len(latencies) / elapsed, 1),
            "p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
            "p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
            "statuses": dict(tally.statuses),
            "answered": tally.answered,
            "answered_from_writer_articles": tally.from_writer,
            "failures": len(tally.failures),
            "first_failures": tally.failures[:SHOWN_FAILURES],
        },
        "writes": {
            "enabled": writes and writer_log.skipped is None,
            "skipped": writer_log.skipped,
            "adds": len(writer_log.adds_ms),
            "add_p50_ms": round(percentile(writer_log.adds_ms, 50), 1) if writer_log.adds_ms else None,
            "replaces": writer_log.replaces,
            "deletes": writer_log.deletes,
            "rebuilds": writer_log.rebuilds,
            "rebuild_seconds": [round(s, 1) for s in writer_log.rebuild_seconds],
            "cycles_during_rebuild": writer_log.during_rebuild,
            "refused": writer_log.refused,
            "failures": len(writer_log.failures),
            "first_failures": writer_log.failures[:SHOWN_FAILURES],
        },
    }


def _print(report: dict[str, Any]) -> None:
    asks, writes = report["asks"], report["writes"]
    print(f"{report['clients']} clients for {report['duration_s']} s on {report['cpus']} CPUs")
    print(
        f"POST /ask: {asks['requests']} requests, {asks['per_second']} requests/s, p50 {asks['p50_ms']} ms, p99 {asks['p99_ms']} ms; "
        f"{asks['answered']} answered ({asks['answered_from_writer_articles']} from writer articles); "
        f"statuses {asks['statuses']}; failures {asks['failures']}"
    )
    if writes["skipped"]:
        print(f"writer: {writes['skipped']}")
    elif writes["enabled"]:
        print(
            f"writer: {writes['adds']} adds (p50 {writes['add_p50_ms']} ms), {writes['replaces']} replaces, {writes['deletes']} deletes, "
            f"{writes['rebuilds']} rebuilds {writes['rebuild_seconds']} s ({writes['cycles_during_rebuild']} cycles during one); "
            f"refused {writes['refused']}, failures {writes['failures']}"
        )
    for failure in asks["first_failures"] + writes["first_failures"]:
        print(f"  FAIL {failure}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.load", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=8, help="concurrent askers")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of asking")
    parser.add_argument("--no-writes", dest="writes", action="store_false", help="ask only: no writer thread")
    parser.add_argument("--write-every", type=float, default=2.0, help="seconds between the writer's cycles")
    parser.add_argument("--articles", type=Path, default=Path("data/articles"), help="seed articles, copied to a temporary folder")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--report", type=Path, default=Path("eval/reports/load.json"))
    parser.add_argument("--server-log", type=Path, default=None, help="where the server's output goes (default: nowhere)")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.duration <= 0:
        parser.error("--clients must be at least 1 and --duration positive")
    questions = [q.question for q in load_questions(args.questions)]
    report = run_load(args.articles, questions, args.clients, args.duration, args.writes, args.write_every, args.server_log)
    _print(report)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 1 if report["asks"]["failures"] or report["writes"]["failures"] or not report["asks"]["requests"] else 0


if __name__ == "__main__":
    sys.exit(main())
