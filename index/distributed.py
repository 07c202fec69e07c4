"""A full index build on Ray: the articles' analysis as a Ray Data ``map_batches`` stage on an actor pool.

Each actor loads the embedding model and spaCy's French model once, in its constructor, then turns batch
after batch of articles into :class:`~index.store.BuildParts` with :func:`~index.store.analyse_articles`
(chunking and sentence splitting, annotation, embedding: the local build's own code) and writes them as a
shard of plain files (JSON and ``.npy``, no pickle) under ``<root>/.ray-shards-<id>/``. This process then
reads the shards back in article order, concatenates them (:func:`~index.store.concat_parts`) and writes the
build the way a local build does (:func:`~index.store.write_build` under :func:`~index.store.build_lock`):
same files, same fingerprint, ``current`` swapped atomically. Its ``stage_seconds`` say it ran on Ray:
beside the analysis stages (summed over the actors) it holds ``ray_start``, ``ray_analyse`` (wall time of
the Ray stage) and ``assemble``.

Every worker must run this project's code and models at the same versions (each actor checks: it computes
the fingerprint it would build with, and the build stops if one differs), and on a cluster of several
machines ``root`` must be storage they all share (the shards are written there), as the replicas that serve
the index share it. Ray is imported here only, when a build asks for it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import tempfile
import time
import typing
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, is_dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from index.annotate import ANNOTATIONS, Annotation, Annotator
from index.chunking import Chunker, ChunkingConfig
from index.corpus import Article
from index.embedding import Embedder
from index.errors import ClusterError
from index.store import (
    SPACY_MODEL,
    BuildParts,
    Fingerprint,
    Manifest,
    analyse_articles,
    build_lock,
    concat_parts,
    fingerprint,
    refresh_parts,
    write_build,
)

LOCAL = "local"  # the address that starts a Ray of our own on this machine (Ray's own name for it)
_CONNECT_TIMEOUT_S = 5.0
# What every worker needs in its environment whatever machine it runs on: nothing fetched from a model hub.
_WORKER_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}

log = logging.getLogger("qa.index.distributed")


@dataclass(frozen=True)
class RayConfig:
    """Where and how wide a Ray build runs.

    ``address``: :data:`LOCAL` starts a Ray on this machine with ``local_cpus`` CPUs and an object store of
    ``object_store_bytes`` (shut down after the build); anything else is an existing cluster (``host:port``
    of its head, ``ray://host:10001``, or ``auto``). ``workers`` actors of one CPU each analyse batches of
    ``batch_size`` articles (one shard per batch)."""

    address: str = LOCAL
    workers: int = 2
    batch_size: int = 8
    local_cpus: int = 2
    object_store_bytes: int = 500 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if self.local_cpus < 1:
            raise ValueError(f"local_cpus must be at least 1, got {self.local_cpus}")
        _head(self.address)  # a malformed address is refused here, before anything starts

    @property
    def where(self) -> str:
        if self.address == LOCAL:
            return f"a local Ray ({self.local_cpus} CPUs)"
        return f"the Ray cluster at {self.address}"


def build_index_on_ray(
    articles: Sequence[Article],
    root: Path,
    make_embedder: Callable[[], Embedder],
    built_with: Fingerprint,
    chunking: ChunkingConfig | None = None,
    *,
    spacy_model: str = SPACY_MODEL,
    config: RayConfig | None = None,
    show_progress: bool = False,
    source: Callable[[], Sequence[Article]] | None = None,
) -> Manifest:
    """Analyse ``articles`` on Ray and persist them under ``root`` as :func:`index.store.build_index` would.

    ``make_embedder`` (picklable: it runs in each actor) returns a loaded embedder; ``built_with`` is the
    fingerprint a local build would record, which every actor must agree with. ``source`` as for
    :func:`index.store.build_index`: the articles that changed while Ray analysed are analysed here, under the
    build lock (this process then loads the models, which it otherwise never does)."""
    if not articles:
        raise ValueError("cannot build an index of no articles")
    config = config or RayConfig()
    chunking = chunking or ChunkingConfig()
    annotator = (spacy_model, _annotation(built_with.annotation))  # the level the fingerprint names
    started = time.perf_counter()
    shards = root / f".ray-shards-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    shards.mkdir(parents=True)
    try:
        with ray_session(config):
            ray_started = round(time.perf_counter() - started, 3)
            analysing = time.perf_counter()
            results = _analyse_on_ray(articles, make_embedder, chunking, annotator, shards, config, show_progress)
            ray_seconds = round(time.perf_counter() - analysing, 3)
        assembling = time.perf_counter()
        parts = _assemble(results, len(articles), built_with)
        timing = {"ray_start": ray_started, "ray_analyse": ray_seconds, "assemble": round(time.perf_counter() - assembling, 3)}
        parts = replace(parts, stage_seconds={**parts.stage_seconds, **timing})
        with build_lock(root):
            if source is not None:
                now = list(source())
                if not now:
                    raise ValueError("cannot build an index of no articles")
                parts = refresh_parts(parts, now, lambda missing: _analyse_here(missing, make_embedder, chunking, annotator))
            return write_build(root, parts, built_with, started)
    finally:
        shutil.rmtree(shards, ignore_errors=True)


def _annotation(name: str) -> Annotation:
    if name not in ANNOTATIONS:
        raise ValueError(f"unknown annotation level {name!r}")
    return "entities" if name == "entities" else "full"


def _analyse_here(
    articles: list[Article], make_embedder: Callable[[], Embedder], chunking: ChunkingConfig, annotator: tuple[str, Annotation]
) -> BuildParts:
    log.warning("%d article(s) changed during the Ray build: analysing them here", len(articles))
    return analyse_articles(articles, make_embedder(), Chunker(chunking), Annotator(*annotator))


@contextmanager
def ray_session(config: RayConfig) -> Iterator[Any]:
    """Ray, connected to ``config.address`` (or started here for :data:`LOCAL`), shut down on exit. Yields the
    ``ray`` module. An address that does not answer, or Ray not installed, is a :class:`ClusterError`."""
    try:
        import ray
    except ImportError as exc:
        raise ClusterError("Ray is not installed: install the project with its ray extra (pip install -e '.[ray]')") from exc
    temp_dir = None
    options: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False, "runtime_env": {"env_vars": _WORKER_ENV}}
    if config.address == LOCAL:
        temp_dir = tempfile.mkdtemp(prefix="qa-ray-")  # short: Ray's sockets live under it
        options |= {
            "num_cpus": config.local_cpus,
            "object_store_memory": config.object_store_bytes,
            "include_dashboard": False,
            "_temp_dir": temp_dir,
        }
    else:
        _check_reachable(config.address)
    try:
        try:
            ray.init(address=config.address, **options)
        except (ConnectionError, RuntimeError, ValueError, SystemExit) as exc:  # Ray exits when its GCS never answers
            raise ClusterError(f"cannot connect to {config.where}: {exc or type(exc).__name__}") from exc
        try:
            yield ray
        finally:
            ray.shutdown()
    finally:
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)


def _head(address: str) -> tuple[str, int] | None:
    """The ``(host, port)`` an address names (``None`` for :data:`LOCAL` and ``auto``); ``ValueError`` if malformed."""
    if address in (LOCAL, "auto"):
        return None
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"bad Ray address {address!r}: give host:port (the head's GCS), ray://host:port, auto, or {LOCAL}")
    return host, int(port)


def _check_reachable(address: str) -> None:
    """Fail fast on a ``host:port`` nobody listens on (Ray itself would retry for minutes, then exit). For
    ``auto`` Ray looks for a cluster started on this machine and says at once when there is none."""
    head = _head(address)
    if head is None:
        return
    try:
        with socket.create_connection(head, timeout=_CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        raise ClusterError(f"no Ray cluster answers at {address} ({exc})") from exc


def _analyse_on_ray(
    articles: Sequence[Article],
    make_embedder: Callable[[], Embedder],
    chunking: ChunkingConfig,
    annotator: tuple[str, Annotation],
    shards: Path,
    config: RayConfig,
    show_progress: bool,
) -> list[dict[str, Any]]:
    """Run the analysis stage; one result row per shard written."""
    import ray.data

    if not show_progress:
        logging.getLogger("ray.data").setLevel(logging.ERROR)  # its per-run lines, and a warning that bars are off
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = show_progress
    context.execution_options.preserve_order = True
    rows = article_rows(articles)
    batch_size = batch_size_for(len(rows), config)
    dataset = ray.data.from_items(rows, override_num_blocks=-(-len(rows) // batch_size))
    analysed = dataset.map_batches(
        AnalyseBatch,
        fn_constructor_kwargs={"make_embedder": make_embedder, "chunking": chunking, "annotator": annotator, "shards": str(shards)},
        batch_size=batch_size,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=config.workers),
        num_cpus=1,
    )
    try:
        return list(analysed.take_all())
    except ray.exceptions.RayError as exc:
        raise ClusterError(f"the build failed on Ray: {_last_line(exc)}") from exc


def article_rows(articles: Sequence[Article]) -> list[dict[str, Any]]:
    """The articles as Ray Data rows: every field (the source's metadata too) and the article's position."""
    return [{"position": i, **{f.name: getattr(a, f.name) for f in fields(Article)}} for i, a in enumerate(articles)]


def batch_size_for(count: int, config: RayConfig) -> int:
    """``config.batch_size``, smaller when that would leave a worker without a batch (5 articles, 2 workers: 3)."""
    return max(1, min(config.batch_size, -(-count // config.workers)))


def _last_line(error: BaseException) -> str:
    """A Ray error's last line: the exception raised in the worker, without Ray's traceback."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


class AnalyseBatch:
    """The Ray Data actor: models loaded once here, then one shard of :class:`BuildParts` per batch."""

    def __init__(
        self, make_embedder: Callable[[], Embedder], chunking: ChunkingConfig, annotator: tuple[str, Annotation], shards: str
    ) -> None:
        self.embedder = make_embedder()
        self.chunker = Chunker(chunking)
        self.annotator = Annotator(*annotator).load()
        self.shards = Path(shards)
        self.built_with = json.dumps(asdict(fingerprint(self.embedder, self.chunker.config, self.annotator)))

    def __call__(self, batch: Any) -> dict[str, np.ndarray]:
        records = sorted(batch.to_pylist(), key=lambda r: int(r["position"]))
        positions = [int(r.pop("position")) for r in records]
        parts = analyse_articles([Article(**r) for r in records], self.embedder, self.chunker, self.annotator)
        folder = self.shards / f"{positions[0]:08d}"
        save_parts(folder, parts)
        return {
            "shard": np.array([str(folder)]),
            "positions": np.array([json.dumps(positions)]),
            "fingerprint": np.array([self.built_with]),
            "worker": np.array([f"{socket.gethostname()}:{os.getpid()}"]),
        }


def _assemble(results: list[dict[str, Any]], count: int, built_with: Fingerprint) -> BuildParts:
    """The shards' parts in article order, after checking that every actor built with ``built_with``."""
    expected = asdict(built_with)
    for result in results:
        theirs = json.loads(result["fingerprint"])
        differs = sorted(name for name in expected if theirs.get(name) != expected[name])
        if differs:
            raise ClusterError(
                f"a Ray worker ({result['worker']}) would build another index ({', '.join(differs)} differ from this machine's): "
                "run the same version of the project and its models on every node"
            )
    ordered = sorted(results, key=lambda r: json.loads(r["positions"])[0])
    positions = [p for r in ordered for p in json.loads(r["positions"])]
    if positions != list(range(count)):
        raise ClusterError(f"the Ray build's shards do not cover the {count} articles once each, in order")
    return concat_parts([load_parts(Path(r["shard"])) for r in ordered])


def save_parts(folder: Path, parts: BuildParts) -> None:
    """Write ``parts`` as plain files: ``<field>.npy`` for arrays, ``<field>.json`` for the rest."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in fields(BuildParts):
        value = getattr(parts, f.name)
        if isinstance(value, np.ndarray):
            np.save(folder / f"{f.name}.npy", value, allow_pickle=False)
        else:
            (folder / f"{f.name}.json").write_text(json.dumps(_plain(value), ensure_ascii=False), encoding="utf-8")


def load_parts(folder: Path) -> BuildParts:
    """Read what :func:`save_parts` wrote, rebuilding each field's declared type."""
    hints = typing.get_type_hints(BuildParts)
    values: dict[str, Any] = {}
    for f in fields(BuildParts):
        if hints[f.name] is np.ndarray:
            values[f.name] = np.load(folder / f"{f.name}.npy", allow_pickle=False)
        else:
            values[f.name] = _typed(json.loads((folder / f"{f.name}.json").read_text(encoding="utf-8")), hints[f.name])
    return BuildParts(**values)


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _typed(value: Any, hint: Any) -> Any:
    """``value`` read from JSON, turned back into ``hint``: dataclasses, lists, tuples and dicts of them."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if isinstance(hint, type) and is_dataclass(hint):
        return hint(**value)
    if origin is list:
        return [_typed(v, args[0]) for v in value]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_typed(v, args[0]) for v in value)
        return tuple(_typed(v, a) for v, a in zip(value, args, strict=True))
    if origin is dict:
        return {k: _typed(v, args[1]) for k, v in value.items()}
    return value
