from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from qa.jobs import Job, Jobs


def wait_until_finished(jobs: Jobs, job_id: str) -> Job:
    for _ in range(3000):
        job = jobs.get(job_id)
        assert job is not None
        if job.status in ("done", "failed"):
            return job
        threading.Event().wait(0.01)
    raise AssertionError("job did not finish")


def test_a_job_goes_from_queued_to_running_to_done() -> None:
    jobs = Jobs()
    release, seen = threading.Event(), threading.Event()
    states: list[str] = []

    def work(progress: Callable[[str, float], None]) -> dict[str, Any]:
        progress("queued", 0.0)
        seen.set()
        assert release.wait(timeout=30)
        progress("embedding", 0.5)
        states.append(jobs.get(job.id).status)  # type: ignore[union-attr]
        return {"articles": 3}

    job = jobs.submit("rebuild", work)
    assert seen.wait(timeout=30)
    assert jobs.get(job.id).status == "queued"  # type: ignore[union-attr]
    assert jobs.submit("rebuild", work).id == job.id  # a queued rebuild covers a second request
    release.set()
    done = wait_until_finished(jobs, job.id)
    assert states == ["running"]
    assert (done.status, done.progress, done.result, done.error) == ("done", 1.0, {"articles": 3}, None)
    assert done.finished_at is not None
    assert jobs.submit("rebuild", work).id != job.id  # the first is done: a new one starts
    release.set()


def test_a_failing_job_keeps_its_error() -> None:
    jobs = Jobs()

    def work(progress: Callable[[str, float], None]) -> dict[str, Any]:
        progress("embedding", 0.1)
        raise RuntimeError("disk full")

    job = wait_until_finished(jobs, jobs.submit("rebuild", work).id)
    assert job.status == "failed" and job.error == "RuntimeError: disk full" and job.result is None
    assert jobs.get("unknown") is None


def test_wait_lets_the_jobs_under_way_end_within_a_bound() -> None:
    jobs = Jobs()
    release = threading.Event()

    def work(progress: Callable[[str, float], None]) -> dict[str, Any]:
        progress("embedding", 0.5)
        assert release.wait(timeout=30)
        return {}

    job = jobs.submit("rebuild", work)
    assert jobs.wait(0.05) is False  # still running: the bound holds
    release.set()
    assert jobs.wait(30) is True
    assert jobs.get(job.id).status == "done"  # type: ignore[union-attr]
    assert Jobs().wait(0) is True  # nothing under way
