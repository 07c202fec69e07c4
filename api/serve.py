"""Ray Serve: several replicas of the API behind one address, each reading the same index, read-only.

    python -m api.serve --replicas 2 --port 8000        # a local Ray of 2 CPUs; Ctrl-C stops it all
    python -m api.serve --address HEAD:6379 ...         # on an existing cluster (every node sees QA_INDEX_DIR)
    serve run api.serve:replicas                        # Ray's own CLI, with Ray's defaults (2 replicas, port 8000)

Each replica is the app ``qa serve`` runs (:func:`api.app.create_app`, its lifespan loading the model and the
index once), configured by the same ``QA_*`` variables, with the write endpoints off (the replicas share one
index: its one writer is ``qa index build`` / ``qa index sync``, run beside them). Every answer carries the
replica that gave it in ``X-Replica``. A rebuild reaches the replicas through Serve's ``user_config``:
deploying the same app with a new ``reload`` value has each replica, one at a time, load the build ``current``
now points to, warm it up and swap it in (requests under way keep the pipeline they started with); see
:func:`reload`. This module is the only one that imports Ray Serve; nothing imports it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from ray import serve
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.app import create_app
from index.store import load_build, using_current
from qa.factory import pipeline_for
from qa.pipeline import Pipeline
from qa.readers.span.reader import ModelReader
from qa.settings import Settings

REPLICA_HEADER = "X-Replica"
log = logging.getLogger("qa.api.serve")


class ReplicaHeader:
    """Names the replica that answered in every response's ``X-Replica`` header."""

    def __init__(self, app: ASGIApp, replica: str) -> None:
        self.app, self.replica = app, replica

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_replica(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REPLICA_HEADER] = self.replica
            await send(message)

        await self.app(scope, receive, send_with_replica)


def read_only(settings: Settings) -> Settings:
    """The replicas' settings: the write endpoints off, whatever the environment says."""
    return settings.model_copy(update={"admin_token": None})


def build_app() -> FastAPI:
    """The app of one replica (called by Serve inside the replica, so the model loads there)."""
    app = create_app(read_only(Settings()))
    app.add_middleware(ReplicaHeader, replica=serve.get_replica_context().replica_id.unique_id)
    return app


def reload(app: FastAPI) -> str | None:
    """Load the build ``current`` points to into ``app`` with the models it already holds, warm it up, then
    swap it in. Returns the build's id, or ``None`` when the app has no pipeline yet (its start-up loads
    ``current`` anyway)."""
    serving: Pipeline | None = getattr(app.state, "pipeline", None)
    if serving is None:
        return None
    settings: Settings = app.state.settings
    with using_current(settings.index_dir) as build:
        index = load_build(build, settings.index_dir, model=serving.embedder.name)
    span_model = serving.reader.model if isinstance(serving.reader, ModelReader) else None
    fresh = pipeline_for(index, serving.embedder, settings, span_model)
    fresh.warm_up()
    app.state.pipeline = fresh  # one assignment: a request holds the pipeline it started with
    return index.path.name


class Replica:
    """One replica of the API. ``user_config={"reload": token}``: a new token reloads the index."""

    def __init__(self) -> None:
        self._reload_token: object = None

    async def reconfigure(self, config: dict[str, Any]) -> None:
        token = config.get("reload")
        if token == self._reload_token:
            return
        self._reload_token = token
        app: FastAPI = getattr(self, "app")  # noqa: B009 (set by Serve's ingress wrapper, unknown to the type checker)
        build = await asyncio.to_thread(reload, app)  # off the event loop: the replica answers meanwhile
        if build is not None:
            log.info("replica now serves build %s", build)


# Two replicas of one CPU each; 8 requests at most in each (its own gate answers 2 at a time, the rest wait there)
QAService = serve.deployment(name="qa-api", num_replicas=2, ray_actor_options={"num_cpus": 1}, max_ongoing_requests=8)(
    serve.ingress(build_app)(Replica)
)
replicas = QAService.bind()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.serve", description="Replicas of the API behind one address, on Ray Serve.")
    parser.add_argument("--replicas", type=int, default=2, help="API replicas, one CPU each (default 2)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--address", default=None, help="an existing Ray cluster's head (default: a local Ray of --cpus CPUs)")
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray (default 2)")
    args = parser.parse_args(argv)
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")
    import ray

    options: dict[str, Any] = {"logging_level": logging.WARNING}
    temp_dir = None
    if args.address is None:
        temp_dir = tempfile.mkdtemp(prefix="qa-serve-")  # Ray's sockets and logs, removed on exit
        options |= {"num_cpus": args.cpus, "include_dashboard": False, "object_store_memory": 200 * 1024 * 1024, "_temp_dir": temp_dir}
    ray.init(address=args.address, **options)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        serve.start(http_options={"host": args.host, "port": args.port})
        serve.run(QAService.options(num_replicas=args.replicas).bind(), name="qa", route_prefix="/")
        print(f"serving {args.replicas} replicas on http://{args.host}:{args.port}", flush=True)
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        serve.shutdown()  # type: ignore[no-untyped-call]
        ray.shutdown()
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
