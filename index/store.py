"""The persisted index: a directory of plain files, swapped in atomically.

Layout under the index root::

    current -> builds/20261123T101500-3f2a9c1b     (symlink, replaced atomically)
    builds/<id>/manifest.json    fingerprint (format, model and its version, chunking, spaCy and its model, code hash), stage timings,
                                 dimension, corpus hash, counts, build time
    builds/<id>/articles.json, texts.bin, text_offsets.npy, chunk_rows.npy, sentence_rows.npy, span_rows.npy,
                 span_offsets.npy, span_labels.json
                                 the articles, chunks, sentences and candidate answer spans as columns, memory-mapped
                                 on load and read through views (index/tables.py): no Python object per row
    builds/<id>/chunks.faiss     inner-product FAISS index over normalised chunk vectors (exact, or IVF when large: index/dense.py)
    builds/<id>/bm25/            French BM25 over the chunks (bm25s arrays and JSON, no pickle)

A build writes a new ``builds/<id>``, flushes it to disk, and only then repoints ``current``;
a failed build leaves the previous index untouched. A loader resolves ``current`` once and
reads that build only; it holds the build while it loads, and a loaded :class:`Index` holds it for
as long as it lives, so that pruning (which keeps the current build, the one before and every held
one) never deletes a build that a process, on this machine or another sharing the folder, has mapped.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np

from index.annotate import Annotator, SpanTuple
from index.chunking import Chunk, Chunker, ChunkingConfig
from index.corpus import Article, same_article, stored
from index.dense import DenseConfig, build_dense, load_dense, save_dense
from index.embedding import Embedder
from index.errors import IndexIncompatible, IndexNotBuilt
from index.lexical import Bm25Index
from index.models import package_version
from index.sentences import Sentence, split_sentences
from index.tables import ArticleTable, ChunkTable, SentenceTable, SpanTable, read_tables, write_tables

SPACY_MODEL = Annotator().model  # the annotator's default spaCy pipeline (a package of that name)

# 5: span labels changed and the manifest holds the build's fingerprint. 6: the manifest holds stage timings.
# 7: no sentence vectors (the span reader does not read them; the evidence reader encodes the ones it reads).
# 8: articles, chunks, sentences and spans as memory-mapped columns (index/tables.py) instead of JSON lines.
# 9: articles.json holds what each article's file said of it (author, site name, format, file name, summary only).
# 10: the manifest names the annotation level (full, or the named entities alone for the span reader).
FORMAT_VERSION = 10
_KEEP_BUILDS = 2
# Every build holds this empty file; a loader and a loaded index keep a shared lock on it, and pruning skips a locked build.
_IN_USE = ".in-use"
_RESOLVE_ATTEMPTS = 3
# The modules of this package whose rules shape what a build stores: text normalisation and dates,
# chunks, sentences, candidate spans, BM25 terms, the prompts and the model behind the vectors.
# Their source is hashed into the fingerprint, so changing a rule makes every index stale.
# The converters shape the articles' texts: each format's module (index/converters/*.py) counts too.
SHAPING_MODULES: tuple[str, ...] = ("corpus", "french", "chunking", "sentences", "annotate", "lexical", "embedding", "models", "dense")
SHAPING_MODULES += tuple(f"converters/{path.stem}" for path in sorted((Path(__file__).resolve().parent / "converters").glob("*.py")))
_PACKAGE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Fingerprint:
    """Everything besides the articles that shapes a build; ``qa index sync`` and the eval rebuild when any part differs."""

    format_version: int
    model: str
    model_version: str
    chunk_size: int
    chunk_overlap: int
    spacy_version: str
    spacy_model: str
    spacy_model_version: str
    annotation: str  # "full" or "entities": what spaCy ran (index/annotate.py)
    code_hash: str


def code_hash(package: Path = _PACKAGE) -> str:
    """SHA-256 of the source of the :data:`SHAPING_MODULES` present in ``package``."""
    digest = hashlib.sha256()
    for name in SHAPING_MODULES:
        path = package / f"{name}.py"
        if path.is_file():
            digest.update(f"{name}\0".encode())
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def fingerprint(embedder: Embedder, chunking: ChunkingConfig | None = None, annotator: Annotator | None = None) -> Fingerprint:
    """The fingerprint a build with this embedder, chunking and annotator (its spaCy model and level) would have now."""
    chunking = chunking or ChunkingConfig()
    annotator = annotator or Annotator()
    return Fingerprint(
        format_version=FORMAT_VERSION,
        model=embedder.name,
        model_version=embedder.version,
        chunk_size=chunking.size,
        chunk_overlap=chunking.overlap,
        spacy_version=package_version("spacy"),
        spacy_model=annotator.model,
        spacy_model_version=package_version(annotator.model),
        annotation=annotator.annotation,
        code_hash=code_hash(),
    )


@dataclass(frozen=True)
class Manifest:
    format_version: int
    model: str
    model_version: str
    dim: int
    corpus_hash: str
    articles: int
    chunks: int
    sentences: int
    chunk_size: int
    chunk_overlap: int
    spacy_version: str
    spacy_model: str
    spacy_model_version: str
    annotation: str
    code_hash: str
    built_at: str
    build_seconds: float
    # seconds per stage of this build: chunk, split (sentences), annotate (spaCy), embed_chunks,
    # index (FAISS + BM25), write (files flushed to disk); an incremental build counts only what it redid.
    # annotate and embed_chunks run at the same time (see analyse_articles): their seconds overlap.
    stage_seconds: dict[str, float]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        names = {f.name for f in fields(cls)}
        missing = names - data.keys()
        if missing:
            raise IndexIncompatible(f"index manifest lacks {sorted(missing)}: rebuild it with `qa index build`")
        return cls(**{k: data[k] for k in names})

    @property
    def fingerprint(self) -> Fingerprint:
        return Fingerprint(**{f.name: getattr(self, f.name) for f in fields(Fingerprint)})


@dataclass
class Index:
    """A loaded index. Read-only after loading; shared by every request. It holds its build (a shared lock on
    the build's ``.in-use`` file) until it is freed: pruning, by this process or another, leaves the build alone."""

    path: Path
    manifest: Manifest
    articles: ArticleTable
    chunks: ChunkTable
    sentences: SentenceTable
    chunk_index: Any  # faiss.Index
    lexical: Bm25Index
    sentence_spans: SpanTable

    def chunk_vectors(self) -> np.ndarray:
        return np.asarray(self.chunk_index.reconstruct_n(0, self.chunk_index.ntotal), dtype=np.float32)


class _Holds:
    """The builds this process holds: one open ``.in-use`` file per build with a shared ``flock`` on it, however
    many loaders and loaded indexes hold the build, closed (the lock released) when the last one lets go.

    One file per build, because where ``flock`` is emulated with POSIX locks (a Linux NFS client), closing any
    file of a build releases the whole process's lock on it, and a process's own lock never stops it from taking
    an exclusive one: pruning asks :meth:`held` before it tries."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[Path, tuple[IO[bytes], int]] = {}

    def take(self, build: Path) -> bool:
        """Hold ``build``; false when it has no ``.in-use`` file (pruned, or a build without one)."""
        build = build.resolve()
        with self._lock:  # one thread at a time: a file opened twice would lose the lock when either closes
            if build in self._files:
                marker, count = self._files[build]
                self._files[build] = (marker, count + 1)
                return True
            try:
                marker = (build / _IN_USE).open("rb")
            except FileNotFoundError:
                return False
            fcntl.flock(marker, fcntl.LOCK_SH)  # waits while a pruner holds it (it renames the build away, then lets go)
            self._files[build] = (marker, 1)
            return True

    def release(self, build: Path) -> None:
        build = build.resolve()
        with self._lock:
            marker, count = self._files[build]
            if count > 1:
                self._files[build] = (marker, count - 1)
                return
            del self._files[build]
        marker.close()

    def held(self, build: Path) -> bool:
        build = build.resolve()
        with self._lock:
            return build in self._files


_HOLDS = _Holds()


def corpus_hash(articles: Sequence[Article]) -> str:
    digest = hashlib.sha256()
    for article in sorted(articles, key=lambda a: a.doc_id):
        record = list(stored(article))
        digest.update(json.dumps(record, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def fsync(path: Path) -> None:
    """Flush a file's data, or a directory's entries, to disk."""
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    """Flush every file and folder under ``folder``, deepest first, then ``folder`` itself."""
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        fsync(path)
    fsync(folder)


@contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """One writer of builds at a time under ``root``, across processes (an exclusive lock on ``root/.lock``)."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _swap_current(root: Path, build: Path) -> None:
    link = root / "current"
    tmp = root / f".current-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(Path("builds") / build.name)
    tmp.replace(link)
    fsync(root)


def current_build(root: Path) -> Path:
    """The build ``current`` points to, resolved once: read everything of one build through this path."""
    try:
        build = (root / "current").resolve(strict=True)
    except (OSError, RuntimeError):
        build = None
    if build is None or not (build / "manifest.json").is_file():
        raise IndexNotBuilt(f"no index at {root}: build it with `qa index build` (or `make index`)")
    return build


@contextmanager
def using_current(root: Path) -> Iterator[Path]:
    """Resolve ``current`` once and hold that build while the caller reads it: a later swap changes
    nothing for the caller, and pruning skips a held build (a shared lock on its ``.in-use`` file)."""
    for _ in range(_RESOLVE_ATTEMPTS):
        build = current_build(root)
        if not _HOLDS.take(build):
            if (build / "manifest.json").is_file():  # a build without the marker: nothing to hold it by
                yield build
                return
            continue  # pruned between the resolve and the open (pruning renames it away first): resolve again
        try:
            if (build / "manifest.json").is_file():  # not pruned while we waited for the lock
                yield build
                return
        finally:
            _HOLDS.release(build)
    raise IndexNotBuilt(f"the index at {root} kept changing while it loaded: try again")


def _remove_unless_held(build: Path) -> None:
    if _HOLDS.held(build):  # this process reads it (its own lock would not stop it)
        return
    try:
        marker = (build / _IN_USE).open("rb")
    except FileNotFoundError:  # a build left half-written by a crash: nobody can hold it
        shutil.rmtree(build, ignore_errors=True)
        return
    with marker:
        try:
            fcntl.flock(marker, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # a loader reads it; a later build prunes it
        trash = build.with_name(f".trash-{build.name}")
        build.rename(trash)  # a loader that resolved it before now finds it gone and resolves again
        shutil.rmtree(trash, ignore_errors=True)


def _prune(root: Path) -> None:
    """Delete old builds: keep the current one, the one before it, and any build a loader holds."""
    builds = root / "builds"
    current = (root / "current").resolve()
    olds = sorted((p for p in builds.iterdir() if p.is_dir() and p.resolve() != current), key=lambda p: p.name)
    for old in olds[: max(0, len(olds) - (_KEEP_BUILDS - 1))]:
        _remove_unless_held(old)


@dataclass(frozen=True)
class BuildParts:
    """What a build stores, before FAISS and BM25: per article, in article order, its chunks, its
    sentences with their candidate spans, and the chunks' vectors (rows aligned with the chunks)."""

    articles: list[Article]
    chunks: list[Chunk]
    sentences: list[Sentence]
    spans: list[tuple[SpanTuple, ...]]
    chunk_vectors: np.ndarray
    stage_seconds: dict[str, float] = field(default_factory=dict)


def concat_parts(shards: Sequence[BuildParts]) -> BuildParts:
    """The parts of several article sets, one after the other, as :func:`analyse_articles` of all their
    articles in that order gives them: every list and array field concatenated (rows stay aligned), the
    stage seconds summed (work done, whichever process did it)."""
    if not shards:
        raise ValueError("no parts to concatenate")
    values: dict[str, Any] = {}
    for f in fields(BuildParts):
        items = [getattr(shard, f.name) for shard in shards]
        if isinstance(items[0], np.ndarray):
            values[f.name] = np.concatenate(items).astype(items[0].dtype, copy=False)
        elif isinstance(items[0], list):
            values[f.name] = [row for item in items for row in item]
        elif isinstance(items[0], dict):
            summed: dict[str, float] = {}
            for item in items:
                for name, seconds in item.items():
                    summed[name] = round(summed.get(name, 0.0) + seconds, 3)
            values[f.name] = summed
        else:
            raise TypeError(f"BuildParts.{f.name}: no rule to concatenate a {type(items[0]).__name__}")
    return BuildParts(**values)


def select_parts(parts: BuildParts, doc_ids: Sequence[str]) -> BuildParts:
    """The parts of the articles ``doc_ids`` (each held once by ``parts``), in that order; stage seconds kept."""
    articles = {a.doc_id: a for a in parts.articles}
    chunk_rows, sentence_rows = _rows_of(c.doc_id for c in parts.chunks), _rows_of(s.doc_id for s in parts.sentences)
    chunks = [row for doc_id in doc_ids for row in chunk_rows.get(doc_id, [])]
    sentences = [row for doc_id in doc_ids for row in sentence_rows.get(doc_id, [])]
    return BuildParts(
        [articles[doc_id] for doc_id in doc_ids],
        [parts.chunks[row] for row in chunks],
        [parts.sentences[row] for row in sentences],
        [parts.spans[row] for row in sentences],
        parts.chunk_vectors[np.asarray(chunks, dtype=np.int64)],
        dict(parts.stage_seconds),
    )


def refresh_parts(parts: BuildParts, articles: Sequence[Article], analyse: Callable[[list[Article]], BuildParts]) -> BuildParts:
    """The parts of ``articles``, in their order: the rows of ``parts`` for the articles it holds as they are,
    ``analyse`` of the others (added or changed since ``parts`` was analysed)."""
    held = {a.doc_id: a for a in parts.articles}
    kept = [a.doc_id for a in articles if a.doc_id in held and same_article(a, held[a.doc_id])]
    missing = [a for a in articles if a.doc_id not in held or not same_article(a, held[a.doc_id])]
    if not missing and kept == [a.doc_id for a in parts.articles]:
        return parts
    combined = concat_parts([select_parts(parts, kept), analyse(missing)]) if missing else parts
    return select_parts(combined, [a.doc_id for a in articles])


def _rows_of(doc_ids: Iterator[str]) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = {}
    for row, doc_id in enumerate(doc_ids):
        rows.setdefault(doc_id, []).append(row)
    return rows


class _Stages:
    """Wall-clock seconds per named stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - started, 3)


def analyse_articles(
    articles: Sequence[Article], embedder: Embedder, chunker: Chunker, annotator: Annotator, *, show_progress: bool = False
) -> BuildParts:
    """Chunk, split, annotate and embed ``articles`` (each article independently of the others), timing each stage.

    spaCy's annotation runs on a second thread while the chunks are embedded: spaCy computes on one core with
    the GIL released in its matrix products, and the encoder leaves room between its batches, so the two
    stages overlap and their seconds add up to more than the time they took together."""
    stage = _Stages()
    with stage("chunk"):
        chunks = [chunk for article in articles for chunk in chunker.split(article)]
    with stage("split"):
        sentences = [s for article in articles for s in split_sentences(article.doc_id, article.text)]
    with stage("load_spacy"):  # once per process: nothing after the first build
        annotator.load()

    def annotate() -> list[tuple[SpanTuple, ...]]:
        with stage("annotate"):
            return annotator.annotate(articles, sentences, show_progress=show_progress) if sentences else []

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="annotate") as pool:
        annotated = pool.submit(annotate)
        with stage("embed_chunks"):
            chunk_vectors = _encode(embedder, [c.text for c in chunks], show_progress)
        spans = annotated.result()
    order: tuple[str, ...] = ("chunk", "split", "load_spacy", "annotate", "embed_chunks")
    seconds = {name: stage.seconds[name] for name in order if name in stage.seconds}
    return BuildParts(list(articles), chunks, sentences, spans, chunk_vectors, seconds)


def _encode(embedder: Embedder, texts: list[str], show_progress: bool) -> np.ndarray:
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.asarray(embedder.encode_passages(texts, show_progress=show_progress), dtype=np.float32)


def build_index(
    articles: Sequence[Article],
    embedder: Embedder,
    root: Path,
    chunking: ChunkingConfig | None = None,
    *,
    annotator: Annotator | None = None,
    show_progress: bool = False,
    dense: DenseConfig | None = None,
    source: Callable[[], Sequence[Article]] | None = None,
    stages_before: Mapping[str, float] | None = None,
) -> Manifest:
    """Chunk, embed and persist ``articles`` under ``root``, then make it current.

    ``stages_before``: the seconds of what the caller did first for this build (reading the folder, loading the
    embedder), recorded in front of the build's own stages (they are not in its ``build_seconds``).

    The analysis runs outside :func:`build_lock` (writers of other builds need not wait for it). With ``source``
    (the articles where they live, read again: the folder under its lock), the build holds what ``source`` holds
    once the lock is taken: the articles that changed meanwhile (a write another process acknowledged) are
    analysed then, the others reused, so a long build never swaps in an index without a write made during it."""
    if not articles:
        raise ValueError("cannot build an index of no articles")
    started = time.perf_counter()
    chunker = Chunker(chunking)
    annotator = annotator or Annotator()
    parts = analyse_articles(articles, embedder, chunker, annotator, show_progress=show_progress)
    if stages_before:
        parts = replace(parts, stage_seconds={**{k: round(v, 3) for k, v in stages_before.items()}, **parts.stage_seconds})
    with build_lock(root):
        if source is not None:
            now = list(source())
            if not now:
                raise ValueError("cannot build an index of no articles")
            parts = refresh_parts(parts, now, lambda missing: analyse_articles(missing, embedder, chunker, annotator))
        return write_build(root, parts, fingerprint(embedder, chunker.config, annotator), started, dense=dense)


def write_build(root: Path, parts: BuildParts, built_with: Fingerprint, started: float, *, dense: DenseConfig | None = None) -> Manifest:
    """Index ``parts`` (FAISS over the chunk vectors, its kind by size, BM25 over the chunks), write them as a
    new build, flush it to disk, then make it current and prune old builds. The caller holds :func:`build_lock`."""
    stage = _Stages()
    stage.seconds.update(parts.stage_seconds)
    with stage("index"):
        chunk_index = build_dense(parts.chunk_vectors, dense)
        lexical = Bm25Index.build(c.text for c in parts.chunks)
    write_started = time.perf_counter()
    stamp = datetime.now(UTC)
    build = root / "builds" / f"{stamp:%Y%m%dT%H%M%S%f}-{os.getpid()}"
    tmp = build.with_name("." + build.name)
    tmp.mkdir(parents=True)
    try:
        write_tables(tmp, parts.articles, parts.chunks, parts.sentences, parts.spans)
        save_dense(chunk_index, tmp / "chunks.faiss")
        lexical.save(tmp / "bm25")
        manifest = Manifest(
            **asdict(built_with),
            dim=int(parts.chunk_vectors.shape[1]),
            corpus_hash=corpus_hash(parts.articles),
            articles=len(parts.articles),
            chunks=len(parts.chunks),
            sentences=len(parts.sentences),
            built_at=stamp.isoformat(timespec="seconds"),
            build_seconds=round(time.perf_counter() - started, 3),
            # the files' own writing and flushing, measured up to here (the manifest and the fsyncs that follow are small)
            stage_seconds={**stage.seconds, "write": round(time.perf_counter() - write_started, 3)},
        )
        (tmp / "manifest.json").write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (tmp / _IN_USE).touch()
        _fsync_tree(tmp)  # every file on disk before `current` can point at them
        tmp.rename(build)
        fsync(build.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _swap_current(root, build)
    _prune(root)
    return manifest


def read_manifest(root: Path) -> Manifest:
    """The manifest of the current build."""
    return read_build_manifest(current_build(root), root)


def read_build_manifest(build: Path, root: Path) -> Manifest:
    """The manifest of one build (``root`` names the index in messages)."""
    path = build / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexIncompatible(f"unreadable index manifest {path} ({exc}): rebuild it with `qa index build`") from exc
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        found = data.get("format_version") if isinstance(data, dict) else None
        raise IndexIncompatible(
            f"index at {root} has format {found}, this version reads {FORMAT_VERSION}: rebuild it with `qa index build`"
        )
    return Manifest.from_dict(data)


def check_model(manifest: Manifest, model: str, root: Path) -> None:
    if manifest.model != model:
        raise IndexIncompatible(
            f"the index at {root} was built with model {manifest.model!r} but the service is configured "
            f"with {model!r}: rebuild it with `qa index build` (or `make index`)"
        )


def load_index(root: Path, *, model: str | None = None, dense: DenseConfig | None = None) -> Index:
    """Load the current index; with ``model``, refuse one built by another model."""
    with using_current(root) as build:
        return load_build(build, root, model=model, dense=dense)


def load_build(build: Path, root: Path, *, model: str | None = None, dense: DenseConfig | None = None) -> Index:
    """Load one build (hold it with :func:`using_current`); with ``model``, refuse one built by another model.
    ``dense`` sets the search parameter of an approximate chunk index."""
    manifest = read_build_manifest(build, root)
    if model is not None:
        check_model(manifest, model, root)

    try:
        articles, chunks, sentences, spans = read_tables(build)
        chunk_index = load_dense(build / "chunks.faiss", dense)
        lexical = Bm25Index.load(build / "bm25")
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as exc:  # json errors are ValueErrors
        raise IndexIncompatible(f"index at {build} is damaged ({exc}): rebuild it with `qa index build`") from exc
    counts = (len(articles), len(chunks), len(sentences))
    if (
        counts != (manifest.articles, manifest.chunks, manifest.sentences)
        or chunk_index.ntotal != len(chunks)
        or lexical.size != len(chunks)
        or chunk_index.d != manifest.dim
    ):
        raise IndexIncompatible(f"index at {build} is inconsistent (counts or dimension differ): rebuild it with `qa index build`")
    index = Index(build, manifest, articles, chunks, sentences, chunk_index, lexical, spans)
    if _HOLDS.take(build):  # already held by the loader: one more holder, released when the index is freed
        weakref.finalize(index, _HOLDS.release, build)
    return index


def why_stale(root: Path, articles: Sequence[Article], expected: Fingerprint) -> list[str]:
    """What differs between the current index and a build of ``articles`` with ``expected``: the
    fingerprint parts that differ and ``"the articles"``, or why there is no usable index; empty when up to date."""
    try:
        manifest = read_manifest(root)
    except IndexNotBuilt:
        return ["no index yet"]
    except IndexIncompatible:
        return ["an older format or an unreadable manifest"]
    built = manifest.fingerprint
    reasons = [f.name for f in fields(Fingerprint) if getattr(built, f.name) != getattr(expected, f.name)]
    if manifest.corpus_hash != corpus_hash(articles):
        reasons.append("the articles")
    return reasons


def is_up_to_date(root: Path, articles: Sequence[Article], expected: Fingerprint) -> bool:
    """True when the current index was built from these articles with everything ``expected`` names."""
    return not why_stale(root, articles, expected)
