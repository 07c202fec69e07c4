"""Write endpoints: add, replace and delete articles, rebuild the index; all behind the admin token.

The writer (``qa/writer.py``) serialises writes (each waits its turn, in order, behind a rebuild or another
write), applies them to the articles folder and the index, and swaps the app's pipeline; a route answers once
the new pipeline serves (read your writes)."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool

from api.admin_schemas import MAX_BATCH, DeleteOut, DocumentsIn, JobOut, WriteOut
from api.auth import require_admin
from api.schemas import DocumentSummary, ErrorOut, summary_fields
from api.uploads import UploadRoute, upload_schema, uploaded_articles
from index.corpus import Article
from index.errors import IndexNotBuilt, QAError, UnknownDocument, WriteUnavailable
from qa.jobs import Job, Jobs
from qa.pipeline import Pipeline
from qa.writer import Writer, WriteResult

log = logging.getLogger("qa.api")

_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "missing or wrong bearer token"},
    403: {"model": ErrorOut, "description": "writes are disabled: QA_ADMIN_TOKEN is not set"},
    413: {"model": ErrorOut, "description": "the request body is larger than QA_MAX_WRITE_BODY_BYTES"},
    500: {"model": ErrorOut, "description": "internal error: a bug, logged on the server with the request id"},
}
_WRITE: dict[int | str, dict[str, Any]] = {
    **_AUTH,
    409: {"model": ErrorOut, "description": "the articles folder must be fixed by hand first, or the last article would go"},
    503: {
        "model": ErrorOut,
        "description": "no index is loaded; or, with a Retry-After header, QA_WRITE_QUEUE writes already wait their turn; "
        "or the articles folder or the index cannot be written now (a full disk: the change is finished before the next write)",
    },
}

router = APIRouter(tags=["admin"], dependencies=[Depends(require_admin)])


def start_writer(app: FastAPI) -> None:
    """With an admin token, set up the writer over the loaded pipeline (called by the lifespan once it is
    warm): an article change a crash interrupted is finished and the index brought up to the folder."""
    app.state.writer = None
    settings, serving = getattr(app.state, "settings", None), getattr(app.state, "pipeline", None)
    if settings is None or settings.admin_token is None or serving is None:
        return
    from qa.factory import writer_for

    def publish(pipeline: Pipeline) -> None:
        app.state.pipeline = pipeline  # one assignment: a request holds the pipeline it started with

    try:
        writer = writer_for(settings, serving, publish)
        try:
            writer.start()
        except WriteUnavailable as exc:  # a journal that cannot be finished yet (a full disk): each write tries again
            log.error("writes wait: %s", exc)
    except (QAError, OSError, ValueError) as exc:  # a broken articles folder: serve, but refuse writes
        log.error("writes unavailable: %s", exc)
        app.state.writer_error = f"writes are unavailable: {exc}"
        return
    app.state.writer = writer


def get_writer(request: Request) -> Writer:
    writer: Writer | None = getattr(request.app.state, "writer", None)
    if writer is None:
        reason = getattr(request.app.state, "writer_error", None) or getattr(request.app.state, "startup_error", None)
        raise IndexNotBuilt(reason or "writes are unavailable: the service has no index loaded")
    return writer


def get_jobs(request: Request) -> Jobs:
    jobs: Jobs = request.app.state.jobs
    return jobs


WriterDep = Annotated[Writer, Depends(get_writer)]


def _summary(article: Article) -> DocumentSummary:
    return DocumentSummary.model_validate(summary_fields(article))


def _job_out(job: Job) -> JobOut:
    data = asdict(job)
    return JobOut(job_id=data.pop("id"), **data)


_ADD_422 = (
    "a bad article (named: the loader's rules, the length limit, an article the analysis refuses) "
    "or a file that cannot be read (named, and why); nothing applied"
)


async def add_files(request: Request, writer: WriterDep) -> WriteOut:
    """``POST /documents`` with files (``multipart/form-data``): converted, then written as the JSON body's articles."""
    articles = await uploaded_articles(request, writer.config.max_batch)
    return _write_out(await run_in_threadpool(writer.upsert, articles))


# multipart requests go to add_files; the JSON ones pass on to add_documents (which documents both bodies)
router.add_api_route(
    "/documents", add_files, methods=["POST"], response_model=WriteOut, include_in_schema=False, route_class_override=UploadRoute
)


@router.post(
    "/documents",
    response_model=WriteOut,
    responses={**_WRITE, 422: {"model": ErrorOut, "description": _ADD_422}},
    summary="Add or replace articles (JSON, or files: HTML, PDF, Word, feeds, text); answers once they are searchable",
    openapi_extra=upload_schema(MAX_BATCH),
)
def add_documents(body: DocumentsIn, writer: WriterDep) -> WriteOut:
    articles = [Article(a.id, a.text, a.title, a.date, a.url) for a in body.articles]
    return _write_out(writer.upsert(articles))


def _write_out(result: WriteResult) -> WriteOut:
    return WriteOut(
        added=list(result.added),
        replaced=list(result.replaced),
        unchanged=list(result.unchanged),
        articles=result.articles,
        index_built_at=result.index_built_at,
        took_ms=round(result.seconds * 1000.0, 1),
    )


@router.delete(
    "/documents/{doc_id:path}",
    response_model=DeleteOut,
    responses={**_WRITE, 404: {"model": ErrorOut, "description": "unknown document id"}},
    summary="Delete an article from the articles folder and the index",
)
def delete_document(doc_id: str, writer: WriterDep) -> DeleteOut:
    result = writer.delete(doc_id)
    [removed] = result.removed
    return DeleteOut(
        removed=_summary(removed), articles=result.articles, index_built_at=result.index_built_at, took_ms=round(result.seconds * 1000.0, 1)
    )


@router.post(
    "/index/rebuild",
    status_code=202,
    response_model=JobOut,
    responses={**_AUTH, 503: {"model": ErrorOut, "description": "no index is loaded"}},
    summary="Re-embed every article into a new index in the background; /ask answers from the current one meanwhile",
)
def rebuild(writer: WriterDep, jobs: Annotated[Jobs, Depends(get_jobs)]) -> JobOut:
    def work(progress: Any) -> dict[str, Any]:
        result: WriteResult = writer.rebuild(progress)
        return {
            "articles": result.articles,
            "chunks": result.chunks_embedded,
            "index_built_at": result.index_built_at,
            "seconds": result.seconds,
        }

    return _job_out(jobs.submit("rebuild", work))


@router.get(
    "/index/jobs/{job_id}",
    response_model=JobOut,
    responses={**_AUTH, 404: {"model": ErrorOut, "description": "unknown job id"}},
    summary="A background job's status, progress and result",
)
def job(job_id: str, jobs: Annotated[Jobs, Depends(get_jobs)]) -> JobOut:
    found = jobs.get(job_id)
    if found is None:
        raise UnknownDocument(f"no job with id {job_id!r}")
    return _job_out(found)
