"""Request and response models of the HTTP API (never the internal dataclasses)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from index.errors import BadQuestion
from qa.pipeline import MAX_TOP_K, validate_question
from qa.retrieval import Mode, check_date

ISO_DATE = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(description="the question, 1 to 1,000 characters after stripping", examples=["Combien de puces par mois ?"])
    top_k: int = Field(5, ge=1, le=MAX_TOP_K, description="number of citations returned")
    mode: Mode | None = Field(None, description="retrieval mode: hybrid, dense or bm25 (default: the configured one)")
    doc_ids: list[str] | None = Field(None, min_length=1, max_length=1000, description="only search these documents")
    date_from: str | None = Field(None, pattern=ISO_DATE, description="earliest article date: YYYY, YYYY-MM or YYYY-MM-DD")
    date_to: str | None = Field(None, pattern=ISO_DATE, description="latest article date: YYYY, YYYY-MM or YYYY-MM-DD")
    include_undated: bool = Field(True, description="with a date filter, keep articles that have no date")

    @field_validator("question")
    @classmethod
    def _question_length(cls, value: str) -> str:
        try:
            return validate_question(value)
        except BadQuestion as exc:
            raise ValueError(str(exc)) from None

    @field_validator("date_from", "date_to")
    @classmethod
    def _real_date(cls, value: str | None, info: ValidationInfo) -> str | None:
        try:
            return None if value is None else check_date(value, str(info.field_name))
        except BadQuestion as exc:
            raise ValueError(str(exc)) from None


class SpanOut(BaseModel):
    text: str = Field(description="verbatim: document.text[start:end]")
    doc_id: str
    start: int
    end: int
    sentence: str
    score: float


class AnswerOut(BaseModel):
    text: str = Field(description="verbatim: document.text[start:end]")
    doc_id: str
    start: int
    end: int
    sentence: str = Field(description="the sentence the answer comes from")
    sentence_start: int = Field(description="document offsets of the sentence: document.text[sentence_start:sentence_end] == sentence")
    sentence_end: int
    score: float = Field(description="calibrated confidence in [0, 1]: the share of answers with this score that the eval found right")
    alternatives: list[SpanOut] = Field(description="the next best distinct answers (at most 3)")
    supporting: list[SpanOut] = Field(description="the same answer in other articles; their sentences show differing wordings")


class CitationOut(BaseModel):
    doc_id: str
    chunk_id: str
    title: str | None
    date: str | None
    text: str
    start: int
    end: int
    score: float


class AskResponse(BaseModel):
    question: str
    answer: AnswerOut | None = Field(description="null when the articles do not answer the question")
    citations: list[CitationOut]
    took_ms: float


class DocumentSummary(BaseModel):
    doc_id: str
    title: str | None
    date: str | None
    url: str | None
    length: int = Field(description="length of the text in characters")


class DocumentOut(DocumentSummary):
    text: str


class Health(BaseModel):
    status: str
    articles: int
    chunks: int
    model: str
    index_built_at: str
    warm_up_ms: float = Field(description="how long the warm-up ask took at start; /health is ok only after it")


class ErrorOut(BaseModel):
    detail: str
    request_id: str = Field(description="this request's id, also in the X-Request-ID header and the server log")
