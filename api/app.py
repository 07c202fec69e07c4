"""The FastAPI application: the pipeline loads once in the lifespan; errors map to statuses here."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import admin, web
from api.limits import AskGate, BodyLimit, Busy, Limit
from api.routes import router
from index.errors import (
    BadArticle,
    BadQuestion,
    IndexIncompatible,
    IndexNotBuilt,
    ModelUnavailable,
    QAError,
    UnknownDocument,
    WriteConflict,
    WriteUnavailable,
)
from index.freshness import FolderCheck
from qa.jobs import Jobs
from qa.pipeline import Pipeline
from qa.settings import Settings

log = logging.getLogger("qa.api")
access_log = logging.getLogger("qa.api.access")

_STATUS: list[tuple[type[QAError], int]] = [
    (BadQuestion, 422),
    (BadArticle, 422),
    (WriteConflict, 409),
    (UnknownDocument, 404),
    (IndexNotBuilt, 503),
    (IndexIncompatible, 503),
    (ModelUnavailable, 503),
    (Busy, 503),
    (WriteUnavailable, 503),
]
# FastAPI's answer to a body it cannot decode (not UTF-8, say): turned into the documented 422 that a
# body with a JSON syntax error already gets.
_UNPARSABLE_BODY = "There was an error parsing the body"


REQUEST_ID_HEADER = "X-Request-ID"
# An incoming request id is kept when it is a plain token (it goes into logs and headers).
# How long a stopping server waits for a rebuild under way (a build is atomic: one cut short changes nothing).
_JOBS_STOP_WAIT_S = 60
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class RequestIds:
    """Gives every HTTP request an id (the caller's ``X-Request-ID`` when it is a plain token, else a
    new one), returns it in the ``X-Request-ID`` header, turns any unexpected exception into a
    logged traceback and a JSON 500 that names the id, and logs one line per request on
    ``qa.api.access``: ``request_id=… method=POST route=/ask status=200 latency_ms=12.3 answered=true``
    (``route`` is the route's template, ``-`` when none matched; ``answered`` only for ``/ask``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER)
        request_id = incoming if incoming is not None and _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started, status, began = False, 0, time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started, status = True, int(message["status"])
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unexpected error on %s %s (request %s)", scope["method"], scope["path"], request_id)
            if started:  # too late for a clean answer: let the server close the connection
                raise
            detail = f"internal error: the service failed to answer (request {request_id}; see the server log)"
            await JSONResponse(status_code=500, content={"detail": detail, "request_id": request_id})(scope, receive, send_with_id)
        finally:
            _log_request(scope, state, request_id, status, (time.perf_counter() - began) * 1000.0)


def _log_request(scope: Scope, state: dict[str, object], request_id: str, status: int, latency_ms: float) -> None:
    route = getattr(scope.get("route"), "path", None) or "-"
    line = f"request_id={request_id} method={scope['method']} route={route} status={status} latency_ms={latency_ms:.1f}"
    if "answered" in state:
        line += f" answered={'true' if state['answered'] else 'false'}"
    access_log.info(line)


def request_id_of(request: Request) -> str:
    return str(getattr(request.state, "request_id", ""))


def status_for(error: QAError) -> int:
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 500


def _describe(errors: list[dict[str, object]]) -> str:
    parts = []
    for error in errors:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")  # type: ignore[attr-defined]
        parts.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return "; ".join(parts) or "invalid request"


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method the OpenAPI schema documents at ``path`` (Starlette's own 405 names only the first
    matching route's, and ``/documents`` is served by the read and the write routers)."""
    methods: set[str] = set()
    for template, operations in app.openapi().get("paths", {}).items():
        regex, _, _ = compile_path(re.sub(r"\{(\w+)\}", r"{\1:path}", template))  # ids may hold slashes
        if regex.match(path):
            methods |= {m.upper() for m in operations}
    return sorted(methods)


def create_app(settings: Settings | None = None, pipeline: Pipeline | None = None) -> FastAPI:
    """Build the app. With ``pipeline`` (tests), use it; otherwise load one from ``settings``.
    The limits and the articles folder ``/health`` compares with the index come from ``settings``."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pipeline = None  # set only once warm: until then /health and every route answer 503
        loaded = pipeline
        if loaded is None:
            from qa.factory import load_pipeline

            try:
                loaded = load_pipeline(settings)
            except QAError as exc:  # serve /health and clear 503s rather than crash
                app.state.startup_error = str(exc)
                log.error("service not ready: %s", exc)
        if loaded is not None:
            try:
                app.state.warm_up_ms = await run_in_threadpool(loaded.warm_up)  # on a worker thread, as requests run
            except Exception as exc:
                log.exception("service not ready: the warm-up ask failed")
                app.state.startup_error = f"warm-up failed ({type(exc).__name__}: {exc}); see the server log"
            else:
                log.info("pipeline warm in %.0f ms", app.state.warm_up_ms)
                app.state.pipeline = loaded
                await run_in_threadpool(admin.start_writer, app)  # with an admin token: the writer, after a crash's repair
        limits = (settings.max_concurrent_asks, settings.max_waiting_asks, settings.ask_timeout_s, settings.retry_after_s)
        app.state.ask_gate = AskGate(*limits)
        try:
            yield
        finally:
            app.state.ask_gate.close()
            if not await run_in_threadpool(app.state.jobs.wait, _JOBS_STOP_WAIT_S):
                log.warning("a rebuild still ran after %d s: stopping without it (the index keeps its build)", _JOBS_STOP_WAIT_S)

    app = FastAPI(
        title="Questions sur articles",
        description="Extractive question answering over French news articles: short verbatim answers with offsets and citations.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings  # the write endpoints' tokens and limits (writes disabled without QA_ADMIN_TOKEN)
    app.state.jobs = Jobs()
    app.state.articles_check = FolderCheck(settings.articles_dir)
    app.include_router(router)
    app.include_router(admin.router)
    web.mount(app)
    writes = Limit(settings.max_write_body_bytes, "QA_MAX_WRITE_BODY_BYTES")
    app.add_middleware(BodyLimit, default=Limit(settings.max_body_bytes, "QA_MAX_BODY_BYTES"), by_path={"/documents": writes})
    app.add_middleware(RequestIds)  # outermost: every answer, the 413 included, carries the id and is logged

    @app.exception_handler(QAError)
    async def _qa_error(request: Request, exc: QAError) -> JSONResponse:
        retry_after = exc.retry_after if isinstance(exc, Busy | WriteUnavailable) else None
        headers = None if retry_after is None else {"Retry-After": str(retry_after)}
        content = {"detail": str(exc), "request_id": request_id_of(request)}
        return JSONResponse(status_code=status_for(exc), content=content, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        content = {"detail": _describe(errors), "errors": errors, "request_id": request_id_of(request)}
        return JSONResponse(status_code=422, content=jsonable_encoder(content))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == _UNPARSABLE_BODY:
            content = {"detail": "the request body is not JSON (it must be UTF-8 JSON)", "request_id": request_id_of(request)}
            return JSONResponse(status_code=422, content=content)
        content = {"detail": exc.detail, "request_id": request_id_of(request)}
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # a path served by two routers (reads and writes): list every method it has
            headers["Allow"] = ", ".join(allowed_methods(app, request.url.path)) or headers.get("Allow", "")
        return JSONResponse(status_code=exc.status_code, content=jsonable_encoder(content), headers=headers)

    return app
