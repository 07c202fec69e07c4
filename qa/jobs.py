"""Background jobs (an index rebuild): one thread each, their state readable while they run."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

log = logging.getLogger("qa.jobs")

Status = Literal["queued", "running", "done", "failed"]
# A job's work: it reports (stage, fraction done) and returns its result.
Work = Callable[[Callable[[str, float], None]], dict[str, Any]]
_KEEP = 100


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    status: Status
    stage: str
    progress: float
    created_at: str
    finished_at: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Jobs:
    """Runs jobs on daemon threads and keeps the last 100. A job is ``queued`` until its work reports a stage
    other than ``queued`` (a rebuild waits for the writer), then ``running``, then ``done`` or ``failed``."""

    def __init__(self) -> None:
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def submit(self, kind: str, work: Work) -> Job:
        """Start ``work``; while a job of this kind is still queued, return that one instead (it will see
        everything a second one would)."""
        with self._lock:
            for job in self._jobs.values():
                if job.kind == kind and job.status == "queued":
                    return job
            job = Job(uuid.uuid4().hex, kind, "queued", "queued", 0.0, _now())
            self._jobs[job.id] = job
            while len(self._jobs) > _KEEP:
                self._jobs.popitem(last=False)
            thread = threading.Thread(target=self._run, args=(job.id, work), daemon=True, name=f"job-{kind}-{job.id[:8]}")
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return job

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds in all for the jobs under way to end; true when none is left.

        A server calls it as it stops: a build still running when the interpreter exits would be cut off inside
        native code (spaCy, ONNX Runtime), which can abort the process instead of letting it exit."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in threads)

    def _update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                self._jobs[job_id] = replace(job, **changes)

    def _run(self, job_id: str, work: Work) -> None:
        def progress(stage: str, fraction: float) -> None:
            self._update(job_id, stage=stage, progress=round(fraction, 3), status="queued" if stage == "queued" else "running")

        try:
            result = work(progress)
        except Exception as exc:  # a job's failure is its state, read by GET /index/jobs/{id}
            log.exception("job %s failed", job_id)
            self._update(job_id, status="failed", stage="failed", error=f"{type(exc).__name__}: {exc}", finished_at=_now())
        else:
            self._update(job_id, status="done", stage="done", progress=1.0, result=result, finished_at=_now())
