"""Request and response models of the write endpoints (``api/admin.py``)."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas import ISO_DATE, DocumentSummary
from index.errors import BadQuestion
from qa.retrieval import check_date


class ArticleIn(BaseModel):
    """One article, with the fields and rules of a ``.jsonl`` line of the articles folder."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        min_length=1,
        max_length=200,
        description="the document id, a relative path of plain names: no '..' or '.'-led part, no leading or doubled '/', "
        "no backslash, control, format or unassigned character, parts of at most 255 UTF-8 bytes (else 422)",
    )
    text: str = Field(min_length=1, description="the article text (not blank)")
    title: str | None = Field(None, description="default: the first line when it reads as a headline")
    # The pattern is for the schema; ``check_date`` enforces the same rule with a clearer message.
    date: str | None = Field(None, json_schema_extra={"pattern": ISO_DATE}, description="YYYY, YYYY-MM or YYYY-MM-DD, a real calendar date")
    url: str | None = None

    @model_validator(mode="after")
    def _real_date(self) -> Self:
        if self.date is not None:
            try:
                check_date(self.date, "date")
            except BadQuestion as exc:
                raise ValueError(f"article {self.id!r}: {exc}") from None
        return self


# The schema's bound; QA_MAX_BATCH_ARTICLES may lower it, not raise it (a larger batch: several requests).
MAX_BATCH = 100


class DocumentsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    articles: list[ArticleIn] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description=f"articles to add or replace (at most QA_MAX_BATCH_ARTICLES, {MAX_BATCH} by default and at most); "
        "an id given twice is written once, as its last occurrence says",
    )


class WriteOut(BaseModel):
    added: list[str] = Field(description="ids that were new")
    replaced: list[str] = Field(description="ids whose article changed")
    unchanged: list[str] = Field(description="ids sent exactly as already indexed (nothing done)")
    articles: int = Field(description="articles in the index now")
    index_built_at: str = Field(description="build time of the index now served")
    took_ms: float


class DeleteOut(BaseModel):
    removed: DocumentSummary
    articles: int
    index_built_at: str
    took_ms: float


class JobOut(BaseModel):
    job_id: str
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    stage: str = Field(description="what the job is doing")
    progress: float = Field(description="fraction done, 0 to 1")
    created_at: str
    finished_at: str | None
    result: dict[str, Any] | None = Field(description="when done: articles, chunks, index_built_at, seconds")
    error: str | None = Field(description="when failed: why")
