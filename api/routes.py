"""Routes: validate, make one call, map the result to a response schema."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from api.auth import require_reader
from api.schemas import AnswerOut, AskRequest, AskResponse, CitationOut, DocumentOut, DocumentSummary, ErrorOut, Health, SpanOut
from index.corpus import Article
from index.errors import IndexNotBuilt, UnknownDocument
from qa.pipeline import Pipeline

router = APIRouter()


def get_pipeline(request: Request) -> Pipeline:
    pipeline: Pipeline | None = getattr(request.app.state, "pipeline", None)
    if pipeline is None:
        raise IndexNotBuilt(getattr(request.app.state, "startup_error", "the service is not ready"))
    return pipeline


PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
_ERRORS: dict[int | str, dict[str, object]] = {422: {"model": ErrorOut}, 503: {"model": ErrorOut}}
# /ask and /documents need the read token when QA_READ_TOKEN is set (api/auth.py).
_READ = [Depends(require_reader)]
_READ_ERRORS: dict[int | str, dict[str, object]] = {
    **_ERRORS,
    401: {"model": ErrorOut, "description": "QA_READ_TOKEN is set: bearer token missing or wrong"},
}


@router.post("/ask", response_model=AskResponse, responses=_READ_ERRORS, summary="Answer a question from the articles", dependencies=_READ)
def ask(body: AskRequest, pipeline: PipelineDep) -> AskResponse:
    result = pipeline.ask(
        body.question,
        top_k=body.top_k,
        mode=body.mode,
        doc_ids=body.doc_ids,
        date_from=body.date_from,
        date_to=body.date_to,
        keep_undated=body.include_undated,
    )
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


def _summary(article: Article) -> dict[str, object]:
    return {"doc_id": article.doc_id, "title": article.title, "date": article.date, "url": article.url, "length": len(article.text)}


@router.get(
    "/documents", response_model=list[DocumentSummary], responses=_READ_ERRORS, summary="List the indexed articles", dependencies=_READ
)
def documents(pipeline: PipelineDep) -> list[DocumentSummary]:
    return [DocumentSummary.model_validate(_summary(a)) for a in pipeline.index.articles.values()]


@router.get(
    "/documents/{doc_id:path}",
    response_model=DocumentOut,
    responses={404: {"model": ErrorOut}, **_READ_ERRORS},
    summary="One article with its text",
    dependencies=_READ,
)
def document(doc_id: str, pipeline: PipelineDep) -> DocumentOut:
    article = pipeline.index.articles.get(doc_id)
    if article is None:
        raise UnknownDocument(f"no document with id {doc_id!r}")
    return DocumentOut.model_validate({**_summary(article), "text": article.text})


@router.get("/health", response_model=Health, responses=_ERRORS, summary="Service status and index facts")
def health(request: Request, pipeline: PipelineDep) -> Health:
    manifest = pipeline.index.manifest
    return Health(
        status="ok",
        articles=manifest.articles,
        chunks=manifest.chunks,
        model=manifest.model,
        index_built_at=manifest.built_at,
        warm_up_ms=request.app.state.warm_up_ms,
    )
