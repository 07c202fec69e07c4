"""Request and response models of the HTTP API (never the internal dataclasses)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from index.corpus import Article
from index.errors import BadQuestion
from qa.pipeline import MAX_QUESTION_CHARS, MAX_TOP_K, validate_question
from qa.retrieval import Mode, check_date

# The schema says exactly which dates exist (what ``check_date`` accepts), so that a client generating
# requests from it never sends one that is refused: a year (0001-9999), a month, or a real day,
# February 29 only in leap years (divisible by 4, and by 400 when by 100).
_YEAR = "([0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)"
_LEAP_YEAR = "([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)"
_DAY = "((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"
ISO_DATE = f"^({_YEAR}(-(0[1-9]|1[0-2]))?|{_YEAR}-{_DAY}|{_LEAP_YEAR}-02-29)$"
# A question needs a character that is not blank: one that ``str.strip`` (``validate_question``) keeps, spelled
# out, because ``\S`` means something else in each engine: ECMA-262's and Rust's regex leave U+001C-U+001F and
# U+0085 out of ``\s`` (ECMA-262 puts U+FEFF in), Python's under re.ASCII (schemathesis's reading) knows only ASCII.
VISIBLE = r"[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
# A document id as the loader makes them (a relative path or a .jsonl "id"): not empty. The bounds keep
# every schema-valid /ask body under the default body limit (QA_MAX_BODY_BYTES, 1 MiB), even with every
# character JSON-escaped (6 bytes): 500 ids of 200 characters and a 1,000-character question.
MAX_DOC_ID_CHARS = 200
MAX_DOC_IDS = 500
DocId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_DOC_ID_CHARS)]


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The schema states the bounds; the validator enforces them with messages of its own.
    question: str = Field(
        description="the question: up to 1,000 characters, not only spaces",
        examples=["Combien de puces par mois ?"],
        json_schema_extra={"minLength": 1, "maxLength": MAX_QUESTION_CHARS, "pattern": VISIBLE},
    )
    top_k: int = Field(5, ge=1, le=MAX_TOP_K, description="number of citations returned")
    mode: Mode | None = Field(None, description="retrieval mode: hybrid, dense or bm25 (default: the configured one)")
    doc_ids: list[DocId] | None = Field(
        None, min_length=1, max_length=MAX_DOC_IDS, description="only search these documents (an id no article has: 404)"
    )
    # The pattern is for the schema; ``check_date`` enforces the same rule with a clearer message.
    date_from: str | None = Field(
        None, json_schema_extra={"pattern": ISO_DATE}, description="earliest article date: YYYY, YYYY-MM or YYYY-MM-DD, a real one"
    )
    date_to: str | None = Field(
        None, json_schema_extra={"pattern": ISO_DATE}, description="latest article date: YYYY, YYYY-MM or YYYY-MM-DD, a real one"
    )
    include_undated: bool = Field(True, description="with a date filter, keep articles that have no date")

    @field_validator("question")
    @classmethod
    def _question_length(cls, value: str) -> str:
        if len(value) > MAX_QUESTION_CHARS:  # before stripping, as the schema says
            raise ValueError(f"the question is {len(value)} characters long; the limit is {MAX_QUESTION_CHARS}")
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
    url: str | None = Field(description="the article's canonical address (a feed item's link), when its source gave one")
    length: int = Field(description="length of the text in characters")
    author: str | None = None
    site_name: str | None = Field(None, description="the publication, from the page's metadata or the feed's title")
    format: str | None = Field(None, description="the source's format: txt, md, jsonl, html, pdf, docx, rss or atom")
    file_name: str | None = Field(None, description="the source file's name: its path in the articles folder, or the uploaded file's name")
    summary_only: bool = Field(False, description="a feed item that carried only its summary: the text is that summary")


def summary_fields(article: Article) -> dict[str, object]:
    """What :class:`DocumentSummary` shows of an article."""
    meta = {key: getattr(article, key) for key in ("title", "date", "url", "author", "site_name", "format", "file_name", "summary_only")}
    return {"doc_id": article.doc_id, **meta, "length": len(article.text)}


class DocumentOut(DocumentSummary):
    text: str = Field(description="the text extracted from the source: every answer's and citation's offsets point into it")


class SkippedFile(BaseModel):
    file: str = Field(description="its path in the articles folder")
    reason: str = Field(description="why it cannot be read")


class Health(BaseModel):
    status: str
    articles: int
    chunks: int
    model: str
    index_built_at: str
    warm_up_ms: float = Field(description="how long the warm-up ask took at start; /health is ok only after it")
    articles_in_sync: bool = Field(description="whether the articles folder holds what the served index was built from")
    stale_reasons: list[str] = Field(description="how the folder and the index differ (empty when in sync); `qa index sync` fixes it")
    skipped_files: list[SkippedFile] = Field(
        default_factory=list, description="files of the articles folder that cannot be read, with the reason: no index holds them"
    )


class ErrorOut(BaseModel):
    detail: str
    request_id: str = Field(description="this request's id, also in the X-Request-ID header and the server log")
