"""A replaced index leaves memory as soon as nothing serves it: no reference cycle keeps it (issue 21, item 3).

The garbage collector is off while the writes run, so only reference counting frees anything: an index held by
a cycle (a cache bound to its own object) would stay, with its memory-mapped files open, until a full collection
that a busy server does not run in time. The live indexes and the open descriptors must stay flat across writes.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from index.corpus import Article, load_articles
from index.store import Index, build_index, load_index
from index.tables import ArticleTable
from qa import factory
from qa.pipeline import Pipeline
from qa.readers.span.model import SpanGuess
from qa.settings import Settings
from tests.conftest import FakeEmbedder

WRITES = 100
QUESTION = "Qui est le maire de Lyon ?"


class FirstWordSpans:
    """A stand-in for the loaded span model: proposes each passage's first word."""

    def __init__(self) -> None:
        self.card: dict[str, Any] = {}

    def read(self, question: str, passages: Sequence[str], *, k: int = 3, batch_size: int = 8) -> list[SpanGuess]:
        return [SpanGuess(p, 0, max(1, len(text.split(" ")[0])), 1.0, 0.0) for p, text in enumerate(passages) if text]


def _live(before: set[int]) -> tuple[int, int]:
    """How many indexes and article tables exist besides those of ``before`` (ids of objects made by other tests
    and still alive), garbage held by cycles included (the collector is off)."""
    kinds = [type(o) for o in gc.get_objects() if id(o) not in before]
    return kinds.count(Index), kinds.count(ArticleTable)


def _descriptors(root: Path) -> tuple[int, int]:
    """Open descriptors of this process: all, and those on files of the index folder deleted since they were opened."""
    total = deleted = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = str(fd.readlink())
        except OSError:  # the listing's own descriptor, closed already
            continue
        total += 1
        deleted += target.startswith(str(root)) and target.endswith("(deleted)")
    return total, deleted


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


@pytest.mark.parametrize("reader", ["evidence", "model"])
def test_replaced_indexes_leave_memory_and_close_their_files(tmp_path: Path, articles_dir: Path, reader: str, collector_off: None) -> None:
    others = [o for o in gc.get_objects() if type(o) in (Index, ArticleTable)]  # kept alive by this list meanwhile
    before = {id(o) for o in others}
    embedder, root = FakeEmbedder(), tmp_path / "index"
    build_index(load_articles(articles_dir), embedder, root)
    settings = Settings(articles_dir=articles_dir, index_dir=root, model=embedder.name, reader=reader)  # type: ignore[arg-type]
    span_model: Any = FirstWordSpans()
    serving: dict[str, Pipeline] = {"pipeline": factory.pipeline_for(load_index(root), embedder, settings, span_model)}

    def publish(pipeline: Pipeline) -> None:
        serving["pipeline"] = pipeline  # as the app does: one assignment, the old pipeline dropped

    writer = factory.writer_for(settings, serving["pipeline"], publish)
    seen: list[tuple[int, int, int, int]] = []
    for i in range(WRITES):
        if i % 3 == 2:
            writer.delete(f"lyon-{i - 1}")
        else:
            writer.upsert([Article(f"lyon-{i}", f"Grégoire Doucet, le maire de Lyon, a parlé {i} fois de la Saône.")])
        serving["pipeline"].ask(QUESTION)  # the readers fill their caches
        if i % 10 == 9:
            seen.append((*_live(before), *_descriptors(root)))
    indexes, tables, descriptors, deleted = zip(*seen, strict=True)
    assert set(indexes) == {1} and set(tables) == {1}, f"indexes alive after every 10 writes: {indexes}, article tables: {tables}"
    assert max(deleted) == 0, f"descriptors on deleted builds after every 10 writes: {deleted}"
    assert max(descriptors) <= descriptors[0], f"open descriptors after every 10 writes: {descriptors}"
