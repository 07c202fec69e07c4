"""The FastAPI application: the pipeline loads once in the lifespan; errors map to statuses here."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.routes import router
from index.errors import BadQuestion, IndexIncompatible, IndexNotBuilt, ModelUnavailable, QAError, UnknownDocument
from qa.pipeline import Pipeline
from qa.settings import Settings

log = logging.getLogger("qa.api")

_STATUS: list[tuple[type[QAError], int]] = [
    (BadQuestion, 422),
    (UnknownDocument, 404),
    (IndexNotBuilt, 503),
    (IndexIncompatible, 503),
    (ModelUnavailable, 503),
]


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
        app.state.pipeline = pipeline
        if pipeline is None:
            from qa.factory import load_pipeline

            try:
                app.state.pipeline = load_pipeline(settings or Settings())
            except QAError as exc:  # serve /health and clear 503s rather than crash
                app.state.startup_error = str(exc)
                log.error("service not ready: %s", exc)
        yield

    app = FastAPI(
        title="Questions sur articles",
        description="Extractive question answering over French news articles: short verbatim answers with offsets and citations.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.include_router(router)

    @app.exception_handler(QAError)
    async def _qa_error(request: Request, exc: QAError) -> JSONResponse:
        return JSONResponse(status_code=status_for(exc), content={"detail": str(exc)})

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        return JSONResponse(status_code=422, content=jsonable_encoder({"detail": _describe(errors), "errors": errors}))

    return app
