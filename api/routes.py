"""Routes: validate, make one call, map the result to a response schema."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from api.auth import require_reader
from api.limits import AskGate
from api.schemas import (
    AnswerOut,
    AskRequest,
    AskResponse,
    CitationOut,
    DocumentOut,
    DocumentSummary,
    ErrorOut,
    Health,
    SkippedFile,
    SpanOut,
    summary_fields,
)
from index.errors import IndexNotBuilt, UnknownDocument
from index.freshness import FolderCheck
from qa.pipeline import Pipeline

router = APIRouter()
log = logging.getLogger("qa.api")


def get_pipeline(request: Request) -> Pipeline:
    pipeline: Pipeline | None = getattr(request.app.state, "pipeline", None)
    if pipeline is None:
        raise IndexNotBuilt(getattr(request.app.state, "startup_error", "the service is not ready"))
    return pipeline


def get_gate(request: Request) -> AskGate:
    gate: AskGate | None = getattr(request.app.state, "ask_gate", None)
    if gate is None:
        raise IndexNotBuilt("the service is not ready")
    return gate


PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
GateDep = Annotated[AskGate, Depends(get_gate)]


def _error(description: str, **extra: Any) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description, **extra}


# /ask and /documents need the read token when QA_READ_TOKEN is set (api/auth.py).
_READ = [Depends(require_reader)]
_UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: _error("QA_READ_TOKEN is set: bearer token missing or wrong")}
# Every status a route can answer, for the OpenAPI schema (the app's handlers give each the ErrorOut body).
_COMMON: dict[int | str, dict[str, Any]] = {
    413: _error("the request body is larger than QA_MAX_BODY_BYTES"),
    500: _error("internal error: a bug, logged on the server with the request id"),
    503: _error("the service is not ready: no usable index or model (the detail says how to fix it)"),
}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before asking again (when busy)", "schema": {"type": "integer"}}}
_ASK: dict[int | str, dict[str, Any]] = {
    **_COMMON,
    **_UNAUTHORIZED,
    404: _error("a doc_ids entry that no article has"),
    422: _error("a request that does not fit the schema, a body that is not JSON, or an inverted date range"),
    503: _error(
        "not ready; or busy: too many questions at once (QA_MAX_CONCURRENT_ASKS, QA_MAX_WAITING_ASKS) or no answer within "
        "QA_ASK_TIMEOUT_S; then Retry-After says when to ask again",
        headers=_RETRY_AFTER,
    ),
}


@router.post("/ask", response_model=AskResponse, responses=_ASK, summary="Answer a question from the articles", dependencies=_READ)
async def ask(request: Request, body: AskRequest, pipeline: PipelineDep, gate: GateDep) -> AskResponse:
    log.debug("question request_id=%s question=%r", getattr(request.state, "request_id", ""), body.question)
    result = await gate.run(
        lambda: pipeline.ask(
            body.question,
            top_k=body.top_k,
            mode=body.mode,
            doc_ids=body.doc_ids,
            date_from=body.date_from,
            date_to=body.date_to,
            keep_undated=body.include_undated,
        )
    )
    request.state.answered = result.answer is not None
    answer = None
    if result.answer is not None:
        a = result.answer
        answer = AnswerOut(
            text=a.text,
            doc_id=a.doc_id,
            start=a.start,
            end=a.end,
            sentence=a.sentence,
            sentence_start=a.sentence_start,
            sentence_end=a.sentence_end,
            score=a.score,
            alternatives=[SpanOut(**asdict(s)) for s in a.alternatives],
            supporting=[SpanOut(**asdict(s)) for s in a.supporting],
        )
    return AskResponse(
        question=result.question,
        answer=answer,
        citations=[CitationOut(**asdict(c)) for c in result.citations],
        took_ms=result.took_ms,
    )


@router.get(
    "/documents",
    response_model=list[DocumentSummary],
    responses={**_COMMON, **_UNAUTHORIZED},
    summary="List the indexed articles",
    dependencies=_READ,
)
def documents(pipeline: PipelineDep) -> list[DocumentSummary]:
    return [DocumentSummary.model_validate(summary_fields(a)) for a in pipeline.index.articles.values()]


@router.get(
    "/documents/{doc_id:path}",
    response_model=DocumentOut,
    responses={404: _error("no article has this id"), **_COMMON, **_UNAUTHORIZED},
    summary="One article with its text",
    dependencies=_READ,
)
def document(doc_id: str, pipeline: PipelineDep) -> DocumentOut:
    article = pipeline.index.articles.get(doc_id)
    if article is None:
        raise UnknownDocument(f"no document with id {doc_id!r}")
    return DocumentOut.model_validate({**summary_fields(article), "text": article.text})


@router.get("/health", response_model=Health, responses=_COMMON, summary="Service status and index facts")
def health(request: Request, pipeline: PipelineDep) -> Health:
    manifest = pipeline.index.manifest
    check: FolderCheck = request.app.state.articles_check
    agreement = check.agreement(pipeline.index)
    return Health(
        status="ok",
        articles=manifest.articles,
        chunks=manifest.chunks,
        model=manifest.model,
        index_built_at=manifest.built_at,
        warm_up_ms=request.app.state.warm_up_ms,
        articles_in_sync=agreement.in_sync,
        stale_reasons=list(agreement.reasons),
        skipped_files=[SkippedFile(file=s.file, reason=s.reason) for s in agreement.skipped],
    )
