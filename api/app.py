"""The FastAPI application: the pipeline loads once in the lifespan; errors map to statuses here."""

from __future__ import annotations

import logging
import re
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
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import admin, web
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
)
from qa.jobs import Jobs
from qa.pipeline import Pipeline
from qa.settings import Settings

log = logging.getLogger("qa.api")

_STATUS: list[tuple[type[QAError], int]] = [
    (BadQuestion, 422),
    (BadArticle, 422),
    (WriteConflict, 409),
    (UnknownDocument, 404),
    (IndexNotBuilt, 503),
    (IndexIncompatible, 503),
    (ModelUnavailable, 503),
]


REQUEST_ID_HEADER = "X-Request-ID"
# An incoming request id is kept when it is a plain token (it goes into logs and headers).
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class RequestIds:
    """Gives every HTTP request an id (the caller's ``X-Request-ID`` when it is a plain token, else a
    new one), returns it in the ``X-Request-ID`` header, and turns any unexpected exception into a
    logged traceback and a JSON 500 that names the id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER)
        request_id = incoming if incoming is not None and _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
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


def create_app(settings: Settings | None = None, pipeline: Pipeline | None = None) -> FastAPI:
    """Build the app. With ``pipeline`` (tests), use it; otherwise load one from ``settings``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pipeline = None  # set only once warm: until then /health and every route answer 503
        loaded = pipeline
        if loaded is None:
            from qa.factory import load_pipeline

            try:
                loaded = load_pipeline(app.state.settings or Settings())
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
        yield

    app = FastAPI(
        title="Questions sur articles",
        description="Extractive question answering over French news articles: short verbatim answers with offsets and citations.",
        version="0.1.0",
        lifespan=lifespan,
    )
    # The write endpoints' settings; with a test pipeline and no settings, writes are disabled and reads open.
    app.state.settings = settings if settings is not None or pipeline is not None else Settings()
    app.state.jobs = Jobs()
    app.include_router(router)
    app.include_router(admin.router)
    web.mount(app)
    app.add_middleware(RequestIds)

    @app.exception_handler(QAError)
    async def _qa_error(request: Request, exc: QAError) -> JSONResponse:
        return JSONResponse(status_code=status_for(exc), content={"detail": str(exc), "request_id": request_id_of(request)})

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        content = {"detail": _describe(errors), "errors": errors, "request_id": request_id_of(request)}
        return JSONResponse(status_code=422, content=jsonable_encoder(content))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        content = {"detail": exc.detail, "request_id": request_id_of(request)}
        return JSONResponse(status_code=exc.status_code, content=jsonable_encoder(content), headers=exc.headers)

    return app
