"""Building the heavy objects from :class:`Settings`: embedder, index, pipeline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from index.annotate import Annotator
from index.chunking import ChunkingConfig
from index.embedding import Embedder, SentenceTransformerEmbedder
from index.errors import IndexIncompatible
from index.models import DEFAULT_MODEL, ModelSpec, resolve_model
from index.store import Index, check_model, load_build, read_build_manifest, using_current
from qa.pipeline import Pipeline
from qa.readers import Reader
from qa.readers.evidence.reader import ReaderConfig, SentenceReader
from qa.readers.span.model import DEFAULT_WEIGHTS, SpanModel
from qa.readers.span.reader import ModelReader
from qa.settings import Settings
from qa.writer import Writer, WriterConfig


def chunking_config(settings: Settings) -> ChunkingConfig:
    return ChunkingConfig(settings.chunk_size, settings.chunk_overlap)


def annotator_for(settings: Settings) -> Annotator:
    """The annotator (not loaded) that the configured reader needs: the evidence reader reads spaCy's whole
    analysis, the span reader only the named entities (``annotation="auto"``)."""
    level = settings.annotation
    if level == "auto":
        level = "full" if settings.reader == "evidence" else "entities"
    return Annotator(annotation=level)


def reader_config(settings: Settings) -> ReaderConfig:
    return ReaderConfig(max_chunks=settings.reader_chunks, no_answer_threshold=settings.no_answer_threshold)


def load_span_model(settings: Settings) -> SpanModel:
    """The trained span reader over the rebuilt e5-small (its checksum checked)."""
    spec = resolve_model(DEFAULT_MODEL, settings.model_cache_dir)
    weights = settings.reader_weights or DEFAULT_WEIGHTS
    backend = settings.reader_backend
    return SpanModel(
        Path(spec.location),
        weights,
        threads=settings.reader_threads,
        backend=backend,
        cache_dir=settings.model_cache_dir,
        base_version=spec.version,
    ).load()


def reader_for(index: Index, embedder: Embedder, settings: Settings, span_model: SpanModel | None = None) -> Reader:
    """The configured reader over a loaded index (loading the span model if it is the one and none is given)."""
    if settings.reader == "evidence":
        if index.manifest.annotation != "full":
            raise IndexIncompatible(
                f"the index at {index.path} holds spaCy's named entities only (annotation {index.manifest.annotation!r}, built for "
                "the span reader); the evidence reader reads the full analysis: rebuild it with QA_READER=evidence qa index build"
            )
        return SentenceReader(index, embedder, reader_config(settings))
    model = span_model or load_span_model(settings)
    return ModelReader(
        index, model, ModelReader.config_from_card(model, settings.model_chunks, settings.model_threshold, settings.model_settle)
    )


def pipeline_for(index: Index, embedder: Embedder, settings: Settings, span_model: SpanModel | None = None) -> Pipeline:
    """A pipeline over a loaded index, with the configured reader and retrieval."""
    return Pipeline(index, embedder, reader_for(index, embedder, settings, span_model), mode=settings.retrieval_mode, rrf_k=settings.rrf_k)


def load_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    """Resolve (building the e5 folder if needed) and load the embedding model."""
    return unloaded_embedder(settings).load()


def unloaded_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    """The configured embedder, resolved but not loaded: its name and version (the index fingerprint) without its weights."""
    return embedder_for(resolve_model(settings.model, settings.model_cache_dir), settings)


def embedder_for(spec: ModelSpec, settings: Settings) -> SentenceTransformerEmbedder:
    """The embedder of ``spec`` with the configured question and passage backends (not loaded)."""
    return SentenceTransformerEmbedder(
        spec, query_backend=settings.query_backend, passage_backend=settings.passage_backend, cache_dir=settings.model_cache_dir
    )


def load_pipeline(settings: Settings, embedder: SentenceTransformerEmbedder | None = None) -> Pipeline:
    """Load the current index (refusing one built by another model) and the model.

    ``current`` is resolved once: the model check and the files read are of one build, held
    until loaded, whatever a concurrent ``qa index build`` swaps in meanwhile."""
    root = settings.index_dir
    with using_current(root) as build:
        if embedder is None:
            spec = resolve_model(settings.model, settings.model_cache_dir)
            check_model(read_build_manifest(build, root), spec.name, root)  # before loading weights
            embedder = embedder_for(spec, settings).load()
        index = load_build(build, root, model=embedder.name)
    return pipeline_for(index, embedder, settings)


def writer_for(settings: Settings, serving: Pipeline, publish: Callable[[Pipeline], None]) -> Writer:
    """The writer of a serving process: its pipelines reuse ``serving``'s embedder and span model (no
    model is loaded again per write); spaCy's French model loads here, once."""
    span_model = serving.reader.model if isinstance(serving.reader, ModelReader) else None
    embedder = serving.embedder  # the models, not the serving pipeline: holding it would keep its index for ever

    def make_pipeline(index: Index) -> Pipeline:
        return pipeline_for(index, embedder, settings, span_model)

    config = WriterConfig(
        chunking_config(settings),
        max_waiting=settings.write_queue,
        max_batch=settings.max_batch_articles,
        max_article_chars=settings.max_article_chars,
    )
    return Writer(settings.articles_dir, settings.index_dir, embedder, annotator_for(settings).load(), make_pipeline, publish, config)
