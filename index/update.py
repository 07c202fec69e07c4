"""Incremental update of the persisted index: only new or changed articles are parsed, annotated and embedded.

The chunks, sentences, candidate spans and vectors of unchanged articles are taken from the current build
(chunk vectors out of FAISS with ``reconstruct_n``); BM25 is
rebuilt over every chunk, since its statistics are the corpus's. The new build is written like a full one
(:func:`index.store.write_build`: durable files, atomic swap, pruning) and holds the same content a full
:func:`index.store.build_index` of the same articles would. When anything besides the articles that
shapes a build differs (model, chunking, spaCy, the code's rules, the format), or there is no usable
index, it falls back to a full build.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from index.annotate import Annotator
from index.chunking import Chunker, ChunkingConfig
from index.corpus import Article, same_article
from index.embedding import Embedder
from index.errors import IndexIncompatible, IndexNotBuilt, UnknownDocument
from index.store import (
    BuildParts,
    Fingerprint,
    Index,
    Manifest,
    analyse_articles,
    build_lock,
    fingerprint,
    load_build,
    read_build_manifest,
    refresh_parts,
    using_current,
    write_build,
)

# The articles an update should leave, given the current ones (``None``: no usable index).
_Target = Callable[[Mapping[str, Article] | None], list[Article]]


@dataclass(frozen=True)
class SyncReport:
    """What an update did. ``full_build`` says why every article was re-embedded (``None``: incremental);
    ``written`` is false when nothing differed and the current build was kept."""

    manifest: Manifest
    added: tuple[str, ...]
    replaced: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    chunks_embedded: int
    full_build: str | None
    written: bool
    seconds: float


def sync_index(
    root: Path,
    articles: Sequence[Article] | Callable[[], Sequence[Article]],
    embedder: Embedder,
    chunking: ChunkingConfig | None = None,
    *,
    annotator: Annotator | None = None,
    show_progress: bool = False,
    analysed: BuildParts | None = None,
) -> SyncReport:
    """Make the index under ``root`` hold exactly ``articles``, embedding only what the current build lacks.

    ``articles`` may be a function that reads them (the folder, under its lock): it is called under the build
    lock, so that what is written is what the folder holds then, whatever another process wrote meanwhile.
    ``analysed``: parts already analysed (a writer analyses new articles before it changes the folder); the
    articles they hold as they are are not analysed again."""
    read = articles if callable(articles) else lambda: articles
    return _update(root, lambda _: list(read()), embedder, chunking, annotator, show_progress, analysed)


def update_index(
    root: Path,
    embedder: Embedder,
    chunking: ChunkingConfig | None = None,
    *,
    upserts: Sequence[Article] = (),
    deletes: Iterable[str] = (),
    annotator: Annotator | None = None,
    show_progress: bool = False,
) -> SyncReport:
    """Add or replace ``upserts`` and drop ``deletes`` (ids the index must hold) in the current index."""
    deleted = set(deletes)

    def target(current: Mapping[str, Article] | None) -> list[Article]:
        if current is None:
            raise IndexNotBuilt(f"no usable index at {root} to update: build it with `qa index build`")
        unknown = sorted(deleted - current.keys())
        if unknown:
            raise UnknownDocument(f"no document with id {', '.join(map(repr, unknown))}")
        merged = {doc_id: a for doc_id, a in current.items() if doc_id not in deleted}
        merged.update((a.doc_id, a) for a in upserts)
        return list(merged.values())

    return _update(root, target, embedder, chunking, annotator, show_progress)


def _update(
    root: Path,
    target_of: _Target,
    embedder: Embedder,
    chunking: ChunkingConfig | None,
    annotator: Annotator | None,
    show_progress: bool,
    analysed: BuildParts | None = None,
) -> SyncReport:
    started = time.perf_counter()
    chunker = Chunker(chunking)
    annotator = annotator or Annotator()
    expected = fingerprint(embedder, chunker.config, annotator)
    with build_lock(root):
        base, why_full = _current(root, expected)
        wanted = sorted(target_of(None if base is None else base.articles), key=lambda a: a.doc_id)
        if not wanted:
            raise ValueError("cannot build an index of no articles")
        if len({a.doc_id for a in wanted}) != len(wanted):
            raise ValueError("duplicate document ids in the articles to index")
        old = {} if base is None else base.articles
        new_ids = {a.doc_id for a in wanted}
        added = tuple(a.doc_id for a in wanted if a.doc_id not in old)
        replaced = tuple(a.doc_id for a in wanted if a.doc_id in old and not same_article(a, old[a.doc_id]))
        removed = tuple(sorted(old.keys() - new_ids))
        if why_full is None and base is not None and not (added or replaced or removed):
            return SyncReport(base.manifest, (), (), (), len(wanted), 0, None, False, round(time.perf_counter() - started, 3))
        changed = set(added) | set(replaced)

        def analyse(some: list[Article]) -> BuildParts:
            if analysed is None:
                return analyse_articles(some, embedder, chunker, annotator, show_progress=show_progress)
            return refresh_parts(analysed, some, lambda missing: analyse_articles(missing, embedder, chunker, annotator))

        if why_full is not None or base is None:
            parts = analyse(wanted)
            embedded = len(parts.chunks)
        else:
            fresh = analyse([a for a in wanted if a.doc_id in changed])
            parts = _merge(wanted, base, fresh)
            embedded = len(fresh.chunks)
        manifest = write_build(root, parts, expected, started)
    return SyncReport(
        manifest,
        added,
        replaced,
        removed,
        len(wanted) - len(added) - len(replaced),
        embedded,
        why_full,
        True,
        round(time.perf_counter() - started, 3),
    )


def _current(root: Path, expected: Fingerprint) -> tuple[Index | None, str | None]:
    """The current build (``None``: none can be read) and why its parts cannot be reused (``None``: they can)."""
    try:
        with using_current(root) as build:
            manifest = read_build_manifest(build, root)
            differs = [f.name for f in fields(Fingerprint) if getattr(manifest.fingerprint, f.name) != getattr(expected, f.name)]
            return load_build(build, root), f"{', '.join(differs)} changed" if differs else None
    except IndexNotBuilt:
        return None, "no index yet"
    except IndexIncompatible as exc:
        return None, f"the current index is unusable ({exc})"


def _merge(wanted: list[Article], base: Index, fresh: BuildParts) -> BuildParts:
    """The parts of ``wanted`` in order: fresh ones for the articles in ``fresh``, the base build's for the others."""
    doc_ids = base.articles.doc_ids
    old_chunks, old_sentences = _grouped_rows(base.chunks.doc_rows, doc_ids), _grouped_rows(base.sentences.doc_rows, doc_ids)
    new_chunks, new_sentences = _rows_by_doc(c.doc_id for c in fresh.chunks), _rows_by_doc(s.doc_id for s in fresh.sentences)
    fresh_ids = {a.doc_id for a in fresh.articles}
    base_chunk_vectors = base.chunk_vectors()
    chunks, sentences, spans, chunk_vectors = [], [], [], []
    for article in wanted:
        if article.doc_id in fresh_ids:
            c_rows, s_rows = new_chunks[article.doc_id], new_sentences[article.doc_id]
            chunks += [fresh.chunks[i] for i in c_rows]
            sentences += [fresh.sentences[i] for i in s_rows]
            spans += [fresh.spans[i] for i in s_rows]
            chunk_vectors.append(fresh.chunk_vectors[c_rows])
        else:
            c_rows, s_rows = old_chunks[article.doc_id], old_sentences[article.doc_id]
            chunks += [base.chunks[i] for i in c_rows]
            sentences += [base.sentences[i] for i in s_rows]
            spans += [base.sentence_spans[i] for i in s_rows]
            chunk_vectors.append(base_chunk_vectors[c_rows])
    dim = base_chunk_vectors.shape[1]
    return BuildParts(
        list(wanted),
        chunks,
        sentences,
        spans,
        np.concatenate(chunk_vectors).astype(np.float32) if chunk_vectors else np.zeros((0, dim), np.float32),
        fresh.stage_seconds,
    )


def _grouped_rows(doc_rows: np.ndarray, doc_ids: list[str]) -> dict[str, list[int]]:
    """The rows of each article in a stored column of article rows (each article's rows are together)."""
    rows: dict[str, list[int]] = defaultdict(list)
    values, firsts, counts = np.unique(np.asarray(doc_rows), return_index=True, return_counts=True)
    for value, first, count in zip(values.tolist(), firsts.tolist(), counts.tolist(), strict=True):
        rows[doc_ids[value]] = list(range(first, first + count))
    return rows


def _rows_by_doc(doc_ids: Iterable[str]) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = defaultdict(list)
    for row, doc_id in enumerate(doc_ids):
        rows[doc_id].append(row)
    return rows
