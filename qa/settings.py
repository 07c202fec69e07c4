"""The one place configuration is read from the environment (prefix ``QA_``) or ``.env``.

Only the edges (CLI, app factory, eval runner) build a :class:`Settings`; the core takes
explicit arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.embedding import PassageBackend, QueryBackend
from index.models import DEFAULT_MODEL
from qa.readers.span.runtime import Backend
from qa.retrieval import Mode
from qa.writer import MAX_ARTICLE_CHARS


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", env_file=".env", extra="ignore", frozen=True)

    articles_dir: Path = Field(Path("data/articles"), description="folder of .txt, .md and .jsonl articles")
    index_dir: Path = Field(Path("data/index"), description="where built indexes live (current -> builds/<id>)")
    model: str = Field(DEFAULT_MODEL, description="built-in name, local folder, or hub id (hub only where reachable)")
    model_cache_dir: Path = Field(Path("data/models"), description="where built-in models are built on first use")
    query_backend: QueryBackend = Field(
        "onnx", description="how questions are embedded: onnx (an ONNX Runtime graph of the same model, exported once) or torch"
    )
    passage_backend: PassageBackend = Field(
        "auto",
        description="how the index's passages are embedded: torch (sentence-transformers), torch-bf16 (torch in bfloat16: three "
        "times faster where the CPU has AMX or AVX512-BF16, vectors within cosine 0.9999), onnx (the same model in ONNX "
        "Runtime, fp32) or onnx-int8 (quantised: faster, approximate); auto: torch-bf16 where the CPU has bf16, else onnx; "
        "part of the index fingerprint",
    )
    chunk_size: int = Field(400, ge=50, description="chunk size in characters")
    chunk_overlap: int = Field(80, ge=0, description="overlap between consecutive chunks in characters")
    retrieval_mode: Mode = Field(Mode.HYBRID, description="hybrid (BM25 + dense, fused), dense or bm25")
    rrf_k: int = Field(60, ge=1, description="reciprocal rank fusion constant")
    top_k: int = Field(5, ge=1, le=20, description="default number of citations")
    reader: Literal["model", "evidence"] = Field(
        "model", description="model: the trained span reader (qa/readers/span/weights); evidence: the feature reader fitted on evidence"
    )
    annotation: Literal["auto", "full", "entities"] = Field(
        "auto",
        description="what spaCy finds in articles at index time: full (entities, parse, parts of speech: the evidence reader needs it) "
        "or entities (the named entities alone: all the span reader reads, about three times faster); auto: the reader's need; "
        "part of the index fingerprint",
    )
    reader_weights: Path | None = Field(None, description="span reader weights (default: the ones shipped in qa/readers/span/weights)")
    reader_backend: Backend = Field(
        "onnx",
        description="how the span reader runs: onnx (ONNX Runtime: torch's numbers at half the CPU), torch, "
        "or onnx-int8 (int8 weights: faster, measurably less accurate)",
    )
    reader_threads: int | None = Field(
        None, ge=1, le=64, description="threads of one span reader run (default: ONNX Runtime's, one per physical core)"
    )
    model_chunks: int = Field(3, ge=1, le=20, description="top chunks the span reader reads")
    model_settle: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="span reader: a first passage whose best span reaches this confidence settles the question, "
        "the other passages are not read (default: its card's; 1 reads every passage)",
    )
    model_threshold: float | None = Field(None, ge=0.0, le=1.0, description="span reader's no-answer threshold (default: its card's)")
    reader_chunks: int = Field(5, ge=1, le=20, description="top chunks the evidence reader draws sentences from")
    no_answer_threshold: float = Field(0.11, ge=0.0, le=1.0, description="evidence reader's confidence under which no answer is given")
    admin_token: SecretStr | None = Field(None, description="bearer token of the write endpoints (unset: they answer 403)")
    read_token: SecretStr | None = Field(None, description="bearer token /ask and /documents require (unset: they are open)")
    max_batch_articles: int = Field(100, ge=1, le=100, description="most articles one POST /documents may carry (at most 100)")
    max_article_chars: int = Field(
        100_000,
        ge=1,
        le=MAX_ARTICLE_CHARS,
        description="longest article text POST /documents accepts, in characters of the text as indexed (after NFC normalisation); "
        "at most half of what spaCy takes, which needs about 1 GB per 100,000 characters",
    )
    write_queue: int = Field(
        16,
        ge=0,
        le=256,
        description="writes (POST / DELETE /documents) that may wait their turn behind a rebuild or another write, served in "
        "the order they came; beyond that a write answers 503 with Retry-After",
    )
    host: str = Field("127.0.0.1", description="address `qa serve` binds")
    port: int = Field(8000, ge=1, le=65535, description="port `qa serve` binds")
    max_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="largest request body the API reads, in bytes (counted as it streams in); larger gets 413"
    )
    max_write_body_bytes: int = Field(
        64 * 1024 * 1024, ge=1024, description="largest request body of the write endpoints (/documents: batches of articles), in bytes"
    )
    max_concurrent_asks: int = Field(2, ge=1, le=64, description="questions answered at the same time (worker threads for /ask)")
    max_waiting_asks: int = Field(
        16, ge=0, le=1024, description="questions allowed to wait for a free worker; beyond that /ask answers 503 with Retry-After"
    )
    ask_timeout_s: float = Field(
        10.0,
        gt=0,
        le=600,
        description="time budget of one /ask, waiting included: past it the request gets a 503 "
        "(a question still waiting is dropped; one already running finishes on its thread and its answer is discarded)",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="`qa serve` log level: info logs one line per request; debug adds each question's text"
    )
    retry_after_s: int = Field(1, ge=1, le=3600, description="seconds suggested in Retry-After when /ask is saturated or over its budget")

    @field_validator("admin_token", "read_token", mode="after")
    @classmethod
    def _empty_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        return None if value is None or not value.get_secret_value().strip() else value

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Self:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(f"chunk_overlap ({self.chunk_overlap}) must be less than chunk_size ({self.chunk_size})")
        return self
